package notifications

import (
	"net/http"
	"testing"
	"time"

	"github.com/onsi/gomega"
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry"
)

// TestBridge covers every case in the compat README's "When events fire".
func TestBridge(t *testing.T) {
	now := time.Date(2026, 11, 24, 11, 11, 24, 751024067, time.UTC)
	src := SourceRecord{Addr: "vm:5000", InstanceID: "instance"}
	blobD := digest.FromString("blob")
	manD := digest.FromString("manifest")
	refs := []v1.Descriptor{{MediaType: v1.MediaTypeImageConfig, Digest: blobD, Size: 4}}
	req := func(m string) registry.RequestInfo {
		return registry.RequestInfo{ID: "r", Addr: "1.2.3.4:5", Host: "reg:5000", Method: m, UserAgent: "ua", Scheme: "https"}
	}
	rec := func(m string) RequestRecord {
		return RequestRecord{ID: "r", Addr: "1.2.3.4:5", Host: "reg:5000", Method: m, UserAgent: "ua"}
	}
	blobURL := "https://reg:5000/v2/a/b/blobs/" + blobD.String()
	manURL := "https://reg:5000/v2/a/b/manifests/" + manD.String()
	manDesc := v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: manD, Size: 300}

	for _, tc := range []struct {
		name string
		refs bool
		in   registry.Action
		want Target
		act  string
	}{
		{"blob push", false,
			registry.Action{Verb: registry.Push, Object: registry.Blob, Repository: "a/b", Descriptor: v1.Descriptor{Digest: blobD, Size: 4}, Request: req(http.MethodPut)},
			Target{MediaType: blobMediaType, Digest: blobD, Size: 4, Length: 4, Repository: "a/b", URL: blobURL}, "push"},
		{"manifest push by tag, references on", true,
			registry.Action{Verb: registry.Push, Object: registry.Manifest, Repository: "a/b", Tag: "v1", Descriptor: manDesc, References: refs, Request: req(http.MethodPut)},
			Target{MediaType: v1.MediaTypeImageManifest, Digest: manD, Size: 300, Length: 300, Repository: "a/b", URL: manURL, Tag: "v1", References: refs}, "push"},
		{"manifest push by digest, references off", false,
			registry.Action{Verb: registry.Push, Object: registry.Manifest, Repository: "a/b", Descriptor: manDesc, References: refs, Request: req(http.MethodPut)},
			Target{MediaType: v1.MediaTypeImageManifest, Digest: manD, Size: 300, Length: 300, Repository: "a/b", URL: manURL}, "push"},
		{"manifest pull by GET", false,
			registry.Action{Verb: registry.Pull, Object: registry.Manifest, Repository: "a/b", Tag: "v1", Descriptor: manDesc, Request: req(http.MethodGet)},
			Target{MediaType: v1.MediaTypeImageManifest, Digest: manD, Size: 300, Length: 300, Repository: "a/b", URL: manURL, Tag: "v1"}, "pull"},
		{"blob pull by HEAD", false,
			registry.Action{Verb: registry.Pull, Object: registry.Blob, Repository: "a/b", Descriptor: v1.Descriptor{Digest: blobD, Size: 4}, Request: req(http.MethodHead)},
			Target{MediaType: blobMediaType, Digest: blobD, Size: 4, Length: 4, Repository: "a/b", URL: blobURL}, "pull"},
		{"mount", false,
			registry.Action{Verb: registry.Mount, Object: registry.Blob, Repository: "a/b", FromRepository: "c/d", Descriptor: v1.Descriptor{Digest: blobD, Size: 4}, Request: req(http.MethodPost)},
			Target{MediaType: blobMediaType, Digest: blobD, Size: 4, Length: 4, Repository: "a/b", FromRepository: "c/d", URL: blobURL}, "mount"},
		{"manifest delete", false,
			registry.Action{Verb: registry.Delete, Object: registry.Manifest, Repository: "a/b", Descriptor: v1.Descriptor{Digest: manD}, Request: req(http.MethodDelete)},
			Target{Digest: manD, Repository: "a/b"}, "delete"},
		{"tag delete", false,
			registry.Action{Verb: registry.Delete, Object: registry.Tag, Repository: "a/b", Tag: "v1", Request: req(http.MethodDelete)},
			Target{Repository: "a/b", Tag: "v1"}, "delete"},
		{"blob delete", false,
			registry.Action{Verb: registry.Delete, Object: registry.Blob, Repository: "a/b", Descriptor: v1.Descriptor{Digest: blobD}, Request: req(http.MethodDelete)},
			Target{Digest: blobD, Repository: "a/b"}, "delete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gomega.NewWithT(t)
			b := bridge{source: src, includeReferences: tc.refs, now: func() time.Time { return now }}
			e := b.event(tc.in)
			g.Expect(e.ID).To(gomega.MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), "UUIDv7")
			g.Expect(e.Timestamp).To(gomega.Equal(now))
			g.Expect(e.Action).To(gomega.Equal(tc.act))
			g.Expect(e.Target).To(gomega.Equal(tc.want))
			g.Expect(e.Request).To(gomega.Equal(rec(tc.in.Request.Method)))
			g.Expect(e.Actor).To(gomega.Equal(ActorRecord{}))
			g.Expect(e.Source).To(gomega.Equal(src))
		})
	}
}

func TestBridgeActorBaseURLAndIDs(t *testing.T) {
	g := gomega.NewWithT(t)
	b := bridge{baseURL: "https://registry.example/", now: time.Now}
	a := registry.Action{Verb: registry.Push, Object: registry.Blob, Repository: "x", User: "alice",
		Descriptor: v1.Descriptor{Digest: digest.FromString("z"), Size: 1}, Request: registry.RequestInfo{Host: "ignored:1"}}
	e1, e2 := b.event(a), b.event(a)
	g.Expect(e1.Actor.Name).To(gomega.Equal("alice"))
	g.Expect(e1.Target.URL).To(gomega.Equal("https://registry.example/v2/x/blobs/" + digest.FromString("z").String()))
	g.Expect(e1.ID).NotTo(gomega.Equal(e2.ID))

	// no host known: no URL rather than a wrong one
	b.baseURL = ""
	a.Request.Host = ""
	g.Expect(b.event(a).Target.URL).To(gomega.BeEmpty())
}

func TestSourceAddrFillsHostname(t *testing.T) {
	g := gomega.NewWithT(t)
	g.Expect(sourceAddr("vm:5000")).To(gomega.Equal("vm:5000"))
	g.Expect(sourceAddr(":5000")).To(gomega.MatchRegexp(`^.+:5000$`))
	g.Expect(sourceAddr("")).To(gomega.Equal(""))
}

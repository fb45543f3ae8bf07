package notifications

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// The types below are written only from shared/compat/*.json (copied to
// testdata/compat): what a receiver or dashboard built for Distribution
// would decode. Decoding our output into them with unknown fields
// disallowed, and comparing key paths both ways, shows we send every key
// they have and no key they lack, with the same JSON types.

type compatEnvelope struct {
	Events []compatEvent `json:"events"`
}

type compatEvent struct {
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Action    string `json:"action"`
	Target    struct {
		MediaType      string `json:"mediaType"`
		Digest         string `json:"digest"`
		Size           int64  `json:"size"`
		Length         int64  `json:"length"`
		Repository     string `json:"repository"`
		FromRepository string `json:"fromRepository"`
		URL            string `json:"url"`
		Tag            string `json:"tag"`
		References     []struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
			Size      int64  `json:"size"`
		} `json:"references"`
	} `json:"target"`
	Request struct {
		ID        string `json:"id"`
		Addr      string `json:"addr"`
		Host      string `json:"host"`
		Method    string `json:"method"`
		UserAgent string `json:"useragent"`
	} `json:"request"`
	Actor struct {
		Name string `json:"name"`
	} `json:"actor"`
	Source struct {
		Addr       string `json:"addr"`
		InstanceID string `json:"instanceID"`
	} `json:"source"`
}

type compatDebugVars struct {
	Registry struct {
		Notifications struct {
			Endpoints []struct {
				Name              string              `json:"name"`
				URL               string              `json:"url"`
				Headers           map[string][]string `json:"Headers"`
				Timeout           int64               `json:"Timeout"`
				Threshold         int                 `json:"Threshold"`
				Backoff           int64               `json:"Backoff"`
				IgnoredMediaTypes []string            `json:"IgnoredMediaTypes"`
				Ignore            struct {
					MediaTypes []string `json:"MediaTypes"`
					Actions    []string `json:"Actions"`
				} `json:"Ignore"`
				Metrics struct {
					Pending   int            `json:"Pending"`
					Events    int            `json:"Events"`
					Successes int            `json:"Successes"`
					Failures  int            `json:"Failures"`
					Errors    int            `json:"Errors"`
					Statuses  map[string]int `json:"Statuses"`
				} `json:"Metrics"`
			} `json:"endpoints"`
		} `json:"notifications"`
	} `json:"registry"`
}

func readCompat(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "compat", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s into %T: %v", data, v, err)
	}
}

// keyPaths lists every key path in a JSON document with the JSON type at
// it, e.g. "events[].target.size:number". Map keys that are data
// (header names, status lines) are paths too: both sides use the same.
func keyPaths(t *testing.T, data []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			set[prefix+":object"] = true
			for k, e := range x {
				walk(strings.TrimPrefix(prefix+"."+k, "."), e)
			}
		case []any:
			set[prefix+":array"] = true
			for _, e := range x {
				walk(prefix+"[]", e)
			}
		case string:
			set[prefix+":string"] = true
		case float64:
			set[prefix+":number"] = true
		case bool:
			set[prefix+":bool"] = true
		case nil:
			set[prefix+":null"] = true
		}
	}
	walk("", v)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// deliveredBodies pushes a blob and a manifest by tag (includereferences
// on, as in the compat config) and returns the two bodies as received.
func deliveredBodies(t *testing.T) (blob, manifest []byte) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	cfg := oneEndpoint(EndpointConfig{URL: rc.url()})
	cfg.Events.IncludeReferences = true
	n := newNotifier(t, cfg, WithSource("vm:5000", ""))
	pushTwo(n)
	g.Eventually(func() int { return len(rc.seen()) }).Should(gomega.Equal(2))
	seen := rc.seen()
	return seen[0].body, seen[1].body
}

func TestEnvelopesHaveDistributionsKeys(t *testing.T) {
	blob, manifest := deliveredBodies(t)
	for _, tc := range []struct {
		ours   []byte
		theirs string
	}{{blob, "envelope-blob-push.json"}, {manifest, "envelope-manifest-push.json"}} {
		t.Run(tc.theirs, func(t *testing.T) {
			g := gomega.NewWithT(t)
			var env compatEnvelope
			decodeStrict(t, tc.ours, &env)
			g.Expect(env.Events).To(gomega.HaveLen(1))
			g.Expect(keyPaths(t, tc.ours)).To(gomega.Equal(keyPaths(t, readCompat(t, tc.theirs))))

			e := env.Events[0]
			_, err := time.Parse(time.RFC3339Nano, e.Timestamp)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Expect(e.Source.Addr).To(gomega.Equal("vm:5000"))
			g.Expect(e.Target.URL).To(gomega.Equal("http://127.0.0.1:5000/v2/test/repo/" +
				map[bool]string{true: "blobs/", false: "manifests/"}[e.Target.MediaType == blobMediaType] + e.Target.Digest))
		})
	}
}

func TestVarsHaveDistributionsKeys(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	// the compat config, pointed at our receiver
	n := newNotifier(t, oneEndpoint(EndpointConfig{
		Name: "local-5003", URL: rc.url(),
		Headers: http.Header{"Authorization": {"Bearer secret-token-xyz"}},
		Timeout: time.Second, Threshold: 5, Backoff: time.Second,
	}))
	pushTwo(n)
	g.Eventually(func() int { return n.Metrics()["local-5003"].Successes }).Should(gomega.Equal(2))

	ours, err := json.Marshal(map[string]any{"registry": map[string]any{"notifications": n.Vars()}})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	var dv compatDebugVars
	decodeStrict(t, ours, &dv)
	theirs := readCompat(t, "debug-vars-registry.json")
	g.Expect(keyPaths(t, ours)).To(gomega.Equal(keyPaths(t, theirs)))

	// Same values too, but for the receiver's URL and the redacted secret.
	want := strings.NewReplacer("http://127.0.0.1:5003/callback", rc.url(), "Bearer secret-token-xyz", "<redacted>").Replace(string(theirs))
	g.Expect(ours).To(gomega.MatchJSON(want))
}

// TestRoundTrip: our types read Distribution's JSON and write it back
// unchanged, so either side of the wire can be ours.
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"envelope-blob-push.json", "envelope-manifest-push.json", "debug-vars-registry.json"} {
		t.Run(name, func(t *testing.T) {
			g := gomega.NewWithT(t)
			data := readCompat(t, name)
			var v any = &Envelope{}
			if strings.HasPrefix(name, "debug-vars") {
				v = &struct {
					Registry struct {
						Notifications NotificationsVars `json:"notifications"`
					} `json:"registry"`
				}{}
			}
			decodeStrict(t, data, v)
			out, err := json.Marshal(v)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Expect(out).To(gomega.MatchJSON(data))
		})
	}
}

// TestVarsRedactsHeaders: header names stay, values never appear.
func TestVarsRedactsHeaders(t *testing.T) {
	g := gomega.NewWithT(t)
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: "http://127.0.0.1:1/x",
		Headers: http.Header{"Authorization": {"Bearer s3cret"}, "X-Two": {"p", "q"}}}))
	out, err := json.Marshal(n.Vars())
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(string(out)).NotTo(gomega.ContainSubstring("s3cret"))
	ep := n.Vars().(NotificationsVars).Endpoints[0]
	g.Expect(ep.Headers).To(gomega.Equal(http.Header{"Authorization": {"<redacted>"}, "X-Two": {"<redacted>", "<redacted>"}}))
	// defaults applied, as Distribution shows them
	g.Expect(ep.Timeout).To(gomega.Equal(DefaultTimeout))
	g.Expect(ep.Threshold).To(gomega.Equal(DefaultThreshold))
	g.Expect(ep.Backoff).To(gomega.Equal(DefaultBackoff))
	g.Expect(reflect.ValueOf(ep.Metrics.Statuses).IsNil()).To(gomega.BeFalse(), "Statuses is {} not null")
}

package registry

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/onsi/gomega"
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func layer(d digest.Digest, n int) v1.Descriptor {
	return v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: d, Size: int64(n)}
}

func (c *client) putManifest(repo, ref string, mt string, body []byte) digest.Digest {
	c.t.Helper()
	c.expect(c.do("PUT", "/v2/"+repo+"/manifests/"+ref, body, "Content-Type", mt), http.StatusCreated, "")
	return digest.FromBytes(body)
}

// gcWorld is a repository with shared layers, an index, a referrer and
// an untagged manifest, so collection has something to keep and to free.
type gcWorld struct {
	cfgA, cfgB, only, shared, unique, sig, untaggedLayer digest.Digest
	imageA, imageB, child, index, referrer, untagged     digest.Digest
}

func buildGCWorld(c *client) gcWorld {
	var w gcWorld
	blob := func(s string) digest.Digest { return c.pushBlob("gc/app", []byte(s)) }
	w.cfgA, w.cfgB = blob(`{"a":1}`), blob(`{"b":1}`)
	w.only, w.shared, w.unique = blob("layer only in A"), blob("shared layer"), blob("layer only in B")
	w.sig, w.untaggedLayer = blob("signature payload"), blob("layer of the untagged")
	mA := imageManifest(w.cfgA, 7, layer(w.only, 15), layer(w.shared, 12))
	mB := imageManifest(w.cfgB, 7, layer(w.shared, 12), layer(w.unique, 15))
	w.imageA = c.putManifest("gc/app", "a", v1.MediaTypeImageManifest, mA)
	w.imageB = c.putManifest("gc/app", "b", v1.MediaTypeImageManifest, mB)
	// An untagged child listed by a tagged index.
	mChild := imageManifest(w.cfgB, 7, layer(w.unique, 15))
	w.child = c.putManifest("gc/app", string(digest.FromBytes(mChild)), v1.MediaTypeImageManifest, mChild)
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": v1.MediaTypeImageIndex,
		"manifests": []v1.Descriptor{{MediaType: v1.MediaTypeImageManifest, Digest: w.child, Size: int64(len(mChild))}}})
	w.index = c.putManifest("gc/app", "multi", v1.MediaTypeImageIndex, idx)
	// An untagged signature whose subject is B.
	ref, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": v1.MediaTypeImageManifest,
		"artifactType": "application/vnd.example.sig",
		"config":       v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: w.cfgB, Size: 7},
		"layers":       []v1.Descriptor{layer(w.sig, 17)},
		"subject":      v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: w.imageB, Size: int64(len(mB))}})
	w.referrer = c.putManifest("gc/app", string(digest.FromBytes(ref)), v1.MediaTypeImageManifest, ref)
	mU := imageManifest(w.cfgA, 7, layer(w.untaggedLayer, 21))
	w.untagged = c.putManifest("gc/app", string(digest.FromBytes(mU)), v1.MediaTypeImageManifest, mU)
	return w
}

func (c *client) blobStatus(repo string, d digest.Digest) int {
	c.t.Helper()
	return c.do("HEAD", "/v2/"+repo+"/blobs/"+string(d), nil).Code
}

// TestGarbageCollect: after a manifest delete, collection frees the
// blobs only it referenced (HEAD answers 404) and keeps every blob still
// referenced: shared layers, index children's, referrers'. Dry runs
// remove nothing; --delete-untagged also frees an untagged manifest's
// blobs but keeps index children and referrers of kept images.
func TestGarbageCollect(t *testing.T) {
	for name, d := range drivers(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := &client{t: t, h: New(WithStorage(d), WithDelete(true)), events: &recorder{}}
			w := buildGCWorld(c)
			orphan := c.pushBlob("gc/other", []byte("never referenced"))
			c.expect(c.do("DELETE", "/v2/gc/app/manifests/"+string(w.imageA), nil), http.StatusAccepted, "")

			dry, err := GarbageCollect(ctx, d, GCOptions{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			wantSwept := []digest.Digest{w.only, orphan}
			slices.Sort(wantSwept)
			if !slices.Equal(dry.Swept, wantSwept) {
				t.Fatalf("dry run would sweep %v, want %v", dry.Swept, wantSwept)
			}
			if c.blobStatus("gc/app", w.only) != http.StatusOK {
				t.Fatal("dry run removed a blob")
			}

			res, err := GarbageCollect(ctx, d, GCOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Swept, wantSwept) || res.Blobs != 8 || res.Kept != 6 {
				t.Fatalf("swept %v (of %d, kept %d), want %v", res.Swept, res.Blobs, res.Kept, wantSwept)
			}
			if c.blobStatus("gc/app", w.only) != http.StatusNotFound || c.blobStatus("gc/other", orphan) != http.StatusNotFound {
				t.Fatal("a swept blob still answers HEAD")
			}
			// cfgA stays: the untagged manifest still references it.
			for _, b := range []digest.Digest{w.cfgA, w.cfgB, w.shared, w.unique, w.sig, w.untaggedLayer} {
				if got := c.blobStatus("gc/app", b); got != http.StatusOK {
					t.Fatalf("kept blob %s: HEAD %d", b, got)
				}
			}

			res, err = GarbageCollect(ctx, d, GCOptions{DeleteUntagged: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.DeletedManifests) != 1 || res.DeletedManifests[0] != "gc/app@"+string(w.untagged) {
				t.Fatalf("deleted manifests %v, want only the untagged one", res.DeletedManifests)
			}
			wantSwept = []digest.Digest{w.cfgA, w.untaggedLayer}
			slices.Sort(wantSwept)
			if !slices.Equal(res.Swept, wantSwept) {
				t.Fatalf("delete-untagged swept %v, want %v", res.Swept, wantSwept)
			}
			for _, m := range []digest.Digest{w.imageB, w.child, w.index, w.referrer} {
				if code := c.do("GET", "/v2/gc/app/manifests/"+string(m), nil, "Accept", "*/*").Code; code != http.StatusOK {
					t.Fatalf("kept manifest %s: GET %d", m, code)
				}
			}
			if code := c.do("GET", "/v2/gc/app/manifests/"+string(w.untagged), nil).Code; code != http.StatusNotFound {
				t.Fatalf("untagged manifest: GET %d", code)
			}
			for _, b := range []digest.Digest{w.cfgB, w.shared, w.unique, w.sig} {
				if got := c.blobStatus("gc/app", b); got != http.StatusOK {
					t.Fatalf("kept blob %s: HEAD %d", b, got)
				}
			}
		})
	}
}

// TestReadOnly: writes answer 405 UNSUPPORTED, pulls go on.
func TestReadOnly(t *testing.T) {
	d := drivers(t)["inmemory"]
	rw := &client{t: t, h: New(WithStorage(d)), events: &recorder{}}
	dg, body := rw.pushImage("ro/app", "v1", "seed")
	ro := &client{t: t, h: New(WithStorage(d), WithReadOnly(true), WithDelete(true)), events: &recorder{}}
	for _, req := range []struct{ method, path string }{
		{"POST", "/v2/ro/app/blobs/uploads/"},
		{"PATCH", "/v2/ro/app/blobs/uploads/0b8f4bda-7b3e-4d4c-9d59-0e3c7a2c6d11"},
		{"PUT", "/v2/ro/app/blobs/uploads/0b8f4bda-7b3e-4d4c-9d59-0e3c7a2c6d11?digest=" + string(digest.FromString("x"))},
		{"PUT", "/v2/ro/app/manifests/v2"},
		{"DELETE", "/v2/ro/app/manifests/" + string(dg)},
		{"DELETE", "/v2/ro/app/blobs/" + string(digest.FromString("x"))},
	} {
		r := ro.do(req.method, req.path, body, "Content-Type", v1.MediaTypeImageManifest)
		ro.expect(r, http.StatusMethodNotAllowed, "UNSUPPORTED")
		if r.header("Allow") != "GET, HEAD" {
			t.Fatalf("%s %s: Allow %q", req.method, req.path, r.header("Allow"))
		}
	}
	ro.expect(ro.do("GET", "/v2/ro/app/manifests/v1", nil), http.StatusOK, "")
	ro.expect(ro.do("GET", "/v2/ro/app/tags/list", nil), http.StatusOK, "")
	ro.expect(ro.do("GET", "/v2/", nil), http.StatusOK, "")
}

// TestPurgeUploads: uploads started before the cutoff go (empty sessions
// and ones with data), newer ones stay; a dry run removes nothing.
func TestPurgeUploads(t *testing.T) {
	for name, d := range drivers(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := &client{t: t, h: New(WithStorage(d)), events: &recorder{}}
			empty := c.do("POST", "/v2/p/blobs/uploads/", nil).header("Location")
			data := c.do("POST", "/v2/p/blobs/uploads/", nil).header("Location")
			c.expect(c.do("PATCH", data, []byte("some bytes")), http.StatusAccepted, "")

			if got, err := PurgeUploads(ctx, d, time.Hour, false); err != nil || len(got) != 0 {
				t.Fatalf("purge of young uploads: %v %v", got, err)
			}
			got, err := PurgeUploads(ctx, d, -time.Second, true) // cutoff in the future: all are old
			if err != nil || len(got) != 2 {
				t.Fatalf("dry run: %v %v", got, err)
			}
			c.expect(c.do("GET", data, nil), http.StatusNoContent, "")
			got, err = PurgeUploads(ctx, d, -time.Second, false)
			if err != nil || len(got) != 2 {
				t.Fatalf("purge: %+v %v", got, err)
			}
			for _, u := range got {
				if u.Repository != "p" {
					t.Fatalf("purged %+v", u)
				}
			}
			c.expect(c.do("GET", data, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
			c.expect(c.do("GET", empty, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		})
	}
}

// TestUploadPurgerRuns: the purger loop removes old uploads on its own,
// and stops with its context.
func TestUploadPurgerRuns(t *testing.T) {
	d := drivers(t)["filesystem"]
	c := &client{t: t, h: New(WithStorage(d)), events: &recorder{}}
	loc := c.do("POST", "/v2/p/blobs/uploads/", nil).header("Location")
	c.expect(c.do("PATCH", loc, []byte("abandoned")), http.StatusAccepted, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A negative age puts the cutoff in the future: every upload is old.
		RunUploadPurger(ctx, d, -time.Hour, 10*time.Millisecond, false, slog.New(slog.DiscardHandler))
	}()
	gomega.NewWithT(t).Eventually(func() int { return c.do("GET", loc, nil).Code }).
		WithTimeout(5 * time.Second).Should(gomega.Equal(http.StatusNotFound))
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("purger did not stop with its context")
	}
}

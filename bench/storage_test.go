package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/storage/inmemory"

	digest "github.com/opencontainers/go-digest"
)

// TestStorageMarkdown: the storage section shows its rows, ratios against
// Distribution in the same run, and each target's verdict.
func TestStorageMarkdown(t *testing.T) {
	sz := DefaultStorageSizes()
	r := &Report{Storage: &StorageReport{
		Sizes:  sz,
		Stored: &Stored{Subject: OursDefault, Manifests: 1_000_000, PushRate: 15000, RSS: 60 << 20, RestartSeconds: 0.06, FirstManifestSeconds: 0.07},
		Manifests: []ManifestPush{
			// Pooled: Distribution 5000+5000 in 10+10 s = 500/s; ours 300000 in 20 s = 15000/s.
			{Push: Push{Subject: Distribution, Endpoint: "none", Requests: 6000, Rate: 600, Seconds: 10}, Client: ClientPlain, Run: 1, CPUPerOp: 400e-6},
			{Push: Push{Subject: OursDefault, Endpoint: "none", Requests: 140000, Rate: 14000, Seconds: 10}, Client: ClientPlain, Run: 1, CPUPerOp: 50e-6},
			{Push: Push{Subject: OursDefault, Endpoint: "none", Requests: 160000, Rate: 16000, Seconds: 10}, Client: ClientPlain, Run: 2, CPUPerOp: 50e-6},
			{Push: Push{Subject: Distribution, Endpoint: "none", Requests: 4000, Rate: 400, Seconds: 10}, Client: ClientPlain, Run: 2, CPUPerOp: 400e-6},
			{Push: Push{Subject: Distribution, Endpoint: "none", Requests: 5000, Rate: 500, Seconds: 10}, Client: ClientLoad, Run: 1, CPUPerOp: 400e-6},
			{Push: Push{Subject: OursDefault, Endpoint: "none", Requests: 100000, Rate: 10000, Seconds: 10}, Client: ClientLoad, Run: 1, CPUPerOp: 50e-6, ClientCPUPerOp: 40e-6},
			{Push: Push{Subject: Distribution, Endpoint: "none", Requests: 6000, Rate: 600, Seconds: 10}, Client: ClientLean, Run: 1, CPUPerOp: 400e-6, ClientCPUPerOp: 90e-6},
			{Push: Push{Subject: OursDefault, Endpoint: "none", Requests: 180000, Rate: 18000, Seconds: 10}, Client: ClientLean, Run: 1, CPUPerOp: 50e-6, ClientCPUPerOp: 24e-6},
		},
		SHA256: &HashPass{Size: sz.LargeBlob, Seconds: 0.04},
		Blobs: []BlobPush{
			// Pooled new PATCH: Distribution 2000+2000 in 10+10 s = 200/s; ours 5000 in 10 s.
			{Subject: Distribution, Size: sz.SmallBlob, Flow: FlowPatch, Content: ContentNew, Run: 1, Pushes: 2000, Seconds: 10, Rate: 200},
			{Subject: OursDefault, Size: sz.SmallBlob, Flow: FlowPatch, Content: ContentNew, Run: 1, Pushes: 5000, Seconds: 10, Rate: 500},
			{Subject: Distribution, Size: sz.SmallBlob, Flow: FlowPatch, Content: ContentNew, Run: 2, Pushes: 2000, Seconds: 10, Rate: 200},
			{Subject: Distribution, Size: sz.SmallBlob, Flow: FlowPatch, Content: ContentAgain, Run: 1, Pushes: 1000, Seconds: 10, Rate: 100},
			{Subject: OursDefault, Size: sz.SmallBlob, Flow: FlowPatch, Content: ContentAgain, Run: 1, Pushes: 5000, Seconds: 10, Rate: 500},
			{Subject: OursDefault, Size: sz.LargeBlob, Flow: FlowPatch, Content: ContentNew, Workers: 1, Run: 1, Pushes: 5, Seconds: 0.4, Rate: 12.5, PerPush: 0.08},
			{Subject: OursDefault, Size: sz.LargeBlob, Flow: FlowPatch, Content: ContentNew, Workers: 1, Run: 2, Pushes: 5, Seconds: 0.6, Rate: 10, PerPush: 0.12},
		},
	}}
	md := r.storageMarkdown()
	for _, want := range []string{
		"Target VmRSS < 128 MiB with 1,000,000 stored manifests: met (60.0 MiB at 1000000)",
		"Target restart to first answer < 1 s: met",
		"Target manifest PUT >= 25x Distribution (plain client, runs pooled): met (15000 vs 500 PUTs/s, 30.00x; CPU per PUT 8.00x less)",
		"Manifest PUT with the harness load client, runs pooled (beside the target: this client spends 40 µs of the shared cores per PUT, 80% of our registry's 50 µs): 10000 vs 500 PUTs/s, 20.00x",
		"Target manifest PUT >= 25x Distribution (lean client, runs pooled): met (18000 vs 600 PUTs/s, 30.00x",
		"| ours-default | lean | 1 | 180000 | 0 | 18000 | 30.00x | 50 µs | 8.00x | 24 µs |",
		"| ours-default | plain | 2 | 160000 | 0 | 16000 | 32.00x | 50 µs | 8.00x | 0 µs |",
		"Target 1.0 MiB blobs (POST+PATCH+PUT, new content) >= 3x Distribution, runs pooled: NOT met (2.50x; 500.0 vs 200.0 pushes/s)",
		"Target 1.0 MiB blobs (POST+PATCH+PUT, again content) >= 3x Distribution, runs pooled: met (5.00x",
		"within 2x of one SHA-256 pass (0.040 s, 0 MiB/s here), runs pooled: NOT met (0.100 s per push, 2.50x)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
	if strings.Contains(md, "Target manifest PUT >= 25x Distribution (harness load") {
		t.Error("the load generator's row is judged against the target")
	}
	if (&Report{}).storageMarkdown() != "" {
		t.Error("a report without storage figures renders a storage section")
	}
}

func TestHashPass(t *testing.T) {
	h := hashPass(1 << 20)
	if h == nil || h.Seconds <= 0 || h.MiBps <= 0 {
		t.Fatalf("%+v", h)
	}
	if hashPass(0) != nil {
		t.Fatal("hash pass of nothing")
	}
}

// TestBlobPool: new content gives a new blob every push whose digest is
// its content's; "again" content cycles through a bounded set.
func TestBlobPool(t *testing.T) {
	for _, size := range []int{8, 1000, 1 << 20} {
		p := newBlobPool(size, 0)
		seen := map[digest.Digest]bool{}
		for i := range 300 {
			bl := p.get(i)
			body := append(slices.Clip(bl.prefix), bl.tail...)
			if int64(len(body)) != bl.size() || len(body) != size {
				t.Fatalf("size %d blob %d: %d bytes, size() %d", size, i, len(body), bl.size())
			}
			if got := digest.FromBytes(body); got != bl.dg {
				t.Fatalf("size %d blob %d: digest %s, content hashes to %s", size, i, bl.dg, got)
			}
			if seen[bl.dg] {
				t.Fatalf("size %d blob %d: digest %s repeated", size, i, bl.dg)
			}
			seen[bl.dg] = true
		}
	}
	p := newBlobPool(64, 3)
	if a, b, c := p.get(1), p.get(4), p.get(2); a.dg != b.dg || a.dg == c.dg {
		t.Fatalf("again pool: blob 1 %s, blob 4 %s (want equal), blob 2 %s (want different)", a.dg, b.dg, c.dg)
	}
}

func TestParseStatCPU(t *testing.T) {
	// pid (comm with ) and spaces) state ppid ... utime=250 stime=50 ...
	stat := "1234 (my reg) x) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 8 0 100 1000 200"
	got, err := parseStatCPU(stat)
	if err != nil || got != 3.0 {
		t.Fatalf("got %v %v, want 3.0", got, err)
	}
	if _, err := parseStatCPU("1234 no parens"); err == nil {
		t.Fatal("no error without a command name")
	}
}

// TestPutManifests: with either bare client, the PUTs are each a new
// manifest under a new tag, all stored: the tags the registry lists are the
// PUTs counted.
func TestPutManifests(t *testing.T) {
	for _, client := range []string{ClientPlain, ClientLean} {
		t.Run(client, func(t *testing.T) {
			srv := httptest.NewServer(registry.New(registry.WithStorage(inmemory.New())))
			defer srv.Close()
			r, err := putManifests(context.Background(), srv.URL, client, 4, 3, 300*time.Millisecond)
			if err != nil || r.ok == 0 || r.bad != 0 {
				t.Fatalf("put %+v, %v: want PUTs and no errors", r, err)
			}
			tags := 0
			for i := range 3 {
				var list struct{ Tags []string }
				if err := getJSON(context.Background(), srv.URL+"/v2/bench/manifests-"+strconv.Itoa(i)+"/tags/list", &list); err != nil {
					t.Fatal(err)
				}
				tags += len(list.Tags)
			}
			if tags != r.ok {
				t.Fatalf("registry lists %d tags, the client counted %d PUTs", tags, r.ok)
			}
		})
	}
}

// TestLeanConn: a lean connection sends the body whole, reads answers of
// any status with their bodies, and carries on after the server closes the
// connection (asked to by Connection: close, or behind its back).
func TestLeanConn(t *testing.T) {
	var got []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(b))
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
		case "/bad":
			http.Error(w, "no such thing", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "ok "+string(b))
	}))
	srv.Config.SetKeepAlivesEnabled(true)
	srv.Start()
	defer srv.Close()
	lc, err := newLeanConn(srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.close()
	ctx := context.Background()
	for i, path := range []string{"/a", "/close", "/b", "/bad", "/c", "/kill", "/d"} {
		if path == "/kill" {
			// Closed by the server's side without a word: the next request
			// finds out on the old connection and is sent again.
			srv.CloseClientConnections()
			continue
		}
		body := "body" + strconv.Itoa(i)
		resp, msg, err := lc.do(ctx, http.MethodPut, path, "text/x-test", []byte(body))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		want, wantMsg := http.StatusCreated, "ok "+body
		if path == "/bad" {
			want, wantMsg = http.StatusNotFound, "no such thing\n"
		}
		if resp.StatusCode != want || string(msg) != wantMsg {
			t.Fatalf("%s: %d %q, want %d %q", path, resp.StatusCode, msg, want, wantMsg)
		}
	}
	want := []string{"PUT /a text/x-test body0", "PUT /close text/x-test body1", "PUT /b text/x-test body2", "PUT /bad text/x-test body3", "PUT /c text/x-test body4", "PUT /d text/x-test body6"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("server saw %q, want %q", got, want)
	}
	if _, err := newLeanConn("https://example.invalid", time.Second); err == nil {
		t.Fatal("an https URL was taken")
	}
}

// TestPushOne: both flows store the blob the digest names, with a
// registry that answers relative Locations (ours) or whole URLs
// (Distribution's); a Location on another host is refused. Blobs past
// smallBody go out with writev.
func TestPushOne(t *testing.T) {
	reg := registry.New(registry.WithStorage(inmemory.New()))
	var absolute bool
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if absolute {
			w = locationRewriter{w, srvURL}
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	srvURL = srv.URL
	lc, err := newLeanConn(srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.close()
	ctx := context.Background()
	for _, size := range []int{100, smallBody + 1, 1 << 20} {
		pool, n := newBlobPool(size, 0), 0
		for _, flow := range []string{FlowPut, FlowPatch} {
			for _, abs := range []bool{false, true} {
				absolute = abs
				bl := pool.get(n)
				n++
				if err := pushOne(ctx, lc, "bench/push", flow, bl); err != nil {
					t.Fatalf("size %d %s absolute %v: %v", size, flow, abs, err)
				}
				resp, err := http.Head(srv.URL + "/v2/bench/push/blobs/" + bl.dg.String())
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(size) {
					t.Fatalf("size %d %s absolute %v: HEAD %d, %d bytes", size, flow, abs, resp.StatusCode, resp.ContentLength)
				}
			}
		}
	}
	absolute, srvURL = true, "http://elsewhere.invalid"
	if err := pushOne(ctx, lc, "bench/push", FlowPut, newBlobPool(100, 0).get(0)); err == nil || !strings.Contains(err.Error(), "is not on") {
		t.Fatalf("Location on another host: %v, want refused", err)
	}
}

// locationRewriter makes a relative Location a whole URL on base.
type locationRewriter struct {
	http.ResponseWriter
	base string
}

func (w locationRewriter) WriteHeader(code int) {
	if loc := w.Header().Get("Location"); strings.HasPrefix(loc, "/") {
		w.Header().Set("Location", w.base+loc)
	}
	w.ResponseWriter.WriteHeader(code)
}

// TestRunWorkersCount: with a count, every n below it runs exactly once,
// and failures are counted apart with the first one's message.
func TestRunWorkersCount(t *testing.T) {
	var mu sync.Mutex
	seen := map[int64]int{}
	r := runWorkers(context.Background(), 3, 10, 0, func(n int64) error {
		mu.Lock()
		seen[n]++
		mu.Unlock()
		if n%2 == 1 {
			return fmt.Errorf("odd %d", n)
		}
		return nil
	})
	if r.ok != 5 || r.bad != 5 || !strings.HasPrefix(r.firstErr, "odd ") {
		t.Fatalf("got %+v, want 5 ok, 5 failed, an odd error", r)
	}
	for n := range int64(10) {
		if seen[n] != 1 {
			t.Fatalf("op %d ran %d times, want once (all: %v)", n, seen[n], seen)
		}
	}
}

// TestCPUSamplePerOp: CPU per op splits between the registry and the
// client, and is 0 when nothing was done.
func TestCPUSamplePerOp(t *testing.T) {
	c0, c1 := cpuSample{registry: 1, client: 2}, cpuSample{registry: 3, client: 2.5}
	if reg, cl := c1.perOp(c0, 4); reg != 0.5 || cl != 0.125 {
		t.Fatalf("perOp over 4 ops: %v, %v; want 0.5, 0.125", reg, cl)
	}
	if reg, cl := c1.perOp(c0, 0); reg != 0 || cl != 0 {
		t.Fatalf("perOp over no op: %v, %v; want 0, 0", reg, cl)
	}
}

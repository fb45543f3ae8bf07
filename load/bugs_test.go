package load_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/load"
)

// A registry bug seen from outside: a front that changes requests before
// our registry sees them makes the registry emit events that differ from
// what the load owes, as a buggy registry would. Each must fail matching,
// naming the operation (and the field when the event arrived).
func TestRegistryBugsFailMatching(t *testing.T) {
	cases := []struct {
		name    string
		rewrite func(out *http.Request)     // what the registry gets instead
		drop    func(in *http.Request) bool // answer 202 without forwarding
		check   func(t *testing.T, m load.Matching)
	}{
		{"HEAD reported as GET", func(r *http.Request) {
			if r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
				r.Method = http.MethodGet
			}
		}, nil, func(t *testing.T, m load.Matching) {
			expectMismatch(t, m, load.OpManifestHead, load.FieldMethod, `want "HEAD", got "GET"`)
		}},
		{"?tag= ignored", func(r *http.Request) {
			if r.Method == http.MethodPut && r.URL.Query().Has("tag") {
				r.URL.RawQuery = ""
			}
		}, nil, func(t *testing.T, m load.Matching) {
			// One tagless event instead of three tagged ones.
			expectMismatch(t, m, load.OpPushTags, load.FieldTag, `got ""`)
			if len(m.Missing) != 2 || m.Missing[0].Op != load.OpPushTags {
				t.Errorf("missing %v, want the other two tagged pushes", m.Missing)
			}
		}},
		{"tag delete answered without deleting", nil, func(r *http.Request) bool {
			return r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/manifests/td-")
		}, func(t *testing.T, m load.Matching) {
			if len(m.Missing) != 1 || m.Missing[0].Op != load.OpTagDelete || len(m.Mismatches)+len(m.Unowed) != 0 {
				t.Errorf("missing %v, mismatches %v, unowed %v: want the tag delete missing", m.Missing, m.Mismatches, m.Unowed)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl := newPipeline(t, false)
			up, _ := url.Parse(pl.url)
			proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(up)
				pr.Out.Host = pr.In.Host // the registry sees the host the load asked for
				if c.rewrite != nil {
					c.rewrite(pr.Out)
				}
			}}
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.drop != nil && c.drop(r) {
					w.WriteHeader(http.StatusAccepted)
					return
				}
				proxy.ServeHTTP(w, r)
			}))
			defer front.Close()
			p := load.Profile{Op: load.OpMixed, Count: len(load.Operations()), Pacing: load.Pacing{Rate: 100}}
			led := &load.Ledger{}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := load.Run(ctx, load.Target{URL: front.URL, SingleRequestUpload: true}, p, led, nil); err != nil {
				t.Fatal(err)
			}
			// Wait for the receiver to stop changing: the bug may change how
			// many events there are.
			var last int
			gomega.NewWithT(t).Eventually(func() bool {
				n := pl.fake.Stats().Delivered
				same := n == last && n > 0
				last = n
				return same
			}).WithTimeout(10 * time.Second).WithPolling(200 * time.Millisecond).Should(gomega.BeTrue())
			c.check(t, load.MatchDeliveries(led.Entries(), firsts(pl.fake.Ledger(endpoint.Filter{}))))
		})
	}
}

func expectMismatch(t *testing.T, m load.Matching, op, field, text string) {
	t.Helper()
	for _, x := range m.Mismatches {
		if x.Entry.Op == op && x.Field == field && strings.Contains(x.String(), text) && strings.HasPrefix(x.String(), op+": "+field+": ") {
			return
		}
	}
	t.Errorf("no mismatch %s %s %q among %v (missing %v, unowed %v)", op, field, text, m.Mismatches, m.Missing, m.Unowed)
}

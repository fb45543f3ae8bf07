package load_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/hookbench/hookbench/app"
	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/load"
)

// pipeline is our registry with its notification pipeline, delivering to a
// healthy fake receiver that keeps every event body.
type pipeline struct {
	url  string
	fake *endpoint.Server
}

func newPipeline(t *testing.T, includeReferences bool) pipeline {
	t.Helper()
	fake := endpoint.New()
	if err := fake.Start("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	yml := fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  inmemory: {}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
notifications:
  events:
    includereferences: %v
  endpoints:
    - name: sink
      url: %s
      timeout: 2s
      threshold: 3
      backoff: 100ms
`, includeReferences, fake.URL())
	cfg, _, err := config.Parse([]byte(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return pipeline{url: "http://" + a.Addr(), fake: fake}
}

// firsts is the first accepted delivery of every event id, as
// reconciliation takes them.
func firsts(ds []endpoint.Delivery) []endpoint.Delivery {
	seen := map[string]bool{}
	var out []endpoint.Delivery
	for _, d := range ds {
		if d.Accepted() && !seen[d.ID] {
			seen[d.ID] = true
			out = append(out, d)
		}
	}
	return out
}

// runMixed runs every operation twice over two repositories and waits
// until the receiver has every owed event.
func runMixed(t *testing.T, includeReferences bool) ([]load.Entry, []endpoint.Delivery) {
	t.Helper()
	pl := newPipeline(t, includeReferences)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := load.Profile{Op: load.OpMixed, Count: 2 * len(load.Operations()), Repositories: 2, Pacing: load.Pacing{Rate: 100}}
	led := &load.Ledger{}
	res, err := load.Run(ctx, load.Target{URL: pl.url, SingleRequestUpload: true, IncludeReferences: includeReferences}, p, led, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics.Success != 1 {
		t.Fatalf("success %.2f, codes %v, errors %v", res.Metrics.Success, res.Metrics.StatusCodes, res.Metrics.Errors)
	}
	if len(res.Declared) != 0 {
		t.Fatalf("our registry needs no declared difference, got %v", res.Declared)
	}
	want := p.Expected()
	if led.Len() != want {
		t.Fatalf("ledger has %d entries, the profile owes %d", led.Len(), want)
	}
	gomega.NewWithT(t).Eventually(func() int { return pl.fake.Stats().Delivered }).
		WithTimeout(20*time.Second).WithPolling(20*time.Millisecond).Should(gomega.Equal(want), "events delivered")
	return led.Entries(), firsts(pl.fake.Ledger(endpoint.Filter{}))
}

// The whole mix against our registry: every event delivered is exactly
// what its operation owes, field by field, and each operation owes what
// Distribution's semantics say.
func TestMixedLoadEventsMatchByContent(t *testing.T) {
	for _, refs := range []bool{false, true} {
		t.Run(fmt.Sprintf("includereferences=%v", refs), func(t *testing.T) {
			owed, ds := runMixed(t, refs)
			m := load.MatchDeliveries(owed, ds)
			if m.Matched != len(owed) || len(m.Mismatches)+len(m.Missing)+len(m.Unowed)+m.Partial != 0 {
				t.Fatalf("matched %d of %d; mismatches %v; missing %v; unowed %v; partial %d", m.Matched, len(owed), m.Mismatches, m.Missing, m.Unowed, m.Partial)
			}
			perOp := map[string]int{}
			for _, e := range owed {
				perOp[e.Op]++
			}
			wantPerOp := map[string]int{
				load.OpSeed:             4 * 2,
				load.OpUploadMonolithic: 2, load.OpUploadChunked: 2, load.OpUploadSinglePost: 2,
				load.OpMount:     4, // upload to the source, then the mount
				load.OpPushByTag: 2, load.OpPushByDigest: 2, load.OpPushTags: 6, load.OpIndexPush: 2, load.OpArtifactPush: 2,
				load.OpManifestDelete: 6, load.OpTagDelete: 4, load.OpBlobDelete: 4,
				load.OpBlobGet: 2, load.OpBlobHead: 2, load.OpManifestGet: 2, load.OpManifestHead: 2,
			}
			for op, n := range wantPerOp {
				if perOp[op] != n {
					t.Errorf("%s owes %d events, want %d", op, perOp[op], n)
				}
			}
			if refs {
				for _, e := range owed {
					if e.Kind == "manifest" && e.Action != "delete" && len(e.References) == 0 {
						t.Errorf("%s: a manifest event without references under includereferences", e)
					}
				}
			}
		})
	}
}

// Reconciliation by content fails for a missing event of every operation,
// for a wrong value in every checked field, and for an unowed event; each
// failure names the operation (and the field).
func TestMatchFailsOnEveryKindOfWrongDelivery(t *testing.T) {
	owed, ds := runMixed(t, true)

	t.Run("missing event of each operation", func(t *testing.T) {
		ops := map[string]bool{}
		for _, e := range owed {
			ops[e.Op] = true
		}
		for op := range ops {
			var kept []endpoint.Delivery
			dropped := 0
			for _, d := range ds {
				if dropped == 0 && load.EventOf(d).Op() == op {
					dropped++
					continue
				}
				kept = append(kept, d)
			}
			m := load.MatchDeliveries(owed, kept)
			if len(m.Missing) != 1 || m.Missing[0].Op != op || !strings.HasPrefix(m.Missing[0].String(), op+": ") {
				t.Errorf("dropping one %s event: missing %v", op, m.Missing)
			}
		}
	})

	t.Run("wrong field", func(t *testing.T) {
		// One mutation per checked field, each applied to an event where
		// the field means something.
		type mutation struct {
			field   string
			applies func(ev map[string]any) bool
			mutate  func(ev map[string]any)
		}
		target := func(ev map[string]any) map[string]any { return ev["target"].(map[string]any) }
		request := func(ev map[string]any) map[string]any { return ev["request"].(map[string]any) }
		isPush := func(ev map[string]any) bool { return ev["action"] == "push" }
		pushManifest := func(ev map[string]any) bool {
			return isPush(ev) && target(ev)["mediaType"] == load.MediaTypeManifest && target(ev)["tag"] == nil
		}
		muts := []mutation{
			{load.FieldAction, isPush, func(ev map[string]any) { ev["action"] = "pull" }},
			{load.FieldRepository, isPush, func(ev map[string]any) { target(ev)["repository"] = "hookbench/elsewhere" }},
			{load.FieldDigest, isPush, func(ev map[string]any) {
				target(ev)["digest"] = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
			}},
			{load.FieldTag, pushManifest, func(ev map[string]any) { target(ev)["tag"] = "v1" }},
			{load.FieldMediaType, isPush, func(ev map[string]any) { target(ev)["mediaType"] = "application/json" }},
			{load.FieldSize, isPush, func(ev map[string]any) { target(ev)["size"] = 1 }},
			{load.FieldLength, isPush, func(ev map[string]any) { target(ev)["length"] = 1 }},
			{load.FieldURL, isPush, func(ev map[string]any) { target(ev)["url"] = "http://elsewhere/v2/x" }},
			{load.FieldFromRepository, func(ev map[string]any) bool { return ev["action"] == "mount" },
				func(ev map[string]any) { target(ev)["fromRepository"] = "hookbench/other" }},
			{load.FieldReferences, pushManifest, func(ev map[string]any) {
				refs := target(ev)["references"].([]any)
				target(ev)["references"] = refs[:len(refs)-1]
			}},
			{load.FieldReferences + "[0].digest", pushManifest, func(ev map[string]any) {
				target(ev)["references"].([]any)[0].(map[string]any)["digest"] = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
			}},
			{load.FieldReferences + "[1].size", pushManifest, func(ev map[string]any) {
				target(ev)["references"].([]any)[1].(map[string]any)["size"] = 3
			}},
			{load.FieldReferences + "[0]", pushManifest, func(ev map[string]any) {
				target(ev)["references"].([]any)[0].(map[string]any)["annotations"] = map[string]string{"x": "y"}
			}},
			{load.FieldMethod, isPush, func(ev map[string]any) { request(ev)["method"] = "PATCH" }},
			{load.FieldUserAgent, isPush, func(ev map[string]any) { request(ev)["useragent"] = "hookbench-load/1 (op=seed; altered)" }},
			{load.FieldHost, isPush, func(ev map[string]any) { request(ev)["host"] = "elsewhere:5000" }},
			{load.FieldRequestID, isPush, func(ev map[string]any) { delete(request(ev), "id") }},
			{load.FieldActor, isPush, func(ev map[string]any) { ev["actor"] = map[string]any{"name": "mallory"} }},
			{load.FieldTimestamp, isPush, func(ev map[string]any) { delete(ev, "timestamp") }},
			{load.FieldMediaType, func(ev map[string]any) bool { return ev["action"] == "delete" },
				func(ev map[string]any) { target(ev)["mediaType"] = load.MediaTypeManifest }},
			{load.FieldURL, func(ev map[string]any) bool { return ev["action"] == "pull" },
				func(ev map[string]any) { target(ev)["url"] = "" }},
		}
		for _, mu := range muts {
			i, ev := -1, map[string]any(nil)
			for j, d := range ds {
				var x map[string]any
				if err := json.Unmarshal(d.Event, &x); err != nil {
					t.Fatal(err)
				}
				if mu.applies(x) {
					i, ev = j, x
					break
				}
			}
			if i < 0 {
				t.Fatalf("%s: no delivered event to alter", mu.field)
			}
			mu.mutate(ev)
			raw, _ := json.Marshal(ev)
			alt := append([]endpoint.Delivery(nil), ds...)
			alt[i].Event = raw
			m := load.MatchDeliveries(owed, alt)
			op := load.EventOf(ds[i]).Op()
			if len(m.Mismatches) != 1 || m.Mismatches[0].Field != mu.field || m.Mismatches[0].Entry.Op != op {
				t.Errorf("%s altered in a %s event: mismatches %v, missing %d, unowed %d", mu.field, op, m.Mismatches, len(m.Missing), len(m.Unowed))
				continue
			}
			if s := m.Mismatches[0].String(); !strings.HasPrefix(s, op+": "+mu.field+": want ") {
				t.Errorf("message %q does not name operation and field", s)
			}
		}
	})

	t.Run("unowed event", func(t *testing.T) {
		var ev map[string]any
		_ = json.Unmarshal(ds[len(ds)-1].Event, &ev)
		ev["id"] = "not-owed"
		ev["target"].(map[string]any)["repository"] = "hookbench/nobody"
		ev["target"].(map[string]any)["digest"] = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
		raw, _ := json.Marshal(ev)
		extra := append(append([]endpoint.Delivery(nil), ds...), endpoint.Delivery{ID: "not-owed", Status: 200, Event: raw})
		m := load.MatchDeliveries(owed, extra)
		if len(m.Unowed) != 1 || m.Unowed[0] != len(ds) || m.Matched != len(owed) {
			t.Fatalf("unowed %v, matched %d of %d", m.Unowed, m.Matched, len(owed))
		}
		if op := load.EventOf(extra[len(ds)]).String(); !strings.Contains(op, "op=") && !strings.HasPrefix(op, load.EventOf(ds[len(ds)-1]).Op()+": ") {
			t.Errorf("unowed event not named by the operation in its user agent: %s", op)
		}
	})

	t.Run("a duplicate owed once is unowed", func(t *testing.T) {
		dup := ds[0]
		dup.ID = "dup"
		m := load.MatchDeliveries(owed, append(append([]endpoint.Delivery(nil), ds...), dup))
		if len(m.Unowed)+len(m.Mismatches) != 1 {
			t.Fatalf("a second copy of an event under a new id: unowed %v mismatches %v", m.Unowed, m.Mismatches)
		}
	})
}

package load

import (
	"fmt"
	"sync"
	"testing"
)

func TestOwedByURLIsFIFOPerURL(t *testing.T) {
	var o owedByURL
	o.push("a", []Entry{{Tag: "a1"}})
	o.push("b", []Entry{{Tag: "b1"}})
	o.push("a", []Entry{{Tag: "a2"}})
	o.push("a", []Entry{{Tag: "a3"}, {Tag: "a3'"}})
	for _, want := range []struct {
		url  string
		tags []string
	}{{"a", []string{"a1"}}, {"a", []string{"a2"}}, {"b", []string{"b1"}}, {"a", []string{"a3", "a3'"}}} {
		es, ok := o.pop(want.url)
		if !ok || len(es) != len(want.tags) {
			t.Fatalf("pop(%s) = %v, %v; want %v", want.url, es, ok, want.tags)
		}
		for i, e := range es {
			if e.Tag != want.tags[i] {
				t.Fatalf("pop(%s) = %v; want %v", want.url, es, want.tags)
			}
		}
	}
	if es, ok := o.pop("a"); ok {
		t.Fatalf("pop(a) after draining = %v", es)
	}
	if n := o.len(); n != 0 {
		t.Fatalf("%d URLs still owed after every pop", n)
	}
}

// Every push is popped exactly once however pushes and pops for the same
// few URLs interleave.
func TestOwedByURLConcurrent(t *testing.T) {
	var o owedByURL
	const workers, each, urls = 16, 200, 3
	var wg sync.WaitGroup
	popped := make(chan string, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				u := fmt.Sprint((w + i) % urls)
				o.push(u, []Entry{{Tag: fmt.Sprintf("%d-%d", w, i)}})
				es, ok := o.pop(u)
				if !ok || len(es) != 1 {
					t.Errorf("pop(%s) = %v, %v right after a push", u, es, ok)
					return
				}
				popped <- es[0].Tag
			}
		}()
	}
	wg.Wait()
	close(popped)
	seen := map[string]bool{}
	for tag := range popped {
		if seen[tag] {
			t.Fatalf("%s popped twice", tag)
		}
		seen[tag] = true
	}
	if len(seen) != workers*each || o.len() != 0 {
		t.Fatalf("%d distinct groups popped, %d URLs left; want %d and 0", len(seen), o.len(), workers*each)
	}
}

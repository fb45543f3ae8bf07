package scenarios

import "testing"

func TestCatalogIsValidAndCountsAgree(t *testing.T) {
	c, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	all := c.All()
	if len(all) < 12 {
		t.Fatalf("catalog has %d scenarios, want at least 12", len(all))
	}
	for _, s := range all {
		owed := 0
		for _, p := range s.Load {
			if n := p.Expected(); n >= 0 {
				owed += n
			}
		}
		for _, e := range s.Endpoints {
			if len(e.Ignore.Actions)+len(e.Ignore.MediaTypes)+len(e.IgnoredMediaTypes) > 0 {
				continue // the reconciliation computes what ignore rules leave
			}
			if want, ok := s.Expect.Final[e.Name]["Events"]; ok && want != owed {
				t.Errorf("%s: endpoint %s expects Events %d but the load owes %d", s.Name, e.Name, want, owed)
			}
		}
	}
}

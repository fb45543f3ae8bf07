package docker

import (
	"strings"
	"testing"
)

func TestContentRefChangesWithContentOnly(t *testing.T) {
	df := "FROM scratch\nCOPY x /x\n"
	a, _ := contentRef("x", df, map[string][]byte{"x": []byte("binary"), "config.yml": []byte("c")})
	b, _ := contentRef("x", df, map[string][]byte{"config.yml": []byte("c"), "x": []byte("binary")})
	if a != b {
		t.Errorf("same content, different refs: %s %s", a, b)
	}
	if !strings.HasPrefix(a, "hookbench/x:") || len(a) != len("hookbench/x:")+16 {
		t.Errorf("ref %q", a)
	}
	for _, c := range []struct {
		df    string
		files map[string][]byte
	}{
		{df + "EXPOSE 1\n", map[string][]byte{"x": []byte("binary"), "config.yml": []byte("c")}},
		{df, map[string][]byte{"x": []byte("binary2"), "config.yml": []byte("c")}},
		{df, map[string][]byte{"y": []byte("binary"), "config.yml": []byte("c")}},
		// Boundaries are part of the hash: moving a byte between files changes it.
		{df, map[string][]byte{"x": []byte("binaryc"), "config.yml": []byte("")}},
	} {
		if r, _ := contentRef("x", c.df, c.files); r == a {
			t.Errorf("different content, same ref %s", r)
		}
	}
}

func TestProgramsAreScratchOnly(t *testing.T) {
	for _, p := range programs(t.TempDir()) {
		if strings.Contains(p.tail, "FROM") {
			t.Errorf("%s: Dockerfile tail names a stage: %q", p.name, p.tail)
		}
	}
}

package docker

import "testing"

func TestDebugOfReadsOnlyTheDebugKeys(t *testing.T) {
	for _, c := range []struct {
		cfg  string
		want debugConf
	}{
		{"version: 0.1\nhttp:\n  addr: :5000\n", debugConf{}},
		{"http:\n  debug:\n    addr: :5001\n", debugConf{on: true}},
		{"http:\n  debug:\n    addr: :5001\n    prometheus:\n      enabled: true\n", debugConf{on: true, metricsPath: "/metrics"}},
		{"http:\n  debug:\n    addr: :5001\n    prometheus:\n      enabled: true\n      path: /m\n", debugConf{on: true, metricsPath: "/m"}},
		// A foreign registry's own keys do not matter.
		{"theirs:\n  anything: [1, 2]\nhttp:\n  debug:\n    addr: :6000\n", debugConf{on: true}},
	} {
		got, err := debugOf([]byte(c.cfg))
		if err != nil || got != c.want {
			t.Errorf("%q: got %+v, %v; want %+v", c.cfg, got, err, c.want)
		}
	}
	if _, err := debugOf([]byte("http: [")); err == nil {
		t.Error("a broken config: want an error")
	}
}

func TestDistributionRegistryDeclaresItsDifferences(t *testing.T) {
	img := DistributionRegistry(DistributionImage)
	if img.SingleRequestUpload || !img.NoTagQuery {
		t.Fatalf("Distribution completes no single-request upload and ignores ?tag=: %+v", img)
	}
	if got := img.Command(); len(got) != 2 || got[0] != "serve" || got[1] != "/etc/docker/registry/config.yml" {
		t.Fatalf("command %v", got)
	}
	if o := ourImage("x"); !o.SingleRequestUpload || o.NoTagQuery || o.APIPort != 5000 || o.DebugPort != 5001 {
		t.Fatalf("our image %+v", o)
	}
}

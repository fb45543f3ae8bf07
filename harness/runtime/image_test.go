package runtime

import (
	"slices"
	"testing"
)

func TestRegistryImageDefaultsAndCommand(t *testing.T) {
	i := RegistryImage{Image: "r:1"}.WithDefaults()
	if i.ConfigPath != DefaultConfigPath || i.APIPort != 5000 || i.DebugPort != 5001 {
		t.Fatalf("defaults %+v", i)
	}
	if got := i.Command(); !slices.Equal(got, []string{"serve", DefaultConfigPath}) {
		t.Fatalf("command %v", got)
	}
	j := RegistryImage{Image: "r:1", ConfigPath: "/cfg.yml", Args: []string{"--config={{config}}", "-v"}, APIPort: 8080}
	if got := j.Command(); !slices.Equal(got, []string{"--config=/cfg.yml", "-v"}) {
		t.Fatalf("command %v", got)
	}
	if j.WithDefaults().APIPort != 8080 || j.WithDefaults().DebugPort != 5001 {
		t.Fatalf("ports %+v", j.WithDefaults())
	}
}

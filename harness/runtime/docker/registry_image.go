package docker

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hookbench/hookbench/harness/runtime"
)

// ourImage is our registry's image as a RegistryImage: Distribution's
// paths and ports, and our extensions.
func ourImage(ref string) runtime.RegistryImage {
	return runtime.RegistryImage{Image: ref, ConfigPath: configPath, SingleRequestUpload: true}.WithDefaults()
}

// debugConf is what a rendered config says about the debug server: a
// foreign registry has /debug/vars (and Prometheus) only when its config
// enables them.
type debugConf struct {
	on          bool
	metricsPath string // "" when Prometheus is off
}

// debugOf reads http.debug from a rendered Distribution-format config.
// Only these keys are read, so a foreign registry's own keys do not matter.
func debugOf(cfg []byte) (debugConf, error) {
	var c struct {
		HTTP struct {
			Debug struct {
				Addr       string `yaml:"addr"`
				Prometheus struct {
					Enabled bool   `yaml:"enabled"`
					Path    string `yaml:"path"`
				} `yaml:"prometheus"`
			} `yaml:"debug"`
		} `yaml:"http"`
	}
	if err := yaml.Unmarshal(cfg, &c); err != nil {
		return debugConf{}, fmt.Errorf("docker runtime: rendered config: %w", err)
	}
	d := debugConf{on: c.HTTP.Debug.Addr != ""}
	if d.on && c.HTTP.Debug.Prometheus.Enabled {
		d.metricsPath = c.HTTP.Debug.Prometheus.Path
		if d.metricsPath == "" {
			d.metricsPath = "/metrics"
		}
	}
	return d, nil
}

// envMap turns KEY=VALUE pairs into testcontainers' map.
func envMap(env []string) map[string]string {
	if len(env) == 0 {
		return nil
	}
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

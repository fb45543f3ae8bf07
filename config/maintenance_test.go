package config

import (
	"strings"
	"testing"
	"time"
)

func TestMaintenance(t *testing.T) {
	cases := []struct {
		name     string
		yaml     string
		enabled  bool
		age, itv time.Duration
		dryRun   bool
		readOnly bool
	}{
		{"defaults (Distribution's)", minimal, true, 168 * time.Hour, 24 * time.Hour, false, false},
		{"disabled", minimal + "  maintenance:\n    uploadpurging:\n      enabled: false\n", false, 168 * time.Hour, 24 * time.Hour, false, false},
		{"set", minimal + "  maintenance:\n    uploadpurging:\n      enabled: true\n      age: 2h\n      interval: 10m\n      dryrun: true\n", true, 2 * time.Hour, 10 * time.Minute, true, false},
		{"read-only stops purging", minimal + "  maintenance:\n    readonly:\n      enabled: true\n", false, 168 * time.Hour, 24 * time.Hour, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, warnings, err := Parse([]byte(tc.yaml), nil)
			if err != nil || len(warnings) != 0 {
				t.Fatalf("%v %q", err, warnings)
			}
			m := c.Storage.Maintenance
			enabled, age, itv, dry := m.Purging()
			if enabled != tc.enabled || age != tc.age || itv != tc.itv || dry != tc.dryRun || m.ReadOnly.Enabled != tc.readOnly {
				t.Fatalf("got %v %v %v %v %v", enabled, age, itv, dry, m.ReadOnly.Enabled)
			}
		})
	}
}

func TestMaintenanceErrors(t *testing.T) {
	for yaml, want := range map[string]string{
		"  maintenance:\n    uploadpurging:\n      age: -1h\n":       "storage.maintenance.uploadpurging.age: must not be negative",
		"  maintenance:\n    uploadpurging:\n      interval: soon\n": "storage.maintenance.uploadpurging.interval: want a duration",
		"  maintenance:\n    uploadpurging:\n      enabled: maybe\n": "storage.maintenance.uploadpurging.enabled: want true or false",
		"  maintenance:\n    readonly:\n      enable: true\n":        "storage.maintenance.readonly.enable: unknown key",
	} {
		_, _, err := Parse([]byte(minimal+yaml), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", yaml, err, want)
		}
	}
}

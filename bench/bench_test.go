package bench

import (
	"math"
	"strings"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tregistry\nVmPeak:\t  900000 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 100 kB\n"
	got, err := ParseVmRSS(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(123456 * 1024); got != want {
		t.Fatalf("ParseVmRSS = %d, want %d", got, want)
	}
}

func TestParseStatusParts(t *testing.T) {
	status := "VmRSS:\t  300 kB\nRssAnon:\t 100 kB\nRssFile:\t 200 kB\nRssShmem:\t 0 kB\n"
	m, err := ParseStatus(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Mem{VmRSS: 300 << 10, RssAnon: 100 << 10, RssFile: 200 << 10}); m != want {
		t.Fatalf("ParseStatus = %+v, want %+v", m, want)
	}
}

func TestParseVmRSSErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"missing":  "Name:\tx\nVmPeak:\t1 kB\n",
		"bad unit": "VmRSS:\t12 MB\n",
		"not int":  "VmRSS:\tabc kB\n",
		"negative": "VmRSS:\t-4 kB\n",
		"empty":    "",
	} {
		if _, err := ParseVmRSS(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: no error for %q", name, doc)
		}
	}
}

func TestListeningInode(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F91 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1
`
	if got, err := listeningInode(strings.NewReader(tcp), 8080); err != nil || got != "4242" {
		t.Fatalf("port 8080 = %q, %v; want 4242", got, err)
	}
	// 8081 only has an established (01) socket: not a listener.
	if got, err := listeningInode(strings.NewReader(tcp), 8081); err != nil || got != "" {
		t.Fatalf("port 8081 = %q, %v; want none", got, err)
	}
}

func TestRatio(t *testing.T) {
	if got := Ratio(1500, 75); got != 20 {
		t.Fatalf("Ratio = %v, want 20", got)
	}
	for _, b := range []float64{0, -1, math.NaN()} {
		if got := Ratio(1, b); !math.IsNaN(got) {
			t.Errorf("Ratio(1, %v) = %v, want NaN", b, got)
		}
	}
	if got := fmtRatio(math.NaN()); got != "n/a" {
		t.Errorf("fmtRatio(NaN) = %q", got)
	}
}

func TestMemoryWorkloadWithoutMeasurement(t *testing.T) {
	r := &Report{Sizes: Sizes{MemoryEvents: 5000, Repositories: 64}}
	if got, want := memoryWorkload(r), "Workload: up to 5000 pushes each a new manifest, over 64 repositories, so storage metadata grows with them;"; !strings.HasPrefix(got, want) {
		t.Fatalf("memoryWorkload = %q, want prefix %q", got, want)
	}
}

func TestMarkdownTable(t *testing.T) {
	r := &Report{
		Sizes: Sizes{MemoryEvents: 1_000_000, MemoryDistinct: 100, Repositories: 64},
		Rate: []Drain{
			{Subject: Distribution, Events: 800, Rate: 75, Complete: true},
			{Subject: OursExt, Events: 30000, Rate: 3000, Complete: true},
		},
		Drain: []Drain{
			{Subject: Distribution, Events: 20000, Rate: 2000, DrainSeconds: 10, Complete: true},
			{Subject: OursExt, Events: 100000, Rate: 20000, DrainSeconds: 5, Complete: true},
		},
		Memory: []Memory{
			{Subject: OursExt, Pending: 1000, RSS: 40 << 20},
			{Subject: OursExt, Pending: 1_000_000, RegistryPending: 1_000_000, Pushes: 999_872, Distinct: 100, RSS: 100 << 20, Mem: Mem{VmRSS: 100 << 20, RssAnon: 30 << 20, RssFile: 70 << 20}},
		},
		Push: []Push{
			{Subject: OursDefault, Endpoint: "healthy", Rate: 1000},
			{Subject: OursDefault, Endpoint: "dead", Rate: 900},
		},
		Errors: []string{"memory distribution-v3: boom"},
	}
	md := r.Markdown()
	for _, want := range []string{
		"| ours-extensions | 30000 | 3000 | 40.00x |",
		"Target >= 20x Distribution: met (40.00x)",
		"| distribution-v3 | 20000 | 10.00 s | 2000 | 1.00x | 50.0 s (extrapolated) |",
		"Target 100,000 in < 10 s: met (5.00 s)",
		"Workload: 999872 pushes re-pushing 100 distinct manifests per repository over 64 repositories, so storage metadata stays constant; the control row is the same pushes with no endpoint.",
		"met at 1000000 pending (VmRSS 100.0 MiB, heap RssAnon 30.0 MiB).",
		"| ours-extensions | 1000000 | 1000000 | 100.0 MiB | 30.0 MiB | 70.0 MiB | 105 |  |",
		"| ours-default | dead | 0 | 0 | 900 | -10.0% |  |",
		"Target (ours-default): a dead endpoint costs no more than 5% against a healthy one: NOT met (-10.0%)",
		"- memory distribution-v3: boom",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

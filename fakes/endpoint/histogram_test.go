package endpoint

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 255, 256, 257, 1000, 1 << 20, 123456789, 1 << 40, 1<<62 + 12345} {
		b := bucketOf(v)
		if b < prev {
			t.Fatalf("bucket of %d (%d) below the previous one", v, b)
		}
		prev = b
		up := upperOf(b)
		if up < v || float64(up-v) > float64(v)/128+1 {
			t.Fatalf("value %d: bucket %d upper %d, over 1%% off", v, b, up)
		}
		if b > 0 && upperOf(b-1) >= v {
			t.Fatalf("value %d also fits bucket %d", v, b-1)
		}
	}
}

func TestHistogramPercentiles(t *testing.T) {
	var h histogram
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]time.Duration, 10000)
	for i := range vals {
		vals[i] = time.Duration(r.ExpFloat64() * float64(20*time.Millisecond))
		h.add(vals[i])
	}
	slices.Sort(vals)
	s := h.stats()
	if s.Count != len(vals) || s.Min != vals[0] || s.Max != vals[len(vals)-1] {
		t.Fatalf("%+v", s)
	}
	for _, c := range []struct {
		got  time.Duration
		want time.Duration
	}{{s.P50, vals[4999]}, {s.P90, vals[8999]}, {s.P99, vals[9899]}} {
		if d := float64(c.got-c.want) / float64(c.want); d < -0.01 || d > 0.01 {
			t.Errorf("percentile %v, exact %v", c.got, c.want)
		}
	}
	h.add(-time.Second) // clock skew counts as 0
	if h.stats().Min != 0 {
		t.Fatal("negative latency not clamped")
	}
}

func TestServerLifecycleEdges(t *testing.T) {
	bad := New(WithProfile(Profile{Fault: Fault{Status: 7}}))
	if err := bad.Start("127.0.0.1:0", "127.0.0.1:0"); err == nil {
		t.Fatal("invalid initial profile accepted")
	}
	bad.Close()
	s := New()
	if err := s.SetProfile(Profile{Fault: Fault{ErrorRate: 3}}); err == nil {
		t.Fatal("invalid profile set")
	}
	if s.Stats().Up {
		t.Fatal("up before Start")
	}
	if err := s.Close(); err != nil { // before Start
		t.Fatal(err)
	}
	s2 := start(t, WithProfile(Profile{Flap: Duration(20 * time.Millisecond)}))
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil { // twice
		t.Fatal(err)
	}
}

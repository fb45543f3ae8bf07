package endpoint

import (
	"maps"
	"math/bits"
	"slices"
	"time"
)

// histogram is a log-linear histogram of durations: 128 sub-buckets per
// power of two (under 1% error), fixed memory whatever the count.
type histogram struct {
	counts     map[int]int
	n          int
	min, max   time.Duration
	haveSample bool
}

const subBits = 7 // 128 sub-buckets

func bucketOf(v uint64) int {
	if v < 1<<(subBits+1) {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1)
	return (1 << (subBits + 1)) + (shift-1)<<subBits + int(v>>shift) - (1 << subBits)
}

// upperOf is the largest value in bucket b.
func upperOf(b int) uint64 {
	if b < 1<<(subBits+1) {
		return uint64(b)
	}
	b -= 1 << (subBits + 1)
	shift := b>>subBits + 1
	mant := uint64(b&(1<<subBits-1)) + 1<<subBits
	return (mant+1)<<shift - 1
}

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = 0 // clock skew between sender and receiver
	}
	if h.counts == nil {
		h.counts = map[int]int{}
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	if !h.haveSample || d < h.min {
		h.min = d
	}
	if !h.haveSample || d > h.max {
		h.max = d
	}
	h.haveSample = true
}

func (h *histogram) stats() LatencyStats {
	s := LatencyStats{Count: h.n, Min: h.min, Max: h.max}
	if h.n == 0 {
		return s
	}
	keys := slices.Sorted(maps.Keys(h.counts))
	q := func(p float64) time.Duration {
		rank := int(p*float64(h.n) + 0.5)
		rank = max(rank, 1)
		seen := 0
		for _, k := range keys {
			seen += h.counts[k]
			if seen >= rank {
				return min(time.Duration(upperOf(k)), h.max)
			}
		}
		return h.max
	}
	s.P50, s.P90, s.P99 = q(0.50), q(0.90), q(0.99)
	return s
}

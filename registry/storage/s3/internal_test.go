package s3

import "testing"

// TestComposable: which uploads the commit copies server-side; the rest
// are streamed again. S3 refuses a multipart part under 5 MiB but the last.
func TestComposable(t *testing.T) {
	d := &Driver{cfg: Config{MultipartCopyChunkSize: 6 << 20, MultipartCopyThresholdSize: 5 << 20}}
	mib := int64(1 << 20)
	for _, c := range []struct {
		sizes []int64
		want  bool
	}{
		{nil, false},
		{[]int64{1}, true},                         // one plain copy
		{[]int64{5 * mib}, true},                   // at the threshold: one plain copy
		{[]int64{15*mib + 1}, true},                // three ranges of 5 MiB and more
		{[]int64{5*mib + 7, 10*mib + 3, 11}, true}, // 1 + 2 ranges, then the small last
		{[]int64{1000, 5 * mib}, false},            // a small part before the last
		{[]int64{13 * mib, 1}, false},              // split into three ranges under 5 MiB
	} {
		var parts []part
		for _, s := range c.sizes {
			parts = append(parts, part{size: s})
		}
		if got := d.composable(parts); got != c.want {
			t.Errorf("composable(%v) = %v, want %v", c.sizes, got, c.want)
		}
	}
}

package attention_test

import (
	"fmt"
	"testing"

	"github.com/contextualize/contextualize/attention"
)

// BenchmarkForwardRange compares windowed attention over a whole sequence
// (8,192 × 256, 4 heads, window 128) with the same rows computed range by
// range, each range 2·RangeStep32 rows from only the input rows it needs
// (the window rows and alignments are projected again by both neighbours).
// held-rows is the most input rows one range needed.
func BenchmarkForwardRange(b *testing.B) {
	const n, d, heads, window = 8192, 256, 4, 128
	m, err := attention.NewMHA(attention.RandomWeights(d, 3), attention.MHAParams{Heads: heads, Window: window})
	if err != nil {
		b.Fatal(err)
	}
	x := to32(randSeq(n, d, 4, 1))
	dst := make([]float32, n*d)
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			m.Forward32(dst, x, n)
		}
	})
	step := 2 * m.RangeStep32(n)
	b.Run(fmt.Sprintf("ranges=%d", step), func(b *testing.B) {
		held := 0
		for b.Loop() {
			for lo := 0; lo < n; lo += step {
				hi := min(n, lo+step)
				xlo, xhi := m.RangeInput32(lo, hi, n)
				held = max(held, xhi-xlo)
				m.ForwardRange32(dst[lo*d:hi*d], x[xlo*d:xhi*d], lo, hi, n)
			}
		}
		b.ReportMetric(float64(held), "held-rows")
	})
}

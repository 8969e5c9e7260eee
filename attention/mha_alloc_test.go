package attention_test

import (
	"runtime"
	"testing"

	"github.com/contextualize/contextualize/attention"
)

// TestMHAForwardNoAlloc: after the first call, Forward32 and Forward64 take
// their scratch from the free list (no allocation), also across GCs, which
// empty a sync.Pool.
func TestMHAForwardNoAlloc(t *testing.T) {
	for _, c := range []struct{ n, d, heads int }{{256, 64, 4}, {700, 32, 2}} {
		m, err := attention.NewMHA(withBiases(attention.RandomWeights(c.d, 2), 2), attention.MHAParams{Heads: c.heads, Window: -1})
		if err != nil {
			t.Fatal(err)
		}
		x := to32(randSeq(c.n, c.d, 1, 1))
		dst := make([]float32, len(x))
		m.Forward32(dst, x, c.n)
		x64 := randSeq(c.n, c.d, 1, 1)
		dst64 := make([]float64, len(x64))
		m.Forward64(dst64, x64, c.n)
		runtime.GC()
		runtime.GC()
		if a := testing.AllocsPerRun(5, func() { m.Forward32(dst, x, c.n) }); a != 0 {
			t.Errorf("n=%d: Forward32 allocates %v times per call", c.n, a)
		}
		if a := testing.AllocsPerRun(5, func() { m.Forward64(dst64, x64, c.n) }); a != 0 {
			t.Errorf("n=%d: Forward64 allocates %v times per call", c.n, a)
		}
	}
}

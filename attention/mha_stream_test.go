package attention_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/contextualize/contextualize/attention"
)

// TestAttendStreamMatchesWhole: windowed attention pushed in segments of
// random sizes (single rows too) gives the bits of Forward32/Forward64
// over the whole sequence, and holds a number of rows independent of n.
func TestAttendStreamMatchesWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 3))
	cases := []struct {
		n, d, heads, window int
		causal              bool
	}{
		{6000, 32, 2, 50, false},
		{24000, 16, 2, 50, false}, // held rows well below n
		{5000, 16, 2, 200, true},
		{300, 16, 4, 20, false},
		{1, 8, 1, 3, false},
		{2500, 16, 1, -1, true}, // no window: held whole, still exact
	}
	for ci, c := range cases {
		t.Run(fmt.Sprintf("n%d_w%d_causal%v", c.n, c.window, c.causal), func(t *testing.T) {
			w := withBiases(attention.RandomWeights(c.d, uint64(ci)), uint64(ci))
			m, err := attention.NewMHA(w, attention.MHAParams{Heads: c.heads, Window: c.window, Causal: c.causal})
			if err != nil {
				t.Fatal(err)
			}
			n, d := c.n, c.d
			x64 := randSeq(n, d, uint64(ci)+9, 1)
			x32 := to32(x64)
			want32 := make([]float32, n*d)
			m.Forward32(want32, x32, n)
			want64 := make([]float64, n*d)
			m.Forward64(want64, x64, n)

			st32, st64 := m.NewStream32(n), m.NewStream64(n)
			var got32 []float32
			var got64 []float64
			held := int64(0)
			for at := 0; at < n; {
				k := min(n-at, []int{0, 1, 7, 300, 1000}[rng.IntN(5)])
				got32 = st32.Push(got32, x32[at*d:(at+k)*d])
				got64 = st64.Push(got64, x64[at*d:(at+k)*d])
				held = max(held, st32.HeldBytes())
				at += k
			}
			if !st32.Done() || !st64.Done() {
				t.Fatalf("not done after %d rows", n)
			}
			for i := range want32 {
				if math.Float32bits(got32[i]) != math.Float32bits(want32[i]) {
					t.Fatalf("float32 row %d col %d = %v, whole %v", i/d, i%d, got32[i], want32[i])
				}
				if math.Float64bits(got64[i]) != math.Float64bits(want64[i]) {
					t.Fatalf("float64 row %d col %d = %v, whole %v", i/d, i%d, got64[i], want64[i])
				}
			}
			if c.window >= 0 {
				bound := int64(4 * d * 2 * (m.RangeStep32(n) + 2*c.window + 2900 + 1000))
				if held > bound {
					t.Errorf("held %d bytes, want at most %d (two ranges' input and a segment)", held, bound)
				}
			}
		})
	}
}

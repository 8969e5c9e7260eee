package attention_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/contextualize/contextualize/attention"
)

// rangeSplits returns consecutive ranges covering [0, n): random sizes
// (single rows too), or multiples of step.
func rangeSplits(rng *rand.Rand, n, step int) [][2]int {
	var out [][2]int
	aligned := rng.IntN(3) == 0
	for lo := 0; lo < n; {
		k := 1 + rng.IntN(max(1, n/3))
		switch {
		case aligned:
			k = step * (1 + rng.IntN(2))
		case rng.IntN(6) == 0:
			k = 1
		}
		hi := min(n, lo+k)
		out = append(out, [2]int{lo, hi})
		lo = hi
	}
	return out
}

// TestMHAForwardRangeMatchesWhole: windowed attention computed range by
// range, each from only the input rows RangeInput gives (copied out, so
// nothing else is reachable), has the bits of Forward32 / Forward64 over
// the whole sequence: short sequences (one key block) and long ones
// (512-key blocks, 504-row chunks), causal or not, with and without
// biases and output projection, heads projected together and one at a
// time. Without a window the ranges need every earlier row, and still
// match.
func TestMHAForwardRangeMatchesWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 7))
	type tc struct {
		n, d, heads, window int
		causal, bias, noOut bool
		alone               bool
	}
	cases := []tc{
		{1300, 64, 2, 70, false, true, false, false},
		{2100, 64, 4, 300, true, true, false, false},
		{1800, 32, 2, 600, false, false, true, true},
		{1500, 64, 1, 5, true, true, false, true},
		{700, 16, 2, 0, false, true, false, false},
		{400, 16, 4, 40, false, true, false, false}, // n <= 512: one key block
		{300, 8, 2, 1000, true, false, false, false},
		{1200, 32, 2, -1, true, true, false, false}, // causal, no window
		{900, 24, 3, -1, false, false, true, false}, // no mask at all
	}
	for i := 0; i < 4; i++ {
		cases = append(cases, tc{
			n: 1 + rng.IntN(2600), d: []int{8, 16, 48, 64}[rng.IntN(4)], heads: 1 << rng.IntN(3),
			window: []int{0, 1, 17, 100, 513}[rng.IntN(5)], causal: rng.IntN(2) == 0,
			bias: rng.IntN(2) == 0, noOut: rng.IntN(3) == 0, alone: rng.IntN(2) == 0,
		})
	}
	for ci, c := range cases {
		if c.d%c.heads != 0 {
			c.heads = 1
		}
		t.Run(fmt.Sprintf("n%d_d%d_h%d_w%d_causal%v_alone%v", c.n, c.d, c.heads, c.window, c.causal, c.alone), func(t *testing.T) {
			if c.alone {
				defer attention.SetGroupAll(1 << 12)()
			}
			w := attention.RandomWeights(c.d, uint64(ci))
			if c.bias {
				w = withBiases(w, uint64(ci))
			}
			if c.noOut {
				w.OutProj = nil
			}
			m, err := attention.NewMHA(w, attention.MHAParams{Heads: c.heads, Window: c.window, Causal: c.causal})
			if err != nil {
				t.Fatal(err)
			}
			n, d := c.n, c.d
			x64 := randSeq(n, d, uint64(ci)+50, 1.5)
			x32 := to32(x64)
			want32 := make([]float32, n*d)
			m.Forward32(want32, x32, n)
			want64 := make([]float64, n*d)
			m.Forward64(want64, x64, n)

			for _, r := range rangeSplits(rng, n, m.RangeStep32(n)) {
				lo, hi := r[0], r[1]
				xlo, xhi := m.RangeInput32(lo, hi, n)
				if xlo > lo || xhi < hi {
					t.Fatalf("RangeInput32(%d, %d) = [%d, %d) does not hold the range", lo, hi, xlo, xhi)
				}
				if c.window >= 0 && !c.causal {
					if slack := 2*c.window + 2900; xhi-xlo > hi-lo+slack {
						t.Fatalf("RangeInput32(%d, %d) = [%d, %d): more than the window and the blocks", lo, hi, xlo, xhi)
					}
				}
				got := make([]float32, (hi-lo)*d)
				m.ForwardRange32(got, append([]float32(nil), x32[xlo*d:xhi*d]...), lo, hi, n)
				for i, v := range got {
					if math.Float32bits(v) != math.Float32bits(want32[lo*d+i]) {
						t.Fatalf("float32 range [%d, %d) from rows [%d, %d): row %d col %d = %v, whole %v", lo, hi, xlo, xhi, lo+i/d, i%d, v, want32[lo*d+i])
					}
				}
				xlo, xhi = m.RangeInput64(lo, hi, n)
				got64 := make([]float64, (hi-lo)*d)
				m.ForwardRange64(got64, append([]float64(nil), x64[xlo*d:xhi*d]...), lo, hi, n)
				for i, v := range got64 {
					if math.Float64bits(v) != math.Float64bits(want64[lo*d+i]) {
						t.Fatalf("float64 range [%d, %d): row %d col %d = %v, whole %v", lo, hi, lo+i/d, i%d, v, want64[lo*d+i])
					}
				}
			}
		})
	}
}

package job

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/contextualize/contextualize/attention"
)

// TestComputersInPlace: the job computes in place (dst == src), so the
// computers it uses must give the same bits in place as out of place.
func TestComputersInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sigma := range []float64{0.5, 3, 50} {
		for _, n := range []int{1, 7, 1000, 50_000} {
			for _, d := range []int{1, 3} {
				s, err := attention.NewSmoother(attention.SmoothParams{Sigma: sigma, Truncate: 4, Radius: -1})
				if err != nil {
					t.Fatal(err)
				}
				x := make([]float64, n*d)
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				want := make([]float64, len(x))
				s.Smooth64(want, x, n, d)
				got := append([]float64(nil), x...)
				s.Smooth64(got, got, n, d)
				for i := range want {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("smooth sigma %g n %d d %d: in place differs at %d", sigma, n, d, i)
					}
				}
				x32 := make([]float32, len(x))
				for i, v := range x {
					x32[i] = float32(v)
				}
				w32 := make([]float32, len(x))
				s.Smooth32(w32, x32, n, d)
				s.Smooth32(x32, x32, n, d)
				for i := range w32 {
					if math.Float32bits(x32[i]) != math.Float32bits(w32[i]) {
						t.Fatalf("smooth32 sigma %g n %d d %d: in place differs at %d", sigma, n, d, i)
					}
				}
			}
		}
	}
	for _, n := range []int{1, 17, 300, 1100} {
		m, err := attention.NewMHA(attention.RandomWeights(48, 5), attention.MHAParams{Heads: 4, Window: -1})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n*48)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		want := make([]float32, len(x))
		m.Forward32(want, x, n)
		m.Forward32(x, x, n)
		for i := range want {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
				t.Fatalf("mha n %d: in place differs at %d", n, i)
			}
		}
	}
}

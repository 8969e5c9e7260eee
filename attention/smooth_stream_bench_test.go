package attention

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkStream compares streaming a sequence in segments of 8,192 rows
// with one whole-sequence call on the same rows, at sigma 5 and 50, for
// one float64 series and for 16 float32 channels. The stream is reused
// across ops (Close resets it), so allocs/op is 0 in steady state, and
// held-bytes (its buffers) is the same at every n: 2·radius rows of d
// channels, plus 8 channels of a segment.
func BenchmarkStream(b *testing.B) {
	const seg = 8192
	for _, sigma := range []float64{5, 50} {
		for _, c := range []struct{ n, d int }{{1 << 18, 1}, {1 << 20, 1}, {1 << 15, 16}} {
			s, err := NewSmoother(SmoothParams{Sigma: sigma, Truncate: 4, Radius: -1})
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(5, 6))
			x := make([]float64, c.n*c.d)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			x32 := to32(x)
			name := fmt.Sprintf("sigma=%g/n=%d/d=%d", sigma, c.n, c.d)
			b.Run(name+"/whole", func(b *testing.B) {
				b.SetBytes(int64(8 * len(x)))
				if c.d == 1 {
					y := make([]float64, len(x))
					for b.Loop() {
						s.Smooth64(y, x, c.n, c.d)
					}
					return
				}
				y := make([]float32, len(x))
				for b.Loop() {
					s.Smooth32(y, x32, c.n, c.d)
				}
			})
			b.Run(name+"/stream", func(b *testing.B) {
				b.SetBytes(int64(8 * len(x)))
				b.ReportAllocs()
				if c.d == 1 {
					y := make([]float64, 0, seg)
					st, _ := s.NewStream64(c.d)
					for b.Loop() {
						for at := 0; at < c.n; at += seg {
							y = st.Push(y[:0], x[at:min(c.n, at+seg)])
						}
						y = st.Close(y[:0])
					}
					b.ReportMetric(float64(st.HeldBytes()), "held-bytes")
					return
				}
				y := make([]float32, 0, seg*c.d)
				st, _ := s.NewStream32(c.d)
				for b.Loop() {
					for at := 0; at < c.n; at += seg {
						y = st.Push(y[:0], x32[at*c.d:min(c.n, at+seg)*c.d])
					}
					y = st.Close(y[:0])
				}
				b.ReportMetric(float64(st.HeldBytes()), "held-bytes")
			})
		}
	}
}

// BenchmarkStreamAt compares StreamAt with SmoothAt64 on 200,000 irregular
// timestamps (about 160 rows per window), pushed in segments of 8,192 rows.
func BenchmarkStreamAt(b *testing.B) {
	const n, seg = 200000, 8192
	s, _ := NewSmoother(SmoothParams{Bandwidth: 100, Truncate: 4})
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float64, n)
	ts := make([]int64, n)
	var t int64
	for i := range x {
		x[i] = rng.NormFloat64()
		t += int64(rng.IntN(10))
		ts[i] = t
	}
	b.Run("whole", func(b *testing.B) {
		y := make([]float64, n)
		for b.Loop() {
			s.SmoothAt64(y, x, ts, n, 1)
		}
	})
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		y := make([]float64, 0, seg)
		st := NewStreamAt[float64, int64](s, 1, 0)
		for b.Loop() {
			for at := 0; at < n; at += seg {
				y, _ = st.Push(y[:0], x[at:min(n, at+seg)], ts[at:min(n, at+seg)])
			}
			y = st.Close(y[:0])
		}
	})
}

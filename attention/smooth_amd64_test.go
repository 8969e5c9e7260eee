//go:build !purego

package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestSmoothVectorKernelsMatchScalar runs the fast-path check once per
// vector kernel the CPU has (the default prefers AVX-512).
func TestSmoothVectorKernelsMatchScalar(t *testing.T) {
	saved2, saved512 := smoothAVX2, smoothAVX512
	defer func() { smoothAVX2, smoothAVX512 = saved2, saved512 }()
	if saved2 {
		smoothAVX2, smoothAVX512 = true, false
		t.Run("avx2", func(t *testing.T) { checkFastPath(t, 11) })
	}
	if saved512 {
		smoothAVX2, smoothAVX512 = false, true
		t.Run("avx512", func(t *testing.T) { checkFastPath(t, 12) })
	}
	smoothAVX2, smoothAVX512 = false, false
	t.Run("go", func(t *testing.T) { checkFastPath(t, 13) })
}

// BenchmarkCorrelateKernels times the correlation of one 50,000-sample line
// (the bench's series length) at several radii with each kernel: the Go
// loops, the shifted-load AVX2 and AVX-512 blocks, and the interleaved
// AVX-512 kernel with its transpositions ("rows"). flop/s counts scipy's
// 3r+1 operations per output (r pair adds, r+1 multiplies, r adds).
func BenchmarkCorrelateKernels(b *testing.B) {
	saved2, saved512, savedMin := smoothAVX2, smoothAVX512, interleaveMinRadius
	defer func() { smoothAVX2, smoothAVX512, interleaveMinRadius = saved2, saved512, savedMin }()
	const n = 50000
	for _, r := range []int{3, 5, 8, 12, 24, 50, 100, 200} {
		rng := rand.New(rand.NewPCG(uint64(r), 9))
		w := make([]float64, r+1)
		for j := range w {
			w[j] = rng.Float64()
		}
		ext := make([]float64, n+2*r)
		for i := range ext {
			ext[i] = rng.NormFloat64()
		}
		out := make([]float64, n)
		s := &Smoother{r: r, w: w}
		for _, k := range []struct {
			name         string
			ok           bool
			avx2, avx512 bool
			minRadius    int
		}{
			{"go", true, false, false, 1 << 30},
			{"avx2", saved2, true, false, 1 << 30},
			{"avx512", saved512, false, true, 1 << 30},
			{"rows", saved512, false, true, 0},
		} {
			if !k.ok {
				continue
			}
			b.Run(fmt.Sprintf("r=%d/%s", r, k.name), func(b *testing.B) {
				smoothAVX2, smoothAVX512, interleaveMinRadius = k.avx2, k.avx512, k.minRadius
				sc := getScratch()
				defer putScratch(sc)
				b.SetBytes(8 * n)
				for b.Loop() {
					s.correlate(sc, out, ext, n)
				}
				b.ReportMetric(float64(n)*float64(3*r+1)*float64(b.N)/b.Elapsed().Seconds(), "flop/s")
			})
		}
	}
}

// kernelConfig forces one of the correlation kernels: the Go loops, the
// AVX2 or AVX-512 shifted-load blocks, or the interleaved AVX-512 kernel
// (with small chunks, so that a line spans several chunks and a tail).
type kernelConfig struct {
	name                 string
	ok                   bool
	avx2, avx512         bool
	minRadius, chunkRows int
}

func kernelConfigs() []kernelConfig {
	return []kernelConfig{
		{"avx2", cpu.X86.HasAVX2, true, false, 1 << 30, 1024},
		{"avx512", cpu.X86.HasAVX512F, false, true, 1 << 30, 1024},
		{"rows", cpu.X86.HasAVX512F, false, true, 1, 1024},
		{"rows/chunks=64", cpu.X86.HasAVX512F, false, true, 1, 64},
	}
}

func (k kernelConfig) set() (restore func()) {
	s2, s512, sMin, sRows := smoothAVX2, smoothAVX512, interleaveMinRadius, interleaveChunkRows
	smoothAVX2, smoothAVX512, interleaveMinRadius, interleaveChunkRows = k.avx2, k.avx512, k.minRadius, k.chunkRows
	return func() { smoothAVX2, smoothAVX512, interleaveMinRadius, interleaveChunkRows = s2, s512, sMin, sRows }
}

// TestCorrelateKernelsMatchGo compares every vector kernel with the pure-Go
// loops (the purego build) bit for bit (NaN payloads too, except where
// the input mixes NaNs of distinct payloads with infinities: sameBits64),
// through
// Smooth64 (in place and not), Smooth32 and a Stream64, on the edge cases:
// series shorter than the radius, lengths around the vector blocks and the
// interleaved chunks, every boundary mode, derivative orders, NaN and Inf
// (propagated, and NaN "interpolate").
func TestCorrelateKernelsMatchGo(t *testing.T) {
	payload := func(p uint64) float64 { return math.Float64frombits(0x7ff8000000000000 | p) }
	cases := []struct {
		name   string
		n, r   int
		mode   string
		order  int
		nan    string
		values string // "normal", "nan" (a few NaNs of distinct payloads and ±Inf), "gap" (a NaN run)
	}{
		{"shorter than radius", 150, 200, "reflect", 0, "", "normal"},
		{"shorter than radius/mirror", 7, 50, "mirror", 0, "", "normal"},
		{"shorter than radius/wrap", 300, 401, "wrap", 0, "", "normal"},
		{"one sample", 1, 12, "nearest", 0, "", "normal"},
		{"twice the radius", 401, 200, "reflect", 0, "", "normal"},
		{"first interleaved length", 512, 12, "reflect", 0, "", "normal"},
		{"odd length", 4099, 5, "reflect", 0, "", "normal"},
		{"reflect", 3001, 50, "reflect", 0, "", "normal"},
		{"nearest", 3001, 50, "nearest", 0, "", "normal"},
		{"mirror", 3001, 50, "mirror", 0, "", "normal"},
		{"constant", 3001, 50, "constant", 0, "", "normal"},
		{"wrap", 3001, 50, "wrap", 0, "", "normal"},
		{"order 1", 2500, 24, "reflect", 1, "", "normal"},
		{"order 2", 2500, 24, "mirror", 2, "", "normal"},
		{"radius 0", 1000, 0, "reflect", 0, "", "normal"},
		{"radius above a chunk", 20000, 1100, "reflect", 0, "", "normal"},
		{"NaN and Inf propagate", 6000, 200, "reflect", 0, "", "nan"},
		{"NaN and Inf order 1", 6000, 30, "nearest", 1, "", "nan"},
		{"NaN interpolate", 6000, 200, "reflect", 0, "interpolate", "gap"},
		{"NaN interpolate short", 100, 200, "mirror", 0, "interpolate", "gap"},
		{"bench series sigma 50", 50000, 200, "reflect", 0, "", "normal"},
	}
	for ci, c := range cases {
		s, err := NewSmoother(SmoothParams{Sigma: float64(max(c.r, 1)) / 4, Radius: c.r, Mode: c.mode, Cval: 0.25, Order: c.order, NaN: c.nan})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(ci), 17))
		x := make([]float64, c.n)
		for i := range x {
			x[i] = rng.NormFloat64() * 1e3
		}
		switch c.values {
		case "nan":
			for k := 0; k < 6; k++ {
				x[rng.IntN(c.n)] = payload(uint64(k + 1))
			}
			x[rng.IntN(c.n)] = math.Inf(1)
			x[rng.IntN(c.n)] = math.Inf(-1)
		case "gap":
			at := rng.IntN(c.n)
			for i := at; i < min(c.n, at+c.r/2+1); i++ {
				x[i] = math.NaN()
			}
		}
		x32 := to32(x)
		run := func() (out, inplace, stream []float64, out32 []float32) {
			out = make([]float64, c.n)
			s.Smooth64(out, x, c.n, 1)
			inplace = append([]float64(nil), x...)
			s.Smooth64(inplace, inplace, c.n, 1)
			out32 = make([]float32, c.n)
			s.Smooth32(out32, x32, c.n, 1)
			if st, err := s.NewStream64(1); err == nil {
				for at := 0; at < c.n; at += 1000 {
					stream = st.Push(stream, x[at:min(c.n, at+1000)])
				}
				stream = st.Close(stream)
			}
			return
		}
		restore := kernelConfig{name: "go", minRadius: 1 << 30, chunkRows: 1024}.set()
		want, wantIn, wantSt, want32 := run()
		restore()
		for _, k := range kernelConfigs() {
			if !k.ok {
				continue
			}
			t.Run(c.name+"/"+k.name, func(t *testing.T) {
				defer k.set()()
				got, gotIn, gotSt, got32 := run()
				nanBitsFree = c.values == "nan" // distinct payloads and infinities
				defer func() { nanBitsFree = false }()
				sameBits64(t, "Smooth64 against the Go loops", got, want)
				sameBits64(t, "in place against the Go loops", gotIn, wantIn)
				sameBits64(t, "Stream64 against the Go loops", gotSt, wantSt)
				sameBits32(t, "Smooth32 against the Go loops", got32, want32)
			})
		}
	}
}

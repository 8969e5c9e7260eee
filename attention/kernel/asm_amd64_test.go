//go:build !purego

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestPackers checks the assembly packers element by element, including k
// tails and row/column masks, and that they write nothing outside the
// packed area.
func TestPackers(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	const ld = 300
	src := make([]float32, 40*ld)
	for i := range src {
		src[i] = float32(i + 1)
	}
	const sentinel = -7
	for _, kc := range []int{1, 5, 15, 16, 17, 31, 32, 33, 64, 100, 256} {
		// k-major packing of `rows` rows with dst stride `stride` elements:
		// want dst[p*stride+r] = src[r*ld+p] for r < rows, zero for r in [rows, zeroTo).
		check := func(name string, dst []float32, rows, zeroTo, stride int) {
			t.Helper()
			for p := 0; p < kc; p++ {
				for r := 0; r < stride; r++ {
					got := dst[p*stride+r]
					var want float32
					switch {
					case r < rows:
						want = src[r*ld+p]
					case r < zeroTo:
						want = 0
					default:
						want = sentinel
					}
					if got != want {
						t.Fatalf("%s kc=%d: dst[p=%d][r=%d] = %v, want %v", name, kc, p, r, got, want)
					}
				}
			}
			for i := kc * stride; i < len(dst); i++ {
				if dst[i] != sentinel {
					t.Fatalf("%s kc=%d: wrote past the panel at %d", name, kc, i)
				}
			}
		}
		newDst := func(n int) []float32 {
			d := make([]float32, n+64)
			for i := range d {
				d[i] = sentinel
			}
			return d
		}
		for _, rows := range []int{1, 5, 13, 14} { // A panels
			d := newDst(kc * rows)
			stransPack(kc, &src[0], ld*4, rows, lowMask(rows), &d[0], rows*4)
			check(fmt.Sprintf("stransPack(A %d rows)", rows), d, rows, rows, rows)
		}
		for _, w := range []int{1, 15, 16, 17, 31, 32} { // B panels, zero padded
			d := newDst(kc * 32)
			stransPack(kc, &src[0], ld*4, min(w, 16), 0xffff, &d[0], 128)
			stransPack(kc, &src[16*ld], ld*4, max(w-16, 0), 0xffff, &d[16], 128)
			check(fmt.Sprintf("stransPack(B %d rows)", w), d, w, 32, 32)
		}
		// float64: 8-row blocks
		src64 := make([]float64, len(src))
		for i, v := range src {
			src64[i] = float64(v)
		}
		for _, rows := range []int{14, 6, 9} { // A panels of 14 rows as 8 + rest
			d := make([]float64, kc*rows+64)
			for i := range d {
				d[i] = sentinel
			}
			for r0 := 0; r0 < rows; r0 += 8 {
				r := min(8, rows-r0)
				dtransPack(kc, &src64[r0*ld], ld*8, r, lowMask(r), &d[r0], rows*8)
			}
			for i := range d {
				want := float64(sentinel)
				if p, r := i/rows, i%rows; i < kc*rows {
					want = src64[r*ld+p]
				}
				if d[i] != want {
					t.Fatalf("dtransPack kc=%d rows=%d: d[%d] = %v, want %v", kc, rows, i, d[i], want)
				}
			}
		}
	}
}

// The AVX2 paths are not selected on AVX-512 machines; test them directly.

func TestSgemmAVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2+FMA")
	}
	testGemmShapes(t, "sgemmAVX2", sgemmAVX2.run, sgemmRef)
}

func TestDgemmAVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2+FMA")
	}
	testGemmShapes(t, "dgemmAVX2", dgemmAVX2.run, dgemmRef)
}

// TestGemmAVX512Direct runs the AVX-512 driver on tiny shapes too (the
// dispatcher sends those to Go).
func TestGemmAVX512Direct(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, transB := range []bool{false, true} {
		for m := 1; m <= 4; m++ {
			for n := 1; n <= 4; n++ {
				for k := 1; k <= 4; k++ {
					gemmCase(t, "sgemmAVX512", sgemmAVX512.run, sgemmRef, rng, transB, m, n, k, 1, k%2 == 0)
					gemmCase(t, "dgemmAVX512", dgemmAVX512.run, dgemmRef, rng, transB, m, n, k, 1, k%2 == 1)
				}
			}
		}
	}
}

func expAVX2(dst, src []float32) {
	if len(src) > 0 {
		expF32AVX2(&dst[0], &src[0], len(src))
	}
}

func TestExpF32AVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2+FMA")
	}
	inf := float32(math.Inf(1))
	src := []float32{0, -inf, inf, float32(math.NaN()), -87.5, -100, -1e30, 89, 1e30, math.Float32frombits(0xc2aeac50), -87.3365, 88.7228}
	for i := 0; i < 1<<16; i++ {
		src = append(src, float32(-87+175*float64(i)/(1<<16)))
	}
	for n := 0; n <= len(src); n += 1 + n/3 { // every tail length early on
		got := make([]float32, n+1)
		got[n] = -5
		want := make([]float32, n)
		expAVX2(got, src[:n])
		expF32Go(want, src[:n])
		if got[n] != -5 {
			t.Fatalf("n=%d: wrote past the end", n)
		}
		for i := range want {
			g, w := got[i], want[i]
			if w != w {
				if g == g {
					t.Fatalf("exp(%v) = %v, want NaN", src[i], g)
				}
				continue
			}
			if ulpDiff(g, w) > 2 {
				t.Fatalf("n=%d: expF32AVX2(%v) = %v, Go %v", n, src[i], g, w)
			}
		}
	}
}

func BenchmarkSgemmAVX2(b *testing.B) {
	if !hasAVX2 {
		b.Skip("no AVX2+FMA")
	}
	benchGemm(b, sgemmAVX2.run)
}

func BenchmarkExpF32AVX2(b *testing.B) {
	if !hasAVX2 {
		b.Skip("no AVX2+FMA")
	}
	benchExp(b, expAVX2, 4096)
}

// TestGemmNoAllocs: steady-state calls allocate nothing, even across GCs
// (the scratch free list is not emptied by the GC as a sync.Pool would be).
func TestGemmNoAllocs(t *testing.T) {
	a := make([]float32, 256*384)
	b := make([]float32, 1152*384)
	c := make([]float32, 256*1152)
	f := func() { Sgemm(true, 256, 1152, 384, a, 384, b, 384, c, 1152, false) }
	f()
	if n := testing.AllocsPerRun(5, func() { runtime.GC(); runtime.GC(); f() }); n != 0 {
		t.Fatalf("Sgemm allocates %v times per call after GCs", n)
	}
	d := make([]float64, 64*64)
	e := make([]float64, 64*64)
	g := func() { Dgemm(true, 64, 64, 64, d, 64, d, 64, e, 64, true) }
	g()
	if n := testing.AllocsPerRun(5, func() { runtime.GC(); runtime.GC(); g() }); n != 0 {
		t.Fatalf("Dgemm allocates %v times per call after GCs", n)
	}
}

// BenchmarkSgemmMicroKernel is the ceiling of every float32 product on this
// CPU: the 14×32 AVX-512 micro-kernel (the AVX2 6×16 one without AVX-512)
// alone, its A and B panels and its C tile in L1, kc deep. Nothing a GEMM
// adds (packing, cache misses, edges) can make it faster, so FLOPs divided
// by this rate bound the time of the attention benchmarks from below.
func BenchmarkSgemmMicroKernel(b *testing.B) {
	g := sgemmAVX512
	if !hasAVX512 {
		if !hasAVX2 {
			b.Skip("no AVX-512 or AVX2+FMA")
		}
		g = sgemmAVX2
	}
	for _, kc := range []int{64, 256} {
		b.Run(fmt.Sprintf("kc%d", kc), func(b *testing.B) {
			a := make([]float32, g.mr*kc)
			bp := make([]float32, g.nr*kc)
			c := make([]float32, g.mr*g.nr)
			for i := range a {
				a[i] = float32(i%7) - 3
			}
			for i := range bp {
				bp[i] = float32(i%5) - 2
			}
			kern := g.kern[g.mr]
			mask := lowMask(g.nr)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := threadCPU()
			for b.Loop() {
				kern(kc, &a[0], &bp[0], &c[0], g.nr, false, mask)
			}
			flop := 2 * float64(g.mr*g.nr*kc) * float64(b.N)
			b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOPS")
			if cpu := threadCPU() - cpu0; cpu > 0 {
				b.ReportMetric(flop/cpu/1e9, "cpuGFLOPS")
			}
		})
	}
}

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

type gemmFunc[T floatT] func(transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool)

// gemmCase fills A, B and C (with NaN in the padding of every leading
// dimension, so reading it would poison the result), runs f and the
// reference, and compares element-wise with a tolerance relative to
// Σ|a||b| (+|c| when accumulating): the summation order differs.
func gemmCase[T floatT](t *testing.T, name string, f, ref gemmFunc[T], rng *rand.Rand, transB bool, m, n, k, pad int, acc bool) {
	t.Helper()
	lda, ldb, ldc := k+pad, n+pad, n+pad
	if transB {
		ldb = k + pad
	}
	nan := T(math.NaN())
	fill := func(rows, cols, ld int) []T {
		x := make([]T, max(rows*ld, 1))
		for i := range x {
			if i%ld < cols {
				x[i] = T(rng.Float64()*2 - 1)
			} else {
				x[i] = nan
			}
		}
		return x
	}
	a := fill(m, k, lda)
	var b []T
	if transB {
		b = fill(n, k, ldb)
	} else {
		b = fill(k, n, ldb)
	}
	c0 := fill(m, n, ldc)
	got := append([]T(nil), c0...)
	want := append([]T(nil), c0...)
	f(transB, m, n, k, a, lda, b, ldb, got, ldc, acc)
	ref(transB, m, n, k, a, lda, b, ldb, want, ldc, acc)
	eps := 0x1p-23
	if _, ok := any(a).([]float64); ok {
		eps = 0x1p-52
	}
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			g, w := got[i*ldc+j], want[i*ldc+j]
			if j >= n {
				if g == g {
					t.Fatalf("%s transB=%v %dx%dx%d pad=%d acc=%v: C padding (%d,%d) overwritten: %v", name, transB, m, n, k, pad, acc, i, j, g)
				}
				continue
			}
			var s float64
			for p := 0; p < k; p++ {
				var bv T
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += math.Abs(float64(a[i*lda+p]) * float64(bv))
			}
			if acc {
				s += math.Abs(float64(c0[i*ldc+j]))
			}
			tol := 2 * float64(k+2) * eps * s
			if d := math.Abs(float64(g - w)); !(d <= tol) {
				t.Fatalf("%s transB=%v %dx%dx%d pad=%d acc=%v: C(%d,%d) = %v, reference %v (|diff| %.3g > tol %.3g)",
					name, transB, m, n, k, pad, acc, i, j, g, w, d, tol)
			}
		}
	}
}

func testGemmShapes[T floatT](t *testing.T, name string, f, ref gemmFunc[T]) {
	rng := rand.New(rand.NewPCG(1, 2))
	dims := []int{1, 2, 3, 7, 8, 13, 14, 15, 16, 17, 29, 31, 32, 33, 63, 64, 65}
	if testing.Short() {
		dims = []int{1, 3, 14, 17, 33, 65}
	}
	for _, transB := range []bool{false, true} {
		for _, m := range dims {
			for _, n := range dims {
				for _, k := range dims {
					gemmCase(t, name, f, ref, rng, transB, m, n, k, 0, (m+n+k)%2 == 0)
				}
			}
		}
		// random shapes in 1..70 with padded leading dimensions, both acc modes
		for range 300 {
			m, n, k := 1+rng.IntN(70), 1+rng.IntN(70), 1+rng.IntN(70)
			gemmCase(t, name, f, ref, rng, transB, m, n, k, 1+rng.IntN(5), rng.IntN(2) == 0)
		}
		// larger shapes crossing the kc, mc and nc blocks
		for _, s := range [][3]int{{257, 129, 300}, {300, 70, 513}, {169, 33, 1}, {1, 300, 257}, {64, 256, 64}, {29, 4100, 17}, {200, 100, 800}} {
			for _, acc := range []bool{false, true} {
				gemmCase(t, name, f, ref, rng, transB, s[0], s[1], s[2], 3, acc)
			}
		}
	}
}

func TestSgemm(t *testing.T) { testGemmShapes(t, "Sgemm", Sgemm, sgemmRef) }
func TestDgemm(t *testing.T) { testGemmShapes(t, "Dgemm", Dgemm, dgemmRef) }
func TestSgemmGo(t *testing.T) {
	testGemmShapes(t, "gemmGo32", gemmGo[float32], sgemmRef)
}
func TestDgemmGo(t *testing.T) {
	testGemmShapes(t, "gemmGo64", gemmGo[float64], dgemmRef)
}

func TestGemmKZero(t *testing.T) {
	for _, acc := range []bool{false, true} {
		c := []float32{1, 2, 3, 4, 5, 6}
		Sgemm(true, 2, 3, 0, nil, 0, nil, 0, c, 3, acc)
		for i, v := range c {
			if want := float32(i+1) * b2f(acc); v != want {
				t.Fatalf("acc=%v: c[%d] = %v, want %v", acc, i, v, want)
			}
		}
		d := []float64{1, 2, 3, 4, 5, 6}
		Dgemm(false, 3, 2, 0, nil, 0, nil, 0, d, 2, acc)
		for i, v := range d {
			if want := float64(i+1) * float64(b2f(acc)); v != want {
				t.Fatalf("acc=%v: d[%d] = %v, want %v", acc, i, v, want)
			}
		}
	}
	Sgemm(false, 0, 5, 5, nil, 5, nil, 5, nil, 5, false) // m == 0: no-op
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// TestSgemmSpecial checks NaN/Inf propagation and denormal inputs against
// the reference on a shape that takes the assembly path.
func TestSgemmSpecial(t *testing.T) {
	const m, n, k = 20, 40, 30
	rng := rand.New(rand.NewPCG(3, 4))
	for _, transB := range []bool{false, true} {
		a := make([]float32, m*k)
		b := make([]float32, n*k)
		for i := range a {
			a[i] = float32(rng.Float64()*2 - 1)
		}
		for i := range b {
			b[i] = float32(rng.Float64()*2 - 1)
		}
		ldb := n
		if transB {
			ldb = k
		}
		bAt := func(p, j int) *float32 {
			if transB {
				return &b[j*ldb+p]
			}
			return &b[p*ldb+j]
		}
		a[3*k+5] = float32(math.NaN())     // row 3 all NaN
		*bAt(7, 11) = float32(math.Inf(1)) // column 11: ±Inf, NaN in row 3
		*bAt(8, 12) = float32(math.Inf(-1))
		*bAt(9, 12) = float32(math.Inf(1)) // column 12: Inf - Inf = NaN unless a is 0
		a[6*k+9] = 0                       // row 6, column 12: 0·Inf = NaN anyway
		for i := 10; i < 14; i++ {
			for p := 0; p < k; p++ {
				a[i*k+p] = 0x1p-140 * float32(p+1) // denormals
			}
		}
		got := make([]float32, m*n)
		want := make([]float32, m*n)
		Sgemm(transB, m, n, k, a, k, b, ldb, got, n, false)
		sgemmRef(transB, m, n, k, a, k, b, ldb, want, n, false)
		for i := range got {
			g, w := got[i], want[i]
			switch {
			case w != w:
				if g == g {
					t.Fatalf("transB=%v C[%d,%d] = %v, want NaN", transB, i/n, i%n, g)
				}
			case math.IsInf(float64(w), 0):
				if g != w {
					t.Fatalf("transB=%v C[%d,%d] = %v, want %v", transB, i/n, i%n, g, w)
				}
			default:
				if d := math.Abs(float64(g - w)); d > 1e-5 {
					t.Fatalf("transB=%v C[%d,%d] = %v, want %v", transB, i/n, i%n, g, w)
				}
			}
		}
		if r := got[3*n : 4*n]; r[0] == r[0] || r[n-1] == r[n-1] {
			t.Fatalf("NaN in A row 3 did not propagate: %v", r[:4])
		}
		for i := 10; i < 14; i++ { // denormal rows: tiny but computed (no FTZ)
			if got[i*n] == 0 && want[i*n] != 0 {
				t.Fatalf("denormal row %d flushed: got 0, want %v", i, want[i*n])
			}
		}
	}
}

func TestSgemmShortSlicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short C")
		}
	}()
	a := make([]float32, 64*64)
	Sgemm(false, 64, 64, 64, a, 64, a, 64, make([]float32, 64*64-1), 64, false)
}

func ulpDiff(a, b float32) int64 {
	ia, ib := int64(int32(math.Float32bits(a))), int64(int32(math.Float32bits(b)))
	if ia < 0 {
		ia = math.MinInt32 - ia
	}
	if ib < 0 {
		ib = math.MinInt32 - ib
	}
	d := ia - ib
	if d < 0 {
		d = -d
	}
	return d
}

// TestExpF32Accuracy: max relative error vs math.Exp over [-87, 88] for
// ExpF32 (assembly where available) and the pure-Go version, and agreement
// between them.
func TestExpF32Accuracy(t *testing.T) {
	const N = 1 << 21
	src := make([]float32, N)
	for i := range src {
		src[i] = float32(-87 + 175*float64(i)/float64(N-1))
	}
	// plus every float32 in [-1e-3, 1e-3]·stride and around 0
	for i := 0; i < 1000; i++ {
		src[i] = float32(i-500) * 1e-6
	}
	got := make([]float32, N)
	goV := make([]float32, N)
	ExpF32(got, src)
	expF32Go(goV, src)
	var maxRel, maxRelGo float64
	var maxUlp int64
	var worst float32
	for i, x := range src {
		w := math.Exp(float64(x))
		rel := math.Abs(float64(got[i])-w) / w
		if rel > maxRel {
			maxRel, worst = rel, x
		}
		maxRelGo = max(maxRelGo, math.Abs(float64(goV[i])-w)/w)
		maxUlp = max(maxUlp, ulpDiff(got[i], goV[i]))
	}
	t.Logf("ExpF32 (%s) max rel err %.3g at x=%v; pure Go %.3g; max asm/Go difference %d ulp", Impl(), maxRel, worst, maxRelGo, maxUlp)
	if maxRel > 2e-7 || maxRelGo > 2e-7 {
		t.Fatalf("max relative error %.3g (Go %.3g) > 2e-7", maxRel, maxRelGo)
	}
	if maxUlp > 2 {
		t.Fatalf("assembly and Go differ by %d ulp", maxUlp)
	}
}

func TestExpF32Special(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	cases := []struct{ x, want float32 }{
		{0, 1}, {-inf, 0}, {inf, inf}, {-87.5, 0}, {-100, 0}, {-1e30, 0}, {89, inf}, {1e30, inf},
		{math.Float32frombits(0xc2aeac50), 0}, // just below ln(FLT_MIN)
	}
	for _, impl := range []struct {
		name string
		f    func(dst, src []float32)
	}{{"ExpF32", ExpF32}, {"expF32Go", expF32Go}} {
		for _, c := range cases {
			for _, n := range []int{1, 17, 70} { // vector body and masked tail
				src := make([]float32, n)
				for i := range src {
					src[i] = c.x
				}
				dst := make([]float32, n)
				impl.f(dst, src)
				for i, v := range dst {
					if v != c.want {
						t.Fatalf("%s(%v)[%d of %d] = %v, want %v", impl.name, c.x, i, n, v, c.want)
					}
				}
			}
		}
		dst := []float32{0}
		impl.f(dst, []float32{nan})
		if dst[0] == dst[0] {
			t.Fatalf("%s(NaN) = %v", impl.name, dst[0])
		}
		// near the thresholds: results are 0 or normal, never denormal, and
		// never Inf below ln(FLT_MAX)
		src := make([]float32, 0, 400)
		for b := math.Float32bits(-87.3); b <= math.Float32bits(-87.4); b++ {
			src = append(src, math.Float32frombits(b))
		}
		for x := float32(88.7); x < 88.7229; x = math.Nextafter32(x, 100) {
			src = append(src, x)
		}
		out := make([]float32, len(src))
		impl.f(out, src)
		for i, v := range out {
			if v != 0 && v < 0x1p-126 {
				t.Fatalf("%s(%v) = %v is denormal", impl.name, src[i], v)
			}
			if w := math.Exp(float64(src[i])); v != 0 && !math.IsInf(float64(v), 1) && math.Abs(float64(v)-w)/w > 2e-7 {
				t.Fatalf("%s(%v) = %v, want %v", impl.name, src[i], v, w)
			}
			if src[i] < 88.72 && math.IsInf(float64(v), 1) {
				t.Fatalf("%s(%v) = +Inf", impl.name, src[i])
			}
		}
	}
}

func TestExpF32LengthsAndAlias(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 200; n++ {
		src := make([]float32, n+1)
		for i := range src {
			src[i] = float32(rng.Float64()*40 - 20)
		}
		sentinel := float32(-12345)
		dst := make([]float32, n+1)
		dst[n] = sentinel
		ExpF32(dst, src[:n])
		if dst[n] != sentinel {
			t.Fatalf("n=%d: wrote past len(src)", n)
		}
		want := make([]float32, n)
		expF32Go(want, src[:n])
		for i := range want {
			if ulpDiff(dst[i], want[i]) > 2 {
				t.Fatalf("n=%d i=%d: %v vs %v", n, i, dst[i], want[i])
			}
		}
		ExpF32(src[:n], src[:n]) // in place
		for i := range want {
			if src[i] != dst[i] {
				t.Fatalf("n=%d i=%d: in place %v, out of place %v", n, i, src[i], dst[i])
			}
		}
	}
}

var benchShapes = []struct {
	name    string
	m, n, k int
	transB  bool
}{
	{"cube64", 64, 64, 64, false},
	{"cube256", 256, 256, 256, false},
	{"cube384", 384, 384, 384, false},
	{"cube1024", 1024, 1024, 1024, false},
	{"cube1024T", 1024, 1024, 1024, true},
	{"proj256x1152x384T", 256, 1152, 384, true},
	{"qk64x256x64T", 64, 256, 64, true},
	{"pv64x64x256", 64, 64, 256, false},
}

func benchGemm[T floatT](b *testing.B, f gemmFunc[T]) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(7, 8))
			a := make([]T, s.m*s.k)
			bb := make([]T, s.k*s.n)
			c := make([]T, s.m*s.n)
			for i := range a {
				a[i] = T(rng.Float64())
			}
			for i := range bb {
				bb[i] = T(rng.Float64())
			}
			ldb := s.n
			if s.transB {
				ldb = s.k
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			cpu0 := threadCPU()
			for b.Loop() {
				f(s.transB, s.m, s.n, s.k, a, s.k, bb, ldb, c, s.n, false)
			}
			flop := 2 * float64(s.m*s.n*s.k) * float64(b.N)
			b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOPS")
			if cpu := threadCPU() - cpu0; cpu > 0 {
				b.ReportMetric(flop/cpu/1e9, "cpuGFLOPS")
			}
		})
	}
}

func BenchmarkSgemm(b *testing.B)   { benchGemm(b, Sgemm) }
func BenchmarkDgemm(b *testing.B)   { benchGemm(b, Dgemm) }
func BenchmarkSgemmGo(b *testing.B) { benchGemm(b, gemmGo[float32]) }

func BenchmarkExpF32(b *testing.B) {
	for _, n := range []int{256, 4096} {
		for _, impl := range []struct {
			name string
			f    func(dst, src []float32)
		}{{"ExpF32", ExpF32}, {"go", expF32Go}, {"mathExp", expF32Ref}} {
			b.Run(fmt.Sprintf("%s/n=%d", impl.name, n), func(b *testing.B) { benchExp(b, impl.f, n) })
		}
	}
}

func benchExp(b *testing.B, f func(dst, src []float32), n int) {
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i%200) * -0.1
	}
	dst := make([]float32, n)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.SetBytes(int64(4 * n))
	cpu0 := threadCPU()
	for b.Loop() {
		f(dst, src)
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/float64(n), "ns/elem")
	if cpu := threadCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu*1e9/float64(b.N)/float64(n), "cpu-ns/elem")
	}
}

// TestGemmConcurrent: concurrent calls of different sizes share the scratch
// pool; each must still match the reference.
func TestGemmConcurrent(t *testing.T) {
	shapes := [][3]int{{70, 90, 300}, {5, 600, 33}, {257, 40, 17}, {64, 256, 64}}
	done := make(chan string, 4*len(shapes))
	for g := 0; g < 4; g++ {
		for si, s := range shapes {
			go func(seed uint64, m, n, k int) {
				rng := rand.New(rand.NewPCG(seed, 1))
				a := make([]float32, m*k)
				b := make([]float32, n*k)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				for i := range b {
					b[i] = float32(rng.NormFloat64())
				}
				got := make([]float32, m*n)
				want := make([]float32, m*n)
				sgemmRef(true, m, n, k, a, k, b, k, want, n, false)
				for rep := 0; rep < 5; rep++ {
					Sgemm(true, m, n, k, a, k, b, k, got, n, false)
					for i := range got {
						if d := math.Abs(float64(got[i] - want[i])); d > 1e-3 {
							done <- fmt.Sprintf("%dx%dx%d: C[%d] = %v, want %v", m, n, k, i, got[i], want[i])
							return
						}
					}
				}
				done <- ""
			}(uint64(10*g+si), s[0], s[1], s[2])
		}
	}
	for i := 0; i < 4*len(shapes); i++ {
		if msg := <-done; msg != "" {
			t.Fatal(msg)
		}
	}
}

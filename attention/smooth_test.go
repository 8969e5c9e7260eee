package attention

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

func TestNewSmootherValidation(t *testing.T) {
	ok := SmoothParams{Sigma: 2, Truncate: 4, Radius: -1}
	tests := []struct {
		name string
		edit func(p *SmoothParams)
		want string // substring of the error; "" means valid
	}{
		{"defaults", func(p *SmoothParams) {}, ""},
		{"explicit radius without truncate", func(p *SmoothParams) { p.Radius, p.Truncate = 3, 0 }, ""},
		{"radius zero", func(p *SmoothParams) { p.Radius = 0 }, ""},
		{"all modes", func(p *SmoothParams) { p.Mode = "wrap" }, ""},
		{"interpolate", func(p *SmoothParams) { p.NaN = "interpolate" }, ""},
		{"bandwidth", func(p *SmoothParams) { p.Bandwidth, p.Sigma = 90, 0 }, ""},
		{"zero sigma", func(p *SmoothParams) { p.Sigma = 0 }, "sigma"},
		{"negative sigma", func(p *SmoothParams) { p.Sigma = -1 }, "sigma"},
		{"NaN sigma", func(p *SmoothParams) { p.Sigma = math.NaN() }, "sigma"},
		{"inf sigma", func(p *SmoothParams) { p.Sigma = math.Inf(1) }, "sigma"},
		{"negative radius", func(p *SmoothParams) { p.Radius = -2 }, "radius"},
		{"zero truncate", func(p *SmoothParams) { p.Truncate = 0 }, "truncate"},
		{"negative truncate", func(p *SmoothParams) { p.Truncate = -4 }, "truncate"},
		{"huge radius", func(p *SmoothParams) { p.Sigma = 1e300 }, "radius"},
		{"unknown mode", func(p *SmoothParams) { p.Mode = "symmetric" }, "reflect (default), nearest, mirror, constant, wrap"},
		{"unknown nan policy", func(p *SmoothParams) { p.NaN = "omit" }, "propagate (default), interpolate"},
		{"order 3", func(p *SmoothParams) { p.Order = 3 }, "allowed are 0, 1, 2"},
		{"order -1", func(p *SmoothParams) { p.Order = -1 }, "allowed are 0, 1, 2"},
		{"order with bandwidth", func(p *SmoothParams) { p.Bandwidth, p.Order = 5, 1 }, "bandwidth"},
		{"order with interpolate", func(p *SmoothParams) { p.NaN, p.Order = "interpolate", 2 }, "interpolate"},
		{"negative bandwidth", func(p *SmoothParams) { p.Bandwidth = -1 }, "bandwidth"},
		{"NaN bandwidth", func(p *SmoothParams) { p.Bandwidth = math.NaN() }, "bandwidth"},
		{"bandwidth without truncate", func(p *SmoothParams) { p.Bandwidth, p.Truncate = 5, 0 }, "truncate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.edit(&p)
			s, err := NewSmoother(p)
			if tt.want == "" {
				if err != nil || s == nil {
					t.Fatalf("NewSmoother(%+v) = %v", p, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewSmoother(%+v) accepted, want error about %q", p, tt.want)
			}
			if !errors.Is(err, ErrInvalidParams) {
				t.Errorf("error %v does not wrap ErrInvalidParams", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestRadiusRule(t *testing.T) {
	for _, tt := range []struct {
		sigma, truncate float64
		radius, want    int
	}{
		{0.625, 4, -1, 3}, {0.124, 4, -1, 0}, {3, 4, -1, 12}, {50, 4, -1, 200}, {2.5, 1, -1, 3},
		{1, 4, 7, 7}, {1, 0, 0, 0},
	} {
		s, err := NewSmoother(SmoothParams{Sigma: tt.sigma, Truncate: tt.truncate, Radius: tt.radius})
		if err != nil {
			t.Fatal(err)
		}
		if s.Radius() != tt.want {
			t.Errorf("sigma %v truncate %v radius %d: Radius() = %d, want %d", tt.sigma, tt.truncate, tt.radius, s.Radius(), tt.want)
		}
	}
}

func TestPairwiseSumMatchesNumpyShape(t *testing.T) {
	// Exact values where summation order is visible: the result must equal
	// numpy's pairwise order, not a left-to-right sum.
	for _, n := range []int{1, 7, 8, 9, 16, 127, 128, 129, 200, 1000} {
		a := make([]float64, n)
		for i := range a {
			a[i] = 1 + float64(i)*0x1p-40
		}
		a[0] = 0x1p60
		got := pairwiseSum(a)
		want := numpyPairwise(a)
		if got != want {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
	}
}

// numpyPairwise is a direct transcription of numpy's pairwise_sum_DOUBLE.
func numpyPairwise(a []float64) float64 {
	n := len(a)
	if n < 8 {
		res := 0.0
		for i := 0; i < n; i++ {
			res += a[i]
		}
		return res
	}
	if n <= 128 {
		r := [8]float64{a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]}
		var i int
		for i = 8; i < n-(n%8); i += 8 {
			r[0] += a[i+0]
			r[1] += a[i+1]
			r[2] += a[i+2]
			r[3] += a[i+3]
			r[4] += a[i+4]
			r[5] += a[i+5]
			r[6] += a[i+6]
			r[7] += a[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	}
	n2 := n / 2
	n2 -= n2 % 8
	return numpyPairwise(a[:n2]) + numpyPairwise(a[n2:])
}

// refSource maps an index of the unbounded line to a sample (or cval),
// written independently of Smoother.pad.
func refSource(x []float64, i int, mode string, cval float64) float64 {
	n := len(x)
	if i >= 0 && i < n {
		return x[i]
	}
	switch mode {
	case "", "reflect":
		for i < 0 || i >= n {
			if i < 0 {
				i = -i - 1
			} else {
				i = 2*n - 1 - i
			}
		}
	case "mirror":
		if n == 1 {
			return x[0]
		}
		for i < 0 || i >= n {
			if i < 0 {
				i = -i
			} else {
				i = 2*n - 2 - i
			}
		}
	case "nearest":
		i = min(max(i, 0), n-1)
	case "wrap":
		i = ((i % n) + n) % n
	default:
		return cval
	}
	return x[i]
}

// refSmooth is the one-output-at-a-time scalar reference: scipy's loop with
// the boundary resolved per tap, and the normalized convolution where the
// window has a NaN under "interpolate".
func refSmooth(s *Smoother, x []float64) []float64 {
	n, r, w := len(x), s.r, s.w
	p := s.p
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		at := func(k int) float64 { return refSource(x, k, p.Mode, p.Cval) }
		a := float64(at(i) * w[0])
		for j := r; j >= 1; j-- {
			if s.odd {
				a += float64((at(i-j) - at(i+j)) * w[j])
			} else {
				a += float64((at(i-j) + at(i+j)) * w[j])
			}
		}
		y[i] = a
		if !s.interpolate {
			continue
		}
		hasNaN := false
		for k := i - r; k <= i+r; k++ {
			if math.IsNaN(at(k)) {
				hasNaN = true
			}
		}
		if !hasNaN {
			continue
		}
		z := func(k int) (float64, float64) {
			if v := at(k); !math.IsNaN(v) {
				return v, 1
			}
			return 0, 0
		}
		x0, m0 := z(i)
		num, den := float64(x0*w[0]), float64(m0*w[0])
		for j := r; j >= 1; j-- {
			xl, ml := z(i - j)
			xh, mh := z(i + j)
			num += float64((xl + xh) * w[j])
			den += float64((ml + mh) * w[j])
		}
		if den == 0 {
			y[i] = math.NaN()
		} else {
			y[i] = num / den
		}
	}
	return y
}

func sameFloat(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || a != a && b != b
}

// TestSmoothFastPathMatchesScalar checks the padded, 8-wide path against the
// scalar reference bit for bit on random sizes, radii, modes, NaN and Inf,
// and d > 1 against per-channel calls.
func TestSmoothFastPathMatchesScalar(t *testing.T) {
	checkFastPath(t, 1)
}

func checkFastPath(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	modes := []string{"reflect", "nearest", "mirror", "constant", "wrap"}
	for iter := 0; iter < 400; iter++ {
		n := 1 + rng.IntN(90)
		if iter%8 == 0 {
			n = 1 + rng.IntN(300)
		}
		d := 1 + rng.IntN(3)
		if iter%5 == 2 {
			d = 8 + rng.IntN(12) // full tiles of 8 channels, and a partial one
		}
		long := iter%16 == 1 // long series, large radius: the interleaved kernel
		if long {
			n, d = 512+rng.IntN(2500), 1+rng.IntN(2)
		}
		p := SmoothParams{
			Sigma: 0.2 + rng.Float64()*10, Truncate: 4, Radius: -1,
			Mode: modes[rng.IntN(len(modes))], Cval: rng.NormFloat64(), Order: rng.IntN(3),
		}
		if rng.IntN(4) == 0 || long {
			p.Radius = rng.IntN(120)
		}
		if long && rng.IntN(2) == 0 {
			p.Radius = 24 + rng.IntN(200)
		}
		if p.Order == 0 && rng.IntN(2) == 0 {
			p.NaN = "interpolate"
		}
		s, err := NewSmoother(p)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, n*d)
		for i := range x {
			switch k := rng.IntN(40); {
			case k == 0:
				x[i] = math.NaN()
			case k == 1:
				x[i] = math.Inf(1 - 2*rng.IntN(2))
			case k < 4 && p.NaN == "interpolate":
				x[i] = math.NaN()
			default:
				x[i] = rng.NormFloat64() * 100
			}
		}
		got := make([]float64, n*d)
		s.Smooth64(got, x, n, d)
		got32 := make([]float32, n*d)
		x32 := make([]float32, n*d)
		for i, v := range x {
			x32[i] = float32(v)
		}
		s.Smooth32(got32, x32, n, d)
		for c := 0; c < d; c++ {
			col := make([]float64, n)
			col32 := make([]float64, n)
			for i := range col {
				col[i] = x[i*d+c]
				col32[i] = float64(x32[i*d+c])
			}
			want := refSmooth(s, col)
			want32 := refSmooth(s, col32)
			for i := range want {
				if !sameFloat(got[i*d+c], want[i]) {
					t.Fatalf("iter %d %+v n=%d d=%d: [%d,%d] fast %v, scalar %v", iter, p, n, d, i, c, got[i*d+c], want[i])
				}
				if g, w := got32[i*d+c], float32(want32[i]); g != w && !(g != g && w != w) {
					t.Fatalf("iter %d %+v: float32 [%d,%d] fast %v, scalar %v", iter, p, i, c, g, w)
				}
			}
		}
		// In place gives the same result.
		inplace := append([]float64(nil), x...)
		s.Smooth64(inplace, inplace, n, d)
		for i := range inplace {
			if !sameFloat(inplace[i], got[i]) {
				t.Fatalf("iter %d: in-place [%d] %v, out of place %v", iter, i, inplace[i], got[i])
			}
		}
	}
}

func TestSmoothEmptyAndShortBuffers(t *testing.T) {
	s, _ := NewSmoother(SmoothParams{Sigma: 1, Truncate: 4, Radius: -1})
	s.Smooth64(nil, nil, 0, 1)
	s.Smooth32(nil, nil, 0, 3)
	s.SmoothAt64(nil, nil, nil, 0, 1)
	defer func() {
		if recover() == nil {
			t.Error("short dst did not panic")
		}
	}()
	s.Smooth64(make([]float64, 3), make([]float64, 4), 4, 1)
}

func TestNadarayaWatsonProperties(t *testing.T) {
	s, err := NewSmoother(SmoothParams{Bandwidth: 10, Truncate: 4, Radius: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Constant input stays constant, wherever the samples are.
	ts := []int64{0, 1, 1, 7, 100, 101, 250, 1 << 40}
	x := []float64{3, 3, 3, 3, 3, 3, 3, 3}
	y := make([]float64, len(x))
	s.SmoothAt64(y, x, ts, len(x), 1)
	for i, v := range y {
		if math.Abs(v-3) > 1e-15 {
			t.Errorf("constant: y[%d] = %v", i, v)
		}
	}
	// An isolated sample (no neighbour within 4h) is returned unchanged.
	x = []float64{1, 2, 3, 4, 5, 6, 7, 8.5}
	s.SmoothAt64(y, x, ts, len(x), 1)
	if y[7] != 8.5 {
		t.Errorf("isolated sample: %v", y[7])
	}
	// Positional Smooth64 on a bandwidth smoother equals SmoothAt64 at 0..n-1.
	pos := []int64{0, 1, 2, 3, 4, 5, 6, 7}
	a, b := make([]float64, 8), make([]float64, 8)
	s.Smooth64(a, x, 8, 1)
	s.SmoothAt64(b, x, pos, 8, 1)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("positions: %v vs %v", a, b)
			break
		}
	}
	// Extreme timestamps do not overflow.
	ext := []int64{math.MinInt64, 0, math.MaxInt64}
	s.SmoothAt64(y[:3], []float64{1, 2, 3}, ext, 3, 1)
	if y[0] != 1 || y[1] != 2 || y[2] != 3 {
		t.Errorf("extreme timestamps: %v", y[:3])
	}
}

// TestSmootherConcurrent runs one Smoother from several goroutines (run
// with -race): results equal the sequential ones.
func TestSmootherConcurrent(t *testing.T) {
	s, err := NewSmoother(SmoothParams{Sigma: 3, Truncate: 4, Radius: -1, Mode: "mirror", NaN: "interpolate"})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := NewSmoother(SmoothParams{Bandwidth: 2.5, Truncate: 4, Radius: -1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d = 500, 2
	x := make([]float64, n*d)
	ts := make([]int64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	x[37] = math.NaN()
	for i := range ts {
		ts[i] = int64(i*3 + rng.IntN(3))
	}
	want := make([]float64, n*d)
	wantAt := make([]float64, n*d)
	s.Smooth64(want, x, n, d)
	nw.SmoothAt64(wantAt, x, ts, n, d)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			got := make([]float64, n*d)
			for k := 0; k < 20; k++ {
				m := n - (g*7+k)%50 // different sizes exercise buffer reuse
				s.Smooth64(got, x, m, d)
				if m == n {
					for i := range got {
						if !sameFloat(got[i], want[i]) {
							t.Errorf("goroutine %d: [%d] %v, want %v", g, i, got[i], want[i])
							return
						}
					}
				}
				nw.SmoothAt64(got, x, ts, n, d)
				for i := range got {
					if !sameFloat(got[i], wantAt[i]) {
						t.Errorf("goroutine %d: SmoothAt [%d] %v, want %v", g, i, got[i], wantAt[i])
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestSmoothDoesNotAllocate(t *testing.T) {
	if smoothRaceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	s, _ := NewSmoother(SmoothParams{Sigma: 3, Truncate: 4, Radius: -1})
	x := make([]float64, 4096*2)
	y := make([]float64, len(x))
	s.Smooth64(y, x, 4096, 2)
	if a := testing.AllocsPerRun(20, func() { s.Smooth64(y, x, 4096, 2) }); a > 0 {
		t.Errorf("Smooth64 allocates %.1f times per call in steady state", a)
	}
}

// benchmarkSmooth64 smooths one series of 50,000 values, into another
// slice or in place (as the pipeline does: its output slab is its input's).
func benchmarkSmooth64(b *testing.B, sigma float64, inPlace bool) {
	const n = 50000
	s, err := NewSmoother(SmoothParams{Sigma: sigma, Truncate: 4, Radius: -1})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	y := make([]float64, n)
	if inPlace {
		y = x
	}
	b.SetBytes(8 * n)
	iters := 0
	for b.Loop() {
		s.Smooth64(y, x, n, 1)
		iters++
	}
	b.ReportMetric(float64(n)*float64(iters)/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkSmooth64 smooths one float64 series of 50,000 values; the
// product benchmark is 200 of them (compare scripts/gaussian/bench_scipy.py),
// which the 200x50000 sub-benchmarks time directly on one goroutine.
func BenchmarkSmooth64(b *testing.B) {
	b.Run("sigma=3", func(b *testing.B) { benchmarkSmooth64(b, 3, false) })
	b.Run("sigma=50", func(b *testing.B) { benchmarkSmooth64(b, 50, false) })
	b.Run("inplace/sigma=3", func(b *testing.B) { benchmarkSmooth64(b, 3, true) })
	b.Run("inplace/sigma=50", func(b *testing.B) { benchmarkSmooth64(b, 50, true) })
	b.Run("200x50000/sigma=3", func(b *testing.B) { benchmarkSmooth64Batch(b, 3) })
	b.Run("200x50000/sigma=50", func(b *testing.B) { benchmarkSmooth64Batch(b, 50) })
}

func benchmarkSmooth64Batch(b *testing.B, sigma float64) {
	const series, n = 200, 50000
	s, err := NewSmoother(SmoothParams{Sigma: sigma, Truncate: 4, Radius: -1})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, series*n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	y := make([]float64, series*n)
	b.SetBytes(8 * series * n)
	iters := 0
	for b.Loop() {
		for k := 0; k < series; k++ {
			s.Smooth64(y[k*n:(k+1)*n], x[k*n:(k+1)*n], n, 1)
		}
		iters++
	}
	b.ReportMetric(float64(series*n)*float64(iters)/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkSmooth32 is the float32 path (n = 50,000, sigma 3), and d = 384
// channels (n = 512) as for token embeddings.
func BenchmarkSmooth32(b *testing.B) {
	for _, c := range []struct{ n, d int }{{50000, 1}, {512, 384}} {
		b.Run(fmt.Sprintf("n=%d/d=%d", c.n, c.d), func(b *testing.B) {
			s, _ := NewSmoother(SmoothParams{Sigma: 3, Truncate: 4, Radius: -1})
			x := make([]float32, c.n*c.d)
			for i := range x {
				x[i] = float32(i%97) * 0.25
			}
			y := make([]float32, len(x))
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				s.Smooth32(y, x, c.n, c.d)
			}
		})
	}
}

// BenchmarkSmoothAt64 is Nadaraya–Watson over 50,000 irregular timestamps
// with about 20 samples per bandwidth (window of 8h: about 160 samples).
func BenchmarkSmoothAt64(b *testing.B) {
	const n = 50000
	s, _ := NewSmoother(SmoothParams{Bandwidth: 100, Truncate: 4, Radius: -1})
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float64, n)
	ts := make([]int64, n)
	var t int64
	for i := range x {
		x[i] = rng.NormFloat64()
		t += int64(rng.IntN(10))
		ts[i] = t
	}
	y := make([]float64, n)
	for b.Loop() {
		s.SmoothAt64(y, x, ts, n, 1)
	}
}

// TestNadarayaWatsonBandCache checks that reusing cached kernel values gives
// the same bits as computing every pair, with the cache off, tiny (rows
// dropped and compacted) and default.
func TestNadarayaWatsonBandCache(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	saved := nwBandLimit
	defer func() { nwBandLimit = saved }()
	for iter := 0; iter < 30; iter++ {
		n, d := 1+rng.IntN(400), 1+rng.IntN(2)
		ts := make([]int64, n)
		var tt int64
		for i := range ts {
			if rng.IntN(10) > 0 {
				tt += int64(rng.IntN(20))
			}
			if rng.IntN(50) == 0 {
				tt += 1000
			}
			ts[i] = tt
		}
		x := make([]float64, n*d)
		for i := range x {
			x[i] = rng.NormFloat64()
			if rng.IntN(30) == 0 {
				x[i] = math.NaN()
			}
		}
		p := SmoothParams{Bandwidth: 1 + rng.Float64()*30, Truncate: 1 + rng.Float64()*6, Radius: -1}
		if rng.IntN(2) == 0 {
			p.NaN = "interpolate"
		}
		s, err := NewSmoother(p)
		if err != nil {
			t.Fatal(err)
		}
		var ref []float64
		for _, limit := range []int{0, 7, 300, saved} {
			nwBandLimit = limit
			got := make([]float64, n*d)
			s.SmoothAt64(got, x, ts, n, d)
			if ref == nil {
				ref = got
				continue
			}
			for i := range got {
				if !sameFloat(got[i], ref[i]) {
					t.Fatalf("iter %d, band limit %d: [%d] %v, uncached %v", iter, limit, i, got[i], ref[i])
				}
			}
		}
	}
}

// TestSmoothAtFloatTimes: float times give the integer-time result when
// both describe the same instants (times/4 with the bandwidth/4 keeps every
// kernel argument exact), unsorted times included.
func TestSmoothAtFloatTimes(t *testing.T) {
	ti := []int64{0, 3, 7, 8, 15, 16, 30, 2}
	tf := make([]float64, len(ti))
	for i, v := range ti {
		tf[i] = float64(v) / 4
	}
	x := []float64{1, 2, -1, 4, 0.5, 3, 2, 7}
	for _, nan := range []string{"propagate", "interpolate"} {
		si, err := NewSmoother(SmoothParams{Sigma: 1, Truncate: 4, Radius: -1, Mode: "reflect", NaN: nan, Bandwidth: 2})
		if err != nil {
			t.Fatal(err)
		}
		sf, err := NewSmoother(SmoothParams{Sigma: 1, Truncate: 4, Radius: -1, Mode: "reflect", NaN: nan, Bandwidth: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		want, got := make([]float64, len(x)), make([]float64, len(x))
		si.SmoothAt64(want, x, ti, len(x), 1)
		sf.SmoothAtFloat64(got, x, tf, len(x), 1)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: float times %v, integer times %v", nan, got, want)
			}
		}
		x32, got32 := make([]float32, len(x)), make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
		}
		sf.SmoothAtFloat32(got32, x32, tf, len(x), 1)
		for i := range want {
			if got32[i] != float32(want[i]) {
				t.Fatalf("%s: float32 %v, want %v", nan, got32, want)
			}
		}
	}
}

package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpShiftSumF32: every element equals a subtraction followed by ExpF32
// (bit for bit), is within 2e-7 of math.Exp (the documented ExpF32 bound),
// the sum is within the documented bound of a float64 sum, nothing past
// len(src) is written, and in-place works; for lengths 0..300 and a long
// sweep.
func TestExpShiftSumF32(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	lengths := []int{}
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 4096+7, 1<<16)
	for _, n := range lengths {
		src := make([]float32, n+1)
		for i := range src {
			src[i] = float32(rng.Float64()*60 - 40)
		}
		shift := float32(rng.Float64()*20 - 5)
		sentinel := float32(-12345)
		dst := make([]float32, n+1)
		dst[n] = sentinel
		sum := ExpShiftSumF32(dst, src[:n], shift)
		if dst[n] != sentinel {
			t.Fatalf("n=%d: wrote past len(src)", n)
		}
		want := make([]float32, n)
		for i := range want {
			want[i] = src[i] - shift
		}
		ExpF32(want, want)
		var ref float64
		for i := range want {
			if dst[i] != want[i] {
				t.Fatalf("n=%d i=%d: exp(%v - %v) = %v, subtract+ExpF32 %v", n, i, src[i], shift, dst[i], want[i])
			}
			w := math.Exp(float64(src[i] - shift))
			if w > 1e-37 && math.Abs(float64(dst[i])-w)/w > 2e-7 {
				t.Fatalf("n=%d i=%d: exp(%v) = %v, math.Exp %v", n, i, src[i]-shift, dst[i], w)
			}
			ref += float64(dst[i])
		}
		bound := (float64(n)/32 + 16) * 0x1p-24 * ref
		if d := math.Abs(float64(sum) - ref); d > bound {
			t.Fatalf("n=%d: sum %v, float64 sum %v (|Δ| %.3g > %.3g)", n, sum, ref, d, bound)
		}
		goDst := make([]float32, n)
		goSum := expShiftSumF32Go(goDst, src[:n], shift)
		for i := range goDst {
			if ulpDiff(goDst[i], dst[i]) > 2 {
				t.Fatalf("n=%d i=%d: Go %v, %s %v", n, i, goDst[i], Impl(), dst[i])
			}
		}
		if d := math.Abs(float64(goSum) - ref); d > bound {
			t.Fatalf("n=%d: Go sum %v, float64 sum %v", n, goSum, ref)
		}
		inPlace := append([]float32(nil), src[:n]...)
		if s := ExpShiftSumF32(inPlace, inPlace, shift); s != sum {
			t.Fatalf("n=%d: in place sum %v, out of place %v", n, s, sum)
		}
		for i := range inPlace {
			if inPlace[i] != dst[i] {
				t.Fatalf("n=%d i=%d: in place %v, out of place %v", n, i, inPlace[i], dst[i])
			}
		}
	}
}

func TestExpShiftSumF32Special(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, n := range []int{1, 5, 16, 17, 64, 70} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i % 7)
		}
		src[n-1] = float32(math.Inf(-1))
		dst := make([]float32, n)
		sum := ExpShiftSumF32(dst, src, 6)
		if dst[n-1] != 0 {
			t.Fatalf("n=%d: exp(-Inf) = %v", n, dst[n-1])
		}
		if math.IsNaN(float64(sum)) || math.IsInf(float64(sum), 0) {
			t.Fatalf("n=%d: sum %v", n, sum)
		}
		src[0] = nan
		if s := ExpShiftSumF32(dst, src, 6); !math.IsNaN(float64(s)) || !math.IsNaN(float64(dst[0])) {
			t.Fatalf("n=%d: NaN input gave %v, sum %v", n, dst[0], s)
		}
		src[0] = 200
		if s := ExpShiftSumF32(dst, src, 6); dst[0] != inf || s != inf {
			t.Fatalf("n=%d: overflow gave %v, sum %v", n, dst[0], s)
		}
	}
	if s := ExpShiftSumF32(nil, nil, 1); s != 0 {
		t.Fatalf("empty: %v", s)
	}
}

func TestMaxF32(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	if m := MaxF32(nil); !math.IsInf(float64(m), -1) {
		t.Fatalf("empty: %v", m)
	}
	for n := 1; n <= 300; n++ {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.Float64()*100 - 80)
		}
		for _, at := range []int{0, n / 2, n - 1, rng.IntN(n)} {
			c := append([]float32(nil), s...)
			c[at] = 50
			if m := MaxF32(c); m != 50 {
				t.Fatalf("n=%d max at %d: got %v", n, at, m)
			}
			c[(at+1)%n] = float32(math.NaN()) // skipped
			if m := MaxF32(c); n > 1 && m != 50 {
				t.Fatalf("n=%d with a NaN: got %v", n, m)
			}
			if m, g := MaxF32(c), maxF32Go(c); m != g && n > 1 {
				t.Fatalf("n=%d: %v vs Go %v", n, m, g)
			}
		}
	}
}

// MaxF64 finds the largest element wherever it is, NaN elements (the
// first included) skipped, -Inf for none.
func TestMaxF64(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(-1)
	for _, tc := range []struct {
		name string
		s    []float64
		want float64
	}{
		{"empty", nil, inf},
		{"NaN only", []float64{nan, nan}, inf},
		{"first", []float64{9, 1, 2, 3, 4, 5}, 9},
		{"last, past the unrolled loop", []float64{1, 2, 3, 4, 5, 9}, 9},
		{"in the second lane", []float64{1, 9, 3, 4, 5, 6, 7, 8}, 9},
		{"NaN first", []float64{nan, 1, 7, 3, -2}, 7},
		{"NaN last", []float64{1, 7, 3, -2, nan}, 7},
		{"negative", []float64{-5, -3, -9, -4}, -3},
		{"infinite", []float64{-2, math.Inf(1), 3}, math.Inf(1)},
	} {
		if got := MaxF64(tc.s); got != tc.want {
			t.Errorf("%s: MaxF64(%v) = %v, want %v", tc.name, tc.s, got, tc.want)
		}
	}
}

func BenchmarkExpShiftSumF32(b *testing.B) {
	src := make([]float32, 256)
	for i := range src {
		src[i] = float32(i%37) - 30
	}
	dst := make([]float32, len(src))
	b.SetBytes(int64(4 * len(src)))
	for i := 0; i < b.N; i++ {
		ExpShiftSumF32(dst, src, 7)
	}
}

func BenchmarkMaxF32(b *testing.B) {
	src := make([]float32, 256)
	for i := range src {
		src[i] = float32(i%37) - 30
	}
	b.SetBytes(int64(4 * len(src)))
	for i := 0; i < b.N; i++ {
		MaxF32(src)
	}
}

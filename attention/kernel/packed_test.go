package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sgemmPackedWhole is Sgemm through PackB + SgemmPacked.
func sgemmPackedWhole(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	SgemmPacked(m, a, lda, PackB(transB, n, k, b, ldb), c, ldc, acc)
}

// sgemmPackedView embeds op(B) at (p0, j0) in a larger random matrix, packs
// that, and multiplies by the Sub view: the offsets cross depth blocks
// (kc = 256) and column panels.
func sgemmPackedView(rng *rand.Rand) gemmFunc[float32] {
	return func(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
		p0 := rng.IntN(300)
		j0 := PackAlign * rng.IntN(3)
		K, N := p0+k+rng.IntN(40), j0+n+rng.IntN(70)
		big := make([]float32, K*N) // op(B) row-major, K×N
		for i := range big {
			big[i] = float32(rng.Float64()*2 - 1)
		}
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				if transB {
					big[(p0+p)*N+j0+j] = b[j*ldb+p]
				} else {
					big[(p0+p)*N+j0+j] = b[p*ldb+j]
				}
			}
		}
		var pb *PackedB
		if transB { // store it n-major again: Bᵀ is N×K
			bt := make([]float32, N*K)
			for p := 0; p < K; p++ {
				for j := 0; j < N; j++ {
					bt[j*K+p] = big[p*N+j]
				}
			}
			pb = PackB(true, N, K, bt, K)
		} else {
			pb = PackB(false, N, K, big, N)
		}
		v := pb.Sub(p0, p0+k, j0, j0+n)
		if v.K() != k || v.N() != n {
			panic("Sub: wrong shape")
		}
		SgemmPacked(m, a, lda, &v, c, ldc, acc)
	}
}

func TestSgemmPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	view := sgemmPackedView(rng)
	dims := []int{1, 2, 7, 14, 15, 17, 31, 32, 33, 64, 65}
	for _, transB := range []bool{false, true} {
		for _, m := range dims {
			for _, n := range dims {
				for _, k := range []int{1, 3, 16, 33, 64, 255, 256, 257, 300} {
					acc := rng.IntN(2) == 0
					pad := rng.IntN(3)
					gemmCase(t, "SgemmPacked", sgemmPackedWhole, sgemmRef, rng, transB, m, n, k, pad, acc)
					gemmCase(t, "SgemmPacked view", view, sgemmRef, rng, transB, m, n, k, pad, acc)
				}
			}
		}
	}
	for _, s := range [][3]int{{257, 129, 300}, {29, 2100, 17}, {200, 70, 600}, {3, 2200, 520}} {
		for _, transB := range []bool{false, true} {
			gemmCase(t, "SgemmPacked", sgemmPackedWhole, sgemmRef, rng, transB, s[0], s[1], s[2], 1, true)
			gemmCase(t, "SgemmPacked view", view, sgemmRef, rng, transB, s[0], s[1], s[2], 0, false)
		}
	}
}

// TestSgemmPackedRowA: reading A in place gives SgemmPacked's bits, for
// every row count of the micro-kernels (1..14 and more), k tails, views
// that cross depth blocks, row strides larger than k, and a C that ends
// with the last tile.
func TestSgemmPackedRowA(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	rand32 := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.Float64()*2 - 1)
		}
		return v
	}
	for _, transB := range []bool{false, true} {
		for m := 1; m <= 45; m += 1 + m/8 {
			for _, n := range []int{1, 31, 32, 33, 64, 100} {
				for _, k := range []int{1, 3, 4, 5, 16, 64, 255, 257, 520} {
					lda := k + rng.IntN(3)*rng.IntN(40)
					a := rand32((m-1)*lda + k) // ends at A's last element
					p0 := rng.IntN(2) * (200 + rng.IntN(100))
					K, N := p0+k, n+rng.IntN(40)
					var pb *PackedB
					if transB {
						pb = PackB(true, N, K, rand32(N*K), K)
					} else {
						pb = PackB(false, N, K, rand32(K*N), N)
					}
					v := pb.Sub(p0, p0+k, 0, n)
					acc := rng.IntN(2) == 0
					ldc := n + rng.IntN(2)*7
					c0 := rand32((m-1)*ldc + n)
					want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
					SgemmPacked(m, a, lda, &v, want, ldc, acc)
					SgemmPackedRowA(m, a, lda, &v, got, ldc, acc)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("transB=%v m=%d n=%d k=%d lda=%d p0=%d acc=%v: C[%d] = %v, SgemmPacked %v", transB, m, n, k, lda, p0, acc, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestPackedBRepack: Pack reuses the storage, views see the new contents,
// k = 0 zeroes C, and bad views panic.
func TestPackedBRepack(t *testing.T) {
	b1 := []float32{1, 2, 3, 4, 5, 6} // 2×3
	b2 := []float32{6, 5, 4, 3, 2, 1}
	pb := PackB(false, 3, 2, b1, 3)
	a := []float32{1, 1}
	c := make([]float32, 3)
	SgemmPacked(1, a, 2, pb, c, 3, false)
	if c[0] != 5 || c[1] != 7 || c[2] != 9 {
		t.Fatalf("got %v", c)
	}
	v := pb.Sub(1, 2, 0, 3)
	pb.Pack(false, 3, 2, b2, 3)
	SgemmPacked(1, a[:1], 1, &v, c, 3, false)
	if c[0] != 3 || c[1] != 2 || c[2] != 1 {
		t.Fatalf("view after repack: got %v", c)
	}
	z := pb.Sub(0, 0, 0, 3)
	c[0] = 9
	SgemmPacked(1, a, 2, &z, c, 3, false)
	if c[0] != 0 {
		t.Fatalf("k = 0: got %v", c)
	}
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	big := PackB(true, 130, 4, make([]float32, 130*4), 4)
	mustPanic("unaligned", func() { big.Sub(0, 4, 1, 10) })
	mustPanic("out of range", func() { big.Sub(0, 5, 0, 10) })
	mustPanic("short B", func() { PackB(true, 130, 4, make([]float32, 100), 4) })
	mustPanic("short C", func() { SgemmPacked(2, make([]float32, 8), 4, big, make([]float32, 200), 130, false) })
	_ = big.Sub(0, 4, 128, 130)
}

func TestSgemmPackedNoAlloc(t *testing.T) {
	b := make([]float32, 256*384)
	pb := PackB(true, 256, 384, b, 384)
	a := make([]float32, 64*384)
	c := make([]float32, 64*256)
	SgemmPacked(64, a, 384, pb, c, 256, false)
	if n := testing.AllocsPerRun(10, func() {
		v := pb.Sub(0, 384, 64, 256)
		SgemmPacked(64, a, 384, &v, c, 256, false)
	}); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
}

func BenchmarkSgemmPacked(b *testing.B) {
	for _, s := range [][3]int{{256, 1152, 384}, {64, 256, 64}, {64, 64, 256}} {
		m, n, k := s[0], s[1], s[2]
		a := make([]float32, m*k)
		bb := make([]float32, n*k)
		c := make([]float32, m*n)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		for i := range bb {
			bb[i] = float32(i%5) - 2
		}
		pb := PackB(true, n, k, bb, k)
		b.Run("packed/"+shapeName(m, n, k), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				SgemmPacked(m, a, k, pb, c, n, false)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
		b.Run("sgemm/"+shapeName(m, n, k), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Sgemm(true, m, n, k, a, k, bb, k, c, n, false)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

func shapeName(m, n, k int) string { return fmt.Sprintf("%dx%dx%d", m, n, k) }

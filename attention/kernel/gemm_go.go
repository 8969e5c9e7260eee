package kernel

// Pure-Go GEMM used when no assembly path applies (purego builds, other
// architectures, CPUs without AVX-512, tiny problems). Register-blocked
// (2 rows of A × 4 outputs for transB, 4 rows of A for the axpy form) but
// scalar; it accumulates in T so float64 keeps full precision.

type floatT interface{ ~float32 | ~float64 }

func gemmGo[T floatT](transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	if transB {
		gemmGoT(m, n, k, a, lda, b, ldb, c, ldc, acc)
	} else {
		gemmGoN(m, n, k, a, lda, b, ldb, c, ldc, acc)
	}
}

// gemmGoT: C[i,j] = dot(A[i,:], B[j,:]), 2×4 outputs per pass over k.
func gemmGoT[T floatT](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool) {
	i := 0
	for ; i+2 <= m; i += 2 {
		a0 := a[i*lda : i*lda+k]
		a1 := a[(i+1)*lda : (i+1)*lda+k]
		c0 := c[i*ldc : i*ldc+n]
		c1 := c[(i+1)*ldc : (i+1)*ldc+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*ldb : j*ldb+k]
			b1 := b[(j+1)*ldb : (j+1)*ldb+k]
			b2 := b[(j+2)*ldb : (j+2)*ldb+k]
			b3 := b[(j+3)*ldb : (j+3)*ldb+k]
			var s00, s01, s02, s03, s10, s11, s12, s13 T
			for p := range a0 {
				x0, x1 := a0[p], a1[p]
				y0, y1, y2, y3 := b0[p], b1[p], b2[p], b3[p]
				s00 += x0 * y0
				s01 += x0 * y1
				s02 += x0 * y2
				s03 += x0 * y3
				s10 += x1 * y0
				s11 += x1 * y1
				s12 += x1 * y2
				s13 += x1 * y3
			}
			if acc {
				c0[j] += s00
				c0[j+1] += s01
				c0[j+2] += s02
				c0[j+3] += s03
				c1[j] += s10
				c1[j+1] += s11
				c1[j+2] += s12
				c1[j+3] += s13
			} else {
				c0[j], c0[j+1], c0[j+2], c0[j+3] = s00, s01, s02, s03
				c1[j], c1[j+1], c1[j+2], c1[j+3] = s10, s11, s12, s13
			}
		}
		for ; j < n; j++ {
			bj := b[j*ldb : j*ldb+k]
			var s0, s1 T
			for p := range a0 {
				s0 += a0[p] * bj[p]
				s1 += a1[p] * bj[p]
			}
			if acc {
				c0[j] += s0
				c1[j] += s1
			} else {
				c0[j], c1[j] = s0, s1
			}
		}
	}
	for ; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		ci := c[i*ldc : i*ldc+n]
		for j := range ci {
			bj := b[j*ldb : j*ldb+k]
			var s T
			for p, x := range ai {
				s += x * bj[p]
			}
			if acc {
				ci[j] += s
			} else {
				ci[j] = s
			}
		}
	}
}

// gemmGoN: C[i,:] (+)= Σ_p A[i,p]·B[p,:], 4 rows of C per pass over B.
func gemmGoN[T floatT](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool) {
	if !acc {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	i := 0
	for ; i+4 <= m; i += 4 {
		c0 := c[i*ldc : i*ldc+n]
		c1 := c[(i+1)*ldc : (i+1)*ldc+n]
		c2 := c[(i+2)*ldc : (i+2)*ldc+n]
		c3 := c[(i+3)*ldc : (i+3)*ldc+n]
		for p := 0; p < k; p++ {
			x0, x1, x2, x3 := a[i*lda+p], a[(i+1)*lda+p], a[(i+2)*lda+p], a[(i+3)*lda+p]
			bp := b[p*ldb : p*ldb+n]
			c0 := c0[:len(bp)]
			c1 := c1[:len(bp)]
			c2 := c2[:len(bp)]
			c3 := c3[:len(bp)]
			for j, y := range bp {
				c0[j] += x0 * y
				c1[j] += x1 * y
				c2[j] += x2 * y
				c3[j] += x3 * y
			}
		}
	}
	for ; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			x := a[i*lda+p]
			bp := b[p*ldb : p*ldb+n]
			ci := ci[:len(bp)]
			for j, y := range bp {
				ci[j] += x * y
			}
		}
	}
}

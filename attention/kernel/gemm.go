package kernel

// Sgemm computes C = A·op(B), or C += A·op(B) when acc is true, in float32.
//
// All matrices are row-major with explicit leading dimensions (row strides).
// A is m×k (lda >= k). When transB is false B is k×n (ldb >= n) and op(B) = B;
// when transB is true B is stored n×k (ldb >= k) and op(B) = Bᵀ, which is the
// shape of PyTorch weights ([out, in]) and of attention keys. C is m×n (ldc >= n).
func Sgemm(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	sgemm(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

// Dgemm is Sgemm in float64.
func Dgemm(transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool) {
	dgemmRef(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

// sgemmRef is the reference float32 GEMM: one float32 accumulator per output.
func sgemmRef(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		ci := c[i*ldc : i*ldc+n]
		for j := 0; j < n; j++ {
			var s float32
			if transB {
				bj := b[j*ldb : j*ldb+k]
				for p, av := range ai {
					s += av * bj[p]
				}
			} else {
				for p, av := range ai {
					s += av * b[p*ldb+j]
				}
			}
			if acc {
				ci[j] += s
			} else {
				ci[j] = s
			}
		}
	}
}

// dgemmRef is the reference float64 GEMM.
func dgemmRef(transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		ci := c[i*ldc : i*ldc+n]
		for j := 0; j < n; j++ {
			var s float64
			if transB {
				bj := b[j*ldb : j*ldb+k]
				for p, av := range ai {
					s += av * bj[p]
				}
			} else {
				for p, av := range ai {
					s += av * b[p*ldb+j]
				}
			}
			if acc {
				ci[j] += s
			} else {
				ci[j] = s
			}
		}
	}
}

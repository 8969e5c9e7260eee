package kernel

// Sgemm computes C = A·op(B), or C += A·op(B) when acc is true, in float32.
//
// All matrices are row-major with explicit leading dimensions (row strides).
// A is m×k (lda >= k). When transB is false B is k×n (ldb >= n) and op(B) = B;
// when transB is true B is stored n×k (ldb >= k) and op(B) = Bᵀ, which is the
// shape of PyTorch weights ([out, in]) and of attention keys. C is m×n (ldc >= n).
//
// k == 0 sets C to zero (or leaves it unchanged when acc). NaN and Inf
// propagate as in the reference loop. Results equal the reference within
// float32 rounding of a differently ordered sum: |Δ| <= ~k·2⁻²⁴·Σ|a||b|.
// Sgemm panics if a slice is too short for its shape and leading dimension.
// It runs on the calling goroutine and is safe for concurrent use.
func Sgemm(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	checkGemm(transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	sgemm(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

// Dgemm is Sgemm in float64 (float64 products and sums throughout).
func Dgemm(transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	checkGemm(transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	dgemm(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

// checkGemm panics unless every element the GEMM touches is inside its
// slice: the assembly kernels index through raw pointers.
func checkGemm(transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if k < 0 || lda < 0 || ldb < 0 || ldc < 0 {
		panic("kernel: negative k or leading dimension")
	}
	if (m-1)*ldc+n > lc {
		panic("kernel: C too short for m, n, ldc")
	}
	if k == 0 {
		return
	}
	if (m-1)*lda+k > la {
		panic("kernel: A too short for m, k, lda")
	}
	if transB {
		if (n-1)*ldb+k > lb {
			panic("kernel: B too short for n, k, ldb (transB)")
		}
	} else if (k-1)*ldb+n > lb {
		panic("kernel: B too short for k, n, ldb")
	}
}

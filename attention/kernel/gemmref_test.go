package kernel

// gemmRef is the reference GEMM the fast kernels are tested against: one
// accumulator of type T per output, summed in k order.
func gemmRef[T floatT](transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		ci := c[i*ldc : i*ldc+n]
		for j := 0; j < n; j++ {
			var s T
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

// sgemmRef and dgemmRef are the float32 and float64 references.
var (
	sgemmRef = gemmRef[float32]
	dgemmRef = gemmRef[float64]
)

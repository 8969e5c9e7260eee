package kernel

// The pure-Go dispatch: replaced by architecture-specific files when fast
// paths land.

func sgemm(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	sgemmRef(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

func expF32(dst, src []float32) { expF32Ref(dst, src) }

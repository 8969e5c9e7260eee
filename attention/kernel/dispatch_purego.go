//go:build purego || !amd64

package kernel

// The pure-Go dispatch: purego builds and architectures without assembly.

func sgemm(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	gemmGo(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

func dgemm(transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool) {
	gemmGo(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

func expF32(dst, src []float32) { expF32Go(dst, src) }

// Impl reports which implementation the kernels use.
func Impl() string { return "purego" }

func expShiftSumF32(dst, src []float32, shift float32) float32 {
	return expShiftSumF32Go(dst, src, shift)
}

func maxF32(s []float32) float32 { return maxF32Go(s) }

// packFast reports false: the pure-Go path keeps op(B) plain.
func packFast(st *packedStore, transB bool, b []float32, ldb int) bool { return false }

func sgemmPackedFast(m int, a []float32, lda int, pb *PackedB, c []float32, ldc int, acc, rowA bool) {
	panic("kernel: no packed layout in this build")
}

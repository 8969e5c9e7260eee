//go:build !purego

package attention

import "testing"

// TestSmoothVectorKernelsMatchScalar runs the fast-path check once per
// vector kernel the CPU has (the default prefers AVX-512).
func TestSmoothVectorKernelsMatchScalar(t *testing.T) {
	saved2, saved512 := smoothAVX2, smoothAVX512
	defer func() { smoothAVX2, smoothAVX512 = saved2, saved512 }()
	if saved2 {
		smoothAVX2, smoothAVX512 = true, false
		t.Run("avx2", func(t *testing.T) { checkFastPath(t, 11) })
	}
	if saved512 {
		smoothAVX2, smoothAVX512 = false, true
		t.Run("avx512", func(t *testing.T) { checkFastPath(t, 12) })
	}
	smoothAVX2, smoothAVX512 = false, false
	t.Run("go", func(t *testing.T) { checkFastPath(t, 13) })
}

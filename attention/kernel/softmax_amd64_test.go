//go:build !purego

package kernel

import (
	"math/rand/v2"
	"testing"
)

// TestNewKernelsWithoutAVX512 runs the ExpShiftSumF32, MaxF32 and PackedB
// tests with the AVX-512 paths switched off (the AVX2 and plain fallbacks
// this CPU would otherwise never take).
func TestNewKernelsWithoutAVX512(t *testing.T) {
	saved512, saved2 := hasAVX512, hasAVX2
	defer func() { hasAVX512, hasAVX2 = saved512, saved2 }()
	for _, avx2 := range []bool{saved2, false} {
		hasAVX512, hasAVX2 = false, avx2
		t.Run(Impl(), func(t *testing.T) {
			TestExpShiftSumF32(t)
			TestExpShiftSumF32Special(t)
			TestMaxF32(t)
			TestPackedBRepack(t)
			rng := rand.New(rand.NewPCG(13, 14))
			view := sgemmPackedView(rng)
			for _, s := range [][3]int{{1, 1, 1}, {17, 70, 33}, {64, 130, 300}, {3, 65, 257}} {
				for _, transB := range []bool{false, true} {
					gemmCase(t, "SgemmPacked", sgemmPackedWhole, sgemmRef, rng, transB, s[0], s[1], s[2], 1, true)
					gemmCase(t, "SgemmPacked view", view, sgemmRef, rng, transB, s[0], s[1], s[2], 0, false)
				}
			}
		})
	}
}

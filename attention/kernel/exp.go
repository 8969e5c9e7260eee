package kernel

import "math"

// ExpF32 sets dst[i] = exp(src[i]) for i < len(src). dst may alias src and
// must be at least as long. Inputs below -87.3 give 0; NaN gives NaN.
func ExpF32(dst, src []float32) {
	expF32(dst, src)
}

// expF32Ref is the reference exponential through math.Exp.
func expF32Ref(dst, src []float32) {
	for i, x := range src {
		dst[i] = float32(math.Exp(float64(x)))
	}
}

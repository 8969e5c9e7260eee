package attention

import (
	"math"

	"github.com/contextualize/contextualize/attention/kernel"
)

// float is the element type of the attention paths.
type float interface{ ~float32 | ~float64 }

// onlineSoftmaxRow folds one block of scores of a query row into the running
// softmax state of that row (flash attention's online softmax).
//
// s holds the row's scores for the keys of the block; only s[lo:hi] are
// allowed keys. On return s holds the unnormalised probabilities
// exp(s[j] - m) for the allowed keys and 0 elsewhere, ready to multiply the
// block's values. *m is the running maximum, *l the running sum of
// exp(score - m) over every allowed key seen so far. When the maximum moves
// up, the previous sum and acc (the row's accumulated Σ p·v) are rescaled by
// exp(old - new). A row with no allowed key in this block (lo >= hi) is set
// to zero and leaves the state alone.
func onlineSoftmaxRow[T float](s []T, lo, hi int, m *T, l *float64, acc []T, k *softmaxKernels[T]) {
	if lo >= hi {
		clear(s)
		return
	}
	seg := s[lo:hi]
	mx := k.max(seg)
	if mx > *m {
		if *l != 0 {
			alpha := math.Exp(float64(*m) - float64(mx))
			*l *= alpha
			a := T(alpha)
			for c := range acc {
				acc[c] *= a
			}
		}
		*m = mx
	}
	clear(s[:lo])
	clear(s[hi:])
	*l += k.expSum(seg, seg, *m)
}

// softmaxKernels are the vector kernels of the online softmax in one
// element type.
type softmaxKernels[T float] struct {
	// max returns the largest element of a non-empty slice (NaN skipped).
	max func(s []T) T
	// expSum sets dst[i] = exp(src[i] - shift) (the difference rounded to
	// T first) and returns their sum.
	expSum func(dst, src []T, shift T) float64
}

var softmax32 = softmaxKernels[float32]{
	max: kernel.MaxF32,
	expSum: func(dst, src []float32, shift float32) float64 {
		return float64(kernel.ExpShiftSumF32(dst, src, shift))
	},
}

var softmax64 = softmaxKernels[float64]{max: kernel.MaxF64, expSum: expShiftSumF64}

// expShiftSumF64 is the float64 exp(x - shift) and sum, through math.Exp.
func expShiftSumF64(dst, src []float64, shift float64) float64 {
	dst = dst[:len(src)]
	var sum float64
	for i, x := range src {
		e := math.Exp(x - shift)
		dst[i] = e
		sum += e
	}
	return sum
}

// softmaxInPlace replaces s with softmax(s), subtracting the maximum first.
// An empty slice is left alone; the result never holds NaN for finite input.
func softmaxInPlace(s []float64) {
	if len(s) == 0 {
		return
	}
	mx := s[0]
	for _, v := range s[1:] {
		if v > mx {
			mx = v
		}
	}
	var sum float64
	for j, v := range s {
		e := math.Exp(v - mx)
		s[j] = e
		sum += e
	}
	inv := 1 / sum
	for j := range s {
		s[j] *= inv
	}
}

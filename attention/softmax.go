package attention

import "math"

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
func onlineSoftmaxRow[T float](s []T, lo, hi int, m *T, l *float64, acc []T, exp func(dst, src []T)) {
	if lo >= hi {
		clear(s)
		return
	}
	seg := s[lo:hi]
	mx := seg[0]
	for _, v := range seg[1:] {
		if v > mx {
			mx = v
		}
	}
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
	cur := *m
	for j := range seg {
		seg[j] -= cur
	}
	exp(seg, seg)
	var sum float64
	for _, v := range seg {
		sum += float64(v)
	}
	*l += sum
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

// expF64 is the float64 exponential used by the float64 path.
func expF64(dst, src []float64) {
	for i, x := range src {
		dst[i] = math.Exp(x)
	}
}

package attention

import "math"

// maxRadius bounds the kernel half-width: a kernel longer than this would
// need more memory than any sequence this tool processes.
const maxRadius = 1 << 22

// gaussianRadius returns scipy's radius rule: int(truncate*sigma + 0.5),
// the float64 value truncated toward zero.
func gaussianRadius(sigma, truncate float64) float64 {
	return math.Trunc(truncate*sigma + 0.5)
}

// kernelExp is the exponential used for kernel weights: numpy's own on CPUs
// where numpy uses SVML (x86-64 with AVX-512), the correctly rounded one
// (what glibc's exp returns) elsewhere. Either way scipy's weights on the
// same machine are reproduced bit for bit in nearly all cases.
var kernelExp = expCorrect

// gaussianWeights returns the correlation weights scipy.ndimage.gaussian_filter1d
// uses for (sigma, order, radius), as coefficients by offset: c[0] is the
// centre weight and c[j], j = 1..r, the weight applied to the pair of samples
// at distance j, in the orientation of scipy's accumulation
//
//	y[i] = x[i]*c[0];  for j = r..1: y[i] += (x[i-j] ± x[i+j]) * c[j]
//
// with + for even orders and - for odd ones. It follows
// scipy.ndimage._filters._gaussian_kernel1d step by step: phi[k] = exp(c*k*k) (kernelExp)
// with c = -0.5/sigma², divided (not multiplied by a reciprocal) by numpy's
// pairwise sum of phi; order 1 multiplies by q(k) = k*(1/-sigma²), order 2 by
// q(k) = a + a²k² with a = 1/-sigma² (numpy evaluates that polynomial with
// a BLAS dot product, which rounds once: a fused multiply-add); scipy then reverses the kernel, so the
// pair weight c[j] is the kernel value at x = +j.
func gaussianWeights(sigma float64, order, r int) []float64 {
	sigma2 := sigma * sigma
	c := -0.5 / sigma2
	phi := make([]float64, 2*r+1)
	for k := 0; k <= r; k++ {
		v := 0.0 // exp underflows to 0 below -745.2 (and kernelExp agrees)
		if a := c * float64(k*k); a > -746 {
			v = kernelExp(a)
		}
		phi[r+k], phi[r-k] = v, v
	}
	sum := 0.0 + pairwiseSum(phi) // numpy reduces from its identity
	for i := range phi {
		phi[i] /= sum
	}
	a := 1 / -sigma2
	w := make([]float64, r+1)
	for j := 0; j <= r; j++ {
		p := phi[r+j]
		x := float64(j)
		switch order {
		case 0:
			w[j] = p
		case 1:
			w[j] = float64(x*a) * p
		case 2:
			w[j] = math.FMA(x*x, a*a, a) * p
		}
	}
	return w
}

// pairwiseSum is numpy's pairwise summation of float64 (pairwise_sum_DOUBLE):
// a plain loop below 8 terms, eight strided accumulators up to 128 terms,
// and a recursive split above, at n/2 rounded down to a multiple of 8.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := math.Copysign(0, -1)
		for _, v := range a {
			res += v
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for k := 0; k < 8; k++ {
				r[k] += a[i+k]
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

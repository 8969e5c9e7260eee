package picture

import "math"

// poolFactor is how many consecutive elements of a sequence of n share one
// plotted point so that at most maxPoints remain (1: no pooling).
func poolFactor(n, maxPoints int) int {
	if maxPoints <= 0 || n <= maxPoints {
		return 1
	}
	return (n + maxPoints - 1) / maxPoints
}

// poolMean averages each run of k consecutive values, skipping NaN; a run
// with no number gives NaN (a gap stays a gap).
func poolMean(v []float64, k int) []float64 {
	if k <= 1 {
		return v
	}
	out := make([]float64, 0, (len(v)+k-1)/k)
	for lo := 0; lo < len(v); lo += k {
		hi := min(lo+k, len(v))
		var sum float64
		var cnt int
		for _, x := range v[lo:hi] {
			if !math.IsNaN(x) {
				sum += x
				cnt++
			}
		}
		if cnt == 0 {
			out = append(out, math.NaN())
			continue
		}
		out = append(out, sum/float64(cnt))
	}
	return out
}

// poolExtremes are the smallest and largest number of each run of k
// consecutive values (NaN for a run with none).
func poolExtremes(v []float64, k int) (lo, hi []float64) {
	for start := 0; start < len(v); start += k {
		l, h := math.Inf(1), math.Inf(-1)
		for _, x := range v[start:min(start+k, len(v))] {
			if !math.IsNaN(x) {
				l, h = math.Min(l, x), math.Max(h, x)
			}
		}
		if l > h {
			l, h = math.NaN(), math.NaN()
		}
		lo, hi = append(lo, l), append(hi, h)
	}
	return lo, hi
}

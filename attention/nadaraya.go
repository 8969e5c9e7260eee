package attention

import (
	"math"
	"slices"
)

// SmoothAt64 smooths the n×d row-major sequence src observed at the
// timestamps t (len(t) >= n) into dst by Nadaraya–Watson kernel regression,
// channel by channel:
//
//	y(t_i) = Σ_j K((t_j - t_i)/h) x_j / Σ_j K((t_j - t_i)/h),  K(u) = exp(-u²/2)
//
// over the samples with |t_j - t_i| <= Truncate*h, h = Bandwidth, summed in
// ascending time order. With NaN policy "propagate" a NaN sample makes every
// output within the window NaN; with "interpolate" NaN samples are skipped,
// and an output with no valid sample (or only zero kernel weights) is NaN.
//
// t should be ascending (a two-pointer window, O(n·window)); unsorted
// timestamps are sorted internally (stably) at an extra O(n log n) cost.
// Equal timestamps are allowed. dst may be src. On a positional smoother
// (Bandwidth 0) the bandwidth is Sigma in t units and the window the
// radius. It panics if src, dst or t is too short.
func (s *Smoother) SmoothAt64(dst, src []float64, t []int64, n, d int) {
	smoothAt64(s, dst, src, t, n, d)
}

// SmoothAt32 is SmoothAt64 for float32 data: computed in float64 and
// rounded once to float32.
func (s *Smoother) SmoothAt32(dst, src []float32, t []int64, n, d int) {
	smoothAt32(s, dst, src, t, n, d)
}

// SmoothAtFloat64 is SmoothAt64 at float64 times (a float order column),
// in the same units as the Bandwidth. The times must not be NaN.
func (s *Smoother) SmoothAtFloat64(dst, src []float64, t []float64, n, d int) {
	smoothAt64(s, dst, src, t, n, d)
}

// SmoothAtFloat32 is SmoothAtFloat64 for float32 data: computed in float64
// and rounded once to float32.
func (s *Smoother) SmoothAtFloat32(dst, src []float32, t []float64, n, d int) {
	smoothAt32(s, dst, src, t, n, d)
}

// smoothAt64 is the SmoothAt methods on float64 data, for either kind of
// time.
func smoothAt64[T timeValue](s *Smoother, dst, src []float64, t []T, n, d int) {
	checkDims(len(dst), len(src), n, d)
	checkTimes(len(t), n)
	if n == 0 || d == 0 {
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	sc.in = grow(sc.in, n*d)
	copy(sc.in, src[:n*d])
	nadarayaWatson(s, sc, t[:n], n, d)
	copy(dst[:n*d], sc.out)
}

// smoothAt32 is smoothAt64 on float32 data: widened, computed in float64
// and rounded once.
func smoothAt32[T timeValue](s *Smoother, dst, src []float32, t []T, n, d int) {
	checkDims(len(dst), len(src), n, d)
	checkTimes(len(t), n)
	if n == 0 || d == 0 {
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	sc.in = grow(sc.in, n*d)
	for i, v := range src[:n*d] {
		sc.in[i] = float64(v)
	}
	nadarayaWatson(s, sc, t[:n], n, d)
	for i, v := range sc.out {
		dst[i] = float32(v)
	}
}

func checkTimes(lenT, n int) {
	if lenT < n {
		panic("attention: SmoothAt with fewer timestamps than samples")
	}
}

// smoothAtPositions64 is Smooth64 on a Bandwidth smoother: the positions
// 0..n-1 are the timestamps.
func (s *Smoother) smoothAtPositions64(dst, src []float64, n, d int) {
	sc := getScratch()
	defer putScratch(sc)
	sc.in = grow(sc.in, n*d)
	copy(sc.in, src[:n*d])
	nadarayaWatson(s, sc, positions(sc, n), n, d)
	copy(dst[:n*d], sc.out)
}

// smoothAtPositions32 is smoothAtPositions64 for float32 data.
func (s *Smoother) smoothAtPositions32(dst, src []float32, n, d int) {
	sc := getScratch()
	defer putScratch(sc)
	sc.in = grow(sc.in, n*d)
	for i, v := range src[:n*d] {
		sc.in[i] = float64(v)
	}
	nadarayaWatson(s, sc, positions(sc, n), n, d)
	for i, v := range sc.out {
		dst[i] = float32(v)
	}
}

func positions(sc *scratch, n int) []int64 {
	sc.pos = grow(sc.pos, n)
	for i := range sc.pos {
		sc.pos[i] = int64(i)
	}
	return sc.pos
}

// timeValue is the type of times: integers in the order column's units, or
// floats.
type timeValue interface{ int64 | float64 }

// sortedTimes is the scratch for n sorted times of type T.
func sortedTimes[T timeValue](sc *scratch, n int) []T {
	var zero T
	if _, ok := any(zero).(int64); ok {
		sc.ts = grow(sc.ts, n)
		return any(sc.ts).([]T)
	}
	sc.tsf = grow(sc.tsf, n)
	return any(sc.tsf).([]T)
}

// nadarayaWatson smooths sc.in (n×d) at times t into sc.out.
func nadarayaWatson[T timeValue](s *Smoother, sc *scratch, t []T, n, d int) {
	sc.out = grow(sc.out, n*d)
	if slices.IsSorted(t) {
		nwSorted(s, sc, sc.out, sc.in, t, n, d)
		return
	}
	// Sort (stably) by time, smooth, and put the outputs back in place.
	sc.idx = grow(sc.idx, n)
	for i := range sc.idx {
		sc.idx[i] = i
	}
	slices.SortStableFunc(sc.idx, func(a, b int) int {
		switch {
		case t[a] < t[b]:
			return -1
		case t[a] > t[b]:
			return 1
		}
		return 0
	})
	ts := sortedTimes[T](sc, n)
	sc.tmp = grow(sc.tmp, 2*n*d)
	xs, ys := sc.tmp[:n*d], sc.tmp[n*d:]
	for k, i := range sc.idx {
		ts[k] = t[i]
		copy(xs[k*d:k*d+d], sc.in[i*d:i*d+d])
	}
	nwSorted(s, sc, ys, xs, ts, n, d)
	for k, i := range sc.idx {
		copy(sc.out[i*d:i*d+d], ys[k*d:k*d+d])
	}
}

// nwExp is the exponential of the Nadaraya–Watson kernel: numpy's own where
// kernelExp reproduces it (AVX-512 CPUs), else math.Exp (expCorrect is too
// slow for n·window evaluations).
var nwExp = math.Exp

// timeDistance returns |a - b| as float64, +Inf when the difference
// overflows int64 (or is the NaN of Inf - Inf).
func timeDistance[T timeValue](a, b T) float64 {
	dt := a - b
	if (a >= b) != (dt >= 0) {
		return math.Inf(1)
	}
	return math.Abs(float64(dt))
}

// nwBandLimit bounds the cached kernel values of nwSorted (in float64s,
// 32 MB): beyond it, later rows are computed directly.
var nwBandLimit = 1 << 22

// nwSorted is the two-pointer Nadaraya–Watson loop over ascending times.
// For each output the kernel values of its window are gathered once and
// shared by the d channels. Each kernel value is computed once per pair:
// K(t_j - t_i) for j > i is stored in the band row of i and reused, bit for
// bit (the argument only changes sign), when j's window reaches back to i.
func nwSorted[T timeValue](s *Smoother, sc *scratch, out, x []float64, t []T, n, d int) {
	h, limit := s.h, s.limit
	sc.off = grow(sc.off, n)
	off := sc.off // start of row j in band, -1 when not stored
	band := sc.band[:0]
	base := 0      // band[0] is at absolute offset base
	firstLive := 0 // smallest j >= lo, for compaction
	lo, hi := 0, 0
	for i := 0; i < n; i++ {
		ti := t[i]
		for lo < i && timeDistance(ti, t[lo]) > limit {
			lo++
		}
		if hi < i+1 {
			hi = i + 1
		}
		for hi < n && timeDistance(t[hi], ti) <= limit {
			hi++
		}
		sc.aux = grow(sc.aux, hi-lo)
		k := sc.aux
		// Backward part: values stored by earlier rows.
		for j := lo; j < i; j++ {
			if o := off[j]; o >= 0 {
				k[j-lo] = band[o-base+i-j-1]
			} else {
				u := float64(t[j]-ti) / h
				k[j-lo] = nwExp(-0.5 * u * u)
			}
		}
		// Forward part, stored for the rows to come when there is room.
		fwd := hi - i - 1
		off[i] = -1
		if fwd > 0 {
			if len(band)+fwd > cap(band) {
				// Compact: drop the rows before lo.
				firstLive = max(firstLive, lo)
				for firstLive < i && off[firstLive] < 0 {
					firstLive++
				}
				dead := len(band)
				if firstLive < i {
					dead = off[firstLive] - base
				}
				copy(band, band[dead:])
				band = band[:len(band)-dead]
				base += dead
				if len(band)+fwd > cap(band) && len(band)+fwd <= nwBandLimit {
					nb := make([]float64, len(band), min(nwBandLimit, 2*(len(band)+fwd)))
					copy(nb, band)
					band = nb
				}
			}
			if len(band)+fwd <= cap(band) {
				off[i] = base + len(band)
				band = band[:len(band)+fwd]
			}
		}
		k[i-lo] = nwExp(-0.0)
		for j := i + 1; j < hi; j++ {
			u := float64(t[j]-ti) / h
			v := nwExp(-0.5 * u * u)
			k[j-lo] = v
			if off[i] >= 0 {
				band[off[i]-base+j-i-1] = v
			}
		}
		nwRow(out[i*d:i*d+d], x[lo*d:hi*d], k, d, s.interpolate)
	}
	sc.band = band[:0]
}

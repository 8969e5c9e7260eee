package attention

import (
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// SmoothParams configures a Smoother. The positional parameters follow
// scipy.ndimage.gaussian_filter1d; Bandwidth switches to Nadaraya–Watson
// kernel regression over timestamps.
//
// The zero value is not a useful configuration: Radius 0 means an explicit
// radius of zero. Pass Radius -1 and Truncate 4 for scipy's defaults.
type SmoothParams struct {
	// Sigma is the standard deviation of the Gaussian in samples
	// (positions). It must be > 0 unless Bandwidth > 0, which ignores it.
	Sigma float64
	// Truncate sets the kernel half-width in standard deviations: the radius
	// is int(Truncate*Sigma + 0.5), and in Bandwidth mode samples farther than
	// Truncate*Bandwidth are ignored. Must be > 0 unless Radius >= 0 (in
	// positional mode). Callers pass 4.0 for scipy's default; 0 is not
	// replaced by a default.
	Truncate float64
	// Radius, when >= 0, is the kernel half-width in samples and overrides
	// Truncate (positional mode only). -1 selects int(Truncate*Sigma + 0.5).
	Radius int
	// Mode is the boundary rule of scipy.ndimage: "reflect" (the default,
	// also selected by ""), "nearest", "mirror", "constant" or "wrap".
	Mode string
	// Cval is the value outside the sequence in mode "constant".
	Cval float64
	// Order is the derivative order of the Gaussian: 0 (smoothing), 1 or 2.
	Order int
	// NaN is the missing-value policy: "propagate" (the default, also
	// selected by "", as scipy: a NaN reaches every output within the
	// radius) or "interpolate" (normalized convolution over the valid
	// samples; order 0 only).
	NaN string
	// Bandwidth, when > 0, selects Nadaraya–Watson smoothing over
	// timestamps: a Gaussian kernel of standard deviation Bandwidth in the
	// timestamps' units, truncated at Truncate*Bandwidth. Sigma, Radius and
	// Mode are ignored then, and Order must be 0.
	Bandwidth float64
}

// Smoother applies one Gaussian smoothing configuration to many sequences.
// It is immutable after NewSmoother and safe for concurrent use; scratch
// buffers come from a pool, so steady-state calls do not allocate.
type Smoother struct {
	p           SmoothParams
	r           int       // kernel radius (positional mode)
	w           []float64 // w[0] centre, w[j] pair weight at distance j
	odd         bool      // odd order: pairs are (x[i-j] - x[i+j])
	mode        int
	interpolate bool
	h           float64 // bandwidth (time units)
	limit       float64 // Truncate*h: farthest time distance used
}

const (
	modeReflect = iota
	modeNearest
	modeMirror
	modeConstant
	modeWrap
)

var modeNames = map[string]int{
	"": modeReflect, "reflect": modeReflect, "nearest": modeNearest,
	"mirror": modeMirror, "constant": modeConstant, "wrap": modeWrap,
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidParams, fmt.Sprintf(format, args...))
}

// NewSmoother validates p and precomputes the kernel. Errors wrap
// ErrInvalidParams and say which values are allowed: Sigma must be finite
// and > 0 (positional mode), Radius >= -1, Truncate finite and > 0 unless
// Radius >= 0, Mode one of reflect, nearest, mirror, constant, wrap, NaN
// one of propagate, interpolate, Order 0, 1 or 2, Bandwidth finite and >= 0,
// and Order 0 with Bandwidth or with NaN "interpolate" (a normalized
// derivative filter is not defined here).
func NewSmoother(p SmoothParams) (*Smoother, error) {
	s := &Smoother{p: p}
	mode, ok := modeNames[p.Mode]
	if !ok {
		return nil, invalid("mode %q: allowed are reflect (default), nearest, mirror, constant, wrap", p.Mode)
	}
	s.mode = mode
	switch p.NaN {
	case "", "propagate":
	case "interpolate":
		s.interpolate = true
	default:
		return nil, invalid("nan policy %q: allowed are propagate (default), interpolate", p.NaN)
	}
	if p.Order < 0 || p.Order > 2 {
		return nil, invalid("order %d: allowed are 0, 1, 2", p.Order)
	}
	s.odd = p.Order == 1
	if !(p.Bandwidth >= 0) || math.IsInf(p.Bandwidth, 0) {
		return nil, invalid("bandwidth %v: must be finite and > 0 (0 disables it)", p.Bandwidth)
	}
	if p.Bandwidth > 0 {
		if p.Order != 0 {
			return nil, invalid("order %d with bandwidth: only order 0 is allowed for Nadaraya–Watson smoothing", p.Order)
		}
		if !(p.Truncate > 0) || math.IsInf(p.Truncate, 0) {
			return nil, invalid("truncate %v with bandwidth: must be finite and > 0", p.Truncate)
		}
		s.h = p.Bandwidth
		s.limit = p.Truncate * p.Bandwidth
		return s, nil
	}
	if !(p.Sigma > 0) || math.IsInf(p.Sigma, 0) {
		return nil, invalid("sigma %v: must be finite and > 0", p.Sigma)
	}
	if s.interpolate && p.Order != 0 {
		return nil, invalid("order %d with nan policy interpolate: only order 0 can skip missing values", p.Order)
	}
	switch {
	case p.Radius >= 0:
		s.r = p.Radius
	case p.Radius == -1:
		if !(p.Truncate > 0) || math.IsInf(p.Truncate, 0) {
			return nil, invalid("truncate %v: must be finite and > 0 (or give radius >= 0)", p.Truncate)
		}
		rf := gaussianRadius(p.Sigma, p.Truncate)
		if rf > maxRadius {
			return nil, invalid("radius int(truncate*sigma+0.5) = %v: must be at most %d", rf, maxRadius)
		}
		s.r = int(rf)
	default:
		return nil, invalid("radius %d: must be >= 0, or -1 to derive it from truncate", p.Radius)
	}
	if s.r > maxRadius {
		return nil, invalid("radius %d: must be at most %d", s.r, maxRadius)
	}
	s.w = gaussianWeights(p.Sigma, p.Order, s.r)
	// Nadaraya–Watson over positions when SmoothAt is called on a positional
	// smoother: Sigma is the bandwidth in timestamp units.
	s.h = p.Sigma
	s.limit = float64(s.r)
	return s, nil
}

// Radius returns the kernel half-width in samples (positional mode): the
// output at i depends on the inputs at i-Radius..i+Radius (after applying
// the boundary mode). It is 0 for a Bandwidth smoother.
func (s *Smoother) Radius() int { return s.r }

// scratch holds the per-call buffers, kept on a free list so steady-state
// calls do not allocate.
type scratch struct {
	ext  []float64 // smoothDirect: the 3r-sample edge windows
	out  []float64 // output channels of a tile
	tile []float64 // chanTile extended lines
	rows []float64 // interleaved input rows (amd64)
	aux  []float64 // interpolate: valid mask (1/0) over ext; NW: kernel values
	cnt  []int32   // interpolate: prefix count of NaN over ext
	in   []float64 // NW: input copy (n×d, float64)
	tmp  []float64 // NW: inputs and outputs in sorted time order
	idx  []int     // NW: order of unsorted timestamps
	ts   []int64   // NW: sorted timestamps
	tsf  []float64 // NW: sorted float times
	pos  []int64   // NW: positions 0..n-1 as timestamps
	off  []int     // NW: band offset of each row's forward kernel values
	band []float64 // NW: cached kernel values K(t_j - t_i), j > i
}

// scratchFree keeps idle scratches. Unlike a sync.Pool it is not emptied
// by every garbage collection: a batch job that allocates row groups
// collects often, and regrowing megabytes of scratch after each collection
// (and touching fresh pages) cost more than the filtering itself.
var scratchFree struct {
	sync.Mutex
	list []*scratch
}

// maxIdleScratches bounds the idle scratches kept (one per concurrent
// caller is enough).
const maxIdleScratches = 16

func getScratch() *scratch {
	scratchFree.Lock()
	defer scratchFree.Unlock()
	if n := len(scratchFree.list); n > 0 {
		sc := scratchFree.list[n-1]
		scratchFree.list = scratchFree.list[:n-1]
		return sc
	}
	return new(scratch)
}

func putScratch(sc *scratch) {
	scratchFree.Lock()
	defer scratchFree.Unlock()
	if len(scratchFree.list) < maxIdleScratches {
		scratchFree.list = append(scratchFree.list, sc)
	}
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n, n+n/4)
	}
	return b[:n]
}

func checkDims(lenDst, lenSrc, n, d int) {
	if n < 0 || d < 0 || lenSrc < n*d || lenDst < n*d {
		panic(fmt.Sprintf("attention: smoothing %d×%d values with len(src)=%d, len(dst)=%d", n, d, lenSrc, lenDst))
	}
}

// Smooth64 smooths the n×d row-major sequence src into dst, channel by
// channel (each of the d columns is one series of length n), with
// scipy.ndimage.gaussian_filter1d semantics. dst may be src (in place).
// On a Bandwidth smoother it applies Nadaraya–Watson with the positions
// 0..n-1 as timestamps. It panics if src or dst is shorter than n*d.
func (s *Smoother) Smooth64(dst, src []float64, n, d int) {
	checkDims(len(dst), len(src), n, d)
	if n == 0 || d == 0 {
		return
	}
	if s.p.Bandwidth > 0 {
		s.smoothAtPositions64(dst, src, n, d)
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	if d == 1 && !s.interpolate && n > 2*s.r && !overlap(dst[:n], src[:n]) {
		s.smoothDirect(sc, dst[:n], src[:n])
		return
	}
	smoothTiles(s, sc, dst, src, n, d)
}

// Smooth32 is Smooth64 for float32 data: samples are converted to
// float64, filtered in float64 and rounded once to float32, as scipy does
// for float32 arrays.
func (s *Smoother) Smooth32(dst, src []float32, n, d int) {
	checkDims(len(dst), len(src), n, d)
	if n == 0 || d == 0 {
		return
	}
	if s.p.Bandwidth > 0 {
		s.smoothAtPositions32(dst, src, n, d)
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	smoothTiles(s, sc, dst, src, n, d)
}

// overlap reports whether two float64 slices share memory.
func overlap(a, b []float64) bool {
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(8*len(b)) && pb < pa+uintptr(8*len(a))
}

// smoothDirect filters one float64 series (n > 2r, dst not overlapping
// src) without copying it: the interior outputs read src in place, and only
// the r outputs at each end go through a small padded buffer. Every output
// sees the same values in the same order as with a fully padded line.
func (s *Smoother) smoothDirect(sc *scratch, dst, src []float64) {
	n, r := len(src), s.r
	s.correlate(sc, dst[r:n-r], src, n-2*r)
	if r == 0 {
		return
	}
	buf := grow(sc.ext, 3*r)
	sc.ext = buf
	for k := 0; k < r; k++ {
		buf[k] = s.outside(src, k-r)
	}
	copy(buf[r:], src[:2*r])
	s.correlate(sc, dst[:r], buf, r)
	copy(buf, src[n-2*r:])
	for k := 0; k < r; k++ {
		buf[2*r+k] = s.outside(src, n+k)
	}
	s.correlate(sc, dst[n-r:], buf, r)
}

// chanTile is how many channels of an n×d sequence are gathered together,
// so that reading and writing rows touches whole cache lines.
const chanTile = 8

// smoothTiles filters an n×d sequence (float32 or float64) channel by
// channel, gathering chanTile channels at a time into padded float64 lines.
func smoothTiles[T float32 | float64](s *Smoother, sc *scratch, dst, src []T, n, d int) {
	r := s.r
	m := n + 2*r
	lines := min(chanTile, d) // padded lines a tile holds
	sc.tile = grow(sc.tile, lines*m)
	sc.out = grow(sc.out, lines*n)
	if d == 1 {
		if src64, ok := any(src).([]float64); ok {
			// float64 in place (the pipeline's case): the padded copy is
			// the only one, and the kernels write dst directly.
			ext := sc.tile[:m]
			copy(ext[r:], src64[:n])
			s.pad(ext, n)
			s.filterLine(sc, any(dst).([]float64)[:n], ext, n)
			return
		}
		ext, out := sc.tile[:m], sc.out[:n]
		for i, v := range src[:n] {
			ext[r+i] = float64(v)
		}
		s.pad(ext, n)
		s.filterLine(sc, out, ext, n)
		for i, v := range out {
			dst[i] = T(v)
		}
		return
	}
	for c0 := 0; c0 < d; c0 += chanTile {
		w := min(chanTile, d-c0)
		if w == chanTile {
			gatherTile8(sc.tile, src, n, d, c0, m, r)
		} else {
			for i := 0; i < n; i++ {
				row := src[i*d+c0 : i*d+c0+w]
				for c, v := range row {
					sc.tile[c*m+r+i] = float64(v)
				}
			}
		}
		for c := 0; c < w; c++ {
			ext := sc.tile[c*m : (c+1)*m]
			s.pad(ext, n)
			s.filterLine(sc, sc.out[c*n:(c+1)*n], ext, n)
		}
		if w == chanTile {
			scatterTile8(dst, sc.out, n, d, c0)
			continue
		}
		for i := 0; i < n; i++ {
			row := dst[i*d+c0 : i*d+c0+w]
			for c := range row {
				row[c] = T(sc.out[c*n+i])
			}
		}
	}
}

// gatherTile8 copies channels c0..c0+7 of the n×d src into 8 extended
// lines of length m (samples at [r, r+n)).
func gatherTile8[T float32 | float64](tile []float64, src []T, n, d, c0, m, r int) {
	t0, t1, t2, t3 := tile[0*m+r:0*m+r+n], tile[1*m+r:1*m+r+n], tile[2*m+r:2*m+r+n], tile[3*m+r:3*m+r+n]
	t4, t5, t6, t7 := tile[4*m+r:4*m+r+n], tile[5*m+r:5*m+r+n], tile[6*m+r:6*m+r+n], tile[7*m+r:7*m+r+n]
	for i := range t0 {
		row := src[i*d+c0 : i*d+c0+8 : i*d+c0+8]
		t0[i], t1[i], t2[i], t3[i] = float64(row[0]), float64(row[1]), float64(row[2]), float64(row[3])
		t4[i], t5[i], t6[i], t7[i] = float64(row[4]), float64(row[5]), float64(row[6]), float64(row[7])
	}
}

// scatterTile8 writes 8 output lines of length n to channels c0..c0+7 of
// the n×d dst, rounding once to T.
func scatterTile8[T float32 | float64](dst []T, out []float64, n, d, c0 int) {
	o0, o1, o2, o3 := out[0*n:1*n], out[1*n:2*n], out[2*n:3*n], out[3*n:4*n]
	o4, o5, o6, o7 := out[4*n:5*n], out[5*n:6*n], out[6*n:7*n], out[7*n:8*n]
	for i := range o0 {
		row := dst[i*d+c0 : i*d+c0+8 : i*d+c0+8]
		row[0], row[1], row[2], row[3] = T(o0[i]), T(o1[i]), T(o2[i]), T(o3[i])
		row[4], row[5], row[6], row[7] = T(o4[i]), T(o5[i]), T(o6[i]), T(o7[i])
	}
}

// pad fills the r samples on each side of the line ext[r:r+n] according to
// the boundary mode (scipy's NI_ExtendLine; the index maps hold for any r,
// also r >= n).
func (s *Smoother) pad(ext []float64, n int) {
	r := s.r
	line := ext[r : r+n]
	for k := 0; k < r; k++ {
		ext[k] = s.outside(line, k-r)
		ext[r+n+k] = s.outside(line, n+k)
	}
}

// outside returns the value of the extended line at index i outside [0, n).
func (s *Smoother) outside(line []float64, i int) float64 {
	if s.mode == modeConstant {
		return s.p.Cval
	}
	return line[s.extIndex(i, len(line))]
}

// extIndex returns the sample of a line of n samples that the boundary mode
// puts at index i outside [0, n); not defined for mode "constant".
func (s *Smoother) extIndex(i, n int) int {
	switch s.mode {
	case modeReflect:
		m := mod(i, 2*n)
		if m >= n {
			m = 2*n - 1 - m
		}
		return m
	case modeMirror:
		if n == 1 {
			return 0
		}
		m := mod(i, 2*n-2)
		if m >= n {
			m = 2*n - 2 - m
		}
		return m
	case modeNearest:
		if i < 0 {
			return 0
		}
		return n - 1
	default: // wrap
		return mod(i, n)
	}
}

func mod(i, n int) int {
	m := i % n
	if m < 0 {
		m += n
	}
	return m
}

// filterLine writes the n filtered values of the extended line ext to out,
// applying the NaN policy.
func (s *Smoother) filterLine(sc *scratch, out, ext []float64, n int) {
	s.correlate(sc, out, ext, n)
	if s.interpolate {
		s.fillMissing(sc, out, ext, n)
	}
}

// correlate writes the n plain filtered values of ext (n+2r samples) to out:
// vector blocks first, then the Go loops for the rest.
func (s *Smoother) correlate(sc *scratch, out, ext []float64, n int) {
	i0 := correlateInterleaved(sc, out, ext, s.w, n, s.odd)
	i0 += correlateBlocks(out[i0:], ext[i0:], s.w, n-i0, s.odd)
	if s.odd {
		correlateOdd(out, ext, s.w, i0, n)
	} else {
		correlateEven(out, ext, s.w, i0, n)
	}
}

// correlateEven computes, for every i in [i0, n), in scipy's order
//
//	y = x[i]*w[0]; for j = r..1: y += (x[i-j] + x[i+j]) * w[j]
//
// over the extended line (x[i] = ext[i+r]). Eight outputs are computed
// together to overlap their dependency chains; each output keeps exactly
// the scalar order, so results are bit-identical to a one-at-a-time loop.
// The float64 conversions forbid fused multiply-adds.
func correlateEven(out, ext, w []float64, i0, n int) {
	r := len(w) - 1
	w0 := w[0]
	i := i0
	for ; i+8 <= n; i += 8 {
		c := ext[i+r : i+r+8]
		a0 := float64(c[0] * w0)
		a1 := float64(c[1] * w0)
		a2 := float64(c[2] * w0)
		a3 := float64(c[3] * w0)
		a4 := float64(c[4] * w0)
		a5 := float64(c[5] * w0)
		a6 := float64(c[6] * w0)
		a7 := float64(c[7] * w0)
		for j := r; j >= 1; j-- {
			wj := w[j]
			lo := ext[i+r-j : i+r-j+8]
			hi := ext[i+r+j : i+r+j+8]
			a0 += float64((lo[0] + hi[0]) * wj)
			a1 += float64((lo[1] + hi[1]) * wj)
			a2 += float64((lo[2] + hi[2]) * wj)
			a3 += float64((lo[3] + hi[3]) * wj)
			a4 += float64((lo[4] + hi[4]) * wj)
			a5 += float64((lo[5] + hi[5]) * wj)
			a6 += float64((lo[6] + hi[6]) * wj)
			a7 += float64((lo[7] + hi[7]) * wj)
		}
		o := out[i : i+8]
		o[0], o[1], o[2], o[3] = a0, a1, a2, a3
		o[4], o[5], o[6], o[7] = a4, a5, a6, a7
	}
	for ; i < n; i++ {
		a := float64(ext[i+r] * w0)
		for j := r; j >= 1; j-- {
			a += float64((ext[i+r-j] + ext[i+r+j]) * w[j])
		}
		out[i] = a
	}
}

// correlateOdd is correlateEven for odd derivative orders, whose kernel is
// antisymmetric: y = x[i]*w[0]; for j = r..1: y += (x[i-j] - x[i+j]) * w[j].
func correlateOdd(out, ext, w []float64, i0, n int) {
	r := len(w) - 1
	w0 := w[0]
	i := i0
	for ; i+8 <= n; i += 8 {
		c := ext[i+r : i+r+8]
		a0 := float64(c[0] * w0)
		a1 := float64(c[1] * w0)
		a2 := float64(c[2] * w0)
		a3 := float64(c[3] * w0)
		a4 := float64(c[4] * w0)
		a5 := float64(c[5] * w0)
		a6 := float64(c[6] * w0)
		a7 := float64(c[7] * w0)
		for j := r; j >= 1; j-- {
			wj := w[j]
			lo := ext[i+r-j : i+r-j+8]
			hi := ext[i+r+j : i+r+j+8]
			a0 += float64((lo[0] - hi[0]) * wj)
			a1 += float64((lo[1] - hi[1]) * wj)
			a2 += float64((lo[2] - hi[2]) * wj)
			a3 += float64((lo[3] - hi[3]) * wj)
			a4 += float64((lo[4] - hi[4]) * wj)
			a5 += float64((lo[5] - hi[5]) * wj)
			a6 += float64((lo[6] - hi[6]) * wj)
			a7 += float64((lo[7] - hi[7]) * wj)
		}
		o := out[i : i+8]
		o[0], o[1], o[2], o[3] = a0, a1, a2, a3
		o[4], o[5], o[6], o[7] = a4, a5, a6, a7
	}
	for ; i < n; i++ {
		a := float64(ext[i+r] * w0)
		for j := r; j >= 1; j-- {
			a += float64((ext[i+r-j] - ext[i+r+j]) * w[j])
		}
		out[i] = a
	}
}

// fillMissing implements NaN policy "interpolate" (order 0): every output
// whose window [i-r, i+r] of the extended line holds a NaN is replaced by
// the normalized convolution G*(x·m) / G*(m), m the valid mask, summed in
// the same order as the plain filter; no valid sample with non-zero weight
// gives NaN. Outputs whose window has no NaN keep the plain (scipy) value.
func (s *Smoother) fillMissing(sc *scratch, out, ext []float64, n int) {
	r := s.r
	m := len(ext)
	sc.cnt = grow(sc.cnt, m+1)
	cnt := sc.cnt
	cnt[0] = 0
	for k, v := range ext {
		cnt[k+1] = cnt[k]
		if v != v {
			cnt[k+1]++
		}
	}
	if cnt[m] == 0 {
		return
	}
	sc.aux = grow(sc.aux, m)
	mask := sc.aux
	for k, v := range ext {
		if v != v {
			mask[k] = 0
		} else {
			mask[k] = 1
		}
	}
	w := s.w
	for i := 0; i < n; i++ {
		if cnt[i+2*r+1] == cnt[i] {
			continue
		}
		x0 := ext[i+r]
		if x0 != x0 {
			x0 = 0
		}
		num := float64(x0 * w[0])
		den := float64(mask[i+r] * w[0])
		for j := r; j >= 1; j-- {
			lo, hi := ext[i+r-j], ext[i+r+j]
			if lo != lo {
				lo = 0
			}
			if hi != hi {
				hi = 0
			}
			num += float64((lo + hi) * w[j])
			den += float64((mask[i+r-j] + mask[i+r+j]) * w[j])
		}
		if den == 0 {
			out[i] = math.NaN()
		} else {
			out[i] = num / den
		}
	}
}

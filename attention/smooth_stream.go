package attention

import (
	"errors"
	"fmt"
)

// ErrCannotStream is returned by the stream constructors when a
// configuration needs the end of the sequence before its first output
// (mode "wrap"): the caller gathers the sequence and calls Smooth64/32.
var ErrCannotStream = errors.New("smoothing cannot stream")

// Stream smooths one sequence of any length pushed in segments of whole
// rows, holding only what later outputs need: 2·Radius rows of d float64
// channels between pushes, and while a segment is pushed, 8 channels of it
// at a time (as Smooth does for a whole sequence). Output row i is
// returned as soon as input row i+Radius has been pushed (a lag of Radius
// rows); Close returns the last Radius rows. The outputs are bit for bit
// those of Smooth64/Smooth32 on the whole sequence, for every split into
// pushes (a NaN output whose window mixes NaN sources, such as an input
// NaN and Inf - Inf, is NaN in both, with a payload IEEE 754 leaves open).
//
// With NaN policy "interpolate" a missing value is only ever replaced from
// the valid samples within the radius (normalized convolution), so a gap of
// any length costs no memory beyond the 2·Radius rows.
//
// On a Bandwidth smoother a Stream is a StreamAt over the positions
// 0, 1, 2, …: its lag and memory are the rows within Truncate·Bandwidth.
//
// A Stream is not safe for concurrent use; its Smoother is.
type Stream[T float32 | float64] struct {
	s  *Smoother
	d  int
	r  int
	at *StreamAt[T, int64] // Bandwidth smoother: Nadaraya–Watson over positions
	ts []int64             // positions of the segment being pushed (at != nil)

	// hist holds, per channel, the extended line [lo, count): the 2r
	// samples later outputs need (before the first output, lo = 0: the
	// count <= r samples so far).
	hist    []float64 // d lines of histLen (up to 2r, grown as rows come)
	histLen int
	lo      int  // extended index at hist position 0
	count   int  // rows pushed
	emitted int  // rows returned
	padded  bool // the left boundary is filled (from the first output on)
	sc      scratch
}

// Stream64 streams float64 rows.
type Stream64 = Stream[float64]

// Stream32 streams float32 rows: float64 math, rounded once to float32.
type Stream32 = Stream[float32]

// NewStream64 returns a Stream of rows of d float64 channels, or an error
// wrapping ErrCannotStream in mode "wrap".
func (s *Smoother) NewStream64(d int) (*Stream64, error) { return newStream[float64](s, d) }

// NewStream32 is NewStream64 for float32 rows.
func (s *Smoother) NewStream32(d int) (*Stream32, error) { return newStream[float32](s, d) }

func newStream[T float32 | float64](s *Smoother, d int) (*Stream[T], error) {
	if d < 0 {
		panic(fmt.Sprintf("attention: stream of %d channels", d))
	}
	if s.p.Bandwidth <= 0 && s.mode == modeWrap {
		return nil, fmt.Errorf("%w: mode wrap needs the end of the sequence before its first output", ErrCannotStream)
	}
	st := &Stream[T]{s: s, d: d, r: s.r}
	if s.p.Bandwidth > 0 {
		st.at = newStreamAt[T, int64](s, d, 0)
		st.r = 0
	}
	st.Reset()
	return st, nil
}

// Lag returns how many pushed rows may be held back before their outputs
// are returned: the radius (0 on a Bandwidth smoother, whose lag depends
// on the data).
func (st *Stream[T]) Lag() int { return st.r }

// Reset makes the stream ready for a new sequence, keeping its buffers.
func (st *Stream[T]) Reset() {
	st.lo, st.count, st.emitted, st.padded = 0, 0, 0, false
	if st.at != nil {
		st.at.Reset()
	}
}

// Push appends to dst the output rows that src (whole rows of d values)
// completes, and returns the extended slice: at most len(src)/d rows. dst
// must not overlap src. It panics if len(src) is not a multiple of d.
func (st *Stream[T]) Push(dst, src []T) []T {
	d := st.d
	if d == 0 {
		return dst
	}
	if len(src)%d != 0 {
		panic(fmt.Sprintf("attention: pushing %d values to a stream of %d channels", len(src), d))
	}
	k := len(src) / d
	if k == 0 {
		return dst
	}
	if st.at != nil {
		return st.pushAt(dst, src, k)
	}
	if d == 1 && k > 2*st.r {
		if src64, ok := any(src).([]float64); ok {
			return any(st.pushDirect(any(dst).([]float64), src64)).([]T)
		}
	}
	if st.count+k <= st.r {
		// No output yet: keep the rows after the r boundary slots.
		st.growHist(st.count + k - st.lo)
		for c := 0; c < d; c++ {
			line := st.hline(c)[st.count-st.lo:]
			for i := 0; i < k; i++ {
				line[i] = float64(src[i*d+c])
			}
		}
		st.count += k
		return dst
	}
	return st.step(dst, src, k, false)
}

// pushAt is Push on a Bandwidth smoother: the rows' positions are their
// times.
func (st *Stream[T]) pushAt(dst, src []T, k int) []T {
	st.ts = grow(st.ts, k)
	for i := range st.ts {
		st.ts[i] = int64(st.count + i)
	}
	st.count += k
	out, err := st.at.Push(dst, src, st.ts)
	if err != nil {
		panic("attention: positions are ascending: " + err.Error())
	}
	return out
}

// Close appends the remaining output rows to dst, returns the extended
// slice and resets the stream for a new sequence.
func (st *Stream[T]) Close(dst []T) []T {
	defer st.Reset()
	if st.at != nil {
		return st.at.Close(dst)
	}
	if st.count == 0 || st.d == 0 {
		return dst
	}
	return st.step(dst, nil, 0, true)
}

// hline returns channel c's history line.
func (st *Stream[T]) hline(c int) []float64 {
	return st.hist[c*st.histLen : (c+1)*st.histLen]
}

// growHist makes the history lines at least l long (at most 2r): a short
// sequence with a large radius holds only its rows.
func (st *Stream[T]) growHist(l int) {
	if l <= st.histLen {
		return
	}
	l = min(2*st.r, max(l, 2*st.histLen))
	hist := make([]float64, st.d*l)
	for c := 0; c < st.d; c++ {
		copy(hist[c*l:], st.hline(c))
	}
	st.hist, st.histLen = hist, l
}

// step appends the k rows of src (none when closing) to the history and
// returns every output they complete (all the rest when closing), 8
// channels at a time: each channel's extended line is its history, the
// new samples and, when closing, the right boundary.
func (st *Stream[T]) step(dst, src []T, k int, closing bool) []T {
	d, r := st.d, st.r
	n := st.count + k // rows pushed after this step
	end := n - r      // outputs complete after this step
	if closing {
		end = n
	}
	q := end - st.emitted
	ll := st.lineLo()
	off := st.lo - ll // line position of the history
	hlen := st.count - st.lo
	m := off + hlen + k
	if closing {
		m += r
	}
	p0 := st.emitted - r - ll // line position of the first output's window
	keep := end - r - ll      // line position of the next history
	if !closing {
		st.growHist(2 * r)
	}
	start := len(dst)
	dst = growLen(dst, q*d)
	rows := dst[start:]
	sc := &st.sc
	lines := min(chanTile, d)
	sc.tile = grow(sc.tile, lines*m)
	sc.out = grow(sc.out, lines*q)
	for c0 := 0; c0 < d; c0 += chanTile {
		w := min(chanTile, d-c0)
		for c := 0; c < w; c++ {
			copy(sc.tile[c*m+off:], st.hline(c0 + c)[:hlen])
		}
		if k > 0 {
			st.gather(sc.tile[off+hlen:], src, k, c0, w, m)
		}
		for c := 0; c < w; c++ {
			line := sc.tile[c*m : (c+1)*m]
			st.bound(line, n, closing, ll)
			st.s.filterLine(sc, sc.out[c*q:(c+1)*q], line[p0:p0+q+2*r], q)
			if !closing {
				copy(st.hline(c0+c), line[keep:keep+2*r])
			}
		}
		scatter(rows, sc.out, q, d, c0, w)
	}
	st.padded = true
	st.count, st.emitted, st.lo = n, end, end-r
	return dst
}

// lineLo returns the extended index at position 0 of the lines step
// builds: the history's first, or -r before the first output (the left
// boundary's slots).
func (st *Stream[T]) lineLo() int {
	if st.padded {
		return st.lo
	}
	return -st.r
}

// bound fills the boundary values of a channel's extended line (position 0
// is extended index ll): the left ones at the first output (once more than
// r rows are known they do not depend on the sequence's length), the right
// ones when closing (from the last 2r rows, or with the whole sequence when
// it has at most r rows).
func (st *Stream[T]) bound(line []float64, n int, closing bool, ll int) {
	r := st.r
	if !st.padded {
		// Line position 0 is extended index -r.
		if closing {
			st.s.pad(line[:n+2*r], n)
			return
		}
		for k := 0; k < r; k++ {
			line[k] = st.s.outside(line[r:r+n], k-r)
		}
	}
	if !closing {
		return
	}
	for k := 0; k < r; k++ {
		v := st.s.p.Cval
		if st.s.mode != modeConstant {
			v = line[st.s.extIndex(n+k, n)-ll]
		}
		line[n+k-ll] = v
	}
}

// gather converts channels c0..c0+w-1 of the k rows of src into the lines
// tile[c·m:] (c = 0..w-1).
func (st *Stream[T]) gather(tile []float64, src []T, k, c0, w, m int) {
	d := st.d
	if w == chanTile {
		gatherTile8(tile, src, k, d, c0, m, 0)
		return
	}
	for c := 0; c < w; c++ {
		line := tile[c*m : c*m+k]
		for i := range line {
			line[i] = float64(src[i*d+c0+c])
		}
	}
}

// scatter writes w output lines of length q to channels c0..c0+w-1 of the
// q×d rows, rounding once to T.
func scatter[T float32 | float64](rows []T, out []float64, q, d, c0, w int) {
	if w == chanTile {
		scatterTile8(rows, out, q, d, c0)
		return
	}
	if d == 1 {
		for i, v := range out[:q] {
			rows[i] = T(v)
		}
		return
	}
	for i := 0; i < q; i++ {
		row := rows[i*d+c0 : i*d+c0+w]
		for c := range row {
			row[c] = T(out[c*q+i])
		}
	}
}

// growLen extends b by n elements, reallocating when its capacity is short.
func growLen[T any](b []T, n int) []T {
	if len(b)+n <= cap(b) {
		return b[:len(b)+n]
	}
	nb := make([]T, len(b)+n, max(len(b)+n, 2*cap(b)))
	copy(nb, b)
	return nb
}

// pushDirect is Push for one float64 channel and a segment longer than 2r:
// only the 2r rows at each end of the segment are copied, the outputs in
// between read src in place (as smoothDirect does).
func (st *Stream[T]) pushDirect(dst, src []float64) []float64 {
	r, k := st.r, len(src)
	s0 := st.count
	// Outputs up to s0+r: the history and the first 2r rows of src.
	st.growHist(2 * r)
	ll := st.lineLo()
	off := st.lo - ll
	hlen := s0 - st.lo
	n := s0 + 2*r
	q := n - r - st.emitted
	sc := &st.sc
	sc.tile = grow(sc.tile, off+hlen+2*r)
	line := sc.tile[:off+hlen+2*r]
	copy(line[off:], st.hist[:hlen])
	copy(line[off+hlen:], src[:2*r])
	st.bound(line, n, false, ll)
	p0 := st.emitted - r - ll
	at := len(dst)
	dst = growLen(dst, q+k-2*r)
	st.s.filterLine(sc, dst[at:at+q], line[p0:p0+q+2*r], q)
	// Outputs s0+r .. s0+k-r straight from src.
	st.s.filterLine(sc, dst[at+q:], src, k-2*r)
	// Keep the last 2r rows as the history of the next push.
	copy(st.hist, src[k-2*r:])
	st.padded = true
	st.count = s0 + k
	st.emitted = st.count - r
	st.lo = st.count - 2*r
	return dst
}

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
// rows, holding only the rows that outputs still need: 2·Radius rows of d
// float64 channels, plus the segment being pushed. Output row i is
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

	buf     []float64 // d lines of lineCap: the extended line from index lo
	lineCap int
	lo      int  // extended index held at line position 0
	count   int  // rows pushed
	emitted int  // rows returned
	padded  bool // the left boundary (line positions [0, r) while lo = -r) is filled
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
	st.lo, st.count, st.emitted, st.padded = -st.r, 0, 0, false
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
	if d == 1 && k > 2*st.r {
		if src64, ok := any(src).([]float64); ok {
			return any(st.pushDirect(any(dst).([]float64), src64)).([]T)
		}
	}
	st.reserve(k)
	st.gather(src, st.count-st.lo, k)
	st.count += k
	if st.count <= st.r {
		return dst
	}
	if !st.padded {
		st.padLeft()
	}
	return st.emit(dst, st.count-st.r)
}

// gather converts the k rows of src into the lines at position pos.
func (st *Stream[T]) gather(src []T, pos, k int) {
	d := st.d
	if d == 1 {
		line := st.buf[pos : pos+k]
		for i, v := range src {
			line[i] = float64(v)
		}
		return
	}
	for c0 := 0; c0 < d; c0 += chanTile {
		w := min(chanTile, d-c0)
		if w == chanTile {
			gatherTile8(st.buf[c0*st.lineCap+pos:], src, k, d, c0, st.lineCap, 0)
			continue
		}
		for c := 0; c < w; c++ {
			line := st.buf[(c0+c)*st.lineCap+pos : (c0+c)*st.lineCap+pos+k]
			for i := range line {
				line[i] = float64(src[i*d+c0+c])
			}
		}
	}
}

// Close appends the remaining output rows to dst, returns the extended
// slice and resets the stream for a new sequence.
func (st *Stream[T]) Close(dst []T) []T {
	defer st.Reset()
	if st.at != nil {
		return st.at.Close(dst)
	}
	n, r := st.count, st.r
	if n == 0 || st.d == 0 {
		return dst
	}
	if !st.padded {
		// Nothing returned yet (n <= r): the whole sequence is here, at
		// line positions [r, r+n); pad it as Smooth does.
		for c := 0; c < st.d; c++ {
			st.s.pad(st.line(c)[:n+2*r], n)
		}
		st.padded = true
	} else {
		// The right boundary maps to samples within the last 2r rows.
		for c := 0; c < st.d; c++ {
			line := st.line(c)
			for k := 0; k < r; k++ {
				v := st.s.p.Cval
				if st.s.mode != modeConstant {
					v = line[st.s.extIndex(n+k, n)-st.lo]
				}
				line[n+k-st.lo] = v
			}
		}
	}
	return st.emit(dst, n)
}

// line returns channel c's buffer.
func (st *Stream[T]) line(c int) []float64 {
	return st.buf[c*st.lineCap : (c+1)*st.lineCap]
}

// padLeft fills the r boundary values before the first sample. Once more
// than r rows are known they do not depend on the sequence's length.
func (st *Stream[T]) padLeft() {
	r, n := st.r, st.count
	for c := 0; c < st.d; c++ {
		line := st.line(c)
		for k := 0; k < r; k++ {
			line[k] = st.s.outside(line[r:r+n], k-r)
		}
	}
	st.padded = true
}

// reserve makes room for k more rows and the r right-boundary values:
// it drops the rows no output needs any more, then grows the lines.
func (st *Stream[T]) reserve(k int) {
	need := st.count + k + st.r - st.lo
	if need <= st.lineCap {
		return
	}
	keep := st.lo
	if st.emitted > 0 {
		keep = st.emitted - st.r
	}
	live := st.count - keep
	shift := keep - st.lo
	need -= shift
	if need <= st.lineCap {
		for c := 0; c < st.d; c++ {
			line := st.line(c)
			copy(line, line[shift:shift+live])
		}
		st.lo = keep
		return
	}
	lineCap := max(need, 4*st.r+16, st.lineCap+st.lineCap/2)
	buf := make([]float64, st.d*lineCap)
	for c := 0; c < st.d && st.lineCap > 0; c++ {
		copy(buf[c*lineCap:], st.line(c)[shift:shift+live])
	}
	st.buf, st.lineCap, st.lo = buf, lineCap, keep
}

// emit filters the outputs [emitted, end), whose extended windows are all
// in the buffer, and appends them to dst.
func (st *Stream[T]) emit(dst []T, end int) []T {
	q := end - st.emitted
	if q <= 0 {
		return dst
	}
	d, r := st.d, st.r
	start := len(dst)
	dst = growLen(dst, q*d)
	rows := dst[start:]
	p0 := st.emitted - r - st.lo // line position of output emitted's window
	sc := &st.sc
	if d == 1 {
		ext := st.buf[p0 : p0+q+2*r]
		if o, ok := any(rows).([]float64); ok {
			st.s.filterLine(sc, o, ext, q)
		} else {
			sc.out = grow(sc.out, q)
			st.s.filterLine(sc, sc.out, ext, q)
			for i, v := range sc.out {
				rows[i] = T(v)
			}
		}
		st.emitted = end
		return dst
	}
	lines := min(chanTile, d)
	sc.out = grow(sc.out, lines*q)
	for c0 := 0; c0 < d; c0 += chanTile {
		w := min(chanTile, d-c0)
		for c := 0; c < w; c++ {
			ext := st.line(c0 + c)[p0 : p0+q+2*r]
			st.s.filterLine(sc, sc.out[c*q:(c+1)*q], ext, q)
		}
		if w == chanTile {
			scatterTile8(rows, sc.out, q, d, c0)
			continue
		}
		for i := 0; i < q; i++ {
			row := rows[i*d+c0 : i*d+c0+w]
			for c := range row {
				row[c] = T(sc.out[c*q+i])
			}
		}
	}
	st.emitted = end
	return dst
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
// only the 2r rows at each end of the segment go through the buffer, the
// outputs in between read src in place (as smoothDirect does).
func (st *Stream[T]) pushDirect(dst, src []float64) []float64 {
	r, k := st.r, len(src)
	s0 := st.count
	// Outputs up to s0+r: the history and the first 2r rows of src.
	st.reserve(2 * r)
	copy(st.buf[st.count-st.lo:], src[:2*r])
	st.count += 2 * r
	if !st.padded {
		st.padLeft()
	}
	dst = any(st.emit(any(dst).([]T), st.count-st.r)).([]float64)
	// Outputs s0+r .. s0+k-r straight from src.
	at := len(dst)
	dst = growLen(dst, k-2*r)
	st.s.filterLine(&st.sc, dst[at:], src, k-2*r)
	// Keep the last 2r rows as the history of the next push.
	st.count = s0 + k
	st.emitted = st.count - r
	st.lo = st.count - 2*r
	copy(st.buf, src[k-2*r:])
	return dst
}

package attention

import (
	"errors"
	"fmt"
	"math"
)

// ErrNotAscending is returned by StreamAt.Push for a time below the one
// before it (or a NaN time): streaming needs ascending times, SmoothAt sorts
// the whole sequence instead.
var ErrNotAscending = errors.New("times are not ascending")

// StreamAt is SmoothAt (Nadaraya–Watson over an ascending time column) for a
// sequence of any length pushed in segments: it holds the rows within
// Truncate·Bandwidth (in time units) of the next output, plus the segment
// being pushed. Output row i is returned once a row more than
// Truncate·Bandwidth after t_i has been pushed; Close returns the rest. The
// outputs are bit for bit those of SmoothAt64/32 on the whole sequence.
//
// The rows held depend on the data: a dense stretch of times holds all of
// its rows. When the window holds more than the cap given to NewStreamAt,
// the stream keeps going (all rows it holds are needed) and Exceeded
// reports it, so that the caller can warn.
//
// A StreamAt is not safe for concurrent use; its Smoother is.
type StreamAt[T float32 | float64, U timeValue] struct {
	s       *Smoother
	d       int
	maxRows int

	x        []float64 // rows [base, count), row-major
	t        []U       // their times
	base     int
	count    int
	next     int // next output row
	lo, hi   int // window of row next, as in nwSorted
	peak     int // most rows held at once
	k        []float64
	exceeded bool

	// Kernel values K(t_j - t_i), j > i, of emitted rows i, reused (bit for
	// bit: only the sign of the argument differs) when j is emitted, as
	// nwSorted does; at most streamBandLimit values.
	off      []int // per held row: its values' offset in band, -1 if none
	band     []float64
	bandBase int // absolute offset of band[0]
}

// streamBandLimit bounds the kernel values a StreamAt caches (2 MiB):
// beyond it, later rows compute theirs again.
var streamBandLimit = 1 << 18

// StreamAt64 streams float64 rows at int64 times.
type StreamAt64 = StreamAt[float64, int64]

// StreamAt32 streams float32 rows at int64 times.
type StreamAt32 = StreamAt[float32, int64]

// NewStreamAt returns a StreamAt of rows of d channels (T float64 or
// float32) at times of type U (int64, or float64 for a float order column),
// in the Smoother's Bandwidth mode (on a positional smoother: bandwidth
// Sigma, window Radius, as SmoothAt). maxRows > 0 is the window size above
// which Exceeded reports true; 0 means no cap.
func NewStreamAt[T float32 | float64, U timeValue](s *Smoother, d, maxRows int) *StreamAt[T, U] {
	if d < 0 {
		panic(fmt.Sprintf("attention: stream of %d channels", d))
	}
	return newStreamAt[T, U](s, d, maxRows)
}

func newStreamAt[T float32 | float64, U timeValue](s *Smoother, d, maxRows int) *StreamAt[T, U] {
	return &StreamAt[T, U]{s: s, d: d, maxRows: maxRows}
}

// Reset makes the stream ready for a new sequence, keeping its buffers.
func (st *StreamAt[T, U]) Reset() {
	st.x, st.t, st.off, st.band = st.x[:0], st.t[:0], st.off[:0], st.band[:0]
	st.bandBase = 0
	st.base, st.count, st.next, st.lo, st.hi = 0, 0, 0, 0, 0
	st.peak, st.exceeded = 0, false
}

// Exceeded reports whether the window has held more rows than the cap
// given to NewStreamAt since the last Reset, and the most rows it has held
// (the rows pushed and not yet returned count too).
func (st *StreamAt[T, U]) Exceeded() (peak int, exceeded bool) {
	return st.peak, st.exceeded
}

// Push appends to dst the output rows that src (whole rows of d values at
// the times t[:len(src)/d]) completes, and returns the extended slice.
// Times must be ascending across pushes (equal times are allowed): a time
// below the one before it, or a NaN time, returns an error wrapping
// ErrNotAscending and leaves the stream as it was. It panics if len(src)
// is not a multiple of d or t is short.
func (st *StreamAt[T, U]) Push(dst, src []T, t []U) ([]T, error) {
	d := st.d
	if d == 0 {
		return dst, nil
	}
	if len(src)%d != 0 {
		panic(fmt.Sprintf("attention: pushing %d values to a stream of %d channels", len(src), d))
	}
	k := len(src) / d
	checkTimes(len(t), k)
	if k == 0 {
		return dst, nil
	}
	t = t[:k]
	for i, v := range t {
		prev := v
		switch {
		case i > 0:
			prev = t[i-1]
		case len(st.t) > 0:
			prev = st.t[len(st.t)-1]
		}
		if v != v || v < prev {
			return dst, fmt.Errorf("%w: row %d at time %v after %v", ErrNotAscending, st.count+i, v, prev)
		}
	}
	st.compact()
	st.t = append(st.t, t...)
	for range k {
		st.off = append(st.off, -1)
	}
	at := len(st.x)
	st.x = growLen(st.x, k*d)
	for i, v := range src {
		st.x[at+i] = float64(v)
	}
	st.count += k
	dst = st.emit(dst, false)
	st.note(st.count - st.lo)
	return dst, nil
}

// Close appends the remaining output rows to dst, returns the extended
// slice and resets the stream for a new sequence.
func (st *StreamAt[T, U]) Close(dst []T) []T {
	dst = st.emit(dst, true)
	st.Reset()
	return dst
}

// compact drops the rows before the window of the next output.
func (st *StreamAt[T, U]) compact() {
	dead := st.lo - st.base
	if dead <= 0 || dead < len(st.t)/2 {
		return
	}
	d := st.d
	st.t = st.t[:copy(st.t, st.t[dead:])]
	st.off = st.off[:copy(st.off, st.off[dead:])]
	st.x = st.x[:copy(st.x, st.x[dead*d:])]
	st.base = st.lo
}

// note records a window of rows rows.
func (st *StreamAt[T, U]) note(rows int) {
	st.peak = max(st.peak, rows)
	if st.maxRows > 0 && rows > st.maxRows {
		st.exceeded = true
	}
}

// emit appends the outputs whose window is complete (all of them when
// closing), moving the window as nwSorted does.
func (st *StreamAt[T, U]) emit(dst []T, closing bool) []T {
	s, d := st.s, st.d
	h, limit := s.h, s.limit
	t, b := st.t, st.base
	for ; st.next < st.count; st.next++ {
		i := st.next
		ti := t[i-b]
		for st.lo < i && timeDistance(ti, t[st.lo-b]) > limit {
			st.lo++
		}
		if st.hi < i+1 {
			st.hi = i + 1
		}
		for st.hi < st.count && timeDistance(t[st.hi-b], ti) <= limit {
			st.hi++
		}
		if st.hi == st.count && !closing {
			return dst
		}
		lo, hi := st.lo, st.hi
		st.note(hi - lo)
		st.k = grow(st.k, hi-lo)
		k := st.k
		for j := lo; j < i; j++ {
			if o := st.off[j-b]; o >= 0 {
				k[j-lo] = st.band[o-st.bandBase+i-j-1]
				continue
			}
			u := float64(t[j-b]-ti) / h
			k[j-lo] = nwExp(-0.5 * u * u)
		}
		k[i-lo] = nwExp(-0.0)
		for j := i + 1; j < hi; j++ {
			u := float64(t[j-b]-ti) / h
			k[j-lo] = nwExp(-0.5 * u * u)
		}
		st.keep(i, lo, k[i-lo+1:])
		at := len(dst)
		dst = growLen(dst, d)
		nwRow(dst[at:], st.x[(lo-b)*d:(hi-b)*d], k, d, s.interpolate)
	}
	return dst
}

// keep caches the forward kernel values fwd of row i when there is room,
// first dropping those of the rows before lo, which no output needs.
func (st *StreamAt[T, U]) keep(i, lo int, fwd []float64) {
	if len(fwd) == 0 {
		return
	}
	b := st.base
	if len(st.band)+len(fwd) > cap(st.band) {
		dead := len(st.band)
		for j := lo; j < i; j++ {
			if o := st.off[j-b]; o >= 0 {
				dead = o - st.bandBase
				break
			}
		}
		st.band = st.band[:copy(st.band, st.band[dead:])]
		st.bandBase += dead
		if need := len(st.band) + len(fwd); need > cap(st.band) && need <= streamBandLimit {
			nb := make([]float64, len(st.band), min(streamBandLimit, 2*need))
			copy(nb, st.band)
			st.band = nb
		}
	}
	if len(st.band)+len(fwd) <= cap(st.band) {
		st.off[i-b] = st.bandBase + len(st.band)
		st.band = append(st.band, fwd...)
	}
}

// nwRow writes one output row of d channels: the kernel-weighted mean of
// the window rows x (len(k) rows of d) with weights k, in row order, NaN
// samples skipped when interpolating, NaN where no weight is left.
func nwRow[T float32 | float64](out []T, x, k []float64, d int, interpolate bool) {
	for c := 0; c < d; c++ {
		num, den := 0.0, 0.0
		for j, kj := range k {
			v := x[j*d+c]
			if interpolate && v != v {
				continue
			}
			num += float64(kj * v)
			den += kj
		}
		if den == 0 {
			out[c] = T(nan)
		} else {
			out[c] = T(num / den)
		}
	}
}

var nan = math.NaN()

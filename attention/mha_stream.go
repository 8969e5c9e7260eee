package attention

import "fmt"

// AttendStream computes the attention of a sequence of n rows pushed in
// segments, range by range (ForwardRange), holding only the input rows the
// next range needs: with a window w that is RangeStep + 2w rows plus at
// most about 2,900 alignment rows, plus the segment being pushed, whatever
// n. The outputs are bit for bit those of Forward32/Forward64 over the
// whole sequence. Without a window every row is held until the end (each
// output needs every earlier key). Not safe for concurrent use; its MHA is.
type AttendStream[T float] struct {
	m       *MHA
	n, step int
	input   func(lo, hi, n int) (int, int)
	fwd     func(dst, x []T, lo, hi, n int)
	buf     []T // input rows [base, count)
	base    int
	count   int
	next    int // first row not returned yet
}

// NewStream32 returns an AttendStream of float32 rows for a sequence of n
// rows.
func (m *MHA) NewStream32(n int) *AttendStream[float32] {
	return &AttendStream[float32]{m: m, n: n, step: m.RangeStep32(n), input: m.RangeInput32, fwd: m.ForwardRange32}
}

// NewStream64 is NewStream32 in float64 arithmetic.
func (m *MHA) NewStream64(n int) *AttendStream[float64] {
	return &AttendStream[float64]{m: m, n: n, step: m.RangeStep64(n), input: m.RangeInput64, fwd: m.ForwardRange64}
}

// Push appends to dst the output rows that the rows x (whole rows of d
// values) complete, and returns the extended slice. It panics if x is not
// whole rows or brings the sequence past n rows.
func (st *AttendStream[T]) Push(dst, x []T) []T {
	d := st.m.d
	if len(x)%d != 0 || st.count+len(x)/d > st.n {
		panic(fmt.Sprintf("attention: pushing %d values (d = %d) to a stream at row %d of %d", len(x), d, st.count, st.n))
	}
	st.buf = append(st.buf, x...)
	st.count += len(x) / d
	for st.next < st.n {
		lo, hi := st.next, min(st.n, st.next+st.step)
		xlo, xhi := st.input(lo, hi, st.n)
		if xhi > st.count {
			break
		}
		at := len(dst)
		dst = growLen(dst, (hi-lo)*d)
		st.fwd(dst[at:], st.buf[(xlo-st.base)*d:(xhi-st.base)*d], lo, hi, st.n)
		st.next = hi
		if st.next < st.n {
			st.drop()
		}
	}
	return dst
}

// drop forgets the rows before the input of the next range.
func (st *AttendStream[T]) drop() {
	xlo, _ := st.input(st.next, min(st.n, st.next+st.step), st.n)
	if dead := xlo - st.base; dead > 0 {
		d := st.m.d
		st.buf = st.buf[:copy(st.buf, st.buf[dead*d:])]
		st.base = xlo
	}
}

// Done reports whether every output row has been returned (all n rows
// were pushed).
func (st *AttendStream[T]) Done() bool { return st.next == st.n }

// HeldBytes returns the memory the stream's row buffer holds now.
func (st *AttendStream[T]) HeldBytes() int64 {
	return int64(cap(st.buf)) * int64(sizeOf[T]())
}

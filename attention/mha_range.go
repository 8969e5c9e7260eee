package attention

import "fmt"

// mhaPackDepth is the depth block (kc) of the packed GEMM: a product over
// packed values splits its depth (the keys of P·V) at multiples of it from
// the first packed key, so a range call packs keys from a multiple of it,
// as the whole-sequence call (which packs from key 0) does.
const mhaPackDepth = 256

// rowSpan is the rows of a sequence of n rows that one forward call
// computes. Every boundary is where the whole-sequence call has one, so
// each output row sees the same products, tiled the same way, and gets
// the same bits.
type rowSpan struct {
	lo, hi   int // rows written to dst
	xlo, xhi int // input rows held in x and projected: whole row chunks
	kpack    int // first key packed (a multiple of mhaPackDepth)
	q0, q1   int // query rows computed: whole query blocks
	c0, c1   int // rows through the output stage: whole row chunks
}

// wholeSpan is the span of a whole-sequence call.
func wholeSpan(n int) rowSpan { return rowSpan{0, n, 0, n, 0, 0, n, 0, n} }

// span returns the rows that computing [lo, hi) of a sequence of n rows
// involves, for elements of size bytes.
func (m *MHA) span(lo, hi, n, size int) rowSpan {
	const rc = mhaRowChunk
	qb, _ := blockSizes(n, m.dh, size)
	sp := rowSpan{lo: lo, hi: hi}
	sp.c0 = lo / rc * rc
	sp.c1 = min((hi+rc-1)/rc*rc, n)
	sp.q0 = sp.c0 / qb * qb
	sp.q1 = min((sp.c1+qb-1)/qb*qb, n)
	jlo, _ := m.keyRange(sp.q0, n)
	_, jhi := m.keyRange(sp.q1-1, n)
	sp.kpack = jlo / mhaPackDepth * mhaPackDepth
	sp.xlo = min(sp.kpack, sp.q0) / rc * rc
	sp.xhi = min((max(sp.q1, jhi)+rc-1)/rc*rc, n)
	return sp
}

// RangeInput32 returns the input rows [xlo, xhi) that ForwardRange32 needs
// in x to compute the rows [lo, hi) of a sequence of n rows: the keys
// within the window of those rows, widened to the query blocks and row
// chunks of the whole-sequence call (at most a few hundred rows more on
// each side). Without a window (or causal without one) that is [0, ...).
func (m *MHA) RangeInput32(lo, hi, n int) (xlo, xhi int) {
	checkRange(lo, hi, n)
	if lo == hi {
		return lo, lo
	}
	sp := m.span(lo, hi, n, 4)
	return sp.xlo, sp.xhi
}

// RangeInput64 is RangeInput32 for ForwardRange64.
func (m *MHA) RangeInput64(lo, hi, n int) (xlo, xhi int) {
	checkRange(lo, hi, n)
	if lo == hi {
		return lo, lo
	}
	sp := m.span(lo, hi, n, 8)
	return sp.xlo, sp.xhi
}

// ForwardRange32 computes the rows [lo, hi) of Forward32 over a sequence
// of n rows into dst ((hi-lo)×d), bit for bit, from only the input rows
// [xlo, xhi) = RangeInput32(lo, hi, n) in x ((xhi-xlo)×d). With a window
// (MHAParams.Window >= 0) that is O(hi-lo+window) rows, so a long sequence
// can be computed in consecutive ranges holding a bounded number of rows.
// Any lo and hi work; with range boundaries at multiples of
// RangeStep32(n) no query row is computed twice (the input projections of
// the rows that neighbouring ranges share are). dst must not overlap x. It panics if the range is
// not within [0, n] or x or dst is short.
func (m *MHA) ForwardRange32(dst, x []float32, lo, hi, n int) {
	forwardRange(m, &m.p32, dst, x, lo, hi, n)
}

// ForwardRange64 is ForwardRange32 in float64 arithmetic (x holds the rows
// RangeInput64 gives).
func (m *MHA) ForwardRange64(dst, x []float64, lo, hi, n int) {
	forwardRange(m, m.plan64(), dst, x, lo, hi, n)
}

// RangeStep32 returns the row count that the boundaries of consecutive
// ranges of ForwardRange32 should be multiples of so that no query row is
// computed twice: the whole-sequence call's query blocks and row chunks
// then end at the range boundaries.
func (m *MHA) RangeStep32(n int) int { return m.rangeStep(n, 4) }

// RangeStep64 is RangeStep32 for ForwardRange64.
func (m *MHA) RangeStep64(n int) int { return m.rangeStep(n, 8) }

func (m *MHA) rangeStep(n, size int) int {
	qb, _ := blockSizes(max(n, 1), m.dh, size)
	a, b := qb, mhaRowChunk
	for b != 0 {
		a, b = b, a%b
	}
	return qb / a * mhaRowChunk
}

func checkRange(lo, hi, n int) {
	if lo < 0 || hi < lo || n < hi {
		panic(fmt.Sprintf("attention: MHA range [%d, %d) of a sequence of %d rows", lo, hi, n))
	}
}

func forwardRange[T float](m *MHA, p *mhaPlan[T], dst, x []T, lo, hi, n int) {
	checkRange(lo, hi, n)
	if lo == hi {
		return
	}
	sp := m.span(lo, hi, n, sizeOf[T]())
	d := m.d
	if len(x) < (sp.xhi-sp.xlo)*d || len(dst) < (hi-lo)*d {
		panic(fmt.Sprintf("attention: MHA range [%d, %d) of %d rows: x needs rows [%d, %d) (%d values) and has %d, dst needs %d values and has %d",
			lo, hi, n, sp.xlo, sp.xhi, (sp.xhi-sp.xlo)*d, len(x), (hi-lo)*d, len(dst)))
	}
	forwardSpan(m, p, dst, x, n, sp)
}

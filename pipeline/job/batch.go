package job

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

var sprintf = fmt.Sprintf

// rgState is a segment in flight (rows of one row group, see segments.go):
// its input values and the slab its results go to. It is written once the
// last sequence touching it is done.
type rgState struct {
	g           *rowGroup // the segment's rows
	out         parquetio.Floats
	outPooled   bool  // out is a separate slab from the pool
	charge      int64 // bytes reserved from the budget for it
	slot        bool  // holds a read-ahead slot
	ord         int   // its place among the file's segments
	first, last bool  // the first or last segment of its row group
	keys        *rgKeys
}

// part is the piece of a sequence inside one segment: elements [lo, hi),
// ending before row endRow of the segment.
type part struct {
	rg     *rgState
	lo, hi int
	endRow int
}

// seq is one complete sequence: contiguous views into its row group's
// slabs, or gathered copies when it spans row groups.
type seq struct {
	key      string
	parts    []part
	n        int
	in, out  parquetio.Floats
	order    []int64
	gathered bool
	skip     bool       // not computed: Collect does not want it
	stream   *seqStream // computed in segments (longseq.go); parts holds the last
	warned   bool       // told why it is gathered although long
}

// item is a work unit: whole sequences, and the row groups that become
// complete (and are written) once they are emitted.
type item struct {
	seqs   []*seq
	writes []*rgState
	elems  int
	push   *streamPush // instead of seqs: a part of a streaming sequence
}

// addSegment reads the next segment of the current row group and turns
// its rows into sequences: the first may continue the sequence still open
// from the previous segment; the last stays open until the next segment
// shows whether it goes on.
func (r *run) addSegment() error {
	charge, slot := r.pendingCharge, r.pendingSlot
	r.pendingCharge, r.pendingSlot = 0, false
	lo := r.segRow
	g, err := r.readSegment()
	if err != nil {
		r.spec.Budget.Release(charge)
		if slot {
			<-r.ahead
		}
		return err
	}
	d := max(r.d, 1)
	st := &rgState{g: g, slot: slot, ord: r.ord, keys: r.keys,
		first: lo == 0, last: int64(r.segRow) >= r.file.RowGroupRows(g.index)}
	r.ord++
	r.segFloatsRead += g.chunk.Values.Len()
	if r.inPlace() {
		st.out = g.chunk.Values // results overwrite the inputs
	} else {
		st.out, st.outPooled = r.slab(g.chunk.Type, g.chunk.Elems()*d), r.pooled()
	}
	floats := g.chunk.Values.Len()
	if !r.inPlace() {
		floats += st.out.Len()
	}
	// the input's levels behind the rows ride with the segment to the writer
	bytes := int64(floats)*elemSize(g.chunk.Type) + g.chunk.LevelBytes()
	if g.pooledOrder {
		bytes += 8 * int64(len(g.order))
	}
	st.charge = r.settle(charge, bytes)
	r.unwritten = append(r.unwritten, st)
	r.liveMu.Lock()
	if r.live == nil {
		r.live = map[*rgState]struct{}{}
	}
	r.live[st] = struct{}{}
	r.liveMu.Unlock()
	if st.last {
		r.closeRowGroup()
	}
	if r.d > 0 {
		if err := r.bindOnce(); err != nil {
			return err
		}
	}
	if r.det.Layout == schemas.Nested {
		r.nestedSequences(st)
		return nil
	}
	return r.longSequences(st)
}

func (r *run) nestedSequences(st *rgState) {
	g := st.g
	for row := 0; row < g.rows(); row++ {
		key := strconv.FormatInt(g.chunk.FirstRow+int64(row), 10)
		if g.keys != nil {
			key = g.keys[row]
		}
		lo, hi := int(g.chunk.Offsets[row]), int(g.chunk.Offsets[row+1])
		r.bigRow(g, key, hi-lo)
		r.closeSeq(&seq{key: key, parts: []part{{st, lo, hi, row + 1}}})
	}
}

func (r *run) longSequences(st *rgState) error {
	g := st.g
	for k, start := range g.starts {
		end := g.rows()
		if k+1 < len(g.starts) {
			end = g.starts[k+1]
		}
		p := part{st, start, end, end}
		if k == 0 && r.open != nil && r.open.key == g.keys[0] {
			if r.open.stream != nil {
				r.pushPart(r.open, p)
				continue
			}
			r.open.parts = append(r.open.parts, p)
			continue
		}
		if r.open != nil {
			r.closeSeq(r.open)
		}
		if err := r.opened(g, start, g.keys[k]); err != nil {
			return err
		}
		r.open = &seq{key: g.keys[k], parts: []part{p}}
		if err := r.maybeStream(r.open, st, k); err != nil {
			return err
		}
	}
	return nil
}

// opened records that a sequence starts, refusing ids seen before: the
// rows of one sequence must be contiguous.
func (r *run) opened(g *rowGroup, row int, key string) error {
	if r.det.Sequence == nil {
		return nil
	}
	if first, seen := r.closed[key]; seen {
		return r.dataError(g, row, r.det.Sequence.Name,
			"the rows of each sequence to be contiguous",
			sprintf("sequence %q again after it ended (it started at row %d)", key, first))
	}
	r.closed[key] = g.chunk.FirstRow + int64(row)
	return nil
}

// closeSeq finishes a sequence, adds it to the current item with the row
// groups it completes, and queues the item once it is big enough.
func (r *run) closeSeq(s *seq) {
	if s.stream != nil {
		r.closeStream(s)
		return
	}
	r.open = nil
	r.assemble(s)
	if r.spec.only != nil {
		s.skip = !r.spec.only(s.key, s.n) // in file order, here in the reader
	}
	it := r.cur
	it.seqs = append(it.seqs, s)
	it.elems += s.n
	last := s.parts[len(s.parts)-1]
	for len(r.unwritten) > 0 {
		st := r.unwritten[0]
		done := st.ord < last.rg.ord || (st == last.rg && last.endRow == st.g.rows())
		if !done {
			break
		}
		it.writes = append(it.writes, st)
		r.unwritten = r.unwritten[1:]
	}
	if it.elems >= r.target() {
		r.flushItem()
	}
}

// flushItem queues the current item and starts a new one.
func (r *run) flushItem() {
	if len(r.cur.seqs) > 0 || len(r.cur.writes) > 0 {
		r.queueItem(r.cur)
	}
	r.cur = &item{}
}

// finish closes the open sequence and writes every remaining row group.
func (r *run) finish() {
	if r.open != nil {
		r.closeSeq(r.open)
	}
	r.cur.writes = append(r.cur.writes, r.unwritten...)
	r.unwritten = nil
	r.flushItem()
}

// assemble makes a sequence's contiguous input, output and order slices.
func (r *run) assemble(s *seq) {
	d := max(r.d, 1)
	for _, p := range s.parts {
		s.n += p.hi - p.lo
	}
	if len(s.parts) == 1 {
		p := s.parts[0]
		s.in = sliceFloats(p.rg.g.chunk.Values, p.lo*d, p.hi*d)
		s.out = sliceFloats(p.rg.out, p.lo*d, p.hi*d)
		if p.rg.g.order != nil {
			s.order = p.rg.g.order[p.lo:p.hi]
		}
		return
	}
	// A sequence spanning segments is gathered into one copy (not charged
	// to the budget: the sequence must be held whole whatever the limit).
	typ := s.parts[0].rg.g.chunk.Type
	r.heldWhole(s, typ)
	s.in, s.gathered = r.slab(typ, s.n*d), true
	s.out = s.in
	if !r.inPlace() {
		s.out = r.slab(typ, s.n*d)
	}
	if s.parts[0].rg.g.order != nil {
		if r.pooled() {
			s.order = getInt64s(s.n)[:0]
		} else {
			s.order = make([]int64, 0, s.n)
		}
	}
	if r.pooled() {
		r.liveMu.Lock()
		if r.liveSeqs == nil {
			r.liveSeqs = map[*seq]struct{}{}
		}
		r.liveSeqs[s] = struct{}{}
		r.liveMu.Unlock()
	}
	off := 0
	for _, p := range s.parts {
		off += copyFloats(s.in, off, p.rg.g.chunk.Values, p.lo*d, p.hi*d)
		if p.rg.g.order != nil {
			s.order = append(s.order, p.rg.g.order[p.lo:p.hi]...)
		}
	}
}

// heldWhole warns when a gathered sequence (its copy, and a separate
// output copy unless computing in place) is larger than the budget: the
// segments it spans and the copy are held at once, beyond --memory-limit.
func (r *run) heldWhole(s *seq, typ parquetio.ElemType) {
	size := r.spec.Budget.Size()
	bytes := int64(s.n) * int64(max(r.d, 1)) * elemSize(typ)
	if !r.inPlace() {
		bytes *= 2
	}
	if size == 0 || bytes <= size || s.warned {
		return
	}
	slog.Warn("a sequence is larger than --memory-limit: it is held whole and memory will exceed the limit",
		"file", r.file.Path(), "sequence", s.key, "elements", s.n, "bytes", bytes, "limit", size)
}

// releaseGathered gives a gathered sequence's pooled copies back once its
// results are scattered (or the run is over).
func (r *run) releaseGathered(s *seq) {
	if !s.gathered || !r.pooled() {
		return
	}
	r.liveMu.Lock()
	_, live := r.liveSeqs[s]
	delete(r.liveSeqs, s)
	r.liveMu.Unlock()
	if !live {
		return
	}
	putSlab(s.in)
	if !r.inPlace() {
		putSlab(s.out)
	}
	if s.order != nil {
		putInt64s(s.order)
	}
	s.in, s.out, s.order = parquetio.Floats{}, parquetio.Floats{}, nil
}

// scatter copies a gathered sequence's results back to its row groups.
func (s *seq) scatter(d int) {
	if !s.gathered {
		return
	}
	off := 0
	for _, p := range s.parts {
		n := (p.hi - p.lo) * d
		copyFloats(p.rg.out, p.lo*d, s.out, off, off+n)
		off += n
	}
}

// copyFloats copies src[lo:hi] to dst[at:] and returns the count.
func copyFloats(dst parquetio.Floats, at int, src parquetio.Floats, lo, hi int) int {
	if src.F32 != nil {
		return copy(dst.F32[at:], src.F32[lo:hi])
	}
	return copy(dst.F64[at:], src.F64[lo:hi])
}

// sliceFloats is f[lo:hi] of whichever slab f holds.
func sliceFloats(f parquetio.Floats, lo, hi int) parquetio.Floats {
	if f.F32 != nil {
		return parquetio.Floats{F32: f.F32[lo:hi]}
	}
	return parquetio.Floats{F64: f.F64[lo:hi]}
}

func alloc(t parquetio.ElemType, n int) parquetio.Floats {
	if t == parquetio.Float32 {
		return parquetio.Floats{F32: make([]float32, n)}
	}
	return parquetio.Floats{F64: make([]float64, n)}
}

func elemSize(t parquetio.ElemType) int64 {
	if t == parquetio.Float32 {
		return 4
	}
	return 8
}

package job

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

// A long sequence of the long layout streams instead of being gathered
// (batch.go): when it is at least streamFloats floats, continues past the
// segment it starts in, the computer is a StreamComputer, no observer wants
// the whole sequence, and its order column is ascending over all its rows
// (checked before any of it is pushed, by a first pass over the order
// values of the rows it spans, in windows: see ascending, so nothing
// written is ever taken back). Its parts
// are then pushed in order, one work item per segment: the pushes are
// chained (each waits for the one before), and each puts the results it
// gets back (up to the stream's lag behind the input) into the output
// slabs of the segments, in row order. A segment the stream touches is
// written once the stream's results have reached its end; the emitter
// holds it until then. Memory: the segments within the lag, and the
// stream itself (StreamBytes, charged to the budget when it starts).

// defaultStreamFloats is the size above which a sequence always streams
// when it can (4 Mi floats: 16 or 32 MiB gathered).
const defaultStreamFloats = 1 << 22

// seqStream is a sequence being computed in segments.
type seqStream struct {
	key      string
	n        int // elements
	d        int
	s32      SeqStream[float32]
	s64      SeqStream[float64]
	charge   int64 // bytes taken from the budget for it
	queued   int   // elements handed to pushes (reader)
	lastDone chan struct{}
	// worker side, serialized by the pushes' chain
	targets []part // output places not filled yet, in order
	out     parquetio.Floats
	outRows int
	failed  bool
	peak    int // Exceeded before the close
	over    bool
	// emit side
	pending []pendingWrite
}

// pendingWrite is a segment that is written once the stream has returned
// the results of its first end elements.
type pendingWrite struct {
	st  *rgState
	end int
}

// streamPush is a work item's push of one part of a stream (or its close).
type streamPush struct {
	s        *seqStream
	part     part
	close    bool
	prev     chan struct{} // closed when the push before is done
	done     chan struct{}
	ends     []int // per write of the item: the stream element it waits for
	outAfter int   // results returned after this push (set by the worker)
}

// streamFloats is the size from which a sequence streams: Spec's, or the
// default, lowered so that a gathered copy never takes more than 1/16 of
// the budget (the whole-sequence call's scratch is several times its
// size again: 2 M float64 values gathered under 64 MiB peaked at 178 MiB).
func (r *run) streamFloats() int {
	if r.spec.StreamFloats > 0 {
		return r.spec.StreamFloats
	}
	n := int64(defaultStreamFloats)
	if size := r.spec.Budget.Size(); size > 0 {
		slabs := int64(2)
		if r.inPlace() {
			slabs = 1
		}
		n = min(n, size/(16*slabs*elemSize(r.det.Value.Elem.SlabType())))
	}
	return int(max(n, 1))
}

// seqLength is the number of rows of the sequence key whose run starts at
// row start of row group rg, from the id runs read before any value (the
// whole file when it has no sequence column).
func (r *run) seqLength(rg, start int, key string) int {
	f := r.file
	if r.det.Sequence == nil {
		return int(f.NumRows() - f.RowGroupFirstRow(rg) - int64(start))
	}
	if r.idRuns == nil || rg >= len(r.idRuns.starts) {
		return 0
	}
	starts := r.idRuns.starts[rg]
	j := slices.Index(starts, start)
	if j < 0 {
		return 0
	}
	if j+1 < len(starts) {
		return starts[j+1] - start
	}
	n := int(f.RowGroupRows(rg)) - start
	for i := rg + 1; i < f.NumRowGroups(); i++ {
		if f.RowGroupRows(i) == 0 {
			continue
		}
		s, k := r.idRuns.starts[i], r.idRuns.keys[i]
		if len(k) == 0 || k[0] != key {
			break
		}
		if len(s) > 1 {
			return n + s[1]
		}
		n += int(f.RowGroupRows(i))
	}
	return n
}

// maybeStream starts streaming sequence s, just opened with part p at run
// k of segment st, when it qualifies; it reports whether it did. A long
// sequence that cannot stream is gathered, with a warning saying why.
func (r *run) maybeStream(s *seq, st *rgState, k int) error {
	g := st.g
	if r.det.Layout != schemas.Long || r.observer != nil || r.spec.only != nil || r.d == 0 || k+1 != len(g.starts) {
		return nil
	}
	p := s.parts[0]
	n := r.seqLength(g.index, r.rowInGroup(g, p.lo), s.key)
	if n <= p.hi-p.lo || int64(n)*int64(r.d) < int64(r.streamFloats()) {
		return nil
	}
	sc, ok := r.comp.(StreamComputer)
	if !ok {
		return nil
	}
	why, err := r.ascending(st, p, n)
	if err != nil {
		return err
	}
	ss := &seqStream{key: s.key, n: n, d: r.d}
	if why == "" {
		maxRows := 0
		es := int(elemSize(g.chunk.Type))
		if size := r.spec.Budget.Size(); size > 0 {
			maxRows = int(max(size/4/int64(8*(r.d+2)), 1))
		}
		if g.chunk.Type == parquetio.Float32 {
			ss.s32, err = sc.NewStream32(n, r.d, maxRows)
		} else {
			ss.s64, err = sc.NewStream64(n, r.d, maxRows)
		}
		if err != nil {
			why = err.Error()
		} else {
			seg := min(streamPushRows, n)
			ss.charge = r.acquireIdle(sc.StreamBytes(n, r.d, seg, maxRows, es) + int64(seg*r.d*es))
		}
	}
	if why != "" {
		s.warned = true
		slog.Warn("a long sequence is gathered whole: it cannot stream",
			"file", r.file.Path(), "sequence", s.key, "elements", n, "bytes", int64(n)*int64(r.d)*elemSize(g.chunk.Type), "reason", why)
		return nil
	}
	slog.Debug("a long sequence streams", "file", r.file.Path(), "sequence", s.key, "elements", n, "stream_bytes", ss.charge)
	s.stream = ss
	r.liveMu.Lock()
	if r.liveStreams == nil {
		r.liveStreams = map[*seqStream]struct{}{}
	}
	r.liveStreams[ss] = struct{}{}
	r.liveMu.Unlock()
	r.flushItem()
	r.queuePush(ss, p, false)
	return nil
}

// ascending reports "" when the order values of the sequence of n rows
// starting with part p of segment st never decrease (or the file has no
// order column), else why it must be gathered. It is decided before any
// of the sequence is pushed, so nothing written is ever taken back, by a
// first pass over the sequence's order values alone (orderScan): the
// segments read them again for the values they hold. The pass keeps the
// last value seen and a window of scanWindow values, not the sequence's.
func (r *run) ascending(st *rgState, p part, n int) (string, error) {
	if r.det.Order == nil {
		return "", nil
	}
	rg, row := st.g.index, r.rowInGroup(st.g, p.lo)
	var last int64
	started := false
	for left := n; left > 0 && rg < r.file.NumRowGroups(); rg, row = rg+1, 0 {
		rows := int(r.file.RowGroupRows(rg))
		if rows == 0 {
			continue
		}
		w, err := r.scanAt(rg, row)
		if err != nil {
			return "", err
		}
		for m := min(rows-row, left); m > 0; {
			vals, bad, err := orderWindow(w, min(m, scanWindow), r.scan.buf, r.spec.NeedsTime)
			if err != nil {
				return "", err
			}
			if cap(vals) > cap(r.scan.buf) {
				r.scan.buf = vals[:0]
			}
			if bad.row >= 0 || len(vals) == 0 || (started && vals[0] < last) || !slices.IsSorted(vals) {
				if rg == st.g.index {
					return "its order column is not ascending: it is sorted whole", nil
				}
				return fmt.Sprintf("its order column is not ascending (row group %d): it is sorted whole", rg), nil
			}
			last, started = vals[len(vals)-1], true
			m -= len(vals)
			left -= len(vals)
		}
		if w.Row() == w.Rows() {
			r.closeScan() // its page buffers and dictionary, held while the file is read
		}
	}
	return "", nil
}

// scanWindow is the most order values the first pass holds at once.
const scanWindow = 1 << 16

// orderScan is the first pass over the order column (ascending): it only
// moves forward, since the sequences it checks come in file order, so
// that the whole pass reads the order column at most once more.
type orderScan struct {
	rg  int
	w   *parquetio.ColumnWindows
	buf []int64
}

// scanAt returns the first pass's reader of row group rg's order column,
// at row row: the one open, moved forward, or a new one.
func (r *run) scanAt(rg, row int) (*parquetio.ColumnWindows, error) {
	sc := &r.scan
	if sc.w == nil || sc.rg != rg || sc.w.Row() > int64(row) {
		r.closeScan()
		w, err := r.file.OpenColumnWindows(rg, r.det.Order.Name)
		if err != nil {
			return nil, err
		}
		sc.w, sc.rg = w, rg
	}
	for int(sc.w.Row()) < row {
		vals, _, err := orderWindow(sc.w, min(row-int(sc.w.Row()), scanWindow), sc.buf, false)
		if err != nil {
			return nil, err
		}
		if cap(vals) > cap(sc.buf) {
			sc.buf = vals[:0]
		}
	}
	return sc.w, nil
}

// closeScan closes the first pass's reader.
func (r *run) closeScan() {
	if r.scan.w != nil {
		r.scan.w.Close()
		r.scan.w = nil
	}
}

// queuePush queues the push of part p of stream ss (or its close), with
// the segments it completes.
func (r *run) queuePush(ss *seqStream, p part, close bool) {
	it := &item{}
	push := &streamPush{s: ss, part: p, close: close, prev: ss.lastDone, done: make(chan struct{})}
	ss.lastDone = push.done
	it.push = push
	if !close {
		ss.queued += p.hi - p.lo
		// every segment held but the current one when the sequence does
		// not reach its end (its later rows belong to sequences to come)
		for len(r.unwritten) > 0 {
			st := r.unwritten[0]
			if st == p.rg && p.endRow != st.g.rows() {
				break
			}
			it.writes = append(it.writes, st)
			push.ends = append(push.ends, ss.queued)
			r.unwritten = r.unwritten[1:]
		}
	}
	r.queueItem(it)
}

// pushPart pushes the next part of the open streaming sequence s.
func (r *run) pushPart(s *seq, p part) {
	s.parts = []part{p}
	r.queuePush(s.stream, p, false)
}

// closeStream queues the close of streaming sequence s, with the segments
// that are then complete.
func (r *run) closeStream(s *seq) {
	r.open = nil
	r.flushItem()
	ss := s.stream
	r.queuePush(ss, part{}, true)
	it := r.queue[len(r.queue)-1]
	last := s.parts[len(s.parts)-1]
	for len(r.unwritten) > 0 {
		st := r.unwritten[0]
		if !(st.ord < last.rg.ord || (st == last.rg && last.endRow == st.g.rows())) {
			break
		}
		it.writes = append(it.writes, st)
		it.push.ends = append(it.push.ends, 0)
		r.unwritten = r.unwritten[1:]
	}
}

// pushStream is the work of a push item: after the push before it, push
// the part (or close the stream) and put the results in their segments.
func (r *run) pushStream(p *streamPush) (err error) {
	if p.prev != nil {
		select {
		case <-p.prev:
		case <-r.ctx.Done():
			close(p.done)
			return r.ctx.Err()
		}
	}
	defer close(p.done)
	ss := p.s
	if ss.failed {
		return fmt.Errorf("computing sequence %q in segments: an earlier segment failed", ss.key)
	}
	ss.failed = true // until this push succeeds (a panic leaves it set)
	d := ss.d
	if !p.close {
		ss.targets = append(ss.targets, p.part)
	}
	var t []int64
	if !p.close && r.spec.NeedsTime && p.part.rg.g.order != nil {
		t = p.part.rg.g.order[p.part.lo:p.part.hi]
	}
	if p.close {
		err = ss.push(parquetio.Floats{}, nil, true)
	}
	for lo := p.part.lo; lo < p.part.hi && err == nil; lo += streamPushRows {
		hi := min(lo+streamPushRows, p.part.hi)
		var tt []int64
		if t != nil {
			tt = t[lo-p.part.lo : hi-p.part.lo]
		}
		err = ss.push(sliceFloats(p.part.rg.g.chunk.Values, lo*d, hi*d), tt, false)
	}
	if err != nil {
		return err
	}
	if p.close && (ss.outRows != ss.n || len(ss.targets) > 0) {
		return fmt.Errorf("computing sequence %q in segments: %d results for %d elements", ss.key, ss.outRows, ss.n)
	}
	p.outAfter = ss.outRows
	ss.failed = false
	return nil
}

// streamPushRows is the most elements pushed at once: a stream's scratch
// grows with its pushes (a smoothing stream holds the extended lines of 8
// channels of a push), so that a part is pushed in pieces of at most this
// many rows (the results do not depend on the split).
var streamPushRows = 8192

// push pushes src (or closes the stream) and places the results.
func (ss *seqStream) push(src parquetio.Floats, t []int64, close bool) (err error) {
	if close { // Close resets what Exceeded reports
		ss.peak, ss.over = ss.exceeded()
	}
	if ss.s32 != nil {
		out := ss.out.F32[:0]
		if close {
			out = ss.s32.Close(out)
		} else if out, err = ss.s32.Push(out, src.F32, t); err != nil {
			return fmt.Errorf("computing sequence %q in segments: %w", ss.key, err)
		}
		ss.out = parquetio.Floats{F32: out}
	} else {
		out := ss.out.F64[:0]
		if close {
			out = ss.s64.Close(out)
		} else if out, err = ss.s64.Push(out, src.F64, t); err != nil {
			return fmt.Errorf("computing sequence %q in segments: %w", ss.key, err)
		}
		ss.out = parquetio.Floats{F64: out}
	}
	return ss.place()
}

// place copies the results of the last push into the output slabs of the
// parts they belong to.
func (ss *seqStream) place() error {
	d := ss.d
	off, total := 0, ss.out.Len()
	for off < total {
		if len(ss.targets) == 0 {
			return fmt.Errorf("computing sequence %q in segments: more results than elements", ss.key)
		}
		p := &ss.targets[0]
		n := copyFloats(p.rg.out, p.lo*d, ss.out, off, min(total, off+(p.hi-p.lo)*d))
		off += n
		p.lo += n / d
		ss.outRows += n / d
		if p.lo == p.hi {
			ss.targets = ss.targets[1:]
		}
	}
	return nil
}

// emitPush writes the segments a push completes, in order: those the
// stream's results have reached, and every one left at its close.
func (r *run) emitPush(it *item) error {
	p := it.push
	ss := p.s
	for i, st := range it.writes {
		ss.pending = append(ss.pending, pendingWrite{st, p.ends[i]})
	}
	for len(ss.pending) > 0 && (p.close || ss.pending[0].end <= p.outAfter) {
		st := ss.pending[0].st
		ss.pending = ss.pending[1:]
		if err := r.write(st); err != nil {
			return err
		}
		r.written(st)
		if r.tracker != nil {
			r.tracker.AddRows(int64(st.g.rows()))
		}
	}
	if !p.close {
		return nil
	}
	r.sequences++
	if peak, over := ss.peak, ss.over; over {
		slog.Warn("a sequence's --bandwidth window held more elements than --memory-limit allows: memory exceeded the limit while it streamed",
			"file", r.file.Path(), "sequence", ss.key, "elements", ss.n, "window_elements", peak,
			"bytes", int64(peak)*int64(ss.d)*8)
	}
	r.releaseStream(ss)
	return nil
}

func (ss *seqStream) exceeded() (int, bool) {
	if ss.s32 != nil {
		return ss.s32.Exceeded()
	}
	return ss.s64.Exceeded()
}

// releaseStream gives a stream's budget back once.
func (r *run) releaseStream(ss *seqStream) {
	r.liveMu.Lock()
	_, live := r.liveStreams[ss]
	delete(r.liveStreams, ss)
	r.liveMu.Unlock()
	if live {
		r.spec.Budget.Release(ss.charge)
		ss.charge = 0
	}
}

// queueItem queues an item for the workers (next hands it out).
func (r *run) queueItem(it *item) { r.queue = append(r.queue, it) }

// idleContext returns a context that is done with r.ctx, or once every
// item next handed out has been emitted (those still queued in r.queue
// wait for the reader): while a stream is open, the segments
// it holds are freed only by pushes of segments not read yet, so waiting
// for the budget with nothing in flight would never end.
func (r *run) idleContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.ctx)
	r.liveMu.Lock()
	r.idleCancel = cancel
	r.liveMu.Unlock()
	if r.inflight.Load() == 0 {
		cancel()
	}
	return ctx, func() {
		r.liveMu.Lock()
		r.idleCancel = nil
		r.liveMu.Unlock()
		cancel()
	}
}

// emitted notes that an item's emit is over, waking a reader waiting for
// the budget when nothing is left in flight.
func (r *run) emitted() {
	if r.inflight.Add(-1) > 0 {
		return
	}
	r.liveMu.Lock()
	if r.idleCancel != nil {
		r.idleCancel()
	}
	r.liveMu.Unlock()
}

// acquireIdle takes n bytes of the budget, waiting while something in
// flight may free them; when nothing can, it takes what it can without
// waiting and overdraws (the bytes are needed to go on). It returns the
// bytes taken.
func (r *run) acquireIdle(n int64) int64 {
	size := r.spec.Budget.Size()
	if size == 0 || n <= 0 {
		return 0
	}
	n = min(n, size)
	if r.spec.Budget.TryAcquire(n) {
		return n
	}
	ctx, done := r.idleContext()
	defer done()
	if r.spec.Budget.Acquire(ctx, n) == nil {
		return n
	}
	return 0
}

// streamOpen reports whether the open sequence streams.
func (r *run) streamOpen() bool { return r.open != nil && r.open.stream != nil }

// rowInGroup is the row of segment g's row row within its row group.
func (r *run) rowInGroup(g *rowGroup, row int) int {
	return int(g.chunk.FirstRow-r.file.RowGroupFirstRow(g.index)) + row
}

// bigRow warns when a nested row (one sequence, read whole as a segment of
// its own) of n elements is larger than the budget.
func (r *run) bigRow(g *rowGroup, key string, n int) {
	size := r.spec.Budget.Size()
	bytes := int64(n) * int64(max(r.d, 1)) * elemSize(g.chunk.Type)
	if !r.inPlace() {
		bytes *= 2
	}
	if size == 0 || bytes <= size {
		return
	}
	slog.Warn("a sequence is larger than --memory-limit: its row is read whole and memory will exceed the limit",
		"file", r.file.Path(), "row_group", g.index, "sequence", key, "elements", n, "bytes", bytes, "limit", size)
}

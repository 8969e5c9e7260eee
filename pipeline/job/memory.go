package job

import (
	"log/slog"

	"github.com/contextualize/contextualize/io/parquetio"
)

// reserve charges the budget for the next segment of row group i (its
// input and output slabs) before it is read, so the reader stops while the
// budget is spent. When the sequence still open needs this segment to
// finish, waiting could deadlock (the segments we hold wait for it): then
// it takes what is free now, or overdraws, since the sequence must be held
// whole anyway. settle then matches the charge to what was read.
func (r *run) reserve(i int) error {
	if err := r.readAhead(); err != nil {
		return err
	}
	n := r.estimate(i)
	if n == 0 {
		return nil
	}
	if n > r.spec.Budget.Size() {
		r.oversized(i, n)
		n = r.spec.Budget.Size()
	}
	if r.open == nil {
		if err := r.spec.Budget.Acquire(r.ctx, n); err != nil {
			return err
		}
		r.pendingCharge = n
		return nil
	}
	if r.streamOpen() {
		r.pendingCharge = r.acquireIdle(n)
		return r.ctx.Err()
	}
	if r.spec.Budget.TryAcquire(n) {
		r.pendingCharge = n
	}
	return nil
}

// settle makes a segment's charge (reserved before it was read) its bytes
// as read: the rest is given back, or more is taken if free (a row longer
// than a segment). It returns the new charge, never above the budget.
func (r *run) settle(charge, bytes int64) int64 {
	b := r.spec.Budget
	if b.Size() == 0 {
		return 0
	}
	bytes = min(bytes, b.Size())
	switch {
	case bytes < charge:
		b.Release(charge - bytes)
		return bytes
	case bytes > charge && b.TryAcquire(bytes-charge):
		return bytes
	}
	return charge
}

// readAhead waits until fewer than workers+1 segments are in flight, so
// the reader stays just ahead of the writer and written segments' slabs
// are recycled instead of fresh memory being touched (12 us per 4 KiB page
// on this VM). Like the budget, it never waits while the open sequence
// needs the next segment.
func (r *run) readAhead() error {
	if r.ahead == nil {
		r.ahead = make(chan struct{}, max(r.spec.Workers, 1)+1)
	}
	if r.streamOpen() {
		ctx, done := r.idleContext()
		defer done()
		select {
		case r.ahead <- struct{}{}:
			r.pendingSlot = true
		case <-ctx.Done():
		}
		return r.ctx.Err()
	}
	if r.open != nil {
		select {
		case r.ahead <- struct{}{}:
			r.pendingSlot = true
		default:
		}
		return nil
	}
	select {
	case r.ahead <- struct{}{}:
		r.pendingSlot = true
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// estimate is the bytes the next segment of row group i will hold in
// flight: its values (at most segFloats, and what is left of the column
// chunk), a separate output slab unless the job computes in place, and
// its order values. 0 without a budget.
func (r *run) estimate(i int) int64 {
	if r.spec.Budget.Size() == 0 {
		return 0
	}
	floats := int64(r.file.SlabLen(i, r.det.Value.Name) - r.segFloatsRead)
	if r.segFloats > 0 {
		floats = min(floats, int64(r.segFloats))
	}
	slabs := int64(2)
	if r.inPlace() {
		slabs = 1
	}
	n := slabs * max(floats, 0) * elemSize(r.det.Value.Elem.SlabType())
	if r.orderPerSegment() {
		n += 8 * max(floats, 0) / int64(max(r.d, r.det.Value.FixedSize, 1))
	}
	return n
}

// inPlace reports whether results overwrite the input slab: always, unless
// an observer still needs the inputs after the computation. Computers must
// accept dst == src (attention.MHA and attention.Smoother do).
func (r *run) inPlace() bool { return r.observer == nil }

// written recycles a written segment's slabs (and its row group's keys
// after its last segment), then releases its read-ahead slot and budget:
// in that order, so the reader woken by the release finds the slabs.
func (r *run) written(st *rgState) {
	r.releaseState(st)
	if st.last {
		r.releaseKeysOf(st.keys)
	}
	r.liveMu.Lock()
	delete(r.live, st)
	r.liveMu.Unlock()
	if st.slot {
		st.slot = false
		<-r.ahead
	}
	r.spec.Budget.Release(st.charge)
	st.charge = 0
}

// releaseState gives a row group's pooled storage (inputs, order values
// and a separate output slab) back to the pool.
func (r *run) releaseState(st *rgState) {
	r.release(st.g)
	if st.outPooled {
		putSlab(st.out)
	}
	st.out, st.outPooled = parquetio.Floats{}, false
}

// release gives a row group's pooled inputs and order values back.
func (r *run) release(g *rowGroup) {
	if g.pooledValues {
		putSlab(g.chunk.Values)
	}
	if g.pooledOrder {
		putInt64s(g.order)
	}
	g.chunk.Values, g.order = parquetio.Floats{}, nil
	g.pooledValues, g.pooledOrder = false, false
}

// pooled reports whether value slabs come from (and go back to) the slab
// pool. Not when output row groups are re-cut (--row-group-rows): the row
// writer may hold values of a row group after it returns.
func (r *run) pooled() bool { return r.spec.Writer.RowGroupRows == 0 }

// releaseUnwritten returns the budget and storage of segments never
// written: after an error or cancellation, those still open or queued in
// items that were never emitted, with their row groups' keys and the
// segment reader. Every goroutine has stopped by then.
func (r *run) releaseUnwritten() {
	for st := range r.live {
		r.spec.Budget.Release(st.charge)
		st.charge = 0
		r.releaseState(st)
		r.releaseKeysOf(st.keys)
	}
	r.closeOrderWin(r.keys)
	r.releaseKeysOf(r.keys)
	r.closeScan()
	if r.sr != nil {
		r.sr.Close()
		r.sr = nil
	}
	for s := range r.liveSeqs {
		r.releaseGathered(s)
	}
	for ss := range r.liveStreams {
		r.releaseStream(ss)
	}
	r.live, r.unwritten = nil, nil
	r.spec.Budget.Release(r.pendingCharge)
	r.pendingCharge = 0
}

// readSlab returns the slab row group i's values are read into: from the
// pool, sized by the column chunk's value count. nil when slabs are not
// pooled (ReadValues then allocates on the heap).
func (r *run) readSlab(i int) *parquetio.Floats {
	if !r.pooled() {
		return nil
	}
	f := getSlab(r.det.Value.Elem.SlabType(), r.file.SlabLen(i, r.det.Value.Name))
	return &f
}

// slab returns n values of type t for results: from the pool, or the heap
// when slabs are not pooled. Every value is written by the computation.
func (r *run) slab(t parquetio.ElemType, n int) parquetio.Floats {
	if r.pooled() {
		return getSlab(t, n)
	}
	return alloc(t, n)
}

// oversized handles a row group whose values alone exceed the budget: it
// is processed alone (the reservation takes the whole budget), and the GC's
// soft limit is raised to fit it, since a heap held above the soft limit
// makes the collector run without pause (a 360 MB row group under a 256 MiB
// limit took 90 s instead of 10 s).
func (r *run) oversized(i int, n int64) {
	if r.warned {
		return
	}
	r.warned = true
	slog.Warn("a row group is larger than --memory-limit: it is processed alone and memory will exceed the limit",
		"file", r.file.Path(), "row_group", i, "bytes_in_flight", n, "limit", r.spec.Budget.Size(),
		"hint", "rewrite the input with smaller row groups, or raise --memory-limit")
	raiseHeapLimit(2*n + oversizeHeadroom)
}

// oversizeHeadroom is the runtime and writer memory beyond the row group.
const oversizeHeadroom = 128 << 20

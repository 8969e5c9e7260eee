package job

import (
	"log/slog"
	"runtime/debug"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

// reserve charges the budget for row group i (its input and output slabs)
// before it is read, so the reader stops while the budget is spent. When
// the sequence still open needs this row group to finish, waiting could
// deadlock (the row groups we hold wait for it): then it takes what is
// free now, or overdraws, since the sequence must be held whole anyway.
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
	if r.spec.Budget.TryAcquire(n) {
		r.pendingCharge = n
	}
	return nil
}

// readAhead waits until fewer than workers+1 row groups are in flight, so
// the reader stays just ahead of the writer and written row groups' slabs
// are recycled instead of fresh memory being touched (12 us per 4 KiB page
// on this VM). Like the budget, it never waits while the open sequence
// needs the next row group.
func (r *run) readAhead() error {
	if r.ahead == nil {
		r.ahead = make(chan struct{}, max(r.spec.Workers, 1)+1)
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

// estimate is the bytes row group i will hold in flight: its values, and
// a separate output slab unless the job computes in place. 0 when d is not
// known yet (the first row group of a file whose schema does not fix it),
// for the nested layout, or without a budget.
func (r *run) estimate(i int) int64 {
	if r.d == 0 || r.spec.Budget.Size() == 0 {
		return 0
	}
	rows := r.file.RowGroupRows(i)
	if r.det.Layout != schemas.Long {
		return 0 // elements per row are not known before reading
	}
	slabs := int64(2)
	if r.inPlace() {
		slabs = 1
	}
	return slabs * rows * int64(r.d) * elemSize(r.det.Value.Elem.SlabType())
}

// inPlace reports whether results overwrite the input slab: always, unless
// an observer still needs the inputs after the computation. Computers must
// accept dst == src (attention.MHA and attention.Smoother do).
func (r *run) inPlace() bool { return r.observer == nil }

// written recycles a written row group's slabs, then releases its
// read-ahead slot and budget: in that order, so the reader woken by the
// release finds the slabs.
func (r *run) written(st *rgState) {
	r.releaseState(st)
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

// releaseUnwritten returns the budget and storage of row groups never
// written: after an error or cancellation, those still open or queued in
// items that were never emitted. Every goroutine has stopped by then.
func (r *run) releaseUnwritten() {
	for st := range r.live {
		r.spec.Budget.Release(st.charge)
		st.charge = 0
		r.releaseState(st)
	}
	for s := range r.liveSeqs {
		r.releaseGathered(s)
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
	if cur := debug.SetMemoryLimit(-1); cur < 2*n+oversizeHeadroom {
		debug.SetMemoryLimit(2*n + oversizeHeadroom)
	}
}

// oversizeHeadroom is the runtime and writer memory beyond the row group.
const oversizeHeadroom = 128 << 20

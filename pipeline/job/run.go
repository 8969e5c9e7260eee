package job

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// run is the state of processing one file.
type run struct {
	spec      *Spec
	file      *parquetio.File
	det       schemas.Detected
	writer    *parquetio.Writer
	tracker   pipeline.Tracker
	observer  Observer
	comp      Computer
	d         int
	rg        int        // next row group to read
	open      *seq       // the sequence the last row group ended with
	unwritten []*rgState // row groups read and not yet queued for writing, in order
	liveMu    sync.Mutex
	live      map[*rgState]struct{} // row groups read and not yet written
	liveSeqs  map[*seq]struct{}     // gathered sequences holding pooled copies
	cur       *item                 // the item being filled
	queue     []*item               // items ready for the workers
	closed    map[string]int64
	sequences int64
	ctx       context.Context // cancelled when the work fails, so a reserve never waits forever
	cancel    context.CancelFunc
	// pendingCharge is what reserve took for the row group about to be read.
	pendingCharge int64
	warned        bool          // oversized row group reported
	ahead         chan struct{} // read-ahead slots: row groups read and not yet written
	binding       chan struct{} // closed when the computer started by startBind is made
	boundD        int           // the width it is made for
	bound         Computer      // its result, read after binding is closed
	bindErr       error
	pendingSlot   bool         // readAhead took a slot for the row group about to be read
	idRuns        *idRunsCache // the ids' runs, read while checking contiguity
	// the row group being read in segments (see segments.go)
	sr            *parquetio.SegmentReader
	keys          *rgKeys
	keysPending   bool // keys are still being read
	segRow        int  // rows of the row group read
	segFloatsRead int  // floats of the row group read
	segFloats     int  // the most floats of a segment (0: whole row groups)
	ord           int  // segments read so far in the file
	// streaming sequences (see longseq.go)
	scan        orderScan               // the first pass over order values (ascending)
	liveStreams map[*seqStream]struct{} // started and not released
	inflight    atomic.Int64            // items handed out and not emitted
	idleCancel  context.CancelFunc      // wakes a reader waiting with nothing in flight
	panicOnce   sync.Once
	panicErr    error // a worker's or the emitter's panic, which cancelled r.ctx
}

const defaultSegmentElems = 1 << 16

func (r *run) execute(ctx context.Context) error {
	setIdleCap(r.spec.Budget.Size())
	r.d = r.det.D
	r.closed = map[string]int64{}
	r.cur = &item{}
	r.segFloats = r.segmentFloats()
	r.ctx, r.cancel = context.WithCancel(ctx)
	defer r.cancel()
	defer r.releaseUnwritten()
	workers := max(r.spec.Workers, 1)
	// The budget is charged per segment by reserve, not per item.
	err := pipeline.Ordered(r.ctx, workers, nil, r.next, r.cancelOnError(r.work), r.cancelOnError(r.emit))
	if err != nil && r.panicErr != nil {
		return r.panicErr
	}
	return err
}

// cancelOnError cancels r.ctx when f fails, waking a reserve that waits.
func (r *run) cancelOnError(f func(**item) error) func(**item) error {
	return func(it **item) error {
		defer func() {
			if rec := recover(); rec != nil {
				// a push waiting for this one, and a reader waiting for
				// the budget, must not wait forever; the panic stays the
				// file's error (execute)
				r.panicOnce.Do(func() { r.panicErr = fmt.Errorf("panic in worker: %v\n%s", rec, debug.Stack()) })
				r.cancel()
				panic(rec)
			}
		}()
		err := f(it)
		if err != nil {
			r.cancel()
		}
		return err
	}
}

// target is the number of elements per work item.
func (r *run) target() int {
	if r.spec.SegmentElems > 0 {
		return r.spec.SegmentElems
	}
	return max(defaultSegmentElems/max(r.d, 1), 1)
}

// next returns the next work item, reading segments until one is ready.
func (r *run) next() (*item, int64, bool, error) {
	for len(r.queue) == 0 {
		if r.sr == nil {
			if r.rg >= r.file.NumRowGroups() {
				if r.cur == nil {
					return nil, 0, false, nil
				}
				r.finish()
				r.cur = nil
				continue
			}
			if err := r.openRowGroup(r.rg); err != nil {
				return nil, 0, false, err
			}
		}
		if err := r.reserve(r.rg); err != nil {
			return nil, 0, false, err
		}
		if err := r.addSegment(); err != nil {
			return nil, 0, false, err
		}
		// Nothing read waits in r.cur: every segment we hold is either
		// behind an item handed to the workers or part of the open sequence.
		r.flushItem()
	}
	it := r.queue[0]
	r.queue = r.queue[1:]
	r.inflight.Add(1)
	return it, 0, true, nil // the budget is charged per segment by reserve
}

// startBind makes the computer for width d on another goroutine, so that
// preparing it (weights converted and packed: 40-60 ms of fresh memory for
// d = 384) overlaps the reading of the first row group instead of
// following it. ReadValues calls it through ReadSpec.OnD.
func (r *run) startBind(d int) {
	if r.binding != nil {
		return
	}
	done := make(chan struct{})
	r.binding, r.boundD = done, d
	go func() {
		defer close(done)
		defer func() {
			if rec := recover(); rec != nil {
				r.bindErr = fmt.Errorf("preparing the computation for d=%d: panic: %v", d, rec)
			}
		}()
		r.bound, r.bindErr = r.spec.Bind(r.det, d)
	}()
}

// bindOnce waits for the computer once the vector width is known.
func (r *run) bindOnce() error {
	if r.comp != nil {
		return nil
	}
	if r.binding != nil && r.boundD != r.d {
		<-r.binding // made for another width (OnD reports the chunk's own d, so not expected)
		r.binding = nil
	}
	if r.binding == nil {
		r.startBind(r.d)
	}
	<-r.binding
	if r.bindErr != nil {
		return r.bindErr
	}
	r.comp = r.bound
	return nil
}

// work computes the sequences of one item.
func (r *run) work(it **item) error {
	if (*it).push != nil {
		return r.pushStream((*it).push)
	}
	for _, s := range (*it).seqs {
		r.compute(s)
	}
	return nil
}

func (r *run) compute(s *seq) {
	n, d := s.n, max(r.d, 1)
	if n == 0 || s.skip {
		return
	}
	perm := sortedPerm(s.order)
	var t []int64
	if r.spec.NeedsTime {
		t = s.order
	}
	if s.in.F32 != nil {
		if perm == nil {
			r.comp.Compute32(s.out.F32, s.in.F32, n, d, t)
			return
		}
		ps, pd := gather(s.in.F32, perm, d), make([]float32, n*d)
		r.comp.Compute32(pd, ps, n, d, gatherT(t, perm))
		scatter(s.out.F32, pd, perm, d)
		return
	}
	if perm == nil {
		r.comp.Compute64(s.out.F64, s.in.F64, n, d, t)
		return
	}
	ps, pd := gather(s.in.F64, perm, d), make([]float64, n*d)
	r.comp.Compute64(pd, ps, n, d, gatherT(t, perm))
	scatter(s.out.F64, pd, perm, d)
}

// sortedPerm is nil when t is sorted (or absent), else the stable order.
func sortedPerm(t []int64) []int {
	if t == nil || slices.IsSorted(t) {
		return nil
	}
	perm := make([]int, len(t))
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(i, j int) bool { return t[perm[i]] < t[perm[j]] })
	return perm
}

func gather[T float32 | float64](src []T, perm []int, d int) []T {
	out := make([]T, len(src))
	for i, p := range perm {
		copy(out[i*d:(i+1)*d], src[p*d:(p+1)*d])
	}
	return out
}

func gatherT(t []int64, perm []int) []int64 {
	if t == nil {
		return nil
	}
	out := make([]int64, len(t))
	for i, p := range perm {
		out[i] = t[p]
	}
	return out
}

func scatter[T float32 | float64](dst, src []T, perm []int, d int) {
	for i, p := range perm {
		copy(dst[p*d:(p+1)*d], src[i*d:(i+1)*d])
	}
}

// emit runs in input order: it puts gathered results back, feeds the
// observer and writes the row groups this item completes.
func (r *run) emit(pit **item) error {
	it := *pit
	defer r.emitted()
	if it.push != nil {
		return r.emitPush(it)
	}
	d := max(r.d, 1)
	for _, s := range it.seqs {
		s.scatter(d)
		err := r.observe(s)
		r.releaseGathered(s)
		if err != nil {
			return err
		}
	}
	r.sequences += int64(len(it.seqs))
	for _, st := range it.writes {
		if err := r.write(st); err != nil {
			return err
		}
		r.written(st)
		if r.tracker != nil {
			r.tracker.AddRows(int64(st.g.rows()))
		}
	}
	return nil
}

// write hands a segment's results to the writer: its row group begun
// before its first segment and ended after its last.
func (r *run) write(st *rgState) error {
	if st.first {
		if err := r.writer.BeginRowGroup(st.g.index); err != nil {
			return err
		}
	}
	if st.g.rows() > 0 {
		out := st.g.chunk
		out.Values = st.out
		if err := r.writer.WriteSegment(out); err != nil {
			return err
		}
	}
	if st.last {
		return r.writer.EndRowGroup()
	}
	return nil
}

// observe hands a sequence, in order-column order, to the observer.
func (r *run) observe(s *seq) error {
	if r.observer == nil || s.skip {
		return nil
	}
	d := max(r.d, 1)
	perm := sortedPerm(s.order)
	x := inOrder(s.in, perm, s.n, d)
	ro, ok := r.observer.(ResultObserver)
	if !ok {
		return r.observer.Sequence(s.key, x, s.n, d)
	}
	res := Result{Key: s.key, N: s.n, D: d, In: x, Out: inOrder(s.out, perm, s.n, d)}
	if s.order != nil {
		res.Order = slices.Clone(s.order)
		if perm != nil {
			res.Order = gatherT(s.order, perm)
		}
	}
	return ro.Result(res)
}

// inOrder copies the n×d values of f as float64, element i taken from
// perm[i] when perm is not nil.
func inOrder(f parquetio.Floats, perm []int, n, d int) []float64 {
	x := make([]float64, n*d)
	for i := 0; i < n; i++ {
		src := i
		if perm != nil {
			src = perm[i]
		}
		for j := 0; j < d; j++ {
			if f.F32 != nil {
				x[i*d+j] = float64(f.F32[src*d+j])
			} else {
				x[i*d+j] = f.F64[src*d+j]
			}
		}
	}
	return x
}

package job

import (
	"context"
	"sort"

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
	rg        int
	look      *rowGroup
	closed    map[string]int64
	sequences int64
	queue     []item
}

// item is a work unit: sequences [lo, hi) of a batch; the last item of a
// batch writes its row groups when emitted.
type item struct {
	b      *batch
	lo, hi int
	last   bool
}

const defaultSegmentElems = 1 << 16

func (r *run) execute(ctx context.Context) error {
	r.d = r.det.D
	r.closed = map[string]int64{}
	workers := max(r.spec.Workers, 1)
	return pipeline.Ordered(ctx, workers, r.spec.Budget, r.next, r.work, r.emit)
}

// next returns the next work item, reading a new batch when the queue is
// empty.
func (r *run) next() (item, int64, bool, error) {
	for len(r.queue) == 0 {
		b, err := r.nextBatch()
		if err != nil {
			return item{}, 0, false, err
		}
		if b == nil {
			return item{}, 0, false, nil
		}
		if err := r.bind(b); err != nil {
			return item{}, 0, false, err
		}
		r.queue = r.segment(b)
	}
	it := r.queue[0]
	r.queue = r.queue[1:]
	var bytes int64
	if it.lo == 0 {
		bytes = it.b.bytes
	}
	return it, bytes, true, nil
}

// bind makes the computer once the vector width is known.
func (r *run) bind(b *batch) error {
	if r.comp != nil || b.elems() == 0 {
		return nil
	}
	b.d = r.d
	c, err := r.spec.Bind(r.det, r.d)
	if err != nil {
		return err
	}
	r.comp = c
	return nil
}

// segment cuts a batch into items of whole sequences near the target size.
func (r *run) segment(b *batch) []item {
	b.d = max(r.d, 1)
	target := r.spec.SegmentElems
	if target <= 0 {
		target = max(defaultSegmentElems/b.d, 1)
	}
	var items []item
	lo, size := 0, 0
	for i, s := range b.seqs {
		size += s.hi - s.lo
		if size >= target || i == len(b.seqs)-1 {
			items = append(items, item{b: b, lo: lo, hi: i + 1})
			lo, size = i+1, 0
		}
	}
	if len(items) == 0 {
		items = append(items, item{b: b})
	}
	items[len(items)-1].last = true
	return items
}

// work computes the sequences of one item.
func (r *run) work(it *item) error {
	for _, s := range it.b.seqs[it.lo:it.hi] {
		r.computeSpan(it.b, s)
	}
	return nil
}

func (r *run) computeSpan(b *batch, s span) {
	n, d := s.hi-s.lo, b.d
	if n == 0 {
		return
	}
	var t []int64
	if b.order != nil {
		t = b.order[s.lo:s.hi]
	}
	perm := sortedPerm(t)
	if !r.spec.NeedsTime {
		t = nil
	}
	if b.in.F32 != nil {
		src, dst := b.in.F32[s.lo*d:s.hi*d], b.out.F32[s.lo*d:s.hi*d]
		if perm == nil {
			r.comp.Compute32(dst, src, n, d, t)
			return
		}
		ps, pd, pt := gather(src, perm, d), make([]float32, n*d), gatherT(t, perm)
		r.comp.Compute32(pd, ps, n, d, pt)
		scatter(dst, pd, perm, d)
		return
	}
	src, dst := b.in.F64[s.lo*d:s.hi*d], b.out.F64[s.lo*d:s.hi*d]
	if perm == nil {
		r.comp.Compute64(dst, src, n, d, t)
		return
	}
	ps, pd, pt := gather(src, perm, d), make([]float64, n*d), gatherT(t, perm)
	r.comp.Compute64(pd, ps, n, d, pt)
	scatter(dst, pd, perm, d)
}

// sortedPerm is nil when t is sorted (or absent), else the stable order.
func sortedPerm(t []int64) []int {
	if t == nil || sort.SliceIsSorted(t, func(i, j int) bool { return t[i] < t[j] }) {
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

// emit writes a batch's row groups once its last item is done.
func (r *run) emit(it *item) error {
	r.sequences += int64(it.hi - it.lo)
	if err := r.observe(it); err != nil {
		return err
	}
	if !it.last {
		return nil
	}
	off := 0
	for _, g := range it.b.groups {
		n := g.chunk.Elems() * max(r.d, 1)
		out := g.chunk
		if it.b.out.F32 != nil {
			out.Values = parquetio.Floats{F32: it.b.out.F32[off : off+n]}
		} else {
			out.Values = parquetio.Floats{F64: it.b.out.F64[off : off+n]}
		}
		off += n
		if err := r.writer.WriteRowGroup(g.index, out); err != nil {
			return err
		}
		if r.tracker != nil {
			r.tracker.AddRows(int64(g.rows()))
		}
	}
	return nil
}

// observe hands the item's sequences, in order-column order, to the
// observer.
func (r *run) observe(it *item) error {
	if r.observer == nil {
		return nil
	}
	b, d := it.b, it.b.d
	for _, s := range b.seqs[it.lo:it.hi] {
		n := s.hi - s.lo
		var t []int64
		if b.order != nil {
			t = b.order[s.lo:s.hi]
		}
		perm := sortedPerm(t)
		x := make([]float64, n*d)
		for i := 0; i < n; i++ {
			src := s.lo + i
			if perm != nil {
				src = s.lo + perm[i]
			}
			for j := 0; j < d; j++ {
				if b.in.F32 != nil {
					x[i*d+j] = float64(b.in.F32[src*d+j])
				} else {
					x[i*d+j] = b.in.F64[src*d+j]
				}
			}
		}
		if err := r.observer.Sequence(s.key, x, n, d); err != nil {
			return err
		}
	}
	return nil
}

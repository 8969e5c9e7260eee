package job

import (
	"fmt"
	"strconv"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

var sprintf = fmt.Sprintf

// span is one sequence inside a batch: elements [lo, hi) of the batch.
type span struct {
	lo, hi int
	key    string
	row    int64 // file row of its first element (long) or its row (nested)
}

// batch is a run of consecutive row groups that holds only complete
// sequences: the unit whose row groups are written together.
type batch struct {
	groups []*rowGroup
	d      int
	typ    parquetio.ElemType
	in     parquetio.Floats
	out    parquetio.Floats
	order  []int64 // per element, nil without an order or time column
	seqs   []span
	bytes  int64
}

func (b *batch) elems() int {
	n := 0
	for _, g := range b.groups {
		n += g.chunk.Elems()
	}
	return n
}

// nextBatch reads row groups until the last sequence is complete.
func (r *run) nextBatch() (*batch, error) {
	n := r.file.NumRowGroups()
	if r.look == nil {
		if r.rg >= n {
			return nil, nil
		}
		g, err := r.readRowGroup(r.rg)
		if err != nil {
			return nil, err
		}
		r.rg++
		r.look = g
	}
	groups := []*rowGroup{r.look}
	r.look = nil
	for r.rg < n && r.det.Layout == schemas.Long {
		g, err := r.readRowGroup(r.rg)
		if err != nil {
			return nil, err
		}
		r.rg++
		if !r.continues(groups, g) {
			r.look = g
			break
		}
		groups = append(groups, g)
	}
	return r.assemble(groups)
}

// continues reports whether g's first row belongs to the sequence that the
// last of groups ends with.
func (r *run) continues(groups []*rowGroup, g *rowGroup) bool {
	if r.det.Sequence == nil || g.rows() == 0 {
		return true
	}
	for i := len(groups) - 1; i >= 0; i-- {
		if ks := groups[i].keys; len(ks) > 0 {
			return ks[len(ks)-1] == g.keys[0]
		}
	}
	return false
}

// assemble concatenates the groups' values and lists their sequences.
func (r *run) assemble(groups []*rowGroup) (*batch, error) {
	b := &batch{groups: groups, d: r.d, typ: groups[0].chunk.Type}
	b.in = concat(groups, b.elems()*max(r.d, 1))
	b.out = alloc(b.typ, b.elems()*max(r.d, 1))
	b.bytes = 2 * int64(b.elems()*max(r.d, 1)) * elemSize(b.typ)
	if r.det.Layout == schemas.Nested {
		return b, r.nestedSpans(b)
	}
	return b, r.longSpans(b)
}

func (r *run) nestedSpans(b *batch) error {
	g := b.groups[0]
	b.order = g.order
	for row := 0; row < g.rows(); row++ {
		lo, hi := int(g.chunk.Offsets[row]), int(g.chunk.Offsets[row+1])
		key := strconv.FormatInt(g.chunk.FirstRow+int64(row), 10)
		if g.keys != nil {
			key = g.keys[row]
		}
		b.seqs = append(b.seqs, span{lo: lo, hi: hi, key: key, row: g.chunk.FirstRow + int64(row)})
	}
	return nil
}

func (r *run) longSpans(b *batch) error {
	base := 0
	for gi, g := range b.groups {
		if g.order != nil {
			b.order = append(b.order, g.order...)
		}
		for k, start := range g.starts {
			if gi > 0 && k == 0 && len(b.seqs) > 0 {
				continue // the sequence goes on from the previous row group
			}
			if err := r.open(g, start, g.keys[k]); err != nil {
				return err
			}
			b.seqs = append(b.seqs, span{lo: base + start, key: g.keys[k], row: g.chunk.FirstRow + int64(start)})
		}
		base += g.rows()
	}
	if len(b.seqs) == 0 && b.elems() > 0 {
		b.seqs = []span{{lo: 0, row: b.groups[0].chunk.FirstRow}}
	}
	for i := range b.seqs {
		if i+1 < len(b.seqs) {
			b.seqs[i].hi = b.seqs[i+1].lo
		} else {
			b.seqs[i].hi = base
		}
	}
	return nil
}

// open records that a sequence starts, refusing ids seen before: the rows
// of one sequence must be contiguous.
func (r *run) open(g *rowGroup, row int, key string) error {
	if first, seen := r.closed[key]; seen {
		return r.dataError(g, row, r.det.Sequence.Name,
			sprintf("the rows of each sequence to be contiguous"),
			sprintf("sequence %q again after it ended (it started at row %d)", key, first))
	}
	r.closed[key] = g.chunk.FirstRow + int64(row)
	return nil
}

func concat(groups []*rowGroup, n int) parquetio.Floats {
	if len(groups) == 1 {
		return groups[0].chunk.Values
	}
	out := alloc(groups[0].chunk.Type, n)
	off := 0
	for _, g := range groups {
		if out.F32 != nil {
			off += copy(out.F32[off:], g.chunk.Values.F32)
		} else {
			off += copy(out.F64[off:], g.chunk.Values.F64)
		}
	}
	return out
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

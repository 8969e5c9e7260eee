package job

import (
	"strconv"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

// rowGroup is one input row group: its values and, for the long layout,
// where sequences start and the order value of each row.
type rowGroup struct {
	index  int
	chunk  parquetio.ValueChunk
	starts []int    // rows where a new sequence id begins (long layout with ids)
	keys   []string // the id at each start
	order  []int64  // per element: the order (long) or time (nested) value; nil without one
}

func (g *rowGroup) rows() int { return g.chunk.Rows }

// readRowGroup reads the value column and the key columns of row group i.
func (r *run) readRowGroup(i int) (*rowGroup, error) {
	spec := parquetio.ReadSpec{Column: r.det.Value.Name, Nesting: r.det.Nesting(), D: r.d}
	chunk, err := r.file.ReadValues(i, spec, r.reuse())
	if err != nil {
		return nil, err
	}
	if r.d == 0 && chunk.Elems() > 0 {
		r.d = chunk.D
	}
	g := &rowGroup{index: i, chunk: chunk}
	if r.det.Layout == schemas.Nested {
		if err := r.readRowKeys(g); err != nil {
			return nil, err
		}
		return g, r.readTimes(g)
	}
	if err := r.readSequenceIDs(g); err != nil {
		return nil, err
	}
	return g, r.readOrder(g)
}

func (r *run) readSequenceIDs(g *rowGroup) error {
	if g.rows() == 0 {
		return nil
	}
	if r.det.Sequence == nil {
		g.starts, g.keys = []int{0}, []string{""} // the whole file is one sequence
		return nil
	}
	starts, keys, err := r.file.ReadRuns(g.index, r.det.Sequence.Name)
	if err != nil {
		return err
	}
	g.starts, g.keys = starts, keys
	return nil
}

// readRowKeys reads the nested layout's sequence ids, one per row, when
// someone observes sequences by key.
func (r *run) readRowKeys(g *rowGroup) error {
	if r.det.Sequence == nil || r.observer == nil || g.rows() == 0 {
		return nil
	}
	a, err := r.file.ReadColumn(g.index, r.det.Sequence.Name)
	if err != nil {
		return err
	}
	defer a.Release()
	g.keys = make([]string, a.Len())
	for row := range g.keys {
		k, ok := keyString(a, row)
		if !ok {
			k = strconv.FormatInt(g.chunk.FirstRow+int64(row), 10)
		}
		g.keys[row] = clone(k)
	}
	return nil
}

func (r *run) readOrder(g *rowGroup) error {
	if r.det.Order == nil || g.rows() == 0 {
		return nil
	}
	col := r.det.Order.Name
	a, err := r.file.ReadColumn(g.index, col)
	if err != nil {
		return err
	}
	defer a.Release()
	vals, bad, err := orderValues(a)
	if err != nil {
		return r.dataError(g, bad, col, "an integer, timestamp or date order value", err.Error())
	}
	g.order = vals
	return nil
}

func (r *run) readTimes(g *rowGroup) error {
	if r.det.Time == nil || !r.spec.NeedsTime {
		return nil
	}
	col := r.det.Time.Name
	vals, offs, err := r.file.ReadListInt64(g.index, col)
	if err != nil {
		return err
	}
	for row := 0; row < g.rows(); row++ {
		n, m := offs[row+1]-offs[row], g.chunk.Offsets[row+1]-g.chunk.Offsets[row]
		if n != m {
			return r.dataError(g, row, col, sprintf("%d times, one per value of %q", m, r.det.Value.Name), sprintf("%d", n))
		}
	}
	g.order = vals
	return nil
}

func (r *run) dataError(g *rowGroup, row int, col, expected, found string) error {
	rowIdx := int64(-1)
	if row >= 0 {
		rowIdx = g.chunk.FirstRow + int64(row)
	}
	return &parquetio.DataError{File: r.file.Path(), RowGroup: g.index, Row: rowIdx, Column: col, Expected: expected, Found: found}
}

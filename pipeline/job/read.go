package job

import (
	"strconv"

	"golang.org/x/sync/errgroup"

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
// In the long layout the sequence ids and the order column are read by a
// second goroutine while this one reads the values: the reader is the one
// serial stage of a file, and on a long table it spends as long on those
// two columns as on the values.
func (r *run) readRowGroup(i int) (*rowGroup, error) {
	g := &rowGroup{index: i}
	var keys longKeys
	var eg errgroup.Group
	if r.det.Layout == schemas.Long {
		eg.Go(func() error { return r.readLongKeys(i, &keys) })
	}
	spec := parquetio.ReadSpec{Column: r.det.Value.Name, Nesting: r.det.Nesting(), D: r.d}
	slab := r.readSlab(i)
	chunk, err := r.file.ReadValues(i, spec, slab)
	keyErr := eg.Wait()
	if slab != nil && (err != nil || !sameSlab(*slab, chunk.Values)) {
		putSlab(*slab) // unused, or outgrown (a footer that undercounts)
	}
	if err != nil {
		return nil, err
	}
	g.chunk = chunk
	if r.d == 0 && chunk.Elems() > 0 {
		r.d = chunk.D
	}
	if r.det.Layout == schemas.Nested {
		if err := r.readRowKeys(g); err != nil {
			return nil, err
		}
		return g, r.readTimes(g)
	}
	if keyErr != nil {
		return nil, keyErr
	}
	if keys.badOrder != nil {
		return nil, r.dataError(g, keys.badRow, r.det.Order.Name, "an integer, timestamp or date order value", keys.badOrder.Error())
	}
	g.starts, g.keys, g.order = keys.starts, keys.keys, keys.order
	return g, nil
}

// longKeys is what readLongKeys finds in a row group of the long layout.
type longKeys struct {
	starts   []int    // rows where a new sequence id begins
	keys     []string // the id at each start
	order    []int64  // the order value of each row; nil without an order column
	badOrder error    // an order value that is not one (at badRow)
	badRow   int
}

// readLongKeys reads row group i's sequence ids (as runs) and order values.
// It runs beside the value reader, so it touches nothing else of the run.
func (r *run) readLongKeys(i int, k *longKeys) error {
	if r.file.RowGroupRows(i) == 0 {
		return nil
	}
	if r.det.Sequence == nil {
		k.starts, k.keys = []int{0}, []string{""} // the whole file is one sequence
	} else {
		starts, keys, err := r.file.ReadRuns(i, r.det.Sequence.Name)
		if err != nil {
			return err
		}
		k.starts, k.keys = starts, keys
	}
	if r.det.Order == nil {
		return nil
	}
	a, err := r.file.ReadColumn(i, r.det.Order.Name)
	if err != nil {
		return err
	}
	defer a.Release()
	k.order, k.badRow, k.badOrder = orderValues(a)
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

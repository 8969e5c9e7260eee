package job

import (
	"errors"
	"strconv"
	"sync"

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
	// pooledValues and pooledOrder: chunk.Values and order came from the
	// slab pool and go back to it once the row group is written.
	pooledValues, pooledOrder bool
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
	if r.binding == nil {
		spec.OnD = r.startBind
	}
	slab := r.readSlab(i)
	chunk, err := r.file.ReadValues(i, spec, slab)
	keyErr := eg.Wait()
	g.pooledValues = slab != nil && err == nil && sameSlab(*slab, chunk.Values)
	if slab != nil && !g.pooledValues {
		putSlab(*slab) // unused, or outgrown (a footer that undercounts)
	}
	if err != nil {
		if keyErr == nil {
			r.nameSequence(i, err, &keys)
		}
		r.releaseKeys(&keys)
		return nil, err
	}
	g.chunk = chunk
	if r.d == 0 && chunk.Elems() > 0 {
		r.d = chunk.D
	}
	if r.det.Layout == schemas.Nested {
		err := r.readRowKeys(g)
		if err == nil {
			err = r.readTimes(g)
		}
		if err != nil {
			r.release(g)
			return nil, err
		}
		return g, nil
	}
	if keyErr != nil || keys.bad.row >= 0 {
		r.releaseKeys(&keys)
		r.release(g)
		if keyErr != nil {
			return nil, keyErr
		}
		err := r.dataError(g, keys.bad.row, r.det.Order.Name, r.orderWant(), keys.bad.found)
		err.Sequence = runKey(keys.starts, keys.keys, keys.bad.row)
		return nil, err
	}
	g.starts, g.keys, g.order, g.pooledOrder = keys.starts, keys.keys, keys.order, keys.pooled
	return g, nil
}

// longKeys is what readLongKeys finds in a row group of the long layout.
type longKeys struct {
	starts []int    // rows where a new sequence id begins
	keys   []string // the id at each start
	order  []int64  // the order value of each row; nil without an order column
	pooled bool     // order came from the slab pool
	bad    badValue // an order value that is not one (bad.row -1: none)
}

// releaseKeys gives back a pooled order slice that will not be used.
func (r *run) releaseKeys(k *longKeys) {
	if k.pooled {
		putInt64s(k.order)
		k.order, k.pooled = nil, false
	}
}

// readLongKeys reads row group i's sequence ids (as runs) and its order
// values, on two goroutines: both columns are often more work to decode
// than the values (10M string ids and positions took 250 ms against 25 ms
// for the values). It touches nothing else of the run. An error in the ids
// is reported before one in the order column, whatever finished first.
func (r *run) readLongKeys(i int, k *longKeys) error {
	k.bad.row = -1
	if r.file.RowGroupRows(i) == 0 {
		return nil
	}
	var idErr error
	var wg sync.WaitGroup
	wg.Go(func() { idErr = r.readIDs(i, k) })
	orderErr := r.readOrder(i, k)
	wg.Wait()
	if idErr != nil {
		r.releaseKeys(k)
		return idErr
	}
	return orderErr
}

// readIDs fills k.starts and k.keys.
func (r *run) readIDs(i int, k *longKeys) error {
	if r.det.Sequence == nil {
		k.starts, k.keys = []int{0}, []string{""} // the whole file is one sequence
		return nil
	}
	if r.idRuns != nil && i < len(r.idRuns.starts) {
		k.starts, k.keys = r.idRuns.starts[i], r.idRuns.keys[i]
		return nil
	}
	starts, keys, err := ReadIDRuns(r.file, i, *r.det.Sequence)
	if err != nil {
		return err
	}
	k.starts, k.keys = starts, keys
	return nil
}

// ReadIDRuns reads the sequence-id column c of row group i as runs: the
// rows (relative to the row group) where the id changes, and the ids as
// canonical text (see keys.go). A null id is a *parquetio.DataError.
func ReadIDRuns(f *parquetio.File, i int, c parquetio.ColumnInfo) (starts []int, keys []string, err error) {
	if ratherRuns(c) {
		return f.ReadRuns(i, c.Name)
	}
	a, err := f.ReadColumn(i, c.Name)
	if err != nil {
		return nil, nil, err
	}
	defer a.Release()
	starts, keys, null := idRuns(a, c)
	if null >= 0 {
		return nil, nil, &parquetio.DataError{File: f.Path(), RowGroup: i, Row: f.RowGroupFirstRow(i) + int64(null),
			Column: c.Name, Expected: "a sequence id", Found: "null"}
	}
	return starts, keys, nil
}

// ReadOrderKeys reads the order column c of row group i as int64 keys that
// sort like its values (see keys.go). A null or NaN is a
// *parquetio.DataError naming its row.
func ReadOrderKeys(f *parquetio.File, i int, c parquetio.ColumnInfo) ([]int64, error) {
	a, err := f.ReadColumn(i, c.Name)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	keys, bad := orderKeys(a, false, nil)
	if bad.row >= 0 {
		return nil, &parquetio.DataError{File: f.Path(), RowGroup: i, Row: f.RowGroupFirstRow(i) + int64(bad.row),
			Column: c.Name, Expected: "an order value", Found: bad.found}
	}
	return keys, nil // Int64Values are the reader's own Go slice: safe after Release
}

// runKey is the id of the run holding row (nil runs: "").
func runKey(starts []int, keys []string, row int) string {
	k := ""
	for j, s := range starts {
		if s > row {
			break
		}
		k = keys[j]
	}
	return k
}

// nameSequence adds the sequence id to a data error of the value column
// that names a row of row group i: the long layout's runs tell it, the
// nested layout's id column holds it.
func (r *run) nameSequence(i int, err error, k *longKeys) {
	var de *parquetio.DataError
	if r.det.Sequence == nil || !errors.As(err, &de) || de.Row < 0 || de.Sequence != "" {
		return
	}
	row := int(de.Row - r.file.RowGroupFirstRow(i))
	if r.det.Layout == schemas.Long {
		de.Sequence = runKey(k.starts, k.keys, row)
		return
	}
	a, rerr := r.file.ReadColumn(i, r.det.Sequence.Name)
	if rerr != nil {
		return
	}
	defer a.Release()
	if row >= 0 && row < a.Len() {
		de.Sequence, _ = idText(a, row, *r.det.Sequence)
	}
}

// orderWant is what an order (or time) value must be, for messages.
func (r *run) orderWant() string {
	if r.spec.NeedsTime {
		return "a finite order value (a time for --bandwidth)"
	}
	return "an order value"
}

// readOrder fills k.order (pooled when it can be), or k.bad.
func (r *run) readOrder(i int, k *longKeys) error {
	if r.det.Order == nil {
		return nil
	}
	if r.pooled() {
		buf := getInt64s(int(r.file.RowGroupRows(i)))
		vals, nulls, first, err := r.file.ReadInt64s(i, r.det.Order.Name, buf)
		switch {
		case err == nil:
			k.order, k.pooled = buf, true
			if !sameInt64s(vals, buf) { // cannot happen: buf holds every row
				putInt64s(buf)
				k.order, k.pooled = vals, false
			}
			if nulls > 0 {
				k.bad = badValue{first, "null"}
			}
			return nil
		case !errors.Is(err, parquetio.ErrNotInt64):
			putInt64s(buf)
			return err
		}
		putInt64s(buf) // another type: read through Arrow below
	}
	a, err := r.file.ReadColumn(i, r.det.Order.Name)
	if err != nil {
		return err
	}
	defer a.Release()
	var buf []int64
	if r.pooled() {
		buf = getInt64s(a.Len())
	}
	k.order, k.bad = orderKeys(a, r.spec.NeedsTime, buf)
	k.pooled = sameInt64s(k.order, buf)
	if buf != nil && !k.pooled {
		putInt64s(buf)
	}
	return nil
}

// readOrderWindow reads the next n order values of w as keys (see
// readOrder), into a pooled slice when pooled (then isPooled), or finds
// the first bad one (bad.row in the window, -1 without).
func (r *run) readOrderWindow(w *parquetio.ColumnWindows, n int, pooled bool) (order []int64, isPooled bool, bad badValue, err error) {
	var buf []int64
	if pooled {
		buf = getInt64s(r.orderSlabLen(n))[:n]
	}
	order, bad, err = orderWindow(w, n, buf, r.spec.NeedsTime)
	isPooled = sameInt64s(order, buf)
	if buf != nil && (!isPooled || err != nil) {
		putInt64s(buf)
		isPooled = false
	}
	if err != nil {
		return nil, false, bad, err
	}
	return order, isPooled, bad, nil
}

// orderSlabLen is the pooled slab length a segment's n order values take:
// a value slab's (segmentSlab) when n is at least half of it, so that the
// two kinds of slab a segment takes are one size and each can reuse the
// other's (a column of float64 values, or float32 in pairs) rather than
// the pool holding slabs of both sizes (the rows of a segment vary).
func (r *run) orderSlabLen(n int) int {
	if r.segFloats == 0 {
		return n
	}
	words := r.segFloats + r.segFloats/8 + slabSlack + max(r.d, r.det.Value.FixedSize, 1)
	if r.det.Value.Elem.SlabType() == parquetio.Float32 {
		words = (words + 1) / 2
	}
	for size := words; size <= 4*words; size += words {
		if n <= size && 2*n >= size {
			return size
		}
	}
	return n
}

// orderWindow reads the next n order values of w as keys into buf's
// storage when it can (INT64 columns directly, other types through their
// Arrow array and orderKeys); bad is the first value that is not one.
func orderWindow(w *parquetio.ColumnWindows, n int, buf []int64, finite bool) ([]int64, badValue, error) {
	vals, nulls, first, err := w.NextInt64s(n, buf)
	switch {
	case err == nil:
		if nulls > 0 {
			return vals, badValue{first, "null"}, nil
		}
		return vals, badValue{row: -1}, nil
	case !errors.Is(err, parquetio.ErrNotInt64):
		return nil, badValue{row: -1}, err
	}
	a, err := w.Next(n)
	if err != nil {
		return nil, badValue{row: -1}, err
	}
	defer a.Release()
	keys, bad := orderKeys(a, finite, buf)
	if bad.row < 0 && len(keys) > 0 && cap(buf) >= len(keys) && !sameInt64s(keys, buf) {
		// orderKeys takes an INT64 array's own values: keep them in buf
		keys = append(buf[:0], keys...)
	}
	return keys, bad, nil
}

// sameInt64s reports whether a and b share their first element.
func sameInt64s(a, b []int64) bool {
	return len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
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
		k, ok := idText(a, row, *r.det.Sequence)
		if !ok {
			k = strconv.FormatInt(g.chunk.FirstRow+int64(row), 10)
		}
		g.keys[row] = k
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
			return r.nestedError(g, row, col, sprintf("%d times, one per value of %q", m, r.det.Value.Name), sprintf("%d", n))
		}
	}
	if bad, found := timeKeys(vals, *r.det.Time, r.spec.NeedsTime); bad >= 0 {
		row := 0
		for int64(bad) >= offs[row+1] {
			row++
		}
		return r.nestedError(g, row, col, sprintf("a time at index %d of the list", int64(bad)-offs[row]), found)
	}
	g.order = vals
	return nil
}

// nestedError is a data error in row of a nested row group, naming the
// row's sequence id when the file has one.
func (r *run) nestedError(g *rowGroup, row int, col, expected, found string) error {
	err := r.dataError(g, row, col, expected, found)
	r.nameSequence(g.index, err, nil)
	return err
}

func (r *run) dataError(g *rowGroup, row int, col, expected, found string) *parquetio.DataError {
	rowIdx := int64(-1)
	if row >= 0 {
		rowIdx = g.chunk.FirstRow + int64(row)
	}
	return &parquetio.DataError{File: r.file.Path(), RowGroup: g.index, Row: rowIdx, Column: col, Expected: expected, Found: found}
}

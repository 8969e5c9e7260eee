package job

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

// The streaming path reads each row group's value column in segments of
// whole rows, at most segFloats floats each (a row longer than that is a
// segment alone), so that what a file holds in flight does not grow with
// its row groups. A segment is the unit of reading, memory and writing:
// its sequences go to the workers as soon as it is read, a sequence that
// spans segments (or row groups) is gathered, and the writer encodes its
// rows page by page (Writer.WriteSegment) once its last sequence is done.
// The sequence ids are read per row group as runs (where the id changes:
// one entry per sequence, not per row), while its first segment is read.
// The order column of the long layout is 8 bytes a row, as much as a
// float64 value: it is read per segment, in a window of the segment's
// rows (parquetio.ColumnWindows, one decoded page held), so that a row
// group of any size keeps its keys within the budget; each segment holds
// its own order values, pooled, until it is written. The nested layout's
// times and row ids are still read per row group.

// rgKeys are the key columns of the row group being read.
type rgKeys struct {
	index int
	long  longKeys // long layout: ids as runs (order: see orderWin)
	// orderWin reads the long layout's order column a segment at a time
	// (nil without one); the reader closes it after the last segment.
	orderWin *parquetio.ColumnWindows
	orderPre chan error // a Prefetch of orderWin in flight (see prefetchOrder)
	rowKeys  []string   // nested layout: the id of each row (nil: numbered)
	times    []int64    // nested layout with --bandwidth: every element's time
	offs     []int64    // and each row's first time
	// read by a goroutine while the first segment is read
	eg  errgroup.Group
	err error
	// released: the pooled order values went back (after the row group's
	// last segment was written, or when the run stopped)
	released bool
}

// segmentFloats is the most floats a segment holds: what keeps the
// segments in flight (2 per worker queued in pipeline.Ordered, the one
// being read, and the one an open sequence holds) within the budget, with
// separate output slabs counted, the room segmentSlab leaves the reader,
// each segment's order values (8 bytes a row, read with it) and the pages
// the order column's readers hold. 0 (no budget): whole row groups.
func (r *run) segmentFloats() int {
	if r.spec.SegmentFloats > 0 {
		return r.spec.SegmentFloats
	}
	size := r.spec.Budget.Size()
	if size == 0 {
		return 0
	}
	// The readers hold pages beside the segments: the value column's
	// read-ahead and the order column's two readers (the segments', and
	// the first pass of ascending). A 64 MiB budget that left them out
	// peaked at 123-133 MiB on one 20 M-row row group, above SPEC's
	// limit + 64 MiB + a page (the binary's resident text alone takes
	// about 50 MiB of the 64).
	readers := int64(parquetio.DefaultReadAhead)
	perFloat := int64(0)
	if r.orderPerSegment() {
		readers += 2 * parquetio.KeyWindowBytes
		perFloat += 8
	}
	size = max(size-readers, size/2)
	slabs := int64(2)
	if r.inPlace() {
		slabs = 1
	}
	inFlight := int64(2*max(r.spec.Workers, 1) + 2)
	es := elemSize(r.det.Value.Elem.SlabType())
	d := int64(max(r.d, r.det.Value.FixedSize, 1))
	perFloat += slabs * es * d // bytes per d floats: a row, with its order value
	per := size*d/(perFloat*inFlight) - slabSlack - d
	return int(min(max(per*8/9, minSegmentFloats), maxSegmentFloats)) // segmentSlab adds 1/8
}

// orderPerSegment reports whether segments read their order values with
// them (the long layout with an order column).
func (r *run) orderPerSegment() bool {
	return r.det.Layout == schemas.Long && r.det.Order != nil
}

// maxSegmentFloats caps segments below what a large budget allows (the
// default 1 GiB made segments of 22 M float32): a row group of 100 MB
// (DuckDB writes 65,536 x 384 float32 as one) was then read as two
// segments, so the workers waited for the first 89 MB while the reader
// held it twice (input and output slabs), 161 MiB of RSS and 1.2-1.7 s
// against 91 MiB and 0.6 s for the same rows in 8,192-row groups. At
// 2 Mi floats (8 MiB of float32) both take 87-89 MiB; the segments are
// still large beside a page and a sequence of most files.
const maxSegmentFloats = 1 << 21

// slabSlack is the floats segmentSlab adds beyond a segment's 9/8.
const slabSlack = 1024

// minSegmentFloats keeps segments from becoming so small that their
// overhead shows (256 KiB of float32). Budgets under about 2.5 MiB per
// worker make segments of this size, and then more than the budget.
const minSegmentFloats = 1 << 16

// openRowGroup starts reading row group i: its segment reader, and its key
// columns on another goroutine.
func (r *run) openRowGroup(i int) error {
	spec := parquetio.ReadSpec{Column: r.det.Value.Name, Nesting: r.det.Nesting(), D: r.d}
	if r.binding == nil {
		spec.OnD = r.startBind
	}
	sr, err := r.file.NewSegmentReader(i, spec)
	if err != nil {
		return err
	}
	k := &rgKeys{index: i}
	k.long.bad.row = -1
	if r.det.Layout == schemas.Long {
		if r.det.Order != nil {
			if k.orderWin, err = r.file.OpenColumnWindows(i, r.det.Order.Name); err != nil {
				sr.Close()
				return err
			}
			k.prefetchOrder()
		}
		if r.file.RowGroupRows(i) > 0 {
			k.eg.Go(func() error { return r.readIDs(i, &k.long) })
		}
	} else {
		k.eg.Go(func() error { return r.readNestedKeys(k) })
	}
	r.sr, r.keys, r.segRow, r.segFloatsRead = sr, k, 0, 0
	r.keysPending = true
	return nil
}

// closeRowGroup ends the reading of the current row group.
func (r *run) closeRowGroup() {
	if r.sr != nil {
		r.sr.Close()
	}
	r.closeOrderWin(r.keys)
	r.sr, r.keys = nil, nil
	r.rg++
}

// waitKeys waits for the current row group's key columns.
func (r *run) waitKeys() error {
	if r.keysPending {
		r.keysPending = false
		r.keys.err = r.keys.eg.Wait()
	}
	return r.keys.err
}

// closeOrderWin stops reading a row group's order column (the reader's
// goroutine, or every goroutine stopped).
func (r *run) closeOrderWin(k *rgKeys) {
	if k != nil && k.orderWin != nil {
		k.waitOrder()
		k.orderWin.Close()
		k.orderWin = nil
	}
}

// prefetchOrder decodes the order column's next page on another goroutine
// while the reader reads the next segment's values, as the whole row
// group's order values were read beside its values: decoded after them,
// on the reader's goroutine (the one serial stage of a file), they add to
// its time (BENCHMARKS, "Key columns per segment").
func (k *rgKeys) prefetchOrder() {
	ch := make(chan error, 1)
	w := k.orderWin
	go func() { ch <- w.Prefetch() }()
	k.orderPre = ch
}

// waitOrder waits for the prefetch in flight, if any, and returns its
// error.
func (k *rgKeys) waitOrder() error {
	if k.orderPre == nil {
		return nil
	}
	err := <-k.orderPre
	k.orderPre = nil
	return err
}

// releaseKeysOf gives back a row group's pooled key storage once.
func (r *run) releaseKeysOf(k *rgKeys) {
	if k == nil || k.released {
		return
	}
	k.eg.Wait() // a run stopped while they were read
	k.released = true
	r.releaseKeys(&k.long)
}

// readNestedKeys reads the nested layout's row ids (when someone observes
// sequences by key) and times (for --bandwidth).
func (r *run) readNestedKeys(k *rgKeys) error {
	rows := int(r.file.RowGroupRows(k.index))
	if r.det.Sequence != nil && r.observer != nil && rows > 0 {
		a, err := r.file.ReadColumn(k.index, r.det.Sequence.Name)
		if err != nil {
			return err
		}
		k.rowKeys = make([]string, a.Len())
		first := r.file.RowGroupFirstRow(k.index)
		for row := range k.rowKeys {
			key, ok := idText(a, row, *r.det.Sequence)
			if !ok {
				key = strconv.FormatInt(first+int64(row), 10)
			}
			k.rowKeys[row] = key
		}
		a.Release()
	}
	if r.det.Time != nil && r.spec.NeedsTime {
		vals, offs, err := r.file.ReadListInt64(k.index, r.det.Time.Name)
		if err != nil {
			return err
		}
		k.times, k.offs = vals, offs
	}
	return nil
}

// readSegment reads the next segment of the current row group (a row
// group without rows gives one empty segment, so that its output row group
// is written too). The segment
// is a rowGroup holding the segment's rows: index is the row group,
// chunk.FirstRow the file row of its first row, and its key slices are
// the segment's.
func (r *run) readSegment() (*rowGroup, error) {
	i := r.keys.index
	rows := int(r.file.RowGroupRows(i))
	g := &rowGroup{index: i}
	slab := r.segmentSlab(i)
	var pooled parquetio.Floats // the slab as taken: Next may grow *slab
	if slab != nil {
		pooled = *slab
	}
	chunk, err := r.sr.Next(r.segFloats, slab)
	switch {
	case errors.Is(err, io.EOF) && rows == 0:
		chunk, err = parquetio.ValueChunk{RowGroup: i, FirstRow: r.file.RowGroupFirstRow(i), D: r.d,
			Type: r.det.Value.Elem.SlabType()}, nil
		if r.det.Layout == schemas.Nested {
			chunk.Offsets = []int64{0}
		}
	case errors.Is(err, io.EOF) || (err == nil && chunk.Rows == 0):
		err = &parquetio.CorruptError{Err: fmt.Errorf("reading %s: row group %d, column %q: %d rows, the row group has %d",
			r.file.Path(), i, r.det.Value.Name, r.segRow, rows)}
	}
	g.pooledValues = slab != nil && err == nil && sameSlab(pooled, chunk.Values)
	if slab != nil && !g.pooledValues {
		putSlab(pooled) // unused, or outgrown (a row longer than the segment)
	}
	keyErr := r.waitKeys()
	if err != nil {
		if keyErr == nil {
			r.nameSequence(i, err, &r.keys.long)
		}
		return nil, err
	}
	g.chunk = chunk
	lo := r.segRow
	r.segRow += chunk.Rows
	if r.d == 0 && chunk.Elems() > 0 {
		r.d = chunk.D
	}
	if keyErr != nil {
		r.release(g)
		return nil, keyErr
	}
	if r.det.Layout == schemas.Nested {
		err = r.nestedSegmentKeys(g, lo)
	} else {
		err = r.longSegmentKeys(g, lo)
	}
	if err != nil {
		r.release(g)
		return nil, err
	}
	return g, nil
}

// segmentSlab returns the pooled slab the next segment of row group i is
// read into: room for the floats the segment may hold (nil when slabs are
// not pooled).
func (r *run) segmentSlab(i int) *parquetio.Floats {
	if !r.pooled() {
		return nil
	}
	n := r.file.SlabLen(i, r.det.Value.Name) - r.segFloatsRead
	if r.segFloats > 0 {
		// the reader wants room for a segment that ends past segFloats at
		// a row boundary (it grows its slab to segFloats + 1/8 + 1024)
		n = min(n, r.segFloats+r.segFloats/8+slabSlack+max(r.d, r.det.Value.FixedSize, 1))
	}
	f := getSlab(r.det.Value.Elem.SlabType(), max(n, 0))
	return &f
}

// longSegmentKeys gives segment g (rows lo.. of its row group) its slice
// of the row group's id runs and its order values (read now, pooled), or
// the error of a bad order value among its rows.
func (r *run) longSegmentKeys(g *rowGroup, lo int) error {
	k := &r.keys.long
	hi := lo + g.rows()
	if w := r.keys.orderWin; w != nil && g.rows() > 0 {
		if err := r.keys.waitOrder(); err != nil {
			return err
		}
		if w.Row() != int64(lo) {
			return fmt.Errorf("reading %s: row group %d, column %q: order values read up to row %d, the segment starts at row %d", r.file.Path(), g.index, r.det.Order.Name, w.Row(), lo)
		}
		order, pooled, bad, err := r.readOrderWindow(w, g.rows(), r.pooled())
		if err != nil {
			return err
		}
		if bad.row >= 0 {
			if pooled {
				putInt64s(order)
			}
			err := r.dataError(g, bad.row, r.det.Order.Name, r.orderWant(), bad.found)
			err.Sequence = runKey(k.starts, k.keys, lo+bad.row)
			return err
		}
		g.order, g.pooledOrder = order, pooled
		if w.Row() < w.Rows() {
			r.keys.prefetchOrder()
		}
	}
	if g.rows() == 0 {
		return nil
	}
	// the runs that overlap [lo, hi), their starts made relative to lo
	j := 0
	for j+1 < len(k.starts) && k.starts[j+1] <= lo {
		j++
	}
	for ; j < len(k.starts) && k.starts[j] < hi; j++ {
		g.starts = append(g.starts, max(k.starts[j], lo)-lo)
		g.keys = append(g.keys, k.keys[j])
	}
	return nil
}

// nestedSegmentKeys gives segment g (rows lo.. of its row group) its row
// ids and times, checking that every row has one time per element.
func (r *run) nestedSegmentKeys(g *rowGroup, lo int) error {
	k := r.keys
	hi := lo + g.rows()
	if k.rowKeys != nil {
		g.keys = k.rowKeys[lo:hi]
	}
	if k.offs == nil {
		return nil
	}
	col := r.det.Time.Name
	for row := 0; row < g.rows(); row++ {
		n, m := k.offs[lo+row+1]-k.offs[lo+row], g.chunk.Offsets[row+1]-g.chunk.Offsets[row]
		if n != m {
			return r.nestedError(g, row, col, sprintf("%d times, one per value of %q", m, r.det.Value.Name), sprintf("%d", n))
		}
	}
	vals := k.times[k.offs[lo]:k.offs[hi]]
	if bad, found := timeKeys(vals, *r.det.Time, r.spec.NeedsTime); bad >= 0 {
		row := 0
		for int64(bad) >= g.chunk.Offsets[row+1] {
			row++
		}
		return r.nestedError(g, row, col, sprintf("a time at index %d of the list", int64(bad)-g.chunk.Offsets[row]), found)
	}
	g.order = vals
	return nil
}

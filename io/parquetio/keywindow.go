package parquetio

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
)

// ColumnWindows reads a flat key column (an order column, a sequence id)
// of one row group in windows of consecutive rows, page by page, so that
// a reader going through a row group of any size holds one decoded page
// and the window it asked for, never the whole column chunk: ReadColumn
// and ReadInt64s of a 20 M-row row group hold 160 MB of int64s, a window
// what the caller asks. The values are those ReadColumn and ReadInt64s
// give for the same rows: the windows of a row group, concatenated, are
// ReadColumn's array.
type ColumnWindows struct {
	f     *File
	rg    int
	m     *colMeta
	c     *keyChunk
	p     keyPage
	vals  []byte // the fixed-width values of p (looked up in the dictionary), nil for BYTE_ARRAY
	have  bool   // p is a page with levels left
	at    int    // levels of p consumed
	vat   int    // values of p consumed
	row   int64  // rows read so far
	rows  int64
	width int            // bytes per fixed-width value of the result (0: built by add)
	dt    arrow.DataType // the result's type when fixed-width
	done  bool           // the chunk was read to its end and checked
	// st: a large PLAIN page read as a stream (keyChunk.streams), p being
	// its current window of at most streamWindow levels
	st   *pageStream
	left int // levels of the streamed page after the current window
}

// KeyWindowBytes is about what an open ColumnWindows holds on the heap
// for a column written with the usual 1 MiB pages: its read-ahead
// (keyReadAhead), the decoded page, its dictionary and the values looked
// up in it. Callers that bound their memory count it beside the windows.
// A larger page is not decoded whole: a PLAIN one is streamed, a
// dictionary-encoded one (DuckDB's one page per chunk) is held as its
// uncompressed bytes, within SPEC v2's "largest page" term, and decoded a
// window of 65,536 levels at a time (under 1 MiB), within this.
const KeyWindowBytes = keyReadAhead + 3<<20

// OpenColumnWindows prepares to read flat column name of row group rg in
// windows (see ColumnWindows). Close it when done.
func (f *File) OpenColumnWindows(rg int, name string) (w *ColumnWindows, err error) {
	defer func() { err = asInput(err) }()
	if err := f.checkRowGroup(rg); err != nil {
		return nil, err
	}
	m, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if !(m.info.Kind == Scalar || m.info.ListFlavor == "flba") || m.maxDefLevelsRepeated() {
		return nil, &DataError{File: f.path, RowGroup: -1, Row: -1, Column: name, Expected: "a flat (scalar) column", Found: m.info.Kind.String() + " of " + m.info.Elem.String()}
	}
	w = &ColumnWindows{f: f, rg: rg, m: m, rows: f.RowGroupRows(rg)}
	w.dt, w.width = fixedArrowType(m)
	if w.rows == 0 {
		w.done = true
		return w, nil
	}
	if w.c, err = f.openKeyChunk(rg, m); err != nil {
		return nil, err
	}
	w.c.streams = true // a window holds a window of a large page, not the page
	w.c.windows = true // and of a large dictionary-encoded page
	return w, nil
}

// fixedArrowType is the Arrow type ReadColumn gives a column of plain
// fixed-width numbers and their width in bytes; (nil, 0) for the other
// types (built value by value, see varBuilder).
func fixedArrowType(m *colMeta) (arrow.DataType, int) {
	switch {
	case m.kind == parquet.Int32 && (m.info.Elem == Int32 || m.info.Elem == Decimal):
		return arrow.PrimitiveTypes.Int32, 4
	case m.kind == parquet.Int32 && m.info.Elem == Date:
		return arrow.FixedWidthTypes.Date32, 4
	case m.kind == parquet.Int32 && m.info.Elem == Uint32:
		return arrow.PrimitiveTypes.Uint32, 4
	case m.kind == parquet.Int32 && m.info.Elem == Time:
		return arrow.FixedWidthTypes.Time32ms, 4
	case m.kind == parquet.Int64 && m.info.Elem == Uint64:
		return arrow.PrimitiveTypes.Uint64, 8
	case m.kind == parquet.Int64 && m.info.Elem == Time:
		return &arrow.Time64Type{Unit: timeUnitOf(m.info.TimeUnit)}, 8
	case m.kind == parquet.Int64 && (m.info.Elem == Int64 || m.info.Elem == Decimal):
		return arrow.PrimitiveTypes.Int64, 8
	case m.kind == parquet.Int64 && m.info.Elem == Timestamp:
		return &arrow.TimestampType{Unit: timeUnitOf(m.info.TimeUnit)}, 8
	case m.kind == parquet.Float:
		return arrow.PrimitiveTypes.Float32, 4
	case m.kind == parquet.Double:
		return arrow.PrimitiveTypes.Float64, 8
	}
	return nil, 0
}

// Rows is the number of rows of the row group; Row the rows read so far.
func (w *ColumnWindows) Rows() int64 { return w.rows }

// Row is the number of rows read so far (the row group's row the next
// window starts at).
func (w *ColumnWindows) Row() int64 { return w.row }

// Close gives back the page buffers and stops the read-ahead.
func (w *ColumnWindows) Close() {
	if w.st != nil {
		w.st.close()
		w.st = nil
	}
	if w.c != nil {
		w.c.close()
		w.c = nil
	}
	w.have = false
}

// Prefetch decodes the page the next window starts in, when none is held
// and rows are left, so that a caller can have it decoded on another
// goroutine while it does other work (it must not use w meanwhile).
func (w *ColumnWindows) Prefetch() (err error) {
	if w.have || w.row >= w.rows {
		return nil
	}
	defer func() { err = asInput(err) }()
	defer func() {
		if rec := recover(); rec != nil {
			err = w.f.decoderPanic(w.rg, w.m.info.Name)
		}
	}()
	return w.page()
}

// Next reads the next n rows (fewer at the end of the row group; none
// after it) as ReadColumn would give them. Release the array when done.
func (w *ColumnWindows) Next(n int) (arr arrow.Array, err error) {
	defer func() { err = asInput(err) }()
	defer func() {
		if rec := recover(); rec != nil {
			arr, err = nil, w.f.decoderPanic(w.rg, w.m.info.Name)
		}
	}()
	n = int(min(int64(max(n, 0)), w.rows-w.row))
	if w.width == 0 {
		return w.nextVar(n)
	}
	raw := make([]byte, n*w.width)
	var valid []byte
	nulls, _, err := w.nextFixed(raw, n, &valid)
	if err != nil {
		return nil, err
	}
	var vb *memory.Buffer
	if valid != nil {
		vb = memory.NewBufferBytes(valid)
	}
	data := array.NewData(w.dt, n, []*memory.Buffer{vb, memory.NewBufferBytes(raw)}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// NextInt64s reads the next n rows (fewer at the end) of a flat INT64
// column (integers or timestamps) into buf's storage when it holds them,
// as ReadInt64s does for the whole row group: nulls counts the null rows,
// firstNull is the first of them in the window (-1 without), and the
// values in null slots are unspecified. Other columns give ErrNotInt64.
func (w *ColumnWindows) NextInt64s(n int, buf []int64) (vals []int64, nulls, firstNull int, err error) {
	defer func() { err = asInput(err) }()
	m := w.m
	if m.info.Kind != Scalar || m.kind != parquet.Int64 || (m.info.Elem != Int64 && m.info.Elem != Timestamp) || slowColumn {
		return nil, 0, -1, fmt.Errorf("reading %s: column %q: %w", w.f.path, m.info.Name, ErrNotInt64)
	}
	defer func() {
		if rec := recover(); rec != nil {
			vals, err = nil, w.f.decoderPanic(w.rg, m.info.Name)
		}
	}()
	n = int(min(int64(max(n, 0)), w.rows-w.row))
	if cap(buf) >= n {
		vals = buf[:n]
	} else {
		vals = make([]int64, n)
	}
	var raw []byte
	if n > 0 {
		raw = unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), 8*n)
	}
	if !littleEndian {
		raw = make([]byte, 8*n)
	}
	nulls, firstNull, err = w.nextFixed(raw, n, nil)
	if err != nil {
		return nil, 0, -1, err
	}
	if !littleEndian {
		var scratch []int64
		copy(vals, fixedAs(raw, &scratch))
	}
	return vals, nulls, firstNull, nil
}

// nextFixed copies the next n rows' fixed-width values into dst (n*width
// bytes; null slots untouched) and, when valid is not nil, marks the nulls
// in a validity bitmap it makes at the first one. It returns the nulls
// and the first null's index in the window (-1 without).
func (w *ColumnWindows) nextFixed(dst []byte, n int, valid *[]byte) (nulls, firstNull int, err error) {
	firstNull = -1
	width := w.width
	for got := 0; got < n; {
		if err := w.page(); err != nil {
			return 0, -1, err
		}
		p := &w.p
		k := min(n-got, p.nl-w.at)
		if p.n == p.nl { // no nulls in the page
			copy(dst[got*width:(got+k)*width], w.vals[w.vat*width:(w.vat+k)*width])
			w.vat += k
		} else {
			for i, d := range p.defs[w.at : w.at+k] {
				if int(d) < w.m.maxDef {
					if firstNull < 0 {
						firstNull = got + i
					}
					nulls++
					if valid != nil {
						if *valid == nil {
							*valid = make([]byte, bitutil.BytesForBits(int64(n)))
							bitutil.SetBitsTo(*valid, 0, int64(n), true)
						}
						bitutil.ClearBit(*valid, got+i)
					}
					continue
				}
				copy(dst[(got+i)*width:(got+i+1)*width], w.vals[w.vat*width:(w.vat+1)*width])
				w.vat++
			}
		}
		w.consume(k)
		got += k
	}
	return nulls, firstNull, w.finish()
}

// nextVar reads the next n rows of a column of another type (strings,
// binary, wide decimals, INT96 timestamps, booleans) with the builders
// ReadColumn uses.
func (w *ColumnWindows) nextVar(n int) (arrow.Array, error) {
	b, add, err := varBuilder(w.f, w.m)
	if err != nil {
		return nil, err
	}
	defer b.Release()
	b.Reserve(n)
	for got := 0; got < n; {
		if err := w.page(); err != nil {
			return nil, err
		}
		p := &w.p
		k := min(n-got, p.nl-w.at)
		if p.n == p.nl {
			for j := w.vat; j < w.vat+k; j++ {
				add(w.c.dec, p, j)
			}
			w.vat += k
		} else {
			for _, d := range p.defs[w.at : w.at+k] {
				if int(d) < w.m.maxDef {
					b.AppendNull()
					continue
				}
				add(w.c.dec, p, w.vat)
				w.vat++
			}
		}
		w.consume(k)
		got += k
	}
	if err := w.finish(); err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

// page makes sure w.p is a page (or a streamed page's window) with levels
// left, decoding the next one.
func (w *ColumnWindows) page() error {
	for !w.have {
		if w.st != nil {
			if err := w.streamWindow(); err != nil {
				return err
			}
			continue
		}
		ok, err := w.c.nextPage(&w.p)
		if err != nil {
			return err
		}
		if !ok {
			return w.c.corrupt("found %d values, the row group has %d rows", w.row, w.rows)
		}
		if w.row+int64(w.p.nl) > w.rows {
			return w.c.corrupt("page %d: %d values after row %d, more than the row group's %d rows", w.p.no, w.p.nl, w.row, w.rows)
		}
		if st := w.c.stream; st != nil {
			w.c.stream = nil
			w.st, w.left = st, w.p.nl
			continue
		}
		w.vals = nil
		if w.m.kind != parquet.ByteArray {
			w.vals = w.c.dec.fixedValues(&w.p) // looked up once per page
			w.p.fixed = w.vals
		}
		w.at, w.vat, w.have = 0, 0, w.p.nl > 0
	}
	return nil
}

// streamWindow decodes the streamed page's next window into w.p, or,
// after its last, checks its end and closes it.
func (w *ColumnWindows) streamWindow() error {
	d := &w.c.dec.pageDecoder
	if w.left == 0 {
		err := d.finish(w.st)
		w.st.close()
		w.st = nil
		return err
	}
	var vp valuePage
	if err := d.window(w.st, &vp); err != nil {
		return err
	}
	w.left -= vp.nl
	n := vp.nl
	if d.maxDef > 0 {
		n = len(vp.vals) / d.elemSize
	}
	w.p = keyPage{no: vp.no, nl: vp.nl, reps: vp.reps, defs: vp.defs, n: n, fixed: vp.vals}
	w.vals = vp.vals
	w.at, w.vat, w.have = 0, 0, vp.nl > 0
	return nil
}

// consume records that k levels of the current page were read.
func (w *ColumnWindows) consume(k int) {
	w.at += k
	w.row += int64(k)
	if w.at == w.p.nl {
		w.have = false
	}
}

// finish checks, once every row was read, that the chunk holds no more
// values, and records the chunk as checked (keyChunk.done).
func (w *ColumnWindows) finish() error {
	if w.row < w.rows || w.done {
		return nil
	}
	w.done = true
	if w.st != nil { // the last window of a streamed page: check its end
		if err := w.streamWindow(); err != nil {
			return err
		}
	}
	for {
		ok, err := w.c.nextPage(&w.p)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if w.p.nl > 0 {
			return w.c.corrupt("page %d: %d values after row %d, more than the row group's %d rows", w.p.no, w.p.nl, w.row, w.rows)
		}
	}
	w.c.done()
	return nil
}

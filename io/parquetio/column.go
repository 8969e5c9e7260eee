package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// forEachValue streams the leaf values (with levels, nulls included) of
// column m in row group rg to fn. ByteArray values reference page memory
// that is only valid during the call.
func (f *File) forEachValue(rg int, m *colMeta, fn func(v parquet.Value) error) error {
	if err := f.checkChunks(rg, m.info.Leaf); err != nil {
		return err
	}
	if err := f.chunkDecodesWhole(rg, m.info.Leaf); err != nil {
		return err
	}
	cc := f.pf.RowGroups()[rg].ColumnChunks()[m.info.Leaf]
	pages := cc.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 1024)
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: row group %d, column %q: %w", f.path, rg, m.info.Name, err)
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if e := fn(v); e != nil {
					parquet.Release(p)
					return e
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(p)
				return fmt.Errorf("reading %s: row group %d, column %q: %w", f.path, rg, m.info.Name, err)
			}
			if n == 0 {
				break
			}
		}
		parquet.Release(p)
	}
}

// int96ToNanos converts a legacy INT96 timestamp (Julian day, nanoseconds
// of day) to nanoseconds since the Unix epoch.
func int96ToNanos(v deprecated.Int96) int64 {
	nanos := int64(uint64(v[0]) | uint64(v[1])<<32)
	days := int64(v[2]) - 2440588
	return days*86400_000_000_000 + nanos
}

func timeUnitOf(u string) arrow.TimeUnit {
	switch u {
	case "s":
		return arrow.Second
	case "ms":
		return arrow.Millisecond
	case "us":
		return arrow.Microsecond
	}
	return arrow.Nanosecond
}

// ErrNotInt64 is returned by ReadInt64s for a column whose values are not
// stored as INT64 (read it with ReadColumn).
var ErrNotInt64 = errors.New("not an INT64 column")

// ReadInt64s reads a flat INT64 column (integers or timestamps, in their
// stored unit) of row group rg into buf's storage when it holds enough, so
// a caller reading row group after row group can recycle one slice. nulls
// is the number of null rows and firstNull the first of them (-1 without);
// the values in null slots are unspecified. Other physical types give
// ErrNotInt64.
func (f *File) ReadInt64s(rg int, name string, buf []int64) (vals []int64, nulls, firstNull int, err error) {
	defer func() { err = asInput(err) }()
	if err := f.checkRowGroup(rg); err != nil {
		return nil, 0, -1, err
	}
	m, err := f.lookup(name)
	if err != nil {
		return nil, 0, -1, err
	}
	if m.info.Kind != Scalar || m.kind != parquet.Int64 || (m.info.Elem != Int64 && m.info.Elem != Timestamp) || slowColumn {
		return nil, 0, -1, fmt.Errorf("reading %s: column %q: %w", f.path, name, ErrNotInt64)
	}
	defer func() {
		if rec := recover(); rec != nil {
			vals, err = nil, f.decoderPanic(rg, name)
		}
	}()
	vals, valid, nulls, err := decodeFixed(f, rg, m, buf)
	if err != nil {
		return nil, 0, -1, err
	}
	firstNull = -1
	for i := 0; nulls > 0 && i < len(vals); i++ {
		if !bitutil.BitIsSet(valid, i) {
			firstNull = i
			break
		}
	}
	return vals, nulls, firstNull, nil
}

// ReadColumn reads a flat (Kind Scalar) column of row group rg as an Arrow
// array with nulls: int32, int64, uint32, uint64, float32, float64, string,
// binary, bool, timestamp[unit], date32, time32[ms], time64[us|ns] or
// fixed_size_binary (UUIDs among them). Decimals come as their unscaled
// integers (int32 or int64 arrays; big-endian two's complement bytes in a
// fixed_size_binary or binary array for wider ones), with
// ColumnInfo.Scale saying where the point is. It is meant for sequence-id
// and order columns. Release the array when done.
func (f *File) ReadColumn(rg int, name string) (arr arrow.Array, err error) {
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
	defer func() {
		if rec := recover(); rec != nil {
			arr = nil
			err = f.decoderPanic(rg, name)
		}
	}()
	if slowColumn {
		return f.readColumnValues(rg, m)
	}
	switch {
	case m.kind == parquet.Int32 && m.info.Elem == Int32:
		return readFixedColumn[int32](f, rg, m, arrow.PrimitiveTypes.Int32)
	case m.kind == parquet.Int32 && m.info.Elem == Date:
		return readFixedColumn[int32](f, rg, m, arrow.FixedWidthTypes.Date32)
	case m.kind == parquet.Int32 && m.info.Elem == Uint32:
		return readFixedColumn[int32](f, rg, m, arrow.PrimitiveTypes.Uint32)
	case m.kind == parquet.Int32 && m.info.Elem == Time:
		return readFixedColumn[int32](f, rg, m, arrow.FixedWidthTypes.Time32ms)
	case m.kind == parquet.Int32 && m.info.Elem == Decimal:
		return readFixedColumn[int32](f, rg, m, arrow.PrimitiveTypes.Int32)
	case m.kind == parquet.Int64 && m.info.Elem == Uint64:
		return readFixedColumn[int64](f, rg, m, arrow.PrimitiveTypes.Uint64)
	case m.kind == parquet.Int64 && m.info.Elem == Time:
		return readFixedColumn[int64](f, rg, m, &arrow.Time64Type{Unit: timeUnitOf(m.info.TimeUnit)})
	case m.kind == parquet.Int64 && m.info.Elem == Decimal:
		return readFixedColumn[int64](f, rg, m, arrow.PrimitiveTypes.Int64)
	case m.kind == parquet.Int64 && m.info.Elem == Int64:
		return readFixedColumn[int64](f, rg, m, arrow.PrimitiveTypes.Int64)
	case m.kind == parquet.Int64 && m.info.Elem == Timestamp:
		return readFixedColumn[int64](f, rg, m, &arrow.TimestampType{Unit: timeUnitOf(m.info.TimeUnit)})
	case m.kind == parquet.Float:
		return readFixedColumn[float32](f, rg, m, arrow.PrimitiveTypes.Float32)
	case m.kind == parquet.Double:
		return readFixedColumn[float64](f, rg, m, arrow.PrimitiveTypes.Float64)
	}
	return f.readVarColumn(rg, m)
}

// readColumnValues is ReadColumn value by value through parquet-go's page
// decoding, for every type: the reference the tests compare this
// package's page reader with (slowColumn).
func (f *File) readColumnValues(rg int, m *colMeta) (arrow.Array, error) {
	name := m.info.Name
	mem := memory.DefaultAllocator
	rows := int(f.RowGroupRows(rg))
	var b array.Builder
	var add func(v parquet.Value)
	isInt96 := m.kind == parquet.Int96
	switch {
	case m.kind == parquet.Int32 && (m.info.Elem == Int32 || m.info.Elem == Decimal):
		bb := array.NewInt32Builder(mem)
		b, add = bb, func(v parquet.Value) { bb.Append(v.Int32()) }
	case m.kind == parquet.Int32 && m.info.Elem == Uint32:
		bb := array.NewUint32Builder(mem)
		b, add = bb, func(v parquet.Value) { bb.Append(v.Uint32()) }
	case m.kind == parquet.Int32 && m.info.Elem == Time:
		bb := array.NewTime32Builder(mem, arrow.FixedWidthTypes.Time32ms.(*arrow.Time32Type))
		b, add = bb, func(v parquet.Value) { bb.Append(arrow.Time32(v.Int32())) }
	case m.kind == parquet.Int64 && m.info.Elem == Uint64:
		bb := array.NewUint64Builder(mem)
		b, add = bb, func(v parquet.Value) { bb.Append(v.Uint64()) }
	case m.kind == parquet.Int64 && m.info.Elem == Time:
		bb := array.NewTime64Builder(mem, &arrow.Time64Type{Unit: timeUnitOf(m.info.TimeUnit)})
		b, add = bb, func(v parquet.Value) { bb.Append(arrow.Time64(v.Int64())) }
	case m.kind == parquet.Int32 && m.info.Elem == Date:
		bb := array.NewDate32Builder(mem)
		b, add = bb, func(v parquet.Value) { bb.Append(arrow.Date32(v.Int32())) }
	case m.kind == parquet.Int64 && (m.info.Elem == Int64 || m.info.Elem == Decimal):
		bb := array.NewInt64Builder(mem)
		b, add = bb, func(v parquet.Value) { bb.Append(v.Int64()) }
	case m.info.Elem == Timestamp && (m.kind == parquet.Int64 || isInt96):
		bb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: timeUnitOf(m.info.TimeUnit)})
		if isInt96 {
			b, add = bb, func(v parquet.Value) { bb.Append(arrow.Timestamp(int96ToNanos(v.Int96()))) }
		} else {
			b, add = bb, func(v parquet.Value) { bb.Append(arrow.Timestamp(v.Int64())) }
		}
	case m.kind == parquet.Float:
		bb := array.NewFloat32Builder(mem)
		b, add = bb, func(v parquet.Value) { bb.Append(v.Float()) }
	case m.kind == parquet.Double:
		bb := array.NewFloat64Builder(mem)
		b, add = bb, func(v parquet.Value) { bb.Append(v.Double()) }
	case m.kind == parquet.Boolean:
		bb := array.NewBooleanBuilder(mem)
		b, add = bb, func(v parquet.Value) { bb.Append(v.Boolean()) }
	case m.kind == parquet.ByteArray && m.info.Elem == String:
		bb := array.NewStringBuilder(mem)
		b, add = bb, func(v parquet.Value) { bb.BinaryBuilder.Append(v.ByteArray()) }
	case m.kind == parquet.ByteArray && (m.info.Elem == Binary || m.info.Elem == Decimal):
		bb := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		b, add = bb, func(v parquet.Value) { bb.Append(v.ByteArray()) }
	case m.kind == parquet.FixedLenByteArray:
		bb := array.NewFixedSizeBinaryBuilder(mem, &arrow.FixedSizeBinaryType{ByteWidth: m.flbaLen})
		b, add = bb, func(v parquet.Value) { bb.Append(v.ByteArray()) }
	default:
		return nil, &DataError{File: f.path, RowGroup: -1, Row: -1, Column: name,
			Expected: "an integer, decimal, float, double, string, binary, bool, timestamp, date, time or UUID column", Found: m.info.PhysicalType + " (" + m.info.Elem.String() + ")"}
	}
	defer b.Release()
	b.Reserve(min(rows, 1<<20))
	n := 0
	err := f.forEachValue(rg, m, func(v parquet.Value) error {
		n++
		if v.IsNull() {
			b.AppendNull()
		} else {
			add(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n != rows {
		return nil, fmt.Errorf("reading %s: row group %d, column %q: found %d values, the row group has %d rows: %w", f.path, rg, name, n, rows, parquet.ErrCorrupted)
	}
	return b.NewArray(), nil
}

// slowColumn makes ReadColumn use the value-by-value builders for every
// type (the reference the tests compare the page path with).
var slowColumn = false

func (m *colMeta) maxDefLevelsRepeated() bool { return len(m.repDefs) > 0 }

// ReadListInt64 reads a list column of integers, decimals, floats, dates,
// times or timestamps of row group rg (the nested layout's time column):
// the flat values and the row offsets (len rows+1; row r's values are
// values[offsets[r]:offsets[r+1]]). Each value comes as an int64 holding:
// integers, dates, times and timestamps in their own unit (see
// ColumnInfo.TimeUnit; INT96 gives ns), uint32 zero-extended, uint64 as its
// bits, decimals (on INT32 or INT64) unscaled, and float32 or float64 as
// the bits of the float64 value (math.Float64bits). An empty list is
// allowed; a null list or null element is a *DataError.
func (f *File) ReadListInt64(rg int, name string) (values []int64, offsets []int64, err error) {
	defer func() { err = asInput(err) }()
	if err := f.checkRowGroup(rg); err != nil {
		return nil, nil, err
	}
	m, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	ok := m.info.Kind == List && m.info.ListFlavor != "flba"
	switch m.info.Elem {
	case Int64, Int32, Uint32, Uint64, Timestamp, Date, Time, Float32, Float64:
	case Decimal:
		ok = ok && (m.kind == parquet.Int32 || m.kind == parquet.Int64)
	default:
		ok = false
	}
	if !ok {
		return nil, nil, &DataError{File: f.path, RowGroup: -1, Row: -1, Column: name,
			Expected: "a list of integers, decimals, floats, dates, times or timestamps", Found: m.info.Kind.String() + " of " + m.info.Elem.String() + " (" + m.info.PhysicalType + ")"}
	}
	defer func() {
		if rec := recover(); rec != nil {
			values, offsets = nil, nil
			err = f.decoderPanic(rg, name)
		}
	}()
	if slowColumn {
		return f.readListValues(rg, m)
	}
	return f.readList(rg, m)
}

// readList is ReadListInt64 through this package's page reader.
func (f *File) readList(rg int, m *colMeta) (values []int64, offsets []int64, err error) {
	c, err := f.openKeyChunk(rg, m)
	if err != nil {
		return nil, nil, err
	}
	defer c.close()
	rows := f.RowGroupRows(rg)
	first := f.firstRow[rg]
	a := m.repDefs[0]
	offsets = make([]int64, 1, min(rows, 1<<20)+1)
	conv := listConverter(m)
	var p keyPage
	var row int64
	for {
		ok, err := c.nextPage(&p)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		vals := c.dec.fixedValues(&p)
		j := 0
		for i := 0; i < p.nl; i++ {
			d := int(p.defs[i])
			if p.reps[i] == 0 {
				if row > 0 {
					offsets = append(offsets, int64(len(values)))
				}
				row++
				if row > rows {
					return nil, nil, c.corrupt("page %d: more than the row group's %d rows", p.no, rows)
				}
				if d < a {
					if d < a-1 {
						return nil, nil, &DataError{File: f.path, RowGroup: rg, Row: first + row - 1, Column: m.info.Name, Expected: "a list of times (possibly empty)", Found: "null"}
					}
					continue
				}
			} else if row == 0 {
				return nil, nil, c.corrupt("page %d: the first value continues a row", p.no)
			}
			if d < m.maxDef {
				return nil, nil, &DataError{File: f.path, RowGroup: rg, Row: first + row - 1, Column: m.info.Name, Expected: "a time value", Found: "null"}
			}
			values = append(values, conv(vals, j))
			j++
		}
	}
	if row > 0 {
		offsets = append(offsets, int64(len(values)))
	}
	if row != rows {
		return nil, nil, c.corrupt("found %d rows, the row group has %d", row, rows)
	}
	c.done()
	return values, offsets, nil
}

// listConverter returns the function giving value j of a list column's
// little-endian values as ReadListInt64 holds it.
func listConverter(m *colMeta) func(b []byte, j int) int64 {
	switch m.kind {
	case parquet.Int32:
		if m.info.Elem == Uint32 {
			return func(b []byte, j int) int64 { return int64(binary.LittleEndian.Uint32(b[4*j:])) }
		}
		return func(b []byte, j int) int64 { return int64(int32(binary.LittleEndian.Uint32(b[4*j:]))) }
	case parquet.Int96:
		return func(b []byte, j int) int64 {
			v := b[12*j:]
			return int96ToNanos(deprecated.Int96{binary.LittleEndian.Uint32(v), binary.LittleEndian.Uint32(v[4:]), binary.LittleEndian.Uint32(v[8:])})
		}
	case parquet.Float:
		return func(b []byte, j int) int64 {
			return int64(math.Float64bits(float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:])))))
		}
	}
	// INT64 and DOUBLE: the bits as they are
	return func(b []byte, j int) int64 { return int64(binary.LittleEndian.Uint64(b[8*j:])) }
}

// readListValues is ReadListInt64 value by value through parquet-go's
// page decoding: the reference the tests compare readList with.
func (f *File) readListValues(rg int, m *colMeta) (values []int64, offsets []int64, err error) {
	name := m.info.Name
	unsigned := m.info.Elem == Uint32
	rows := f.RowGroupRows(rg)
	first := f.firstRow[rg]
	a := m.repDefs[0]
	offsets = make([]int64, 1, min(rows, 1<<20)+1)
	var row int64
	err = f.forEachValue(rg, m, func(v parquet.Value) error {
		d := v.DefinitionLevel()
		if v.RepetitionLevel() == 0 {
			if row > 0 {
				offsets = append(offsets, int64(len(values)))
			}
			row++
			if d < a {
				if d < a-1 {
					return &DataError{File: f.path, RowGroup: rg, Row: first + row - 1, Column: name, Expected: "a list of times (possibly empty)", Found: "null"}
				}
				return nil
			}
		} else if row == 0 {
			return fmt.Errorf("reading %s: row group %d, column %q: first value continues a row: %w", f.path, rg, name, parquet.ErrCorrupted)
		}
		if v.IsNull() || d < m.maxDef {
			return &DataError{File: f.path, RowGroup: rg, Row: first + row - 1, Column: name, Expected: "a time value", Found: "null"}
		}
		switch m.kind {
		case parquet.Int64:
			values = append(values, v.Int64())
		case parquet.Int32:
			if unsigned {
				values = append(values, int64(v.Uint32()))
			} else {
				values = append(values, int64(v.Int32()))
			}
		case parquet.Int96:
			values = append(values, int96ToNanos(v.Int96()))
		case parquet.Float:
			values = append(values, int64(math.Float64bits(float64(v.Float()))))
		case parquet.Double:
			values = append(values, int64(math.Float64bits(v.Double())))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if row > 0 {
		offsets = append(offsets, int64(len(values)))
	}
	if row != rows {
		return nil, nil, fmt.Errorf("reading %s: row group %d, column %q: found %d rows, the row group has %d: %w", f.path, rg, name, row, rows, parquet.ErrCorrupted)
	}
	return values, offsets, nil
}

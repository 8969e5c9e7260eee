package parquetio

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// readVarColumn is ReadColumn for the types that are not plain
// fixed-width numbers: strings, binary and wide decimals (BYTE_ARRAY),
// FIXED_LEN_BYTE_ARRAY (UUIDs, fixed ids, decimals), INT96 timestamps and
// booleans, through this package's page reader.
func (f *File) readVarColumn(rg int, m *colMeta) (arrow.Array, error) {
	b, add, err := varBuilder(f, m)
	if err != nil {
		return nil, err
	}
	defer b.Release()
	c, err := f.openKeyChunk(rg, m)
	if err != nil {
		return nil, err
	}
	defer c.close()
	rows := f.RowGroupRows(rg)
	b.Reserve(int(min(rows, 1<<20)))
	var p keyPage
	var row int64
	for {
		ok, err := c.nextPage(&p)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if row+int64(p.nl) > rows {
			return nil, c.corrupt("page %d: %d values after row %d, more than the row group's %d rows", p.no, p.nl, row, rows)
		}
		if m.kind != parquet.ByteArray {
			p.fixed = c.dec.fixedValues(&p) // the values looked up (dictionary pages)
		}
		if p.n == p.nl {
			for j := range p.n {
				add(c.dec, &p, j)
			}
		} else {
			j := 0
			for _, d := range p.defs {
				if int(d) < m.maxDef {
					b.AppendNull()
					continue
				}
				add(c.dec, &p, j)
				j++
			}
		}
		row += int64(p.nl)
	}
	if row != rows {
		return nil, c.corrupt("found %d values, the row group has %d rows", row, rows)
	}
	c.done()
	return b.NewArray(), nil
}

// varBuilder is the Arrow builder ReadColumn uses for column m of a type
// that is not a plain fixed-width number, and add, which appends value j
// of a decoded page to it.
func varBuilder(f *File, m *colMeta) (array.Builder, func(d *keyDecoder, p *keyPage, j int), error) {
	mem := memory.DefaultAllocator
	var b array.Builder
	var add func(d *keyDecoder, p *keyPage, j int) // appends value j of page p
	byteVal := func(d *keyDecoder, p *keyPage, j int) []byte { return d.byteValue(p, j) }
	switch {
	case m.kind == parquet.ByteArray && m.info.Elem == String:
		bb := array.NewStringBuilder(mem)
		b, add = bb, func(d *keyDecoder, p *keyPage, j int) { bb.BinaryBuilder.Append(byteVal(d, p, j)) }
	case m.kind == parquet.ByteArray && (m.info.Elem == Binary || m.info.Elem == Decimal):
		bb := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		b, add = bb, func(d *keyDecoder, p *keyPage, j int) { bb.Append(byteVal(d, p, j)) }
	case m.kind == parquet.FixedLenByteArray:
		bb := array.NewFixedSizeBinaryBuilder(mem, &arrow.FixedSizeBinaryType{ByteWidth: m.flbaLen})
		w := m.flbaLen
		b, add = bb, func(d *keyDecoder, p *keyPage, j int) { bb.Append(p.fixed[j*w : (j+1)*w]) }
	case m.kind == parquet.Int96 && m.info.Elem == Timestamp:
		bb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: timeUnitOf(m.info.TimeUnit)})
		b, add = bb, func(d *keyDecoder, p *keyPage, j int) {
			v := p.fixed[12*j:]
			i96 := deprecated.Int96{binary.LittleEndian.Uint32(v), binary.LittleEndian.Uint32(v[4:]), binary.LittleEndian.Uint32(v[8:])}
			bb.Append(arrow.Timestamp(int96ToNanos(i96)))
		}
	case m.kind == parquet.Boolean:
		bb := array.NewBooleanBuilder(mem)
		b, add = bb, func(d *keyDecoder, p *keyPage, j int) { bb.Append(p.fixed[j] != 0) }
	default:
		return nil, nil, &DataError{File: f.path, RowGroup: -1, Row: -1, Column: m.info.Name,
			Expected: "an integer, decimal, float, double, string, binary, bool, timestamp, date, time or UUID column", Found: m.info.PhysicalType + " (" + m.info.Elem.String() + ")"}
	}
	return b, add, nil
}

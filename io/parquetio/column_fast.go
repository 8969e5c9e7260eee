package parquetio

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readFixedColumn is ReadColumn for fixed-width types (int32, date32,
// int64, timestamp, float, double) through the page API: values are
// copied page by page into one buffer (dictionary pages looked up by
// index), nulls spread out with a validity bitmap, no per-value calls.
func readFixedColumn[T int32 | int64 | float32 | float64](f *File, rg int, m *colMeta, dt arrow.DataType) (arrow.Array, error) {
	vals, valid, nulls, err := decodeFixed[T](f, rg, m, nil)
	if err != nil {
		return nil, err
	}
	rows := len(vals)
	var raw []byte
	if rows > 0 {
		raw = unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), rows*int(unsafe.Sizeof(vals[0])))
	}
	var vb *memory.Buffer
	if valid != nil {
		vb = memory.NewBufferBytes(valid)
	}
	data := array.NewData(dt, rows, []*memory.Buffer{vb, memory.NewBufferBytes(raw)}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// decodeFixed decodes a fixed-width column chunk (values of T's size)
// into buf's storage (a new zeroed slice when buf is too short): the values
// (null slots keep what the storage held), a validity bitmap (nil without
// nulls) and the null count. Pages go through this package's page reader
// (keyChunk), each decompressed once.
func decodeFixed[T int32 | int64 | float32 | float64](f *File, rg int, m *colMeta, buf []T) (vals []T, valid []byte, nulls int, err error) {
	c, err := f.openKeyChunk(rg, m)
	if err != nil {
		return nil, nil, 0, err
	}
	defer c.close()
	rows := int(f.RowGroupRows(rg))
	if cap(buf) >= rows {
		vals = buf[:rows]
	} else {
		vals = make([]T, rows)
	}
	row := 0
	var p keyPage
	var scratch []T
	for {
		ok, err := c.nextPage(&p)
		if err != nil {
			return nil, nil, 0, err
		}
		if !ok {
			break
		}
		n := p.nl
		if row+n > rows {
			return nil, nil, 0, c.corrupt("page %d: %d values after row %d, more than the row group's %d rows", p.no, n, row, rows)
		}
		dst := vals[row : row+n]
		if p.dict && p.n == n && littleEndian {
			c.dec.gatherInto(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)*int(unsafe.Sizeof(dst[0]))), &p)
			row += n
			continue
		}
		src := fixedAs(c.dec.fixedValues(&p), &scratch)
		if p.n == n { // no nulls in the page
			copy(dst, src)
		} else {
			if valid == nil {
				valid = make([]byte, bitutil.BytesForBits(int64(rows)))
				bitutil.SetBitsTo(valid, 0, int64(rows), true)
			}
			j := 0
			for i, d := range p.defs {
				if int(d) < m.maxDef {
					bitutil.ClearBit(valid, row+i)
					nulls++
					continue
				}
				dst[i] = src[j]
				j++
			}
		}
		row += n
	}
	if row != rows {
		return nil, nil, 0, c.corrupt("found %d values, the row group has %d rows", row, rows)
	}
	c.done()
	return vals, valid, nulls, nil
}

package parquetio

import (
	"fmt"
	"io"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// readFixedColumn is ReadColumn for fixed-width types (int32, date32,
// int64, timestamp, float, double) through the page API: values are
// copied page by page into one buffer (dictionary pages looked up by
// index), nulls spread out with a validity bitmap, no per-value calls.
func readFixedColumn[T int32 | int64 | float32 | float64](f *File, rg int, m *colMeta, dt arrow.DataType,
	kind encoding.Kind, get func(*encoding.Values) []T) (arrow.Array, error) {
	vals, valid, nulls, err := decodeFixed(f, rg, m, kind, get, nil)
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

// decodeFixed decodes a fixed-width column chunk into buf's storage (a new
// zeroed slice when buf is too short): the values (null slots keep what
// the storage held), a validity bitmap (nil without nulls) and the null
// count.
func decodeFixed[T int32 | int64 | float32 | float64](f *File, rg int, m *colMeta,
	kind encoding.Kind, get func(*encoding.Values) []T, buf []T) (vals []T, valid []byte, nulls int, err error) {
	name := m.info.Name
	if err := f.checkChunks(rg, m.info.Leaf); err != nil {
		return nil, nil, 0, err
	}
	rows := int(f.RowGroupRows(rg))
	corrupt := func(what string) error {
		return fmt.Errorf("reading %s: row group %d, column %q: %s: %w", f.path, rg, name, what, parquet.ErrCorrupted)
	}
	if cap(buf) >= rows {
		vals = buf[:rows]
	} else {
		vals = make([]T, rows)
	}
	row := 0
	cc := f.pf.RowGroups()[rg].ColumnChunks()[m.info.Leaf]
	pages := cc.Pages()
	defer pages.Close()
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, 0, fmt.Errorf("reading %s: row group %d, column %q: %w", f.path, rg, name, err)
		}
		data := p.Data()
		var src []T
		var idx []int32
		if dict := p.Dictionary(); dict != nil && data.Kind() == encoding.Int32 {
			dv := dict.Page().Data()
			if dv.Kind() != kind {
				parquet.Release(p)
				return nil, nil, 0, corrupt("unexpected dictionary type " + dv.Kind().String())
			}
			src, idx = get(&dv), data.Int32()
		} else if data.Kind() == kind {
			src = get(&data)
		} else {
			parquet.Release(p)
			return nil, nil, 0, corrupt("unexpected page type " + data.Kind().String())
		}
		nv := len(src)
		if idx != nil {
			nv = len(idx)
		}
		n := nv
		defs := p.DefinitionLevels()
		if m.maxDef > 0 && len(defs) > 0 {
			n = len(defs)
		}
		if row+n > rows || nv > n {
			parquet.Release(p)
			return nil, nil, 0, corrupt(fmt.Sprintf("a page of %d levels and %d values in a row group of %d rows (at row %d)", n, nv, rows, row))
		}
		dst := vals[row : row+n]
		if n == nv { // no nulls in the page
			if idx == nil {
				copy(dst, src)
			} else {
				for i, ix := range idx {
					if uint32(ix) >= uint32(len(src)) {
						parquet.Release(p)
						return nil, nil, 0, corrupt(fmt.Sprintf("dictionary index %d out of range [0, %d)", ix, len(src)))
					}
					dst[i] = src[ix]
				}
			}
		} else {
			if valid == nil {
				valid = make([]byte, bitutil.BytesForBits(int64(rows)))
				bitutil.SetBitsTo(valid, 0, int64(rows), true)
			}
			j := 0
			for i, d := range defs {
				if int(d) < m.maxDef {
					bitutil.ClearBit(valid, row+i)
					nulls++
					continue
				}
				if j >= nv {
					parquet.Release(p)
					return nil, nil, 0, corrupt("more defined levels than values")
				}
				if idx == nil {
					dst[i] = src[j]
				} else {
					ix := idx[j]
					if uint32(ix) >= uint32(len(src)) {
						parquet.Release(p)
						return nil, nil, 0, corrupt(fmt.Sprintf("dictionary index %d out of range [0, %d)", ix, len(src)))
					}
					dst[i] = src[ix]
				}
				j++
			}
			if j != nv {
				parquet.Release(p)
				return nil, nil, 0, corrupt("fewer defined levels than values")
			}
		}
		parquet.Release(p)
		row += n
	}
	if row != rows {
		return nil, nil, 0, fmt.Errorf("reading %s: row group %d, column %q: found %d values, the row group has %d rows: %w", f.path, rg, name, row, rows, parquet.ErrCorrupted)
	}
	return vals, valid, nulls, nil
}

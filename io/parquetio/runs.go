package parquetio

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// ReadRuns reads a flat key column (a sequence id) of row group rg and
// returns where its value changes: starts[i] is the row (relative to the
// row group) where run i begins, keys[i] its value as a string. Strings and
// binary values are given as they are, integers in base 10, other types as
// Arrow's ValueStr formats them. A null value is a *DataError naming the
// file row and column ("expected a sequence id, found null"). An empty row
// group gives no runs.
//
// Dictionary-encoded pages are compared by dictionary index, other pages on
// their raw bytes or integers: values are turned into strings only at run
// starts, so ReadRuns allocates per run, not per row.
func (f *File) ReadRuns(rg int, name string) (starts []int, keys []string, err error) {
	defer func() { err = asInput(err) }()
	if err := f.checkRowGroup(rg); err != nil {
		return nil, nil, err
	}
	m, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	fast := m.info.Kind == Scalar && len(m.repDefs) == 0 &&
		((m.kind == parquet.ByteArray && (m.info.Elem == String || m.info.Elem == Binary)) ||
			(m.kind == parquet.Int32 && m.info.Elem == Int32) ||
			(m.kind == parquet.Int64 && m.info.Elem == Int64))
	if !fast {
		return f.readRunsArrow(rg, name)
	}
	defer func() {
		if rec := recover(); rec != nil {
			starts, keys = nil, nil
			err = f.decoderPanic(rg, name)
		}
	}()
	if err := f.checkChunks(rg, m.info.Leaf); err != nil {
		return nil, nil, err
	}
	rows := f.RowGroupRows(rg)
	corrupt := func(what string) error {
		return fmt.Errorf("reading %s: row group %d, column %q: %s: %w", f.path, rg, name, what, parquet.ErrCorrupted)
	}
	cc := f.pf.RowGroups()[rg].ColumnChunks()[m.info.Leaf]
	pages := cc.Pages()
	defer pages.Close()
	var (
		row    int // rows seen
		prevS  []byte
		prevI  int64
		haveP  bool
		keyBuf []byte // the current key's bytes (strings)
	)
	// newRun records a run starting at row r.
	addStr := func(r int, v []byte) {
		starts = append(starts, r)
		keys = append(keys, string(v))
		keyBuf = append(keyBuf[:0], v...)
		prevS, haveP = keyBuf, true
	}
	addInt := func(r int, v int64) {
		starts = append(starts, r)
		keys = append(keys, strconv.FormatInt(v, 10))
		prevI, haveP = v, true
	}
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: row group %d, column %q: %w", f.path, rg, name, err)
		}
		n := int(p.NumValues())
		if defs := p.DefinitionLevels(); m.maxDef > 0 && len(defs) > 0 {
			n = len(defs)
			for i, d := range defs {
				if int(d) < m.maxDef {
					parquet.Release(p)
					return nil, nil, &DataError{File: f.path, RowGroup: rg, Row: f.firstRow[rg] + int64(row+i), Column: name, Expected: "a sequence id", Found: "null"}
				}
			}
		}
		if int64(row+n) > rows {
			parquet.Release(p)
			return nil, nil, corrupt(fmt.Sprintf("more than the row group's %d rows", rows))
		}
		data := p.Data()
		got := 0
		if dict := p.Dictionary(); dict != nil && data.Kind() == encoding.Int32 {
			idx := data.Int32()
			got = len(idx)
			dv := dict.Page().Data()
			var lookupS func(i int32) ([]byte, bool)
			var lookupI func(i int32) (int64, bool)
			switch dv.Kind() {
			case encoding.ByteArray:
				b, off := dv.ByteArray()
				lookupS = func(i int32) ([]byte, bool) {
					if i < 0 || int(i)+1 >= len(off) {
						return nil, false
					}
					return b[off[i]:off[i+1]], true
				}
			case encoding.Int32:
				v := dv.Int32()
				lookupI = func(i int32) (int64, bool) {
					if i < 0 || int(i) >= len(v) {
						return 0, false
					}
					return int64(v[i]), true
				}
			case encoding.Int64:
				v := dv.Int64()
				lookupI = func(i int32) (int64, bool) {
					if i < 0 || int(i) >= len(v) {
						return 0, false
					}
					return v[i], true
				}
			default:
				parquet.Release(p)
				return nil, nil, corrupt("unexpected dictionary type " + dv.Kind().String())
			}
			prevIdx := int32(-1)
			for i, ix := range idx {
				if ix == prevIdx {
					continue
				}
				prevIdx = ix
				if lookupS != nil {
					v, ok := lookupS(ix)
					if !ok {
						parquet.Release(p)
						return nil, nil, corrupt(fmt.Sprintf("dictionary index %d out of range", ix))
					}
					if !haveP || !bytes.Equal(v, prevS) {
						addStr(row+i, v)
					}
				} else {
					v, ok := lookupI(ix)
					if !ok {
						parquet.Release(p)
						return nil, nil, corrupt(fmt.Sprintf("dictionary index %d out of range", ix))
					}
					if !haveP || v != prevI {
						addInt(row+i, v)
					}
				}
			}
		} else {
			switch data.Kind() {
			case encoding.ByteArray:
				b, off := data.ByteArray()
				if len(off) > 0 {
					got = len(off) - 1
				}
				for i := 0; i < got; i++ {
					v := b[off[i]:off[i+1]]
					if !haveP || !bytes.Equal(v, prevS) {
						addStr(row+i, v)
					}
				}
			case encoding.Int32:
				vs := data.Int32()
				got = len(vs)
				for i, v := range vs {
					if !haveP || int64(v) != prevI {
						addInt(row+i, int64(v))
					}
				}
			case encoding.Int64:
				vs := data.Int64()
				got = len(vs)
				for i, v := range vs {
					if !haveP || v != prevI {
						addInt(row+i, v)
					}
				}
			default:
				parquet.Release(p)
				return nil, nil, corrupt("unexpected page type " + data.Kind().String())
			}
		}
		parquet.Release(p)
		if got != n {
			return nil, nil, corrupt(fmt.Sprintf("a page of %d levels holds %d values", n, got))
		}
		row += n
	}
	if int64(row) != rows {
		return nil, nil, fmt.Errorf("reading %s: row group %d, column %q: found %d values, the row group has %d rows: %w", f.path, rg, name, row, rows, parquet.ErrCorrupted)
	}
	return starts, keys, nil
}

// readRunsArrow is ReadRuns for the other key types, through ReadColumn.
func (f *File) readRunsArrow(rg int, name string) (starts []int, keys []string, err error) {
	a, err := f.ReadColumn(rg, name)
	if err != nil {
		return nil, nil, err
	}
	defer a.Release()
	prev := ""
	for row := 0; row < a.Len(); row++ {
		if a.IsNull(row) {
			return nil, nil, &DataError{File: f.path, RowGroup: rg, Row: f.firstRow[rg] + int64(row), Column: name, Expected: "a sequence id", Found: "null"}
		}
		k := a.ValueStr(row)
		if row == 0 || k != prev {
			starts = append(starts, row)
			keys = append(keys, k)
			prev = k
		}
	}
	return starts, keys, nil
}

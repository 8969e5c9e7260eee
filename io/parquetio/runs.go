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
// starts, and each distinct id only once per call (a dictionary entry once
// per dictionary), so that ids which change on every row (series
// interleaved in time order) cost a string per distinct id, not per row.
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
		in     interner
		rep    repeated // the current key repeated (see sameRun)
	)
	// room makes room for a run at row r: when runs are short (ids that
	// change on every row) the slices are sized for the whole row group
	// at once, not grown by doubling (most of reading such ids was copying
	// the grown slices).
	room := func(r int) {
		if len(starts) < cap(starts) {
			return
		}
		want := max(2*int64(len(starts)), 8)
		if r >= 1024 { // enough rows seen to go by their rate
			rate := int64(len(starts)+1) * rows / int64(r+1)
			want = max(want, rate+rate/4)
		}
		want = min(want, rows)
		starts = append(make([]int, 0, want), starts...)
		keys = append(make([]string, 0, want), keys...)
	}
	// addStr and addInt record a run starting at row r.
	addStr := func(r int, v []byte, k string) {
		room(r)
		starts = append(starts, r)
		keys = append(keys, k)
		keyBuf = append(keyBuf[:0], v...)
		prevS, haveP = keyBuf, true
	}
	addInt := func(r int, v int64, k string) {
		room(r)
		starts = append(starts, r)
		keys = append(keys, k)
		prevI, haveP = v, true
	}
	// A column chunk has one dictionary: by index, its entries' keys, made
	// when first seen.
	var dictKeys []string
	var dictMade []bool
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
			if n := dict.Len(); dictKeys == nil || len(dictKeys) != n {
				dictKeys, dictMade = make([]string, n), make([]bool, n)
			}
			// dictKey is the key of entry ix (in range), made once.
			dictKey := func(ix int32, make func() string) string {
				if ix >= 0 && int(ix) < len(dictKeys) {
					if !dictMade[ix] {
						dictKeys[ix], dictMade[ix] = make(), true
					}
					return dictKeys[ix]
				}
				return make()
			}
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
						addStr(row+i, v, dictKey(ix, func() string { return in.bytes(v) }))
					}
				} else {
					v, ok := lookupI(ix)
					if !ok {
						parquet.Release(p)
						return nil, nil, corrupt(fmt.Sprintf("dictionary index %d out of range", ix))
					}
					if !haveP || v != prevI {
						addInt(row+i, v, dictKey(ix, func() string { return in.int(v) }))
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
				for i := 0; i < got; {
					if haveP {
						if j := sameRun(b, off, i, got, prevS, &rep); j > i {
							i = j
							continue
						}
					}
					v := b[off[i]:off[i+1]]
					addStr(row+i, v, in.bytes(v))
					i++
				}
			case encoding.Int32:
				vs := data.Int32()
				got = len(vs)
				for i, v := range vs {
					if !haveP || int64(v) != prevI {
						addInt(row+i, int64(v), in.int(int64(v)))
					}
				}
			case encoding.Int64:
				vs := data.Int64()
				got = len(vs)
				for i, v := range vs {
					if !haveP || v != prevI {
						addInt(row+i, v, in.int(v))
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

// repeated is a key and a block of it repeated.
type repeated struct{ key, block []byte }

// sameRun is the first of values [i, n) of a plain byte-array page (bytes
// b, offsets off) that differs from key: i when value i does. A long run
// of one key is compared in blocks against key repeated (kept in rep)
// instead of value by value, which on a 10M-row file of contiguous ids was
// half of reading them.
func sameRun(b []byte, off []uint32, i, n int, key []byte, rep *repeated) int {
	l := uint32(len(key))
	j := i
	for j < n && off[j+1]-off[j] == l {
		j++
	}
	if l == 0 || j == i {
		return j // empty keys: equal lengths are equal values
	}
	if !bytes.Equal(rep.key, key) {
		rep.key = append(rep.key[:0], key...)
		rep.block = bytes.Repeat(key, max(4096/len(key), 1))
	}
	per := len(rep.block) / len(key) // values per block
	for k := i; k < j; k += per {
		m := min(per, j-k)
		if !bytes.Equal(b[off[k]:off[k+m]], rep.block[:m*len(key)]) {
			for ; k < j && bytes.Equal(b[off[k]:off[k+1]], key); k++ {
			}
			return k
		}
	}
	return j
}

// interner makes each distinct id's string once: looking a []byte up as
// a map key does not allocate.
type interner struct {
	strs map[string]string
	ints map[int64]string
}

// bytes is v as a string, the same string for equal bytes.
func (in *interner) bytes(v []byte) string {
	if k, ok := in.strs[string(v)]; ok {
		return k
	}
	if in.strs == nil {
		in.strs = map[string]string{}
	}
	k := string(v)
	in.strs[k] = k
	return k
}

// int is v in base 10, the same string for equal values.
func (in *interner) int(v int64) string {
	if k, ok := in.ints[v]; ok {
		return k
	}
	if in.ints == nil {
		in.ints = map[int64]string{}
	}
	k := strconv.FormatInt(v, 10)
	in.ints[v] = k
	return k
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

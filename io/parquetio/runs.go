package parquetio

import (
	"bytes"
	"encoding/binary"
	"strconv"

	"github.com/parquet-go/parquet-go"
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
	c, err := f.openKeyChunk(rg, m)
	if err != nil {
		return nil, nil, err
	}
	defer c.close()
	c.windows = true // a large dictionary page a window of indexes at a time
	rows := f.RowGroupRows(rg)
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
	// dictKey is the key of entry ix, made once.
	dictKey := func(ix uint32, make func() string) string {
		if !dictMade[ix] {
			dictKeys[ix], dictMade[ix] = make(), true
		}
		return dictKeys[ix]
	}
	isBytes := m.kind == parquet.ByteArray
	var p keyPage
	var i32 []int32
	var i64 []int64
	for {
		ok, err := c.nextPage(&p)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		n := p.nl
		if p.n != n {
			for i, d := range p.defs {
				if int(d) < m.maxDef {
					return nil, nil, &DataError{File: f.path, RowGroup: rg, Row: f.firstRow[rg] + int64(row+i), Column: name, Expected: "a sequence id", Found: "null"}
				}
			}
		}
		if int64(row+n) > rows {
			return nil, nil, c.corrupt("page %d: more than the row group's %d rows", p.no, rows)
		}
		switch {
		case p.dict:
			if dictKeys == nil {
				dictKeys, dictMade = make([]string, c.dec.dictN), make([]bool, c.dec.dictN)
			}
			prevIdx := uint32(1<<32 - 1)
			for i := 0; i < len(p.idx); i++ {
				ix := p.idx[i]
				if ix == prevIdx {
					i = sameIndex(p.idx, i, ix) - 1
					continue
				}
				prevIdx = ix
				if isBytes {
					v := c.dec.byteValue(&p, i)
					if !haveP || !bytes.Equal(v, prevS) {
						addStr(row+i, v, dictKey(ix, func() string { return in.bytes(v) }))
					}
					continue
				}
				v := dictInt(c.dec, ix)
				if !haveP || v != prevI {
					addInt(row+i, v, dictKey(ix, func() string { return in.int(v) }))
				}
			}
		case isBytes:
			b, off := p.data, p.offs
			for i := 0; i < n; {
				if haveP {
					if j := sameRun(b, off, i, n, prevS, &rep); j > i {
						i = j
						continue
					}
				}
				v := b[off[i]:off[i+1]]
				addStr(row+i, v, in.bytes(v))
				i++
			}
		case m.kind == parquet.Int32:
			for i, v := range fixedAs(p.fixed, &i32) {
				if !haveP || int64(v) != prevI {
					addInt(row+i, int64(v), in.int(int64(v)))
				}
			}
		default:
			for i, v := range fixedAs(p.fixed, &i64) {
				if !haveP || v != prevI {
					addInt(row+i, v, in.int(v))
				}
			}
		}
		row += n
	}
	if int64(row) != rows {
		return nil, nil, c.corrupt("found %d values, the row group has %d rows", row, rows)
	}
	c.done()
	return starts, keys, nil
}

// sameIndex is the first of idx[i:] that is not ix (len(idx) if none),
// comparing eight at a time: a sorted id's indexes are long runs.
func sameIndex(idx []uint32, i int, ix uint32) int {
	for ; i+8 <= len(idx); i += 8 {
		b := idx[i : i+8 : i+8]
		if b[0] != ix || b[1] != ix || b[2] != ix || b[3] != ix || b[4] != ix || b[5] != ix || b[6] != ix || b[7] != ix {
			break
		}
	}
	for ; i < len(idx) && idx[i] == ix; i++ {
	}
	return i
}

// dictInt is entry ix of an INT32 or INT64 dictionary.
func dictInt(d *keyDecoder, ix uint32) int64 {
	if d.width == 4 {
		return int64(int32(binary.LittleEndian.Uint32(d.dictFixed[4*ix:])))
	}
	return int64(binary.LittleEndian.Uint64(d.dictFixed[8*ix:]))
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

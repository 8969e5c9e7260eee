package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Key columns (sequence ids, order columns, nested times) are read by the
// same page reader as the value column (chunkPages, fetchPage, the
// read-ahead pageSource): each page is read once, decompressed once and
// decoded here with its levels, dictionary indexes and DELTA_* values
// checked against its value count. keyDecoder decodes every physical type
// a key may have and every encoding writers use for one.

// keyDecoder decodes the pages of one key column chunk. Its buffers hold
// one page at a time.
type keyDecoder struct {
	pageDecoder             // file, row group, column, levels
	typ         format.Type // the physical type
	width       int         // bytes per value once decoded (BOOLEAN: 1); 0: BYTE_ARRAY
	// the dictionary: fixed-width values, or byte arrays (dictData, dictOffs)
	dictFixed []byte
	dictData  []byte
	dictOffs  []uint32
	// buffers of the page being decoded
	fixed []byte
	data  []byte
	offs  []uint32
	lens  [2][]int32 // DELTA_* lengths (prefixes, suffixes)
}

// keyPage is a decoded data page of a key column.
type keyPage struct {
	no         int    // the page's index in the column chunk
	nl         int    // levels (values and nulls)
	reps, defs []byte // nil when the column has no such levels
	n          int    // values (levels at the maximum definition level)
	// dict: the values are dictionary indexes (idx, checked against the
	// dictionary); else fixed-width values (n*width bytes,
	// little-endian) or byte arrays (data, n+1 offsets).
	dict  bool
	idx   []uint32
	fixed []byte
	data  []byte
	offs  []uint32
}

// newKeyDecoder prepares to decode column m of row group rg.
func (f *File) newKeyDecoder(rg int, m *colMeta) (*keyDecoder, error) {
	d := keyDecoders.Get().(*keyDecoder)
	d.pageDecoder = pageDecoder{f: f, rg: rg, col: m.info.Name, maxRep: len(m.repDefs), maxDef: m.maxDef,
		reps: d.reps, defs: d.defs, idx: d.idx}
	d.dictFixed, d.dictData, d.dictOffs = d.dictFixed[:0], d.dictData[:0], d.dictOffs[:0]
	d.typ, d.width = format.Type(m.kind), 0
	switch m.kind {
	case parquet.Boolean:
		d.width = 1
	case parquet.Int32, parquet.Float:
		d.width = 4
	case parquet.Int64, parquet.Double:
		d.width = 8
	case parquet.Int96:
		d.width = 12
	case parquet.FixedLenByteArray:
		d.width = m.flbaLen
		if d.width <= 0 {
			return nil, fmt.Errorf("reading %s: column %q: FIXED_LEN_BYTE_ARRAY of %d bytes: %w", f.path, m.info.Name, m.flbaLen, parquet.ErrCorrupted)
		}
	case parquet.ByteArray:
	default:
		return nil, fmt.Errorf("reading %s: column %q: physical type %v: %w", f.path, m.info.Name, m.kind, parquet.ErrCorrupted)
	}
	d.elemSize = max(d.width, 1)
	return d, nil
}

// keyDecoders pools the decoders' buffers: a row group's key columns are
// read one after the other, row group after row group.
var keyDecoders = sync.Pool{New: func() any { return new(keyDecoder) }}

// put gives the decoder back to the pool; nothing it decoded may be used
// after.
func (d *keyDecoder) put() {
	d.f = nil
	keyDecoders.Put(d)
}

// pageErr is a CorruptError naming page no (at file offset p.body).
func (d *keyDecoder) pageErr(no int, p *pageLoc, what string, args ...any) error {
	return &CorruptError{Err: fmt.Errorf("reading %s: row group %d, column %q: page %d (at offset %d): %s: %w",
		d.f.path, d.rg, d.col, no, p.body, fmt.Sprintf(what, args...), parquet.ErrCorrupted)}
}

// dictionary keeps the PLAIN values of a dictionary page.
func (d *keyDecoder) dictionary(no int, p *pageLoc, data []byte) error {
	if p.enc != format.Plain && p.enc != format.PlainDictionary {
		return d.pageErr(no, p, "dictionary page encoded %s, expected PLAIN", p.enc)
	}
	if d.haveDict {
		return d.pageErr(no, p, "a second dictionary page")
	}
	n := int(p.numValues)
	if n < 0 {
		return d.pageErr(no, p, "a dictionary of %d values", n)
	}
	if d.width == 0 {
		var err error
		if d.dictData, d.dictOffs, err = plainByteArrays(d.dictData[:0], d.dictOffs[:0], data, n); err != nil {
			return d.pageErr(no, p, "dictionary: %v", err)
		}
	} else {
		vals, err := d.plainFixed(data, n)
		if err != nil {
			return d.pageErr(no, p, "dictionary: %v", err)
		}
		d.dictFixed = append(d.dictFixed[:0], vals...)
	}
	d.dictN, d.haveDict = n, true
	return nil
}

// decode decodes data page no (p), whose uncompressed content is data,
// into out. out's slices may alias data and the decoder's buffers until
// the next call.
func (d *keyDecoder) decode(no int, p *pageLoc, data []byte, out *keyPage) error {
	if err := d.f.decodesWhole(d.rg, d.col, p); err != nil {
		return err
	}
	nl := int(p.numValues)
	*out = keyPage{no: no, nl: nl}
	repB, defB, rest, err := d.splitLevels(no, p, data, func(what string, args ...any) error { return d.pageErr(no, p, what, args...) })
	if err != nil {
		return err
	}
	if d.maxRep > 0 {
		if d.reps, err = decodeLevels(d.reps, repB, d.maxRep, nl); err != nil {
			return d.pageErr(no, p, "repetition levels: %v", err)
		}
		out.reps = d.reps
	}
	n := nl
	if d.maxDef > 0 {
		if d.defs, err = decodeLevels(d.defs, defB, d.maxDef, nl); err != nil {
			return d.pageErr(no, p, "definition levels: %v", err)
		}
		out.defs = d.defs
		n = bytes.Count(d.defs, []byte{byte(d.maxDef)})
		if top := maxLevelOver(d.defs, d.maxDef); int(top) > d.maxDef {
			return d.pageErr(no, p, "definition level %d, the column's maximum is %d", top, d.maxDef)
		}
	}
	out.n = n
	if err := d.values(p, rest, out); err != nil {
		var big *deltaTooLarge
		if errors.As(err, &big) {
			return &DataError{File: d.f.path, RowGroup: d.rg, Row: -1, Column: d.col,
				Expected: fmt.Sprintf("pages that fit in --memory-limit (%d bytes) once decoded", d.f.pageLimit),
				Found:    fmt.Sprintf("page %d (at offset %d): %v", no, p.body, big)}
		}
		return d.pageErr(no, p, "%v", err)
	}
	return nil
}

// values decodes a page's n values (b) as its encoding says.
func (d *keyDecoder) values(p *pageLoc, b []byte, out *keyPage) error {
	n := out.n
	switch p.enc {
	case format.Plain:
		if d.width == 0 {
			var err error
			d.data, d.offs, err = plainByteArrays(d.data[:0], d.offs[:0], b, n)
			out.data, out.offs = d.data, d.offs
			return err
		}
		vals, err := d.plainFixed(b, n)
		out.fixed = vals
		return err
	case format.PlainDictionary, format.RLEDictionary:
		return d.indexes(b, out)
	case format.RLE:
		if d.typ != format.Boolean {
			return fmt.Errorf("values encoded RLE: only booleans may be")
		}
		if len(b) < 4 || int(binary.LittleEndian.Uint32(b)) > len(b)-4 {
			return errors.New("RLE booleans: no length")
		}
		runs := b[4 : 4+binary.LittleEndian.Uint32(b)]
		if err := scanRuns(runs, 1, int64(n)); err != nil {
			return fmt.Errorf("RLE booleans: %w", err)
		}
		var err error
		if d.fixed, err = decodeHybrid(d.fixed, runs, 1, n); err != nil {
			return fmt.Errorf("RLE booleans: %w", err)
		}
		out.fixed = d.fixed
		return nil
	case format.ByteStreamSplit:
		if d.width == 0 || d.typ == format.Boolean || d.typ == format.Int96 {
			return fmt.Errorf("values encoded BYTE_STREAM_SPLIT in a %s column", d.typ)
		}
		if len(b) != n*d.width {
			return fmt.Errorf("%d bytes of BYTE_STREAM_SPLIT values, expected %d values of %d bytes", len(b), n, d.width)
		}
		d.fixed = unsplit(d.fixed, b, d.width)
		out.fixed = d.fixed
		return nil
	case format.DeltaBinaryPacked, format.DeltaLengthByteArray, format.DeltaByteArray:
		return d.delta(p, b, out)
	}
	return fmt.Errorf("values encoded %s: not a %s encoding this reader knows", p.enc, d.typ)
}

// indexes decodes a page's dictionary indexes and checks them against the
// dictionary.
func (d *keyDecoder) indexes(b []byte, out *keyPage) error {
	if !d.haveDict {
		return errors.New("dictionary indexes without a dictionary page")
	}
	n := out.n
	if err := scanIndexes(b, int64(n)); err != nil {
		return err
	}
	out.dict = true
	if len(b) == 0 {
		out.idx = d.idx[:0]
		return nil
	}
	var err error
	if d.idx, err = decodeHybrid(d.idx, b[1:], int(b[0]), n); err != nil {
		return fmt.Errorf("dictionary indexes: %w", err)
	}
	if maxIndex(d.idx) >= uint32(d.dictN) {
		i := slices.IndexFunc(d.idx, func(ix uint32) bool { return ix >= uint32(d.dictN) })
		return fmt.Errorf("dictionary index %d out of range [0, %d)", d.idx[i], d.dictN)
	}
	out.idx = d.idx
	return nil
}

// plainFixed returns n PLAIN fixed-width values of b, as little-endian
// bytes of width each (booleans unpacked to a byte each).
func (d *keyDecoder) plainFixed(b []byte, n int) ([]byte, error) {
	if d.typ == format.Boolean {
		if len(b) != (n+7)/8 {
			return nil, fmt.Errorf("%d bytes of PLAIN booleans, expected %d for %d values", len(b), (n+7)/8, n)
		}
		d.fixed = unpackBits(slices.Grow(d.fixed[:0], n), b, 1, n, 1)
		return d.fixed, nil
	}
	if len(b) != n*d.width {
		return nil, fmt.Errorf("%d bytes of values, expected %d values of %d bytes", len(b), n, d.width)
	}
	return b, nil
}

// plainByteArrays appends the n PLAIN byte arrays of b (each after its
// 4-byte length) to data, with their offsets (n+1, from offs[0] = 0).
func plainByteArrays(data []byte, offs []uint32, b []byte, n int) ([]byte, []uint32, error) {
	offs = append(offs, 0)
	for i := 0; i < n; i++ {
		if len(b) < 4 {
			return data, offs, fmt.Errorf("value %d of %d: no length", i, n)
		}
		l := binary.LittleEndian.Uint32(b)
		if uint64(l) > uint64(len(b)-4) {
			return data, offs, fmt.Errorf("value %d of %d: %d bytes, %d left in the page", i, n, l, len(b)-4)
		}
		data = append(data, b[4:4+l]...)
		offs = append(offs, uint32(len(data)))
		b = b[4+l:]
	}
	if len(b) > 0 {
		return data, offs, fmt.Errorf("%d bytes after the page's %d values", len(b), n)
	}
	return data, offs, nil
}

// intsIn is an empty []T in b's storage (8-byte aligned, as the
// allocator gives it), for a decoder to append to; a new slice on a
// big-endian host, where leBytes converts.
func intsIn[T int32 | int64](b []byte) []T {
	size := int(unsafe.Sizeof(T(0)))
	if !littleEndian || cap(b) < size || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%8 != 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b[:1]))), cap(b)/size)[:0]
}

// leBytes is v as little-endian bytes: its storage on a little-endian
// host.
func leBytes[T int32 | int64](v []T) []byte {
	size := int(unsafe.Sizeof(T(0)))
	if len(v) == 0 {
		return nil
	}
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), cap(v)*size)[:len(v)*size]
	}
	out := make([]byte, 0, len(v)*size)
	for _, x := range v {
		if size == 4 {
			out = binary.LittleEndian.AppendUint32(out, uint32(x))
		} else {
			out = binary.LittleEndian.AppendUint64(out, uint64(x))
		}
	}
	return out
}

// fixedValues are a page's fixed-width values as little-endian bytes,
// looked up in the dictionary when the page holds indexes.
func (d *keyDecoder) fixedValues(p *keyPage) []byte {
	if !p.dict {
		return p.fixed
	}
	size := len(p.idx) * d.width
	if cap(d.fixed) < size {
		d.fixed = make([]byte, size)
	}
	d.fixed = d.fixed[:size]
	d.gatherInto(d.fixed, p)
	return d.fixed
}

// gatherInto looks a dictionary page's values up into out (len(idx)
// values of width bytes).
func (d *keyDecoder) gatherInto(out []byte, p *keyPage) {
	w := d.width
	switch w {
	case 4:
		gather(unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(out))), len(p.idx)), unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(d.dictFixed))), d.dictN), p.idx)
	case 8:
		gather(unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(out))), len(p.idx)), unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d.dictFixed))), d.dictN), p.idx)
	default:
		for i, ix := range p.idx {
			copy(out[i*w:(i+1)*w], d.dictFixed[int(ix)*w:])
		}
	}
}

// byteValue is value i of a page of byte arrays.
func (d *keyDecoder) byteValue(p *keyPage, i int) []byte {
	if p.dict {
		ix := p.idx[i]
		return d.dictData[d.dictOffs[ix]:d.dictOffs[ix+1]]
	}
	return p.data[p.offs[i]:p.offs[i+1]]
}

// fixedAs views little-endian values as []T; when they are not aligned
// for T (or the host is big-endian) they are converted into scratch's
// storage.
func fixedAs[T int32 | int64 | float32 | float64](b []byte, scratch *[]T) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	n := len(b) / size
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%unsafe.Alignof(zero) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
	}
	out := slices.Grow((*scratch)[:0], n)[:n]
	*scratch = out
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), n*size)
	if littleEndian {
		copy(raw, b)
		return out
	}
	for i := 0; i < n; i++ {
		for k := 0; k < size; k++ {
			raw[i*size+k] = b[i*size+size-1-k]
		}
	}
	return out
}

// maxLevelOver is the largest of levels decoded in bits.Len(maxDef) bits
// (decodeLevels checks each fits), or 0 when none can be above maxDef: a
// maximum of all ones (1, 3, 7: DuckDB's and polars' nullable columns)
// leaves no room above it, and the scan was 3% of a smoothing run's CPU.
func maxLevelOver(levels []byte, maxDef int) byte {
	if maxDef&(maxDef+1) == 0 {
		return 0
	}
	return maxLevel(levels)
}

// maxLevel is the largest of levels (0 for none).
func maxLevel(levels []byte) byte {
	var top byte
	for _, l := range levels {
		top = max(top, l)
	}
	return top
}

// maxIndex is the largest of idx (0 for none), four at a time.
func maxIndex(idx []uint32) uint32 {
	var m0, m1, m2, m3 uint32
	i := 0
	for ; i+4 <= len(idx); i += 4 {
		m0, m1, m2, m3 = max(m0, idx[i]), max(m1, idx[i+1]), max(m2, idx[i+2]), max(m3, idx[i+3])
	}
	for ; i < len(idx); i++ {
		m0 = max(m0, idx[i])
	}
	return max(m0, m1, m2, m3)
}

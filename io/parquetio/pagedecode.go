package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// pageBufs are the buffers one page is read and decompressed into.
type pageBufs struct {
	out  []byte // the uncompressed page
	comp []byte // its compressed bytes, when they need decompressing
}

// fetchPage reads page p of a column chunk written with codec, checks its
// CRC when it has one, and returns its uncompressed content in b.out's
// storage: a data page v1 or dictionary page whole, a data page v2 as its
// levels followed by its values. Each page is read once and decompressed
// once (decompressPage, bounded by the header's size).
func (f *File) fetchPage(p *pageLoc, codec format.CompressionCodec, b *pageBufs) ([]byte, error) {
	body, err := f.readPage(p, codec, b)
	if err != nil {
		return nil, err
	}
	return unpackPage(p, codec, b, body)
}

// readPage reads page p's stored bytes into b: into b.comp when they
// need decompressing, else into b.out.
func (f *File) readPage(p *pageLoc, codec format.CompressionCodec, b *pageBufs) ([]byte, error) {
	dst := &b.out
	if pageCompressed(p, codec) {
		dst = &b.comp
	}
	if cap(*dst) < int(p.comp) {
		*dst = make([]byte, p.comp)
	}
	body := (*dst)[:p.comp]
	if _, err := f.osf.ReadAt(body, p.body); err != nil {
		return nil, err
	}
	return body, nil
}

func pageCompressed(p *pageLoc, codec format.CompressionCodec) bool {
	return codec != format.Uncompressed && (!p.v2 || p.compressed)
}

// unpackPage checks the CRC of page p's stored bytes (body, from
// readPage into b) and returns its uncompressed content, as fetchPage.
func unpackPage(p *pageLoc, codec format.CompressionCodec, b *pageBufs, body []byte) ([]byte, error) {
	if p.crc != 0 && crc32.ChecksumIEEE(body) != uint32(p.crc) {
		return nil, fmt.Errorf("CRC-32 %08x, the header says %08x: %w", crc32.ChecksumIEEE(body), uint32(p.crc), parquet.ErrCorrupted)
	}
	if !pageCompressed(p, codec) {
		if p.comp != p.uncomp {
			return nil, fmt.Errorf("%d bytes of uncompressed page, the header says %d: %w", p.comp, p.uncomp, parquet.ErrCorrupted)
		}
		return body, nil
	}
	size := int(p.uncomp)
	if cap(b.out) < size {
		b.out = make([]byte, size)
	}
	out := b.out[:size]
	levels := 0
	if p.v2 {
		levels = int(p.repLen) + int(p.defLen)
		if levels > size {
			return nil, fmt.Errorf("%d bytes of levels in a page of %d: %w", levels, size, parquet.ErrCorrupted)
		}
		copy(out, body[:levels])
	}
	if _, err := decompressPage(codec, out[levels:levels], body[levels:], size-levels); err != nil {
		return nil, err
	}
	return out, nil
}

// valuePage is a data page of the value column, decoded: its levels and
// its values as stored (elemSize little-endian bytes each), and how much
// of them a segment has taken.
type valuePage struct {
	no         int // the page's index in the column chunk
	reps, defs []byte
	nl         int    // levels (values, nulls and empty lists)
	vals       []byte // the non-null values, in order
	lp, vp     int    // levels and value bytes taken
	release    func() // gives the page's buffer back
}

// pageDecoder decodes the pages of one value column chunk. Its buffers
// hold one page at a time.
type pageDecoder struct {
	f              *File
	rg             int
	col            string
	maxRep, maxDef int
	elemSize       int    // bytes per stored value: 4, 8, or the FIXED_LEN_BYTE_ARRAY length
	dict           []byte // the dictionary page's values, elemSize bytes each
	dictN          int
	haveDict       bool
	reps, defs     []byte
	idx            []uint32
	vals           []byte // decoded values of a dictionary or BYTE_STREAM_SPLIT page
}

func (d *pageDecoder) corrupt(page int, what string, args ...any) error {
	return fmt.Errorf("reading %s: row group %d, column %q: page %d: %s: %w", d.f.path, d.rg, d.col, page, fmt.Sprintf(what, args...), parquet.ErrCorrupted)
}

// dictionary keeps the PLAIN values of a dictionary page.
func (d *pageDecoder) dictionary(no int, p *pageLoc, data []byte) error {
	if p.enc != format.Plain && p.enc != format.PlainDictionary {
		return d.corrupt(no, "dictionary page encoded %s: only PLAIN is read", p.enc)
	}
	if d.haveDict {
		return d.corrupt(no, "a second dictionary page")
	}
	if len(data)%d.elemSize != 0 {
		return d.corrupt(no, "%d bytes of dictionary values are not whole %d-byte values", len(data), d.elemSize)
	}
	d.dict = append(d.dict[:0], data...)
	d.dictN = len(data) / d.elemSize
	d.haveDict = true
	return nil
}

// v1Levels reads the level sections that open the body of data page v1
// no (p): for each level the column has, RLE, a 4-byte length, then that
// many bytes. read returns the next n bytes of the body (what names them
// in its error) and left how many bytes the body has not yet given. The
// in-memory decoder and the page stream share it.
func (d *pageDecoder) v1Levels(no int, p *pageLoc, read func(n int64, what string) ([]byte, error), left func() int64) (repB, defB []byte, err error) {
	for _, lv := range []struct {
		max int
		enc format.Encoding
		dir string
		dst *[]byte
	}{{d.maxRep, p.repEnc, "repetition", &repB}, {d.maxDef, p.defEnc, "definition", &defB}} {
		if lv.max == 0 {
			continue
		}
		if lv.enc != format.RLE {
			return nil, nil, d.corrupt(no, "%s levels encoded %s: only RLE is read", lv.dir, lv.enc)
		}
		what := lv.dir + " levels"
		b, err := read(4, what)
		if err != nil {
			return nil, nil, err
		}
		n := int64(binary.LittleEndian.Uint32(b))
		if n > left() {
			return nil, nil, d.corrupt(no, "%s: %d bytes, %d left in the page", what, n, left())
		}
		if *lv.dst, err = read(n, what); err != nil {
			return nil, nil, err
		}
	}
	return repB, defB, nil
}

// splitLevels splits data, the uncompressed content of data page no (p),
// into its encoded repetition and definition levels and what follows them
// (the values): by the header's lengths in a data page v2, by the sections
// that open the body in a v1 page (v1Levels). fail makes the error of a
// page too short for its levels (the caller's kind of error).
func (d *pageDecoder) splitLevels(no int, p *pageLoc, data []byte, fail func(what string, args ...any) error) (repB, defB, rest []byte, err error) {
	if p.v2 {
		rl, dl := int(p.repLen), int(p.defLen)
		if rl+dl > len(data) {
			return nil, nil, nil, fail("%d bytes of levels in a page of %d", rl+dl, len(data))
		}
		return data[:rl], data[rl : rl+dl], data[rl+dl:], nil
	}
	rest = data
	read := func(n int64, what string) ([]byte, error) {
		if n > int64(len(rest)) {
			return nil, fail("%s: no length", what)
		}
		b := rest[:n]
		rest = rest[n:]
		return b, nil
	}
	if repB, defB, err = d.v1Levels(no, p, read, func() int64 { return int64(len(rest)) }); err != nil {
		return nil, nil, nil, err
	}
	return repB, defB, rest, nil
}

// decode decodes data page no (p), whose uncompressed content is data,
// into out: its levels, checked against the page's value count, and its
// non-null values, dictionary indexes checked against the dictionary.
// out.vals may alias data.
func (d *pageDecoder) decode(no int, p *pageLoc, data []byte, out *valuePage) error {
	if err := d.f.decodesWhole(d.rg, d.col, p); err != nil {
		return err
	}
	nv := int(p.numValues)
	*out = valuePage{no: no, nl: nv}
	repB, defB, rest, err := d.splitLevels(no, p, data, func(what string, args ...any) error { return d.corrupt(no, what, args...) })
	if err != nil {
		return err
	}
	if d.maxRep > 0 {
		if d.reps, err = decodeLevels(d.reps, repB, d.maxRep, nv); err != nil {
			return d.corrupt(no, "repetition levels: %v", err)
		}
		out.reps = d.reps
	}
	nn := nv
	if d.maxDef > 0 {
		if d.defs, err = decodeLevels(d.defs, defB, d.maxDef, nv); err != nil {
			return d.corrupt(no, "definition levels: %v", err)
		}
		out.defs = d.defs
		nn = bytes.Count(d.defs, []byte{byte(d.maxDef)})
	}
	switch p.enc {
	case format.Plain:
		out.vals = rest
	case format.PlainDictionary, format.RLEDictionary:
		if out.vals, err = d.lookup(rest, nn); err != nil {
			return d.corrupt(no, "%v", err)
		}
	case format.ByteStreamSplit:
		if len(rest)%d.elemSize != 0 {
			return d.corrupt(no, "%d bytes of BYTE_STREAM_SPLIT values are not whole %d-byte values", len(rest), d.elemSize)
		}
		d.vals = unsplit(d.vals, rest, d.elemSize)
		out.vals = d.vals
	default:
		return d.corrupt(no, "values encoded %s: only PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY and BYTE_STREAM_SPLIT are read", p.enc)
	}
	if len(out.vals)%d.elemSize != 0 {
		return d.corrupt(no, "%d bytes of values are not whole %d-byte values", len(out.vals), d.elemSize)
	}
	if got := len(out.vals) / d.elemSize; got != nn {
		return d.corrupt(no, "%d levels for defined values but %d values", nn, got)
	}
	return nil
}

// decodeLevels decodes exactly n levels of at most max from an RLE /
// bit-packed hybrid run sequence, after checking with scanRuns that its
// runs claim no more than n values (so parquet-go, reading the chunk
// later, cannot be made to allocate a huge run either). A level above max
// that fits the bit width is not looked for: walkLevels takes a
// definition level above max for a value, which the page's value count
// then contradicts, and a repetition level above max as max.
func decodeLevels(dst, b []byte, max, n int) ([]byte, error) {
	w := bits.Len(uint(max))
	if err := scanRuns(b, w, int64(n)); err != nil {
		return nil, err
	}
	dst, err := decodeHybrid(dst, b, w, n)
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// lookup decodes n dictionary indexes (a bit width byte, then runs) and
// returns the values they name.
func (d *pageDecoder) lookup(b []byte, n int) ([]byte, error) {
	if !d.haveDict {
		return nil, errors.New("dictionary indexes without a dictionary page")
	}
	if err := scanIndexes(b, int64(n)); err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return d.vals[:0], nil
	}
	var err error
	if d.idx, err = decodeHybrid(d.idx, b[1:], int(b[0]), n); err != nil {
		return nil, fmt.Errorf("dictionary indexes: %w", err)
	}
	size := n * d.elemSize
	if cap(d.vals) < size {
		d.vals = make([]byte, size)
	}
	out := d.vals[:size]
	for _, ix := range d.idx {
		if ix >= uint32(d.dictN) {
			return nil, fmt.Errorf("dictionary index %d out of range [0, %d)", ix, d.dictN)
		}
	}
	switch d.elemSize {
	case 4:
		gather(unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(out))), n), unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(d.dict))), d.dictN), d.idx)
	case 8:
		gather(unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(out))), n), unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d.dict))), d.dictN), d.idx)
	default:
		es := d.elemSize
		for i, ix := range d.idx {
			copy(out[i*es:(i+1)*es], d.dict[int(ix)*es:])
		}
	}
	d.vals = out
	return out, nil
}

// gather sets dst[i] = dict[idx[i]]; the indexes are checked.
func gather[T uint32 | uint64](dst, dict []T, idx []uint32) {
	for i, ix := range idx {
		dst[i] = dict[ix]
	}
}

// unsplit decodes BYTE_STREAM_SPLIT values of size bytes each: byte k of
// value i is src[k*n+i].
func unsplit(dst, src []byte, size int) []byte {
	n := len(src) / size
	if cap(dst) < len(src) {
		dst = make([]byte, len(src))
	}
	dst = dst[:len(src)]
	for k := 0; k < size; k++ {
		stream := src[k*n : (k+1)*n]
		for i, c := range stream {
			dst[i*size+k] = c
		}
	}
	return dst
}

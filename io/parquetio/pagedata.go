package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/parquet-go/parquet-go/format"
)

// scanPages enables the pageScanner; benchmarks turn it off to measure
// its cost.
var scanPages = true

// pageScanner checks the run-length encoded parts of a column chunk's
// data pages before parquet-go decodes them: repetition and definition
// levels, dictionary indexes, and DELTA_* values (pagedelta.go).
// parquet-go's RLE decoder appends every run as read, so one changed
// varint (a run of 4 billion in a page of 32 values) made it ask for
// 16 GB and die. A page whose runs add up to more values than its header
// declares is corrupt.
type pageScanner struct {
	f              *File
	codec          format.CompressionCodec
	maxRep, maxDef int
	typ            format.Type // the column's physical type
	body, plain    []byte      // reused buffers
	whole          []byte      // a page decompressed whole (keeps its buffer alive)
}

// needed reports whether a page with this header has runs to check:
// levels, dictionary indexes, or DELTA_* values (pagedelta.go).
func (s *pageScanner) needed(h *format.PageHeader) bool {
	var enc format.Encoding
	switch {
	case h.DataPageHeader.Valid:
		enc = h.DataPageHeader.V.Encoding
	case h.DataPageHeaderV2.Valid:
		enc = h.DataPageHeaderV2.V.Encoding
	default:
		return false
	}
	return s.maxRep > 0 || s.maxDef > 0 || isDictIndexes(enc) || isDelta(enc)
}

func isDictIndexes(e format.Encoding) bool {
	return e == format.RLEDictionary || e == format.PlainDictionary
}

// scan reads the page whose body (comp bytes) is at off and checks its
// runs against its declared value count.
func (s *pageScanner) scan(h *format.PageHeader, off int64) error {
	comp := int(h.CompressedPageSize)
	if cap(s.body) < comp {
		s.body = make([]byte, comp)
	}
	body := s.body[:comp]
	if _, err := s.f.osf.ReadAt(body, off); err != nil {
		return err
	}
	if h.DataPageHeaderV2.Valid {
		return s.scanV2(h, body)
	}
	v := h.DataPageHeader.V
	size := int(h.UncompressedPageSize)
	r, release, err := s.open(body, size)
	if err != nil {
		return err
	}
	defer release()
	nv := int64(v.NumValues)
	read := 0 // bytes of the page read so far
	for _, lv := range []struct {
		max int
		enc format.Encoding
		dir string
	}{{s.maxRep, v.RepetitionLevelEncoding, "repetition"}, {s.maxDef, v.DefinitionLevelEncoding, "definition"}} {
		if lv.max == 0 {
			continue
		}
		if lv.enc != format.RLE {
			return fmt.Errorf("%s levels encoded %s: only RLE is read", lv.dir, lv.enc)
		}
		var n4 [4]byte
		if _, err := io.ReadFull(r, n4[:]); err != nil {
			return fmt.Errorf("%s levels: %w", lv.dir, err)
		}
		n := int(binary.LittleEndian.Uint32(n4[:]))
		read += 4
		if n < 0 || n > size-read {
			return fmt.Errorf("%s levels: %d bytes, %d left in the page", lv.dir, n, size-read)
		}
		levels := s.buf(n)
		if _, err := io.ReadFull(r, levels); err != nil {
			return fmt.Errorf("%s levels: %w", lv.dir, err)
		}
		read += n
		if err := scanRuns(levels, bits.Len(uint(lv.max)), nv); err != nil {
			return fmt.Errorf("%s levels: %w", lv.dir, err)
		}
	}
	if !isDictIndexes(v.Encoding) && !isDelta(v.Encoding) {
		return nil
	}
	rest := s.buf(size - read)
	n, err := io.ReadFull(r, rest)
	if err != nil && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("values: %w", err)
	}
	if isDelta(v.Encoding) {
		return checkDelta(v.Encoding, s.typ, rest[:n], nv, size, s.f.pageLimit)
	}
	return scanIndexes(rest[:n], nv)
}

// buf returns a scratch buffer of n bytes.
func (s *pageScanner) buf(n int) []byte {
	if cap(s.plain) < n {
		s.plain = make([]byte, n)
	}
	return s.plain[:n]
}

// open returns a reader of the first bytes of a page's uncompressed
// content (size bytes at most): zstd, gzip and brotli pages are streamed,
// so checking the levels of a large page decompresses its first block
// only; snappy and LZ4 pages, fast to decode, are decompressed whole.
func (s *pageScanner) open(body []byte, size int) (io.Reader, func(), error) {
	nop := func() {}
	switch s.codec {
	case format.Uncompressed:
		return bytes.NewReader(body), nop, nil
	case format.Zstd, format.Gzip, format.Brotli:
		var sr streamReader
		var put func()
		switch s.codec {
		case format.Zstd:
			sr, put = zstdStream()
		case format.Gzip:
			sr, put = gzipReader()
		default:
			sr, put = brotliReader()
		}
		if err := sr.reset(bytes.NewReader(body)); err != nil {
			put()
			return nil, nil, corruptPage(s.codec, err)
		}
		return io.LimitReader(sr, int64(size)), put, nil
	}
	plain, err := decompressPage(s.codec, s.plain, body, size)
	if err != nil {
		return nil, nil, err
	}
	s.whole = plain
	return bytes.NewReader(plain), nop, nil
}

func (s *pageScanner) scanV2(h *format.PageHeader, body []byte) error {
	v := h.DataPageHeaderV2.V
	nv := int64(v.NumValues)
	rl, dl := int(v.RepetitionLevelsByteLength), int(v.DefinitionLevelsByteLength)
	if s.maxRep > 0 {
		if err := scanRuns(body[:rl], bits.Len(uint(s.maxRep)), nv); err != nil {
			return fmt.Errorf("repetition levels: %w", err)
		}
	}
	if s.maxDef > 0 {
		if err := scanRuns(body[rl:rl+dl], bits.Len(uint(s.maxDef)), nv); err != nil {
			return fmt.Errorf("definition levels: %w", err)
		}
	}
	if !isDictIndexes(v.Encoding) && !isDelta(v.Encoding) {
		return nil
	}
	vals := body[rl+dl:]
	if s.codec != format.Uncompressed && (!v.IsCompressed.Valid || v.IsCompressed.V) {
		var err error
		if vals, err = decompressPage(s.codec, s.plain, vals, int(h.UncompressedPageSize)-rl-dl); err != nil {
			return err
		}
		s.plain = vals[:0]
	}
	if isDelta(v.Encoding) {
		return checkDelta(v.Encoding, s.typ, vals, nv-int64(v.NumNulls), int(h.UncompressedPageSize), s.f.pageLimit)
	}
	return scanIndexes(vals, nv-int64(v.NumNulls))
}

// scanIndexes checks dictionary indexes: a bit width byte, then runs.
func scanIndexes(b []byte, nv int64) error {
	if len(b) == 0 {
		if nv > 0 {
			return errors.New("dictionary indexes: none")
		}
		return nil
	}
	if b[0] > 32 {
		return fmt.Errorf("dictionary indexes: bit width %d", b[0])
	}
	if err := scanRuns(b[1:], int(b[0]), nv); err != nil {
		return fmt.Errorf("dictionary indexes: %w", err)
	}
	return nil
}

// scanRuns walks an RLE / bit-packed hybrid run sequence of values of
// bitWidth bits. Bit-packed runs take their bytes (writers pad them, DuckDB
// by whole groups), so only run-length runs can claim more values than
// there are bytes: their total may not exceed limit, and a bit-packed run
// must have its bytes.
func scanRuns(b []byte, bitWidth int, limit int64) error {
	var total uint64
	for len(b) > 0 {
		h, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("bad run header")
		}
		b = b[n:]
		var skip uint64
		if h&1 == 1 { // bit-packed: h>>1 groups of 8 values
			skip = (h >> 1) * uint64(bitWidth)
			if h>>1 > uint64(len(b)) || skip > uint64(len(b)) {
				return fmt.Errorf("a bit-packed run of %d groups in %d bytes", h>>1, len(b))
			}
		} else {
			total += h >> 1
			if h>>1 > uint64(limit) || total > uint64(limit) {
				return fmt.Errorf("runs of more than the page's %d values", limit)
			}
			skip = uint64((bitWidth + 7) / 8)
			if skip > uint64(len(b)) {
				return errors.New("a run without its value")
			}
		}
		b = b[skip:]
	}
	return nil
}

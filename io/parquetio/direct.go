package parquetio

import (
	"fmt"
	"hash/crc32"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// pageLoc is where a page's body is and what its header says, recorded
// while the chunk's headers are validated.
type pageLoc struct {
	body           int64 // file offset of the page body
	comp, uncomp   int32
	v2             bool // a DATA_PAGE_V2
	plain          bool // its values are PLAIN
	compressed     bool // its values are compressed (is_compressed)
	numValues      int32
	repLen, defLen int32
	crc            int32 // the page's CRC-32 when it has one (0: none)
}

// locate records a validated page header whose body starts at body.
func locate(h *format.PageHeader, body int64) pageLoc {
	l := pageLoc{body: body, comp: h.CompressedPageSize, uncomp: h.UncompressedPageSize, crc: h.CRC}
	if h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid {
		v := h.DataPageHeaderV2.V
		l.v2 = true
		l.plain = v.Encoding == format.Plain
		l.compressed = !v.IsCompressed.Valid || v.IsCompressed.V
		l.numValues = v.NumValues
		l.repLen, l.defLen = v.RepetitionLevelsByteLength, v.DefinitionLevelsByteLength
	}
	return l
}

// directPages reports whether readDirect can read a chunk with these
// pages: data pages v2 of PLAIN values only (no dictionary, no v1 page).
func directPages(pages []pageLoc) bool {
	if !littleEndian || len(pages) == 0 {
		return false
	}
	for _, p := range pages {
		if !p.v2 || !p.plain {
			return false
		}
	}
	return true
}

// directReads enables readDirect; tests turn it off to compare with
// parquet-go's page decoding.
var directReads = true

// readDirect reads the pages of a chunk that directPages accepted, without
// parquet-go's page decoding: each page body is read once, its values are
// decompressed straight into the slab (decompressPage, bounded by the header), and its
// levels are decoded and checked by walkLevels exactly as on the general
// path. Any codec decompressPage reads. On the attend benchmark's 12 MB row groups this skips two copies
// of every value. ok is false when the chunk is not one of those.
func (f *File) readDirect(r *valueReader, codec format.CompressionCodec) (ok bool, err error) {
	key := r.rg*f.numLeaf + r.m.info.Leaf
	f.checkedMu.Lock()
	pages := f.direct[key]
	f.checkedMu.Unlock()
	switch {
	case !directReads, pages == nil,
		r.m.kind == parquet.FixedLenByteArray && r.typ != Float32:
		return false, nil
	}
	corrupt := func(page int, what string, args ...any) error {
		return fmt.Errorf("reading %s: row group %d, column %q: page %d: %s: %w", f.path, r.rg, r.m.info.Name, page, fmt.Sprintf(what, args...), parquet.ErrCorrupted)
	}
	repRLE := rle.Encoding{BitWidth: bits.Len(uint(len(r.m.repDefs)))}
	defRLE := rle.Encoding{BitWidth: bits.Len(uint(r.m.maxDef))}
	esize := 4
	if r.typ == Float64 {
		esize = 8
	}
	buf := f.pageBuf()
	defer func() { f.putPageBuf(buf) }()
	var reps, defs []byte
	for pageNo, p := range pages {
		if cap(buf) < int(p.comp) {
			buf = make([]byte, p.comp)
		}
		body := buf[:p.comp]
		if _, err := f.osf.ReadAt(body, p.body); err != nil {
			return true, fmt.Errorf("reading %s: row group %d, column %q: %w", f.path, r.rg, r.m.info.Name, err)
		}
		if p.crc != 0 && crc32.ChecksumIEEE(body) != uint32(p.crc) {
			return true, corrupt(pageNo, "CRC-32 %08x, the header says %08x", crc32.ChecksumIEEE(body), uint32(p.crc))
		}
		levels := int(p.repLen) + int(p.defLen)
		nv := int(p.numValues)
		reps, defs = reps[:0], defs[:0]
		if len(r.m.repDefs) > 0 {
			if reps, err = repRLE.DecodeLevels(reps, body[:p.repLen]); err != nil || len(reps) < nv {
				return true, corrupt(pageNo, "repetition levels: %d of %d (%v)", len(reps), nv, err)
			}
			reps = reps[:nv]
		}
		if r.m.maxDef > 0 {
			if defs, err = defRLE.DecodeLevels(defs, body[p.repLen:levels]); err != nil || len(defs) < nv {
				return true, corrupt(pageNo, "definition levels: %d of %d (%v)", len(defs), nv, err)
			}
			defs = defs[:nv]
		}
		n, err := r.appendRaw(codec, p.compressed && codec != format.Uncompressed, body[levels:], int(p.uncomp)-levels, esize)
		if err != nil {
			return true, fmt.Errorf("reading %s: row group %d, column %q: page %d: %w", f.path, r.rg, r.m.info.Name, pageNo, err)
		}
		if err := r.walkLevels(pageNo, n, reps, defs); err != nil {
			return true, err
		}
	}
	return true, nil
}

// appendRaw appends the PLAIN values of a page (size bytes once
// decompressed) to the slab, decompressing them in place, and returns how
// many floats it appended.
func (r *valueReader) appendRaw(codec format.CompressionCodec, compressed bool, src []byte, size, esize int) (int, error) {
	if size < 0 || size%esize != 0 || (r.m.kind == parquet.FixedLenByteArray && size%r.m.flbaLen != 0) {
		return 0, fmt.Errorf("%d bytes of values are not whole values", size)
	}
	n := size / esize
	var dst []byte
	if r.typ == Float32 {
		start := len(r.f32)
		r.f32 = slices.Grow(r.f32, n)[:start+n]
		dst = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(r.f32[start:]))), size)
	} else {
		start := len(r.f64)
		r.f64 = slices.Grow(r.f64, n)[:start+n]
		dst = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(r.f64[start:]))), size)
	}
	if !compressed {
		if len(src) != size {
			return 0, fmt.Errorf("%d bytes of uncompressed values, the header says %d", len(src), size)
		}
		copy(dst, src)
		return n, nil
	}
	if _, err := decompressPage(codec, dst, src, size); err != nil {
		return 0, err
	}
	return n, nil
}

// pageBuf returns a free page buffer of the file (or none).
func (f *File) pageBuf() []byte {
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	if n := len(f.bufs); n > 0 {
		b := f.bufs[n-1]
		f.bufs = f.bufs[:n-1]
		return b
	}
	return nil
}

// putPageBuf keeps a page buffer for the next readDirect.
func (f *File) putPageBuf(b []byte) {
	if b == nil {
		return
	}
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	if len(f.bufs) < 4 {
		f.bufs = append(f.bufs, b)
	}
}

package parquetio

import (
	"github.com/parquet-go/parquet-go/format"
)

// pageLoc is where a page's body is and what its header says, recorded
// while the chunk's headers are validated.
type pageLoc struct {
	body           int64 // file offset of the page body
	comp, uncomp   int32
	typ            format.PageType
	enc            format.Encoding // the values' encoding (data and dictionary pages)
	repEnc, defEnc format.Encoding // the levels' encodings (data page v1)
	v2             bool            // a DATA_PAGE_V2
	compressed     bool            // its values are compressed (v2's is_compressed)
	numValues      int32           // levels of a data page; values of a dictionary page
	repLen, defLen int32           // v2: bytes of levels before the values
	crc            int32           // the page's CRC-32 when it has one (0: none)
	declared       format.PageType // the header's type field (typ is the header it holds)
	// a SNAPPY page streamed, with the history its copies need (markSnappy)
	snappy       bool
	snappyWindow int32
}

// locate records a validated page header whose body starts at body.
func locate(h *format.PageHeader, body int64) pageLoc {
	l := pageLoc{body: body, comp: h.CompressedPageSize, uncomp: h.UncompressedPageSize, crc: h.CRC, typ: h.Type, declared: h.Type, compressed: true}
	switch {
	case h.DataPageHeaderV2.Valid:
		v := h.DataPageHeaderV2.V
		l.typ = format.DataPageV2
		l.v2 = true
		l.enc = v.Encoding
		l.compressed = !v.IsCompressed.Valid || v.IsCompressed.V
		l.numValues = v.NumValues
		l.repLen, l.defLen = v.RepetitionLevelsByteLength, v.DefinitionLevelsByteLength
	case h.DataPageHeader.Valid:
		v := h.DataPageHeader.V
		l.typ = format.DataPage
		l.enc, l.repEnc, l.defEnc = v.Encoding, v.RepetitionLevelEncoding, v.DefinitionLevelEncoding
		l.numValues = v.NumValues
	case h.DictionaryPageHeader.Valid:
		l.typ = format.DictionaryPage
		l.enc = h.DictionaryPageHeader.V.Encoding
		l.numValues = h.DictionaryPageHeader.V.NumValues
	default:
		l.typ = format.IndexPage // no header we read: skipped
	}
	return l
}

// directReads enables this package's page reader for value columns;
// tests turn it off to compare with parquet-go's page decoding.
var directReads = true

// pageBuf returns a free page buffer of the file (or none).
func (f *File) pageBuf() pageBufs {
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	if n := len(f.bufs); n > 0 {
		b := f.bufs[n-1]
		f.bufs = f.bufs[:n-1]
		return b
	}
	return pageBufs{}
}

// putPageBuf keeps page buffers for the next reader.
func (f *File) putPageBuf(b pageBufs) {
	if b.out == nil && b.comp == nil {
		return
	}
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	if len(f.bufs) < 4 {
		f.bufs = append(f.bufs, b)
	}
}

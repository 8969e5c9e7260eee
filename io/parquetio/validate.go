package parquetio

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Limits that keep a corrupt or hostile file from making parquet-go
// allocate gigabytes: it allocates a page's declared sizes and value counts
// before reading it.
const (
	maxPageBytes      = 1 << 30 // uncompressed page size
	maxExpansion      = 4096    // uncompressed / compressed page size
	maxValuesPerByte  = 1024    // values / uncompressed page byte (RLE runs of nulls)
	maxHeaderBytes    = 16 << 20
	initialHeaderRead = 4 << 10
)

// checkChunks validates the page headers of the given leaf columns of row
// group rg before parquet-go reads them (all leaves when leaves is nil).
// The result is cached per column chunk. It starts every read of named
// column chunks, so it also hints them to an object-storage input
// (prefetch).
func (f *File) checkChunks(rg int, leaves ...int) error {
	if leaves != nil {
		f.prefetch(rg, leaves...)
	}
	if leaves == nil {
		for i := 0; i < f.numLeaf; i++ {
			if err := f.checkChunk(rg, i); err != nil {
				return err
			}
		}
		return nil
	}
	for _, l := range leaves {
		if err := f.checkChunk(rg, l); err != nil {
			return err
		}
	}
	return nil
}

func (f *File) checkChunk(rg, leaf int) error {
	key := rg*f.numLeaf + leaf
	f.checkedMu.Lock()
	done := f.checked[key]
	f.checkedMu.Unlock()
	if done {
		return nil
	}
	pages, err := f.validateChunk(rg, leaf, scanPages)
	if err != nil {
		return asInput(err)
	}
	f.checkedMu.Lock()
	f.checked[key] = true
	f.keepPages(key, pages)
	f.checkedMu.Unlock()
	return nil
}

// keepPages records a validated chunk's pages (under checkedMu).
func (f *File) keepPages(key int, pages []pageLoc) {
	if f.pages == nil {
		f.pages = map[int][]pageLoc{}
	}
	if pages == nil {
		pages = []pageLoc{}
	}
	f.pages[key] = pages
}

// runsChecked records that every page of a chunk whose headers
// chunkPages validated was decoded with its runs checked: parquet-go may
// read it without another scan.
func (f *File) runsChecked(rg, leaf int) {
	f.checkedMu.Lock()
	f.checked[rg*f.numLeaf+leaf] = true
	f.checkedMu.Unlock()
}

// tooDense reports whether page p, however plausible (rowsPlausible: a
// sorted id's dictionary indexes are a few RLE runs, DuckDB wrote 4M of
// them in an 810-byte page and 20M in 15 bytes), decodes whole to more
// than the memory limit allows: its value count exceeds maxValuesPerByte
// a byte and one byte and one float64 per value (what parquet-go's decoder
// allocates) exceed the limit. Only the readers that decode a page whole
// refuse it (decodesWhole); the key readers read it in windows.
func (f *File) tooDense(p *pageLoc) bool {
	nv := int64(p.numValues)
	return nv > (int64(p.uncomp)+1024)*maxValuesPerByte && f.pageLimit > 0 && nv*9 > f.pageLimit
}

// decodesWhole is the DataError of a page of column col in row group rg
// that is tooDense to be decoded whole, nil for any other page.
func (f *File) decodesWhole(rg int, col string, p *pageLoc) error {
	if !f.tooDense(p) {
		return nil
	}
	nv := int64(p.numValues)
	return &DataError{File: f.path, RowGroup: rg, Row: -1, Column: col,
		Expected: fmt.Sprintf("pages that fit in --memory-limit (%d bytes) once decoded, at 9 bytes a value", f.pageLimit),
		Found:    fmt.Sprintf("a page at offset %d of %d values in %d bytes (%d bytes decoded)", p.body, nv, p.uncomp, nv*9)}
}

// chunkDecodesWhole checks, before parquet-go decodes column chunk leaf
// of row group rg page by page, that none of its pages is tooDense.
func (f *File) chunkDecodesWhole(rg, leaf int) error {
	if f.pageLimit <= 0 {
		return nil
	}
	lazy, err := f.chunkPages(rg, leaf)
	if err != nil {
		return asInput(err)
	}
	pages, err := lazy.all()
	if err != nil {
		return asInput(err)
	}
	col := strings.Join(f.pf.Schema().Columns()[leaf], ".")
	for i := range pages {
		if err := f.decodesWhole(rg, col, &pages[i]); err != nil {
			return err
		}
	}
	return nil
}

// rowsPlausible reports whether a page of nv values is plausible however
// densely it compresses: its column is not repeated and it holds no more
// values than its row group has rows.
func (f *File) rowsPlausible(rg, maxRep int, nv int64) bool {
	return maxRep == 0 && nv <= f.RowGroupRows(rg)
}

// validateChunk checks every page header of a column chunk and returns
// where the pages are. With scan, the level and dictionary-index runs of
// its data pages are checked too (pageScanner), for parquet-go's decoder.
func (f *File) validateChunk(rg, leaf int, scan bool) ([]pageLoc, error) {
	w, err := f.walkPages(rg, leaf, scan)
	if err != nil {
		return nil, err
	}
	var pages []pageLoc
	for {
		p, ok, err := w.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return pages, nil
		}
		pages = append(pages, p)
	}
}

// pageWalker validates a column chunk's page headers one at a time, in
// file order. validateChunk walks them all before parquet-go reads the
// chunk; the page reader walks them as it reaches its pages (lazyPages),
// so that each header is read with its page: on object storage a chunk
// larger than the read-ahead window is then fetched once, not once for
// its headers and again for its pages.
type pageWalker struct {
	f        *File
	rg       int
	col      []string
	pos, end int64 // the next header, and the chunk's end
	scan     bool
	scanner  *pageScanner
	proto    *thrift.CompactProtocol
	buf      []byte
	n        int // pages walked
}

// walkPages checks column chunk (rg, leaf)'s place in the file and
// returns a walker of its page headers.
func (f *File) walkPages(rg, leaf int, scan bool) (*pageWalker, error) {
	md := f.pf.Metadata()
	col := f.pf.Schema().Columns()[leaf]
	w := &pageWalker{f: f, rg: rg, col: col, scan: scan}
	if rg >= len(md.RowGroups) || leaf >= len(md.RowGroups[rg].Columns) {
		return nil, w.corrupt("missing column chunk")
	}
	cc := &md.RowGroups[rg].Columns[leaf]
	if cc.FilePath != "" {
		return nil, w.corrupt("column chunk in another file (%s) is not supported", cc.FilePath)
	}
	cm := &cc.MetaData
	start := cm.DataPageOffset
	if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < start {
		start = cm.DictionaryPageOffset
	}
	end := start + cm.TotalCompressedSize
	if start < 4 || cm.TotalCompressedSize < 0 || end > f.size || end < start {
		return nil, w.corrupt("column chunk [%d, %d) outside the file (%d bytes)", start, end, f.size)
	}
	if cm.NumValues < 0 {
		return nil, w.corrupt("negative value count %d", cm.NumValues)
	}
	w.pos, w.end = start, end
	w.scanner = &pageScanner{f: f, codec: cm.Codec, typ: cm.Type}
	if lc, ok := f.pf.Schema().Lookup(col...); ok {
		w.scanner.maxRep, w.scanner.maxDef = lc.MaxRepetitionLevel, lc.MaxDefinitionLevel
	}
	w.proto = new(thrift.CompactProtocol)
	return w, nil
}

func (w *pageWalker) corrupt(format string, args ...any) error {
	return &CorruptError{Err: fmt.Errorf("reading %s: row group %d, column %q: %s: %w", w.f.path, w.rg, strings.Join(w.col, "."), fmt.Sprintf(format, args...), parquet.ErrCorrupted)}
}

// next validates the next page header and returns where its page is; ok
// is false after the chunk's last page.
func (w *pageWalker) next() (loc pageLoc, ok bool, err error) {
	f, rg, pos, end := w.f, w.rg, w.pos, w.end
	if pos >= end {
		return pageLoc{}, false, nil
	}
	h, hlen, err := w.header()
	if err != nil {
		return pageLoc{}, false, err
	}
	if err := checkPageEnums(h); err != nil {
		return pageLoc{}, false, w.corrupt("page header at offset %d: %v", pos, err)
	}
	comp, uncomp := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
	if comp < 0 || uncomp < 0 || comp > end-pos-hlen {
		return pageLoc{}, false, w.corrupt("page at offset %d: compressed size %d exceeds the column chunk", pos, comp)
	}
	if f.pageLimit > 0 && uncomp > f.pageLimit {
		return pageLoc{}, false, &DataError{File: f.path, RowGroup: rg, Row: -1, Column: strings.Join(w.col, "."),
			Expected: fmt.Sprintf("pages that fit in --memory-limit (%d bytes) once decompressed", f.pageLimit),
			Found:    fmt.Sprintf("a page at offset %d whose header declares %d bytes", pos, uncomp)}
	}
	if uncomp > maxPageBytes || uncomp > comp*maxExpansion+(1<<20) {
		return pageLoc{}, false, w.corrupt("page at offset %d: implausible uncompressed size %d for %d compressed bytes", pos, uncomp, comp)
	}
	var nv int64 = -1
	switch {
	case h.DataPageHeader.Valid:
		nv = int64(h.DataPageHeader.V.NumValues)
	case h.DataPageHeaderV2.Valid:
		v := h.DataPageHeaderV2.V
		nv = int64(v.NumValues)
		if v.NumNulls < 0 || v.NumNulls > v.NumValues || v.NumRows < 0 || v.NumRows > v.NumValues ||
			v.RepetitionLevelsByteLength < 0 || v.DefinitionLevelsByteLength < 0 ||
			int64(v.RepetitionLevelsByteLength)+int64(v.DefinitionLevelsByteLength) > comp {
			return pageLoc{}, false, w.corrupt("page at offset %d: inconsistent data page v2 header", pos)
		}
	case h.DictionaryPageHeader.Valid:
		nv = int64(h.DictionaryPageHeader.V.NumValues)
	}
	// A plausible page (a few RLE runs for as many values as the row
	// group has rows) may decode to more than the limit allows: the
	// readers that decode it whole refuse it (decodesWhole).
	if nv < -1 || (nv > (uncomp+1024)*maxValuesPerByte && !f.rowsPlausible(rg, w.scanner.maxRep, nv)) {
		return pageLoc{}, false, w.corrupt("page at offset %d: implausible value count %d for %d bytes", pos, nv, uncomp)
	}
	if w.scan && h.DictionaryPageHeader.Valid {
		// parquet-go decodes a dictionary page with the encoding it
		// names: a DELTA_* one would allocate what its headers claim.
		if e := h.DictionaryPageHeader.V.Encoding; e != format.Plain && e != format.PlainDictionary {
			return pageLoc{}, false, w.corrupt("page %d (at offset %d): dictionary page encoded %s, expected PLAIN", w.n, pos, e)
		}
	}
	if w.scan && w.scanner.needed(h) {
		if err := w.scanner.scan(h, pos+hlen); err != nil {
			var big *deltaTooLarge
			if errors.As(err, &big) {
				return pageLoc{}, false, &DataError{File: f.path, RowGroup: rg, Row: -1, Column: strings.Join(w.col, "."),
					Expected: fmt.Sprintf("pages that fit in --memory-limit (%d bytes) once decoded", f.pageLimit),
					Found:    fmt.Sprintf("page %d (at offset %d): %v", w.n, pos, big)}
			}
			return pageLoc{}, false, w.corrupt("page %d (at offset %d): %v", w.n, pos, err)
		}
	}
	w.n++
	w.pos = pos + hlen + comp
	return locate(h, pos+hlen), true, nil
}

// header reads and decodes the page header at w.pos (initialHeaderRead
// bytes first, more for a larger header, up to maxHeaderBytes) and
// returns it and its length.
func (w *pageWalker) header() (*format.PageHeader, int64, error) {
	pos, end := w.pos, w.end
	want := initialHeaderRead
	for {
		n := int64(want)
		if n > end-pos {
			n = end - pos
		}
		if cap(w.buf) < int(n) {
			w.buf = make([]byte, n)
		}
		b := w.buf[:n]
		if _, err := w.f.osf.ReadAt(b, pos); err != nil {
			return nil, 0, fmt.Errorf("reading %s: row group %d: %w", w.f.path, w.rg, err)
		}
		if _, err := checkThrift(b); err != nil {
			if errors.Is(err, errThriftEOF) && n < end-pos && want < maxHeaderBytes {
				want *= 16
				continue
			}
			return nil, 0, w.corrupt("page header at offset %d: %v", pos, err)
		}
		r := bytes.NewReader(b)
		h := new(format.PageHeader)
		err := func() (err error) {
			defer func() {
				if rec := recover(); rec != nil {
					err = errDecoder
				}
			}()
			return thrift.NewDecoder(w.proto.NewReader(r)).Decode(h)
		}()
		if err == nil {
			return h, n - int64(r.Len()), nil
		}
		if n == end-pos || want >= maxHeaderBytes {
			return nil, 0, w.corrupt("page header at offset %d: %v", pos, err)
		}
		want *= 16
	}
}

// LargestPage returns the largest uncompressed page (dictionary pages
// included) of a top-level column's chunks, from its validated page headers:
// SPEC v2's memory bound adds it to --memory-limit. It walks every header
// of the column (an OffsetIndex has page offsets and compressed sizes, not
// uncompressed ones); runs never call it, only the tests and scripts that
// check the bound.
func (f *File) LargestPage(column string) (int64, error) {
	m, err := f.lookup(column)
	if err != nil {
		return 0, err
	}
	var largest int64
	for rg := range f.NumRowGroups() {
		pages, err := f.validateChunk(rg, m.info.Leaf, false)
		if err != nil {
			return 0, asInput(err)
		}
		for _, p := range pages {
			largest = max(largest, int64(p.uncomp))
		}
	}
	return largest, nil
}

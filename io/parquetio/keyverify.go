package parquetio

import (
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// The writer verifies every passthrough chunk before copying it
// (verifyChunk), decoding it again. A key column chunk (series id, order)
// was decoded whole already by the key reader that found the sequences,
// and decoding it again was most of the CPU the writer's side spent on a
// smoothing run (BENCHMARKS.md, "Key chunks verified by their readers").
// So the key reader does verifyChunk's checks as it decodes a chunk and,
// when every one passed for the whole chunk, marks it verified
// (File.keyVerified); the writer then copies it without decoding it
// again, and the verification ahead (verifyahead.go) leaves it alone.
//
// What the key reader checks by itself as it decodes (keyChunk.nextPage,
// keyDecoder.decode), as verifyChunk does: each page header against the
// file and the chunk (lazyPages), the CRC, the decompression bounded by
// the header's size, the levels (their runs and count, definition levels
// at most the column's maximum), dictionary indexes inside the
// dictionary, PLAIN values filling the page exactly, DELTA_* values with
// parquet-go's own checks, and the row group's rows. keyCheck adds the
// rest: the UTF-8 of text (pages and dictionary), the chunk's value count
// against the footer's, and that the chunk holds only what the key reader
// decodes the way parquet-go does: data and dictionary pages whose header
// type field names the header they hold, the dictionary first, PLAIN,
// dictionary or DELTA_* values (no BYTE_STREAM_SPLIT, RLE booleans or
// DELTA_BYTE_ARRAY of fixed-length values), no repetition levels, no
// levels in a page read as a stream, no BROTLI pages. A check that fails or is not made
// leaves the mark off: the chunk is then verified by verifyChunk as
// before, which finds the error it found before. No error, message or
// exit code changes, only who does the work. TestKeyVerifyMutants and
// FuzzKeyVerify check that verifyChunk accepts every chunk a key reader
// marked, on mutants of DuckDB's and polars' files.

// keyCheck follows verifyChunk's checks through a key chunk's pages.
type keyCheck struct {
	bad   bool // a check failed or was not made: verifyChunk decides
	text  bool // a text column: its strings must be UTF-8
	data  bool // a data page was seen (a dictionary page after one is not checked here)
	ended bool // the chunk's pages were read to its end
}

// newKeyCheck starts the checks of a chunk of key column m compressed
// with codec.
func newKeyCheck(m *colMeta, f *File, codec format.CompressionCodec) keyCheck {
	leaf := m.info.Leaf
	lc, ok := f.pf.Schema().Lookup(f.pf.Schema().Columns()[leaf]...)
	if !ok {
		return keyCheck{bad: true}
	}
	// BROTLI: verifyChunk's scan of a page's levels reads a brotli stream
	// past what the page's declared size needs, and refuses corrupt bytes
	// there that decompressPage, stopping at that size, never reads
	// (TestKeyVerifyMutants found it): left to verifyChunk
	brotli := codec == format.Brotli
	return keyCheck{bad: len(m.repDefs) > 0 || lc.MaxRepetitionLevel > 0 || brotli, text: m.kind == parquet.ByteArray && isText(lc.Node.Type())}
}

// other checks a page that is neither a data page nor a dictionary page.
func (k *keyCheck) other() { k.bad = true }

// header checks that a data or dictionary page's header declares the
// type of the header it holds, which parquet-go reads by its type field.
func (k *keyCheck) header(pl *pageLoc) {
	if pl.declared != pl.typ {
		k.bad = true
	}
}

// streamed checks a page read as a stream: its windows' values and its
// end are checked by the stream, its levels are not.
func (k *keyCheck) streamed(d *keyDecoder) {
	k.data = true
	if d.maxRep > 0 || d.maxDef > 0 {
		k.bad = true
	}
}

// dictionary checks a decoded dictionary page.
func (k *keyCheck) dictionary(d *keyDecoder) {
	if k.data {
		k.bad = true
	}
	if k.text && !k.bad && validUTF8(d.dictData, d.dictOffs) != nil {
		k.bad = true
	}
}

// page checks a decoded data page of decoder d.
func (k *keyCheck) page(d *keyDecoder, pl *pageLoc, p *keyPage) {
	k.data = true
	if k.bad {
		return
	}
	switch pl.enc {
	case format.PlainDictionary, format.RLEDictionary: // the dictionary was checked
		return
	case format.Plain, format.DeltaBinaryPacked:
	case format.DeltaLengthByteArray, format.DeltaByteArray:
		// decoded with parquet-go's checks (keydelta.go), but a
		// FIXED_LEN_BYTE_ARRAY's values only as a whole: verifyChunk
		// checks each
		k.bad = d.width > 0
	default: // RLE booleans, BYTE_STREAM_SPLIT: not checked here
		k.bad = true
	}
	if k.text && !k.bad && validUTF8(p.data, p.offs) != nil {
		k.bad = true
	}
}

// verified reports whether the chunk (levels: its levels read) passed
// every check, its row and value counts included (a flat column has a
// level per row).
func (k *keyCheck) verified(f *File, rg, leaf int, levels int64) bool {
	return !k.bad && k.ended && levels == f.RowGroupRows(rg) &&
		levels == f.pf.Metadata().RowGroups[rg].Columns[leaf].MetaData.NumValues
}

// markKeyVerified records whether a key reader verified chunk leaf of
// row group rg as verifyChunk would have (ok), or decoded it whole
// without verifying it.
func (f *File) markKeyVerified(rg, leaf int, ok bool) {
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	if f.keyVerified == nil {
		f.keyVerified = map[int]bool{}
		f.keyLeaves = map[int]bool{}
	}
	if ok {
		f.keyVerified[rg*f.numLeaf+leaf] = true
	}
	f.keyLeaves[leaf] = ok
}

// verifiedByKeys reports whether a key reader verified chunk leaf of row
// group rg (markKeyVerified).
func (f *File) verifiedByKeys(rg, leaf int) bool {
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	return f.keyVerified[rg*f.numLeaf+leaf]
}

// leftToKeys reports whether the verification ahead leaves chunk leaf of
// row group rg to a key reader: the reader verified it, or it reads that
// column in every row group (WriterOptions.KeyColumns, or it verified
// the column's last chunk it read) and will have by the time the writer
// copies it. The writer verifies it then if the reader did not (verified).
func (w *Writer) leftToKeys(rg, leaf int) bool {
	f := w.in
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	if f.keyVerified[rg*f.numLeaf+leaf] {
		return true
	}
	if ok, seen := f.keyLeaves[leaf]; seen {
		return ok
	}
	return w.keyLeaves[leaf]
}

// keyColumnLeaves are the leaves of opts.KeyColumns in the input.
func keyColumnLeaves(in *File, names []string) map[int]bool {
	leaves := map[int]bool{}
	for _, name := range names {
		if m, err := in.lookup(name); err == nil {
			leaves[m.info.Leaf] = true
		}
	}
	return leaves
}

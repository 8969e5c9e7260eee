package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go/format"
)

// A passthrough chunk is verified page by page through parquet-go
// (verifyChunk), which decodes a page whole: its compressed bytes, the
// page decompressed, and its values decoded, about three times the page.
// DuckDB writes a wide string column of one row group in pages of 100 MB,
// so that took 250 MiB beyond SPEC v2's bound (--memory-limit + 64 MiB +
// the largest page). A chunk holding such a page, PLAIN-encoded with no
// dictionary (how DuckDB, pyarrow and polars write a column of distinct
// values), is verified as a stream instead (pageStream): a window of
// levels at a time and one value at a time, with the same checks.

// verifyStreamed verifies the column chunk leaf of row group rg as
// verifyChunk does, streaming its pages, when one of them is large enough
// to stream and every page can be read that way. It reports whether it
// did; when not, the caller verifies through parquet-go.
func (f *File) verifyStreamed(rg, leaf int, col string, maxRep, maxDef int, text bool) (bool, error) {
	md := f.pf.Metadata()
	cm := &md.RowGroups[rg].Columns[leaf].MetaData
	codec := cm.Codec
	size := 0 // bytes of a fixed-size value; 0: BYTE_ARRAY
	switch cm.Type {
	case format.Int32, format.Float:
		size = 4
	case format.Int64, format.Double:
		size = 8
	case format.Int96:
		size = 12
	case format.FixedLenByteArray:
		size = leafTypeLength(f, leaf)
		if size <= 0 {
			return false, nil
		}
	case format.ByteArray:
	default: // BOOLEAN: bit-packed values
		return false, nil
	}
	switch codec {
	case format.Uncompressed, format.Zstd, format.Gzip, format.Brotli:
	default:
		return false, nil
	}
	lazy, err := f.chunkPages(rg, leaf)
	if err != nil {
		return true, err
	}
	pages, err := lazy.all() // checkChunk validated them: no walk
	if err != nil {
		return true, err
	}
	large := false
	for i := range pages {
		p := &pages[i]
		if (p.typ != format.DataPage && p.typ != format.DataPageV2) || p.enc != format.Plain {
			return false, nil
		}
		large = large || streamable(p, codec)
	}
	if !large {
		return false, nil
	}
	d := &pageDecoder{f: f, rg: rg, col: col, maxRep: maxRep, maxDef: maxDef}
	var rows, values int64
	var buf []byte
	for no := range pages {
		p := &pages[no]
		st, err := d.openStream(no, p, codec)
		if err != nil {
			return true, err
		}
		for st.left > 0 {
			k := min(streamWindow, st.left)
			nn := k
			if maxRep > 0 {
				if d.reps, err = st.reps.read(d.reps[:0], k); err != nil {
					st.close()
					return true, d.corrupt(no, "repetition levels: %v", err)
				}
				if no == 0 && rows == 0 && d.reps[0] != 0 {
					st.close()
					return true, d.corrupt(no, "the first repetition level is %d, not 0", d.reps[0])
				}
				for _, r := range d.reps {
					if int(r) > maxRep {
						st.close()
						return true, d.corrupt(no, "repetition level %d above the column's maximum %d", r, maxRep)
					}
					if r == 0 {
						rows++
					}
				}
			} else {
				rows += int64(k)
			}
			if maxDef > 0 {
				if d.defs, err = st.defs.read(d.defs[:0], k); err != nil {
					st.close()
					return true, d.corrupt(no, "definition levels: %v", err)
				}
				for _, v := range d.defs {
					if int(v) > maxDef {
						st.close()
						return true, d.corrupt(no, "definition level %d above the column's maximum %d", v, maxDef)
					}
				}
				nn = bytes.Count(d.defs, []byte{byte(maxDef)})
			}
			values += int64(k)
			st.left -= k
			if buf, err = checkPlainValues(st, buf, nn, size, text); err != nil {
				st.close()
				return true, d.streamErr(no, "values", err)
			}
		}
		err = d.finish(st)
		st.close()
		if err != nil {
			return true, err
		}
	}
	return true, f.checkCounts(rg, leaf, col, rows, values)
}

// checkPlainValues reads n PLAIN values from a page stream: size bytes
// each, or (size 0) BYTE_ARRAY values, each a 4-byte length and its bytes,
// checked to be UTF-8 when text. buf is scratch, returned for reuse.
func checkPlainValues(st *pageStream, buf []byte, n, size int, text bool) ([]byte, error) {
	if size > 0 {
		for left := n * size; left > 0; {
			k := min(left, 1<<20)
			if cap(buf) < k {
				buf = make([]byte, k)
			}
			if err := st.readFull(buf[:k]); err != nil {
				return buf, err
			}
			left -= k
		}
		return buf, nil
	}
	var n4 [4]byte
	for i := 0; i < n; i++ {
		if err := st.readFull(n4[:]); err != nil {
			return buf, err
		}
		l := int64(binary.LittleEndian.Uint32(n4[:]))
		if l > st.want-st.read {
			return buf, fmt.Errorf("string of %d bytes, %d left in the page", l, st.want-st.read)
		}
		if int64(cap(buf)) < l {
			buf = make([]byte, l)
		}
		b := buf[:l]
		if err := st.readFull(b); err != nil {
			return buf, err
		}
		if text && !utf8.Valid(b) {
			return buf, fmt.Errorf("string %d is not valid UTF-8", i)
		}
	}
	return buf, nil
}

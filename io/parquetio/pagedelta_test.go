package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/format"
)

// rowKeys has the two key columns: a string and an int64.
type rowKeys struct {
	ID  string `parquet:"sequence_id"`
	Pos int64  `parquet:"position"`
}

// dbp is a DELTA_BINARY_PACKED header followed by blocks.
func dbp(blockSize, miniBlocks, total uint64, first int64, blocks ...[]byte) []byte {
	b := binary.AppendUvarint(nil, blockSize)
	b = binary.AppendUvarint(b, miniBlocks)
	b = binary.AppendUvarint(b, total)
	b = binary.AppendVarint(b, first)
	for _, blk := range blocks {
		b = append(b, blk...)
	}
	return b
}

// block is a DELTA_BINARY_PACKED block of minDelta and bit widths with
// their miniblocks (32 values each) of zeros.
func block(minDelta int64, widths ...byte) []byte {
	b := append(binary.AppendVarint(nil, minDelta), widths...)
	for _, w := range widths {
		b = append(b, make([]byte, 32*int(w)/8)...)
	}
	return b
}

// constDBP encodes n int32 values, the first v, each the previous plus
// step, as parquet-go does.
func constDBP(n int, v, step int32) []byte {
	vals := make([]int32, n)
	for i := range vals {
		vals[i] = v + int32(i)*step
	}
	b, err := new(delta.BinaryPackedEncoding).EncodeInt32(nil, vals)
	if err != nil {
		panic(err)
	}
	return b
}

// TestDeltaBomb: a key column page whose DELTA_* headers claim more than
// the page holds (the value count of a DELTA_BINARY_PACKED header, its
// block layout and bit widths, byte array lengths past the page, prefixes
// longer than the previous value, values that decode to gigabytes) is
// corrupt input, refused before parquet-go's decoder allocates what it
// claims (it asked for 340 MB for a page of 64 keys), with little memory,
// in data pages v1 and v2.
func TestDeltaBomb(t *testing.T) {
	const rows = 50
	huge := uint64(1 << 24) // 64 MB of int32 lengths, 128 MB of int64
	const grow = 40000      // values each one byte longer than the last: 800 MB
	cases := []struct {
		name, col string
		enc       format.Encoding
		rows      int // in the file (50 when 0), one page
		body      []byte
		want      string
	}{
		{"value count", "position", format.DeltaBinaryPacked, 0, dbp(128, 4, huge, 0, block(1, 0, 0, 0, 0)), "header: 16777216 values, expected at most the page's 50"},
		{"block size not a multiple of 128", "position", format.DeltaBinaryPacked, 0, dbp(100, 4, rows, 0, block(1, 0, 0, 0, 0)), "block size 100, expected a multiple of 128"},
		{"block size too large", "position", format.DeltaBinaryPacked, 0, dbp(1<<20, 4, rows, 0, block(1, 0, 0, 0, 0)), "block size 1048576"},
		{"miniblocks not dividing the block", "position", format.DeltaBinaryPacked, 0, dbp(128, 3, rows, 0, block(1, 0, 0, 0)), "3 miniblocks in a block of 128"},
		{"miniblocks of 16 values", "position", format.DeltaBinaryPacked, 0, dbp(128, 8, rows, 0, block(1, 0, 0, 0, 0, 0, 0, 0, 0)), "8 miniblocks in a block of 128"},
		{"bit width 65", "position", format.DeltaBinaryPacked, 0, dbp(128, 4, rows, 0, append(binary.AppendVarint(nil, 0), 65, 0, 0, 0)), "bit width 65, expected at most 64"},
		{"values missing", "position", format.DeltaBinaryPacked, 0, dbp(128, 4, rows, 0), "ends 49 values short"},
		{"length count", "sequence_id", format.DeltaLengthByteArray, 0, append(dbp(128, 4, huge, 2, block(0, 0, 0, 0, 0)), "s0"...), "header: 16777216 values"},
		{"lengths past the page", "sequence_id", format.DeltaLengthByteArray, 0, append(constDBP(rows, 1<<20, 0), "s0"...), "values of 52428800 bytes in total, expected at most the 2 bytes left"},
		{"negative length", "sequence_id", format.DeltaLengthByteArray, 0, append(constDBP(rows, 2, -1), "s0"...), "a negative length"},
		{"length bit width 33", "sequence_id", format.DeltaLengthByteArray, 0, append(dbp(128, 4, rows, 2, append(binary.AppendVarint(nil, 0), 33, 0, 0, 0)), "s0"...), "bit width 33, expected at most 32"},
		{"prefix and suffix counts", "sequence_id", format.DeltaByteArray, 0, append(append(constDBP(rows, 0, 0), constDBP(rows-1, 2, 0)...), "s0"...), "50 prefix lengths, expected one per suffix (49)"},
		{"prefix past the previous value", "sequence_id", format.DeltaByteArray, 0, append(append(constDBP(rows, 3, 0), constDBP(rows, 2, 0)...), "s0"...), "value 0: prefix 3 and suffix 2 bytes after a value of 0"},
		{"prefixes decoding to 800 MB", "sequence_id", format.DeltaByteArray, grow,
			append(append(constDBP(grow, 0, 1), constDBP(grow, 1, 0)...), bytes.Repeat([]byte("k"), grow)...),
			"values decode to 800340000 bytes, expected at most"},
	}
	for _, version := range []int{1, 2} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("v%d/%s", version, c.name), func(t *testing.T) {
				dir := t.TempDir()
				nrows := rows
				if c.rows > 0 {
					nrows = c.rows
				}
				keys := make([]rowKeys, nrows)
				for i := range keys {
					keys[i] = rowKeys{ID: fmt.Sprint("s", i/16), Pos: int64(i)}
				}
				enc := map[format.Encoding]parquet.WriterOption{
					format.DeltaBinaryPacked:    parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked),
					format.DeltaLengthByteArray: parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray),
					format.DeltaByteArray:       parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaByteArray),
				}[c.enc]
				in := writeFile(t, dir, "in.parquet", keys, parquet.Compression(&parquet.Uncompressed), parquet.DataPageVersion(version), parquet.PageBufferSize(64<<20), enc)
				out := filepath.Join(dir, "bomb.parquet")
				replaced := false
				rewritePages(t, in, out, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
					if col != c.col || replaced || (h.Type != format.DataPage && h.Type != format.DataPageV2) {
						return body
					}
					got := h.DataPageHeader.V.Encoding
					if h.DataPageHeaderV2.Valid {
						got = h.DataPageHeaderV2.V.Encoding
					}
					if got != c.enc {
						t.Fatalf("the writer encoded %s %s, want %s", col, got, c.enc)
					}
					replaced = true
					h.UncompressedPageSize = int32(len(c.body))
					return c.body
				})
				if !replaced {
					t.Fatal("no page replaced")
				}
				f, err := Open(out)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				var rerr error
				n := allocated(func() {
					if c.col == "position" {
						_, _, _, rerr = f.ReadInt64s(0, c.col, nil)
					} else {
						_, _, rerr = f.ReadRuns(0, c.col)
					}
				})
				var ce *CorruptError
				if !errors.As(rerr, &ce) || !strings.Contains(rerr.Error(), c.want) || !strings.Contains(rerr.Error(), `column "`+c.col+`"`) ||
					!strings.Contains(rerr.Error(), "row group 0") || !strings.Contains(rerr.Error(), "page 0 (at offset") {
					t.Fatalf("got %v, want a CorruptError naming the column, row group and page: %q", rerr, c.want)
				}
				if n > 8<<20 {
					t.Errorf("allocated %d bytes", n)
				}
				f2, err := Open(out)
				if err != nil {
					t.Fatal(err)
				}
				defer f2.Close()
				if _, err := f2.ReadColumn(0, c.col); !errors.As(err, &ce) {
					t.Errorf("ReadColumn: got %v, want a CorruptError", err)
				}
			})
		}
	}
}

// TestDeltaRealWriters: the DELTA_* key columns real writers make pass the
// check page by page and read as they do unchecked: DuckDB (PARQUET_VERSION
// V2: DELTA_BINARY_PACKED INT64 and INT32 keys, DELTA_LENGTH_BYTE_ARRAY
// strings, every codec) and parquet-go (DELTA_LENGTH_BYTE_ARRAY by default,
// DELTA_BYTE_ARRAY and DELTA_BINARY_PACKED when asked, every codec).
func TestDeltaRealWriters(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, codec := range []string{"uncompressed", "snappy", "gzip", "zstd", "lz4", "brotli"} {
		paths = append(paths, filepath.Join("..", "..", "testdata", "pages", "duckdb_"+codec+"_v2.parquet"))
	}
	for _, name := range []string{"long_f32_list_v2.parquet", "parquetgo_legacy_f32.parquet", "parquetgo_list_f32_multipage.parquet"} {
		paths = append(paths, filepath.Join(interopDir, name))
	}
	for i, tpl := range pageTemplates() {
		if strings.HasPrefix(tpl.name, "delta") {
			p := filepath.Join(dir, fmt.Sprintf("t%d.parquet", i))
			if err := os.WriteFile(p, tpl.file, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	seen := map[format.Encoding]int{}
	for _, path := range paths {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		md := f.pf.Metadata()
		for rg := range md.RowGroups {
			for leaf := range md.RowGroups[rg].Columns {
				cm := &md.RowGroups[rg].Columns[leaf].MetaData
				pages, err := f.validateChunk(rg, leaf, true)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				for i := range pages {
					p := &pages[i]
					if !isDelta(p.enc) || p.typ == format.DictionaryPage {
						continue
					}
					var b pageBufs
					data, err := f.fetchPage(p, cm.Codec, &b)
					if err != nil {
						t.Fatal(err)
					}
					vals := data[p.repLen+p.defLen:]
					if !p.v2 { // levels, each after its length
						lc, _ := f.pf.Schema().Lookup(cm.PathInSchema...)
						for _, max := range []int{lc.MaxRepetitionLevel, lc.MaxDefinitionLevel} {
							if max > 0 {
								vals = vals[4+binary.LittleEndian.Uint32(vals):]
							}
						}
					}
					if err := checkDelta(p.enc, cm.Type, vals, int64(p.numValues), int(p.uncomp), 0); err != nil {
						t.Errorf("%s: %s page %d: %v", path, cm.PathInSchema, i, err)
					}
					seen[p.enc]++
				}
				if !isDeltaChunk(cm) {
					continue
				}
				col := strings.Join(cm.PathInSchema, ".")
				checked, err := f.ReadColumn(rg, col)
				if err != nil {
					t.Fatalf("%s: %s: %v", path, col, err)
				}
				scanPages = false
				unchecked, err := f.ReadColumn(rg, col)
				scanPages = true
				if err != nil || !array.Equal(checked, unchecked) {
					t.Errorf("%s: %s reads differently checked (%v)", path, col, err)
				}
			}
		}
		f.Close()
	}
	for _, enc := range []format.Encoding{format.DeltaBinaryPacked, format.DeltaLengthByteArray, format.DeltaByteArray} {
		if seen[enc] == 0 {
			t.Errorf("no %s page checked", enc)
		}
	}
	t.Logf("DELTA pages checked: %v", seen)
}

func isDeltaChunk(cm *format.ColumnMetaData) bool {
	for _, e := range cm.Encoding {
		if isDelta(e) {
			return true
		}
	}
	return false
}

// TestDeltaDictionaryPage: parquet-go decodes a dictionary page with the
// encoding its header names, so a key column's dictionary page encoded
// DELTA_LENGTH_BYTE_ARRAY (whose lengths header claims 16 million values)
// is refused as corrupt before it is decoded: dictionaries are PLAIN.
func TestDeltaDictionaryPage(t *testing.T) {
	dir := t.TempDir()
	keys := make([]rowKeys, 50)
	for i := range keys {
		keys[i] = rowKeys{ID: fmt.Sprint("s", i/16), Pos: int64(i)}
	}
	in := writeFile(t, dir, "in.parquet", keys, parquet.Compression(&parquet.Uncompressed),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary))
	out := filepath.Join(dir, "bomb.parquet")
	bomb := append(dbp(128, 4, 1<<24, 2, block(0, 0, 0, 0, 0)), "s0"...)
	replaced := false
	rewritePages(t, in, out, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
		if col != "sequence_id" || h.Type != format.DictionaryPage {
			return body
		}
		replaced = true
		h.DictionaryPageHeader.V.Encoding = format.DeltaLengthByteArray
		h.UncompressedPageSize = int32(len(bomb))
		return bomb
	})
	if !replaced {
		t.Fatal("no dictionary page")
	}
	f, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rerr error
	n := allocated(func() { _, _, rerr = f.ReadRuns(0, "sequence_id") })
	var ce *CorruptError
	if !errors.As(rerr, &ce) || !strings.Contains(rerr.Error(), "dictionary page encoded DELTA_LENGTH_BYTE_ARRAY, expected PLAIN") {
		t.Fatalf("got %v, want a CorruptError about the dictionary page's encoding", rerr)
	}
	if n > 8<<20 {
		t.Errorf("allocated %d bytes", n)
	}
}

// TestDeltaMemoryLimit: a DELTA_BYTE_ARRAY page of 5000 copies of one
// 200-byte key (a few hundred bytes stored, 1 MB decoded) reads, unless
// it decodes to more than --memory-limit: then it is a DataError saying so.
func TestDeltaMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	keys := make([]rowKeys, 5000)
	id := strings.Repeat("k", 200)
	for i := range keys {
		keys[i] = rowKeys{ID: id, Pos: int64(i)}
	}
	path := writeFile(t, dir, "in.parquet", keys, parquet.Compression(&parquet.Uncompressed), parquet.PageBufferSize(64<<20),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaByteArray))
	for _, tt := range []struct {
		limit int64
		ok    bool
	}{{0, true}, {4 << 20, true}, {256 << 10, false}} {
		f, err := OpenWith(path, OpenOptions{MemoryLimit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		starts, _, err := f.ReadRuns(0, "sequence_id")
		f.Close()
		var de *DataError
		switch {
		case tt.ok && (err != nil || len(starts) != 1):
			t.Errorf("limit %d: %d runs, %v; want one run", tt.limit, len(starts), err)
		case !tt.ok && (!errors.As(err, &de) || !strings.Contains(err.Error(), "once decoded") || !strings.Contains(err.Error(), "DELTA_BYTE_ARRAY values decoding to 1040000 bytes")):
			t.Errorf("limit %d: got %v, want a DataError about the page's decoded size", tt.limit, err)
		}
	}
}

// BenchmarkKeyPageScan measures the DELTA_* check on reading a key
// column: ReadRuns of parquet-go's DELTA_LENGTH_BYTE_ARRAY sequence ids
// (zstd, 1M rows in 123 row groups) on a fresh File, checked and not.
// The check once decompressed each page a second time (19 -> 44 ms); key
// columns now go through the page reader, which checks each page as it
// decodes it, so scan=true and scan=false read alike.
func BenchmarkKeyPageScan(b *testing.B) {
	path := benchSeries(b)
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("scan=%v", on), func(b *testing.B) {
			defer func(old bool) { scanPages = old }(scanPages)
			scanPages = on
			for i := 0; i < b.N; i++ {
				f, err := Open(path) // chunks are checked once per File
				if err != nil {
					b.Fatal(err)
				}
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					if _, _, err := f.ReadRuns(rg, "series_id"); err != nil {
						b.Fatal(err)
					}
				}
				f.Close()
			}
		})
	}
}

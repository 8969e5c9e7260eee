package parquetio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// keyWriterFiles are the files whose key columns TestKeyReaderRealWriters
// reads: DuckDB's and polars' key fixtures (scripts/keys), their files of
// every codec and page version (scripts/page-fixtures), the interop files
// (DuckDB, arrow-go, parquet-go), the page fuzzer's templates (parquet-go:
// every codec, PLAIN v1/v2, dictionary, BYTE_STREAM_SPLIT, DELTA_*) and
// parquet-go files of every key type with BYTE_STREAM_SPLIT and
// DELTA_BINARY_PACKED keys.
func keyWriterFiles(t *testing.T) []string {
	var files []string
	for _, pattern := range []string{
		filepath.Join("..", "..", "testdata", "keys", "*.parquet"),
		filepath.Join(pagesDir, "*.parquet"),
		filepath.Join(interopDir, "*.parquet"),
	} {
		m, _ := filepath.Glob(pattern)
		for _, p := range m {
			if !strings.HasPrefix(filepath.Base(p), "bad_") {
				files = append(files, p)
			}
		}
	}
	dir := t.TempDir()
	for i, tpl := range pageTemplates() {
		p := filepath.Join(dir, fmt.Sprintf("tpl%d.parquet", i))
		if err := os.WriteFile(p, tpl.file, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	type keyTypesRow struct {
		I32 int32    `parquet:"i32"`
		I64 *int64   `parquet:"i64,optional"`
		U32 uint32   `parquet:"u32"`
		F32 float32  `parquet:"f32"`
		F64 *float64 `parquet:"f64,optional"`
		TS  int64    `parquet:"ts,timestamp(nanosecond)"`
		D   int32    `parquet:"d,date"`
	}
	rows := make([]keyTypesRow, 3000)
	for i := range rows {
		v := int64(i/5) * 1000
		f := float64(i) / 3
		rows[i] = keyTypesRow{I32: int32(i / 7), U32: uint32(1<<31 + i), F32: float32(i) / 7, TS: int64(i) * 1e9, D: int32(19000 + i/100)}
		if i%11 != 3 {
			rows[i].I64, rows[i].F64 = &v, &f
		}
	}
	for _, v := range []int{1, 2} {
		for _, enc := range []struct {
			name string
			opts []parquet.WriterOption
		}{
			{"bss", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.Int32, &parquet.ByteStreamSplit), parquet.DefaultEncodingFor(parquet.Int64, &parquet.ByteStreamSplit),
				parquet.DefaultEncodingFor(parquet.Float, &parquet.ByteStreamSplit), parquet.DefaultEncodingFor(parquet.Double, &parquet.ByteStreamSplit)}},
			{"delta", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.Int32, &parquet.DeltaBinaryPacked), parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked)}},
			{"dict", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.Int32, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Int64, &parquet.RLEDictionary),
				parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Double, &parquet.RLEDictionary)}},
		} {
			opts := append([]parquet.WriterOption{parquet.DataPageVersion(v), parquet.PageBufferSize(4 << 10), parquet.Compression(&parquet.Lz4Raw)}, enc.opts...)
			files = append(files, writeFile(t, dir, fmt.Sprintf("types_%s_v%d.parquet", enc.name, v), rows, opts...))
		}
	}
	return files
}

// TestKeyReaderRealWriters: every key column of every real writer's file
// reads through the page reader as parquet-go's value-by-value decoding
// reads it (ReadColumn for flat columns, ReadRuns for ids, ReadInt64s for
// INT64 orders, ReadListInt64 for nested times), and the files cover every
// encoding writers use for keys, page versions 1 and 2 and every codec.
func TestKeyReaderRealWriters(t *testing.T) {
	type kind struct {
		typ format.Type
		enc format.Encoding
	}
	seen := map[kind]int{}
	codecs := map[format.CompressionCodec]int{}
	versions := map[bool]int{}
	for _, path := range keyWriterFiles(t) {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Columns() {
			m, _ := f.lookup(c.Name)
			flat := (c.Kind == Scalar || c.ListFlavor == "flba") && len(m.repDefs) == 0
			list := c.Kind == List && c.ListFlavor != "flba" && len(m.repDefs) == 1 && !c.Elem.IsFloat() || c.Kind == List && (c.Elem == Float32 || c.Elem == Float64) && len(m.repDefs) == 1 && strings.Contains(c.Name, "t")
			switch {
			case flat:
				sameColumn(t, f, c.Name)
				if c.Kind == Scalar {
					sameRuns(t, f, c.Name)
				}
				if m.kind == parquet.Int64 && (c.Elem == Int64 || c.Elem == Timestamp) {
					sameInt64s(t, f, c.Name)
				}
			case list:
				sameList(t, f, c.Name)
			default:
				continue
			}
			for rg := range f.NumRowGroups() {
				lp, err := f.chunkPages(rg, c.Leaf)
				if err != nil {
					t.Fatal(err)
				}
				pages, err := lp.all()
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pages {
					if p.typ == format.DataPage || p.typ == format.DataPageV2 {
						seen[kind{format.Type(m.kind), p.enc}]++
						versions[p.v2]++
					}
				}
				codecs[f.pf.Metadata().RowGroups[rg].Columns[c.Leaf].MetaData.Codec]++
			}
		}
		f.Close()
	}
	for _, want := range []kind{
		{format.ByteArray, format.Plain}, {format.ByteArray, format.PlainDictionary}, {format.ByteArray, format.RLEDictionary},
		{format.ByteArray, format.DeltaLengthByteArray}, {format.ByteArray, format.DeltaByteArray},
		{format.Int32, format.Plain}, {format.Int32, format.RLEDictionary}, {format.Int32, format.DeltaBinaryPacked}, {format.Int32, format.ByteStreamSplit},
		{format.Int64, format.Plain}, {format.Int64, format.PlainDictionary}, {format.Int64, format.RLEDictionary}, {format.Int64, format.DeltaBinaryPacked}, {format.Int64, format.ByteStreamSplit},
		{format.Float, format.Plain}, {format.Float, format.ByteStreamSplit}, {format.Double, format.Plain}, {format.Double, format.ByteStreamSplit}, {format.Double, format.RLEDictionary},
		{format.FixedLenByteArray, format.Plain},
	} {
		if seen[want] == 0 {
			t.Errorf("no %s %s key page read", want.typ, want.enc)
		}
	}
	for _, c := range []format.CompressionCodec{format.Uncompressed, format.Snappy, format.Gzip, format.Zstd, format.Lz4Raw, format.Brotli} {
		if codecs[c] == 0 {
			t.Errorf("no %s key column read", c)
		}
	}
	if versions[false] == 0 || versions[true] == 0 {
		t.Errorf("data pages v1 %d, v2 %d: want both", versions[false], versions[true])
	}
	t.Logf("key pages read: %v; codecs %v", seen, codecs)
}

// sameInt64s compares ReadInt64s with parquet-go's values.
func sameInt64s(t *testing.T, f *File, name string) {
	t.Helper()
	for rg := range f.NumRowGroups() {
		vals, nulls, first, err := f.ReadInt64s(rg, name, nil)
		if err != nil {
			t.Fatalf("%s rg %d %q: %v", f.path, rg, name, err)
		}
		slowColumn = true
		a, err := f.ReadColumn(rg, name)
		slowColumn = false
		if err != nil {
			t.Fatal(err)
		}
		if a.NullN() != nulls || a.Len() != len(vals) {
			t.Fatalf("%s rg %d %q: %d values %d nulls, reference %d %d", f.path, rg, name, len(vals), nulls, a.Len(), a.NullN())
		}
		wantFirst := -1
		for i := range vals {
			if a.IsNull(i) {
				if wantFirst < 0 {
					wantFirst = i
				}
				continue
			}
			if vals[i] != refInt64(a, i) {
				t.Fatalf("%s rg %d %q row %d: %d, reference %s", f.path, rg, name, i, vals[i], a.ValueStr(i))
			}
		}
		if first != wantFirst {
			t.Fatalf("%s rg %d %q: first null %d, reference %d", f.path, rg, name, first, wantFirst)
		}
		a.Release()
	}
}

// sameList compares ReadListInt64 with parquet-go's values.
func sameList(t *testing.T, f *File, name string) {
	t.Helper()
	for rg := range f.NumRowGroups() {
		v, o, err := f.ReadListInt64(rg, name)
		slowColumn = true
		wv, wo, werr := f.ReadListInt64(rg, name)
		slowColumn = false
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("%s rg %d %q: error %v, reference %v", f.path, rg, name, err, werr)
		}
		if !slices.Equal(v, wv) || !slices.Equal(o, wo) {
			t.Fatalf("%s rg %d %q: %d values %d offsets, differ from the reference's %d %d", f.path, rg, name, len(v), len(o), len(wv), len(wo))
		}
	}
}

// pageAt is how a key reader's error names a page.
var pageAt = regexp.MustCompile(`page \d+ \(at offset \d+\)`)

// TestBadKeyPages: a corrupt key page is a CorruptError naming the file,
// row group, column and page, with what was expected and found, from
// every key reader; never a panic.
func TestBadKeyPages(t *testing.T) {
	dir := t.TempDir()
	keys := make([]rowKeys, 300)
	for i := range keys {
		keys[i] = rowKeys{ID: fmt.Sprint("s", i/16), Pos: int64(i)}
	}
	cases := []struct {
		name string
		opts []parquet.WriterOption
		col  string
		edit func(h *format.PageHeader, body []byte) []byte
		want string
	}{
		{"dictionary index out of range", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary)}, "sequence_id",
			func(h *format.PageHeader, body []byte) []byte {
				if h.Type == format.DictionaryPage {
					h.DictionaryPageHeader.V.NumValues = 2 // drop all entries but two
					var n int
					for i, off := 0, 0; i < 2; i++ {
						l := int(body[off]) // lengths under 256
						off += 4 + l
						n = off
					}
					h.UncompressedPageSize, h.CompressedPageSize = int32(n), int32(n)
					return body[:n]
				}
				return body
			}, "dictionary index 2 out of range [0, 2)"},
		{"PLAIN string past the page", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.Plain)}, "sequence_id",
			func(h *format.PageHeader, body []byte) []byte {
				if h.Type == format.DataPage {
					copy(body, []byte{0xff, 0xff, 0xff, 0x0f})
				}
				return body
			}, "value 0 of 300: 268435455 bytes"},
		{"PLAIN int64 short", nil, "position",
			func(h *format.PageHeader, body []byte) []byte {
				if h.Type == format.DataPage {
					h.UncompressedPageSize -= 8
					h.CompressedPageSize -= 8
					return body[:len(body)-8]
				}
				return body
			}, "2392 bytes of values, expected 300 values of 8 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := append([]parquet.WriterOption{parquet.Compression(&parquet.Uncompressed), parquet.DataPageVersion(1), parquet.PageBufferSize(1 << 20)}, c.opts...)
			in := writeFile(t, dir, "in.parquet", keys, opts...)
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".parquet")
			rewritePages(t, in, out, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
				if col != c.col {
					return body
				}
				h.CRC = 0
				return c.edit(h, body)
			})
			for _, read := range []struct {
				name string
				fn   func(f *File) error
			}{
				{"ReadRuns", func(f *File) error { _, _, err := f.ReadRuns(0, c.col); return err }},
				{"ReadColumn", func(f *File) error {
					a, err := f.ReadColumn(0, c.col)
					if err == nil {
						a.Release()
					}
					return err
				}},
				{"ReadInt64s", func(f *File) error {
					if c.col != "position" {
						return nil
					}
					_, _, _, err := f.ReadInt64s(0, c.col, nil)
					return err
				}},
			} {
				f, err := Open(out)
				if err != nil {
					t.Fatal(err)
				}
				err = read.fn(f)
				f.Close()
				if read.name == "ReadInt64s" && c.col != "position" {
					continue
				}
				var ce *CorruptError
				msg := fmt.Sprint(err)
				if !errors.As(err, &ce) || !strings.Contains(msg, out) || !strings.Contains(msg, "row group 0") ||
					!strings.Contains(msg, `column "`+c.col+`"`) || !pageAt.MatchString(msg) || !strings.Contains(msg, c.want) {
					t.Errorf("%s: got %v, want a CorruptError naming the file, row group, column and page: %q", read.name, err, c.want)
				}
			}
		})
	}
}

// refInt64 is row i of an int64 or timestamp array.
func refInt64(a arrow.Array, i int) int64 {
	switch v := a.(type) {
	case *array.Int64:
		return v.Value(i)
	case *array.Timestamp:
		return int64(v.Value(i))
	}
	panic(fmt.Sprintf("%s is not an int64 array", a.DataType()))
}

// sameRuns compares ReadRuns with the runs of parquet-go's values.
func sameRuns(t *testing.T, f *File, name string) {
	t.Helper()
	for rg := range f.NumRowGroups() {
		s, k, err := f.ReadRuns(rg, name)
		slowColumn = true
		ws, wk, werr := f.readRunsArrow(rg, name)
		slowColumn = false
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("%s rg %d %q: error %v, reference %v", f.path, rg, name, err, werr)
		}
		if c, _ := f.Column(name); c.Elem == Binary {
			wk = k // ReadRuns gives binary ids as they are, the reference as Arrow prints them
		}
		if !slices.Equal(s, ws) || !slices.Equal(k, wk) {
			t.Fatalf("%s rg %d %q: %d runs, reference %d", f.path, rg, name, len(s), len(ws))
		}
	}
}

// TestInt96Keys: legacy INT96 timestamps (Spark's and older Impala's
// default), as ids, orders (plain and dictionary-encoded, with nulls) and
// nested times, read as parquet-go reads them.
func TestInt96Keys(t *testing.T) {
	type row struct {
		TS    deprecated.Int96   `parquet:"ts"`
		TO    *deprecated.Int96  `parquet:"to,optional"`
		Times []deprecated.Int96 `parquet:"times,list"`
	}
	rows := make([]row, 500)
	for i := range rows {
		day, nanos := uint32(2440588+i/50), uint64(i%50)*3_600_000_000_000
		v := deprecated.Int96{uint32(nanos), uint32(nanos >> 32), day}
		rows[i] = row{TS: v, Times: []deprecated.Int96{v, v}}
		if i%9 != 4 {
			rows[i].TO = &v
		}
	}
	dir := t.TempDir()
	for _, enc := range []struct {
		name string
		opts []parquet.WriterOption
	}{{"plain", nil}, {"dict", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.Int96, &parquet.RLEDictionary)}}} {
		for _, v := range []int{1, 2} {
			opts := append([]parquet.WriterOption{parquet.DataPageVersion(v), parquet.PageBufferSize(2 << 10), parquet.Compression(&parquet.Snappy)}, enc.opts...)
			f, err := Open(writeFile(t, dir, fmt.Sprintf("%s_v%d.parquet", enc.name, v), rows, opts...))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []string{"ts", "to"} {
				if info, _ := f.Column(c); info.Elem != Timestamp {
					t.Fatalf("%s: %+v, want a timestamp", c, info)
				}
				sameColumn(t, f, c)
			}
			sameRuns(t, f, "ts")
			sameList(t, f, "times")
			if v, _, err := f.ReadListInt64(0, "times"); err != nil || v[2] != int64(3_600_000_000_000) {
				t.Fatalf("times: %v, %v", v[:3], err)
			}
			f.Close()
		}
	}
}

// TestKeyPagesOverStreamSize: key pages the value reader would stream
// (PLAIN, over streamPageBytes decompressed), which the read-ahead leaves
// to its reader, are read whole by the key reader, on files of every
// codec.
func TestKeyPagesOverStreamSize(t *testing.T) {
	defer func(old int64) { streamPageBytes = old }(streamPageBytes)
	streamPageBytes = 0
	defer func(old int64) { minAheadBytes = old }(minAheadBytes)
	minAheadBytes = 0 // the read-ahead for every chunk
	for _, path := range keyWriterFiles(t) {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Columns() {
			if m, _ := f.lookup(c.Name); c.Kind == Scalar && len(m.repDefs) == 0 {
				sameColumn(t, f, c.Name)
				sameRuns(t, f, c.Name)
			}
		}
		f.Close()
	}
}

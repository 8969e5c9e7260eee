// Command arrowgo-fixtures writes the interop fixtures that come from Go writers other than
// ours: Apache arrow-go v18 pqarrow (fixed_size_list with ARROW:schema, large_list<double>,
// list<fixed_size_list>, fixed_size_binary, and float16 = Parquet FLOAT16 in every list shape
// and as a scalar series) and parquet-go (legacy 2-level list, 3-level list
// over many small data pages). It is its own module so that pqarrow never enters the main
// module's build.
//
// Run from this directory: go run . [-out ../../testdata/interop]
// then regenerate the manifest with scripts/interop/make_fixtures.mjs, which reads every file
// back with DuckDB to produce the expected values.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"
	aparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
)

// comp is component c of global row r (k varies the pattern between files).
func comp(r, c, k int) float64 {
	return math.Sin(0.37*float64(r)+1.13*float64(c)+0.5*float64(k)) * math.Cos(0.11*float64(r)-0.29*float64(c))
}

func vec32(r, d, k int) []float32 {
	v := make([]float32, d)
	for c := range v {
		v[c] = float32(comp(r, c, k))
	}
	return v
}

type longRow struct {
	seq string
	pos int32
	r   int
}

func longRows(lengths []int) []longRow {
	var rows []longRow
	r := 0
	for s, n := range lengths {
		for p := 0; p < n; p++ {
			rows = append(rows, longRow{fmt.Sprintf("seq-%d", s), int32(p), r})
			r++
		}
	}
	return rows
}

var out = flag.String("out", filepath.Join("..", "..", "testdata", "interop"), "output directory")

func main() {
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	write := func(name string, f func(w io.Writer) error) {
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(*out, name), buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("wrote %s (%d bytes)\n", name, buf.Len())
	}
	storeSchema := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())

	// 1. fixed_size_list<float32>[8], ARROW:schema, ONE row group (pqarrow repeats the first
	// row group's rows in later ones for fixed_size_list columns, see shared notes).
	{
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "sequence_id", Type: arrow.BinaryTypes.String},
			{Name: "position", Type: arrow.PrimitiveTypes.Int32},
			{Name: "embedding", Type: arrow.FixedSizeListOf(8, arrow.PrimitiveTypes.Float32)},
		}, nil)
		b := array.NewRecordBuilder(mem, schema)
		for _, row := range longRows([]int{4, 6, 5}) {
			b.Field(0).(*array.StringBuilder).Append(row.seq)
			b.Field(1).(*array.Int32Builder).Append(row.pos)
			lb := b.Field(2).(*array.FixedSizeListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.Float32Builder).AppendValues(vec32(row.r, 8, 20), nil)
		}
		rec := b.NewRecordBatch()
		tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
		props := aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Zstd))
		write("arrowgo_fixed_size_list_f32.parquet", func(w io.Writer) error {
			return pqarrow.WriteTable(tbl, w, 1<<20, props, storeSchema)
		})
	}

	// 2. large_list<float64> d=4, 3 row groups of 8 rows, dictionary pages, snappy.
	{
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "sequence_id", Type: arrow.BinaryTypes.String},
			{Name: "position", Type: arrow.PrimitiveTypes.Int32},
			{Name: "embedding", Type: arrow.LargeListOf(arrow.PrimitiveTypes.Float64)},
		}, nil)
		b := array.NewRecordBuilder(mem, schema)
		for _, row := range longRows([]int{5, 7, 3, 9}) {
			b.Field(0).(*array.StringBuilder).Append(row.seq)
			b.Field(1).(*array.Int32Builder).Append(row.pos)
			lb := b.Field(2).(*array.LargeListBuilder)
			lb.Append(true)
			vb := lb.ValueBuilder().(*array.Float64Builder)
			for c := 0; c < 4; c++ {
				vb.Append(comp(row.r, c, 21))
			}
		}
		rec := b.NewRecordBatch()
		tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
		props := aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Snappy), aparquet.WithDictionaryDefault(true))
		write("arrowgo_large_list_f64.parquet", func(w io.Writer) error {
			return pqarrow.WriteTable(tbl, w, 8, props, storeSchema)
		})
	}

	// 3. nested: list<fixed_size_list<float32>[8]>, one row per sequence, one row group.
	{
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "sequence_id", Type: arrow.BinaryTypes.String},
			{Name: "embedding", Type: arrow.ListOf(arrow.FixedSizeListOf(8, arrow.PrimitiveTypes.Float32))},
		}, nil)
		b := array.NewRecordBuilder(mem, schema)
		r := 0
		for s, n := range []int{3, 5, 2} {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("doc-%d", s))
			lb := b.Field(1).(*array.ListBuilder)
			lb.Append(true)
			fb := lb.ValueBuilder().(*array.FixedSizeListBuilder)
			for i := 0; i < n; i++ {
				fb.Append(true)
				fb.ValueBuilder().(*array.Float32Builder).AppendValues(vec32(r, 8, 22), nil)
				r++
			}
		}
		rec := b.NewRecordBatch()
		tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
		props := aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Zstd))
		write("arrowgo_nested_list_of_list_f32.parquet", func(w io.Writer) error {
			return pqarrow.WriteTable(tbl, w, 1<<20, props, storeSchema)
		})
	}

	// 4. fixed_size_binary(32): 8 little-endian float32 per row (FIXED_LEN_BYTE_ARRAY).
	{
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "sequence_id", Type: arrow.BinaryTypes.String},
			{Name: "position", Type: arrow.PrimitiveTypes.Int32},
			{Name: "embedding", Type: &arrow.FixedSizeBinaryType{ByteWidth: 32}},
		}, nil)
		b := array.NewRecordBuilder(mem, schema)
		for _, row := range longRows([]int{3, 4, 3}) {
			b.Field(0).(*array.StringBuilder).Append(row.seq)
			b.Field(1).(*array.Int32Builder).Append(row.pos)
			raw := make([]byte, 32)
			for c, x := range vec32(row.r, 8, 23) {
				binary.LittleEndian.PutUint32(raw[4*c:], math.Float32bits(x))
			}
			b.Field(2).(*array.FixedSizeBinaryBuilder).Append(raw)
		}
		rec := b.NewRecordBatch()
		tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
		props := aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Zstd), aparquet.WithDictionaryDefault(false))
		write("arrowgo_flba_f32.parquet", func(w io.Writer) error {
			return pqarrow.WriteTable(tbl, w, 1<<20, props, storeSchema)
		})
	}

	// 5. parquet-go, bare []float32: legacy 2-level repeated field.
	{
		type row struct {
			SequenceID string    `parquet:"sequence_id"`
			Position   int32     `parquet:"position"`
			Embedding  []float32 `parquet:"embedding"`
		}
		var rows []row
		for _, lr := range longRows([]int{4, 2, 6}) {
			rows = append(rows, row{lr.seq, lr.pos, vec32(lr.r, 8, 24)})
		}
		write("parquetgo_legacy_f32.parquet", func(w io.Writer) error {
			pw := parquet.NewGenericWriter[row](w, parquet.Compression(&parquet.Zstd), parquet.CreatedBy("parquet-go", "v0.32.0", "scripts-arrowgo-fixtures"))
			if _, err := pw.Write(rows); err != nil {
				return err
			}
			return pw.Close()
		})
	}

	// 6. parquet-go, `list` tag: 3-level LIST, data page v1, tiny page buffer (many pages per
	// column chunk), 2 row groups.
	{
		type row struct {
			SequenceID string    `parquet:"sequence_id"`
			Position   int32     `parquet:"position"`
			Embedding  []float32 `parquet:"embedding,list"`
		}
		var rows []row
		for _, lr := range longRows([]int{9, 14, 5, 12}) {
			rows = append(rows, row{lr.seq, lr.pos, vec32(lr.r, 8, 25)})
		}
		write("parquetgo_list_f32_multipage.parquet", func(w io.Writer) error {
			pw := parquet.NewGenericWriter[row](w,
				parquet.Compression(&parquet.Snappy),
				parquet.DataPageVersion(1),
				parquet.PageBufferSize(100),
				parquet.MaxRowsPerRowGroup(20),
				parquet.CreatedBy("parquet-go", "v0.32.0", "scripts-arrowgo-fixtures"))
			// one row per Write: the writer checks the page buffer size between writes
			for i := range rows {
				if _, err := pw.Write(rows[i : i+1]); err != nil {
					return err
				}
			}
			return pw.Close()
		})
		reportPages(filepath.Join(*out, "parquetgo_list_f32_multipage.parquet"), "embedding")
	}

	writeFloat16(mem, write, storeSchema)
}

// reportPages prints, per row group, the embedding column's page count and how many pages
// start in the middle of a row (first repetition level != 0).
func reportPages(path, column string) {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		log.Fatal(err)
	}
	leaf, ok := pf.Schema().Lookup(column, "list", "element")
	if !ok {
		log.Fatalf("%s: no %s.list.element", path, column)
	}
	for i, rg := range pf.RowGroups() {
		pages := rg.ColumnChunks()[leaf.ColumnIndex].Pages()
		n, mid := 0, 0
		for {
			p, err := pages.ReadPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				log.Fatal(err)
			}
			n++
			if rl := p.RepetitionLevels(); len(rl) > 0 && rl[0] != 0 {
				mid++
			}
			parquet.Release(p)
		}
		pages.Close()
		fmt.Printf("  row group %d: %d rows, %d pages, %d start mid-row\n", i, rg.NumRows(), n, mid)
	}
}

// vec16 is vec32 as float16 (arrow-go's float16.New: truncation, which is fine for inputs: the
// expected values are what DuckDB reads back).
func vec16(r, d, k int) []float16.Num {
	v := make([]float16.Num, d)
	for c, x := range vec32(r, d, k) {
		v[c] = float16.New(x)
	}
	return v
}

// writeFloat16 writes the float16 (Parquet FIXED_LEN_BYTE_ARRAY(2), logical type FLOAT16)
// fixtures: list, large_list and fixed_size_list vectors (long layout), a list of
// fixed_size_list (nested layout) and a scalar series with nulls, subnormals and the extremes.
func writeFloat16(mem memory.Allocator, write func(string, func(io.Writer) error), storeSchema pqarrow.ArrowWriterProperties) {
	f16 := arrow.FixedWidthTypes.Float16
	long := func(name string, vt arrow.DataType, lengths []int, d, k int, rowGroup int64, props *aparquet.WriterProperties) {
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "sequence_id", Type: arrow.BinaryTypes.String},
			{Name: "position", Type: arrow.PrimitiveTypes.Int32},
			{Name: "embedding", Type: vt},
		}, nil)
		b := array.NewRecordBuilder(mem, schema)
		for _, row := range longRows(lengths) {
			b.Field(0).(*array.StringBuilder).Append(row.seq)
			b.Field(1).(*array.Int32Builder).Append(row.pos)
			var vb *array.Float16Builder
			switch lb := b.Field(2).(type) {
			case *array.ListBuilder:
				lb.Append(true)
				vb = lb.ValueBuilder().(*array.Float16Builder)
			case *array.LargeListBuilder:
				lb.Append(true)
				vb = lb.ValueBuilder().(*array.Float16Builder)
			case *array.FixedSizeListBuilder:
				lb.Append(true)
				vb = lb.ValueBuilder().(*array.Float16Builder)
			}
			vb.AppendValues(vec16(row.r, d, k), nil)
		}
		rec := b.NewRecordBatch()
		tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
		write(name, func(w io.Writer) error { return pqarrow.WriteTable(tbl, w, rowGroup, props, storeSchema) })
	}
	// list<float16> d=8, 3 row groups of 10 rows (sequences span them), dictionary pages, snappy
	long("arrowgo_list_f16.parquet", arrow.ListOf(f16), []int{7, 12, 4, 7}, 8, 30, 10,
		aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Snappy), aparquet.WithDictionaryDefault(true)))
	// large_list<float16> d=4, 2 row groups, plain, zstd, data page v2
	long("arrowgo_large_list_f16.parquet", arrow.LargeListOf(f16), []int{5, 6, 9}, 4, 31, 12,
		aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Zstd), aparquet.WithDictionaryDefault(false),
			aparquet.WithDataPageVersion(aparquet.DataPageV2)))
	// fixed_size_list<float16>[16]: ONE row group (pqarrow corrupts fixed_size_list columns that
	// span several row groups, see the shared notes)
	long("arrowgo_fixed_size_list_f16.parquet", arrow.FixedSizeListOf(16, f16), []int{6, 3, 8}, 16, 32, 1<<20,
		aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Zstd), aparquet.WithDictionaryDefault(false)))

	// nested: list<fixed_size_list<float16>[8]>, one row per sequence
	{
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "sequence_id", Type: arrow.BinaryTypes.String},
			{Name: "embedding", Type: arrow.ListOf(arrow.FixedSizeListOf(8, f16))},
		}, nil)
		b := array.NewRecordBuilder(mem, schema)
		r := 0
		for s, n := range []int{4, 6, 1, 5} {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("doc-%d", s))
			lb := b.Field(1).(*array.ListBuilder)
			lb.Append(true)
			fb := lb.ValueBuilder().(*array.FixedSizeListBuilder)
			for i := 0; i < n; i++ {
				fb.Append(true)
				fb.ValueBuilder().(*array.Float16Builder).AppendValues(vec16(r, 8, 33), nil)
				r++
			}
		}
		rec := b.NewRecordBatch()
		tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
		props := aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Zstd))
		write("arrowgo_nested_list_of_list_f16.parquet", func(w io.Writer) error {
			return pqarrow.WriteTable(tbl, w, 1<<20, props, storeSchema)
		})
	}

	// scalar series (long layout, d = 1): series_id, position, value float16 (nullable), with
	// nulls, zeros of both signs, subnormals, the largest finite values and values > 1000.
	{
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "series_id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "position", Type: arrow.PrimitiveTypes.Int32},
			{Name: "value", Type: f16, Nullable: true},
		}, nil)
		special := []uint16{0x0001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x8000, 0x0000, 0x8001, 0x3c00, 0x3555}
		b := array.NewRecordBuilder(mem, schema)
		r := 0
		for s, n := range []int{20, 13, 25} {
			for p := 0; p < n; p++ {
				b.Field(0).(*array.Int64Builder).Append(int64(100 + s))
				b.Field(1).(*array.Int32Builder).Append(int32(p))
				vb := b.Field(2).(*array.Float16Builder)
				switch {
				case s == 1 && (p == 4 || p == 5):
					vb.AppendNull()
				case s == 2 && p < len(special):
					vb.Append(float16.FromBits(special[p]))
				default:
					vb.Append(float16.New(float32(300 * comp(r, 0, 34))))
				}
				r++
			}
		}
		rec := b.NewRecordBatch()
		tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
		props := aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Snappy))
		write("arrowgo_series_f16.parquet", func(w io.Writer) error {
			return pqarrow.WriteTable(tbl, w, 1<<20, props, storeSchema)
		})
	}
}

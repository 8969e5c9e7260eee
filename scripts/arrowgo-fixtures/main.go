// Command arrowgo-fixtures writes the interop fixtures that come from Go writers other than
// ours: Apache arrow-go v18 pqarrow (fixed_size_list with ARROW:schema, large_list<double>,
// list<fixed_size_list>, fixed_size_binary) and parquet-go (legacy 2-level list, 3-level list
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

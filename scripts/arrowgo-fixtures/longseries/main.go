// Command longseries writes ONE series of ROWS float64 values in ONE row group with Apache
// arrow-go's pqarrow and its default writer properties (1 MiB data pages, row groups of up to
// 64 Mi rows, dictionary on), as pyarrow and arrow-rs write a table of up to 1 Mi rows and
// Spark a 128 MB row group: position (int64, ascending with gaps: i + i/7) and value
// (float64), and, with -ids, series_id (string, one value). zstd, to keep the file small.
// The input of the peak-RSS tests of key columns read per segment
// (cmd/contextualize/keyseg_rss_linux_test.go, scripts/rss).
//
// Run from scripts/arrowgo-fixtures: go run ./longseries [-ids] OUT.parquet ROWS
//
// Values are closed-form (those of scripts/interop/long_series.mjs), so the file is the same
// every run.
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	aparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func main() {
	ids := flag.Bool("ids", false, "write a series_id column (one value)")
	flag.Parse()
	if flag.NArg() != 2 {
		log.Fatal("usage: longseries [-ids] OUT.parquet ROWS")
	}
	out := flag.Arg(0)
	rows, err := strconv.Atoi(flag.Arg(1))
	if err != nil || rows <= 0 {
		log.Fatalf("ROWS: %q is not a positive number", flag.Arg(1))
	}
	var fields []arrow.Field
	if *ids {
		fields = append(fields, arrow.Field{Name: "series_id", Type: arrow.BinaryTypes.String})
	}
	fields = append(fields, arrow.Field{Name: "position", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "value", Type: arrow.PrimitiveTypes.Float64})
	schema := arrow.NewSchema(fields, nil)
	f, err := os.Create(out)
	if err != nil {
		log.Fatal(err)
	}
	props := aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Zstd))
	w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.DefaultWriterProps())
	if err != nil {
		log.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	const batch = 1 << 20
	for lo := 0; lo < rows; lo += batch {
		hi := min(lo+batch, rows)
		c := 0
		if *ids {
			sb := b.Field(0).(*array.StringBuilder)
			for range hi - lo {
				sb.Append("s0000")
			}
			c = 1
		}
		pb, vb := b.Field(c).(*array.Int64Builder), b.Field(c+1).(*array.Float64Builder)
		for i := lo; i < hi; i++ {
			pb.Append(int64(i + i/7))
			vb.Append(math.Sin(0.0137*float64(i))*10 + math.Cos(0.71*float64(i)))
		}
		rec := b.NewRecord()
		// buffered: the rows go on in the open row group, as pyarrow's
		// write_table does up to its row-group size
		if err := w.WriteBuffered(rec); err != nil {
			log.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	md, err := w.FileMetadata()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s: %d rows in 1 series, row groups: %d\n", out, rows, md.NumRowGroups())
}

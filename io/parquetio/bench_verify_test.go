package parquetio

import (
	"fmt"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// benchPassFile writes the layout DuckDB writes by default: data pages v1,
// zstd, every column optional, 65,536 rows x 384 float32 vectors, plus a
// string id, an int64 position and a string passthrough column.
func benchPassFile(b *testing.B) string {
	b.Helper()
	type row struct {
		ID    *string   `parquet:"sequence_id,optional,dict"`
		Pos   *int64    `parquet:"position,optional"`
		Note  *string   `parquet:"note,optional"`
		Embed []float32 `parquet:"embedding,optional,list"`
	}
	rows := make([]row, benchRows)
	slab := make([]float32, benchRows*benchD)
	for i := range slab {
		slab[i] = float32(i%1000) * 0.001
	}
	for i := range rows {
		id, pos, note := fmt.Sprint("seq-", i/512), int64(i%512), fmt.Sprintf("note %d of the row", i)
		rows[i] = row{ID: &id, Pos: &pos, Note: &note, Embed: slab[i*benchD : (i+1)*benchD]}
	}
	return writeFile(b, b.TempDir(), "pass.parquet", rows, parquet.Compression(&parquet.Zstd),
		parquet.DataPageVersion(1), parquet.MaxRowsPerRowGroup(16384))
}

// BenchmarkPassthroughVerify measures what verifying the passthrough
// chunks costs the fast writer (verify=off is the copy alone): reading
// the value column and writing every row group.
func BenchmarkPassthroughVerify(b *testing.B) {
	path := benchPassFile(b)
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("verify=%v", on), func(b *testing.B) {
			defer func(old bool) { verifyPassthrough = old }(verifyPassthrough)
			verifyPassthrough = on
			b.SetBytes(benchRows * benchD * 4)
			for i := 0; i < b.N; i++ {
				f, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				w, err := NewWriter(io.Discard, f, WriterOptions{ValueColumn: "embedding"})
				if err != nil {
					b.Fatal(err)
				}
				var reuse Floats
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					ch, err := f.ReadValues(rg, ReadSpec{Column: "embedding", D: benchD}, &reuse)
					if err != nil {
						b.Fatal(err)
					}
					if err := w.WriteRowGroup(rg, ch); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkPageScan measures the run-length check of levels and
// dictionary indexes on reading the value column of DuckDB-style pages
// (v1, zstd). It once cost 1.8x (parquet-go's pages were decompressed a
// second time for it); the page reader checks the runs as it decodes
// each page, so scan=on and scan=off now read the value column alike.
func BenchmarkPageScan(b *testing.B) {
	path := benchPassFile(b)
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("scan=%v", on), func(b *testing.B) {
			defer func(old bool) { scanPages = old }(scanPages)
			scanPages = on
			b.SetBytes(benchRows * benchD * 4)
			var reuse Floats
			for i := 0; i < b.N; i++ {
				f, err := Open(path) // a fresh File: chunks are checked once per File
				if err != nil {
					b.Fatal(err)
				}
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					if _, err := f.ReadValues(rg, ReadSpec{Column: "embedding", D: benchD}, &reuse); err != nil {
						b.Fatal(err)
					}
				}
				f.Close()
			}
		})
	}
}

package parquetio

import (
	"fmt"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// BenchmarkValuePages reads the value column of the DuckDB-style file of
// BenchmarkPassthroughVerify (data pages v1, zstd, optional list vectors)
// with this package's page reader and with parquet-go's page decoding
// (after the page scan it needs), on a fresh File each time.
func BenchmarkValuePages(b *testing.B) {
	path := benchPassFile(b)
	for _, ours := range []bool{true, false} {
		name := "reader=parquet-go"
		if ours {
			name = "reader=pages"
		}
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { directReads = old }(directReads)
			directReads = ours
			b.SetBytes(benchRows * benchD * 4)
			var reuse Floats
			for i := 0; i < b.N; i++ {
				f, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					if _, err := f.ReadValues(rg, ReadSpec{Column: "embedding", D: benchD}, &reuse); err != nil {
						b.Fatal(fmt.Errorf("rg %d: %w", rg, err))
					}
				}
				f.Close()
			}
		})
	}
}

// benchOneGroupFile writes 65,536 rows of 384 float32 vectors as DuckDB
// does by default: ONE row group, data pages v1 of about 1 MiB, zstd,
// every column optional.
func benchOneGroupFile(b *testing.B) string {
	b.Helper()
	type row struct {
		ID    *string   `parquet:"sequence_id,optional,dict"`
		Embed []float32 `parquet:"embedding,optional,list"`
	}
	rows := make([]row, benchRows)
	slab := make([]float32, benchRows*benchD)
	for i := range slab {
		slab[i] = float32(i%1000)*0.001 + float32(i%7)
	}
	for i := range rows {
		id := fmt.Sprint("seq-", i/512)
		rows[i] = row{ID: &id, Embed: slab[i*benchD : (i+1)*benchD]}
	}
	return writeFile(b, b.TempDir(), "one.parquet", rows, parquet.Compression(&parquet.Zstd),
		parquet.DataPageVersion(1), parquet.PageBufferSize(1<<20), parquet.MaxRowsPerRowGroup(benchRows))
}

// BenchmarkReadAhead reads the value column of a one-row-group
// DuckDB-style file whole (ReadValues) and in segments of 1 Mi floats,
// with pages read on demand (serial) and read and decompressed ahead by
// 1 or GOMAXPROCS workers within the default 8 MiB.
func BenchmarkReadAhead(b *testing.B) {
	path := benchOneGroupFile(b)
	for _, mode := range []struct {
		name      string
		readAhead int64
		workers   int
	}{{"serial", -1, 1}, {"ahead1", 0, 1}, {"aheadN", 0, 0}} {
		for _, seg := range []int{0, 1 << 20} {
			b.Run(fmt.Sprintf("%s/segment=%d", mode.name, seg), func(b *testing.B) {
				b.SetBytes(benchRows * benchD * 4)
				spec := ReadSpec{Column: "embedding", D: benchD, ReadAhead: mode.readAhead, Workers: mode.workers}
				var reuse Floats
				for i := 0; i < b.N; i++ {
					f, err := Open(path)
					if err != nil {
						b.Fatal(err)
					}
					s, err := f.NewSegmentReader(0, spec)
					if err != nil {
						b.Fatal(err)
					}
					for {
						if _, err := s.Next(seg, &reuse); err == io.EOF {
							break
						} else if err != nil {
							b.Fatal(err)
						}
					}
					s.Close()
					f.Close()
				}
			})
		}
	}
}

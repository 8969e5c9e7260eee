package parquetio

import (
	"fmt"
	"io"
	"math/rand/v2"
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

// benchOneGroupFile writes 65,536 rows of 384 float32 vectors in ONE
// row group, data pages v1, zstd, every column optional, as DuckDB does
// by default; pageBytes is the page size (DuckDB 1.5.6 writes the whole
// chunk as one page of 103 MB; parquet-go and arrow about 1 MiB).
func benchOneGroupFile(b *testing.B, pageBytes int) string {
	b.Helper()
	type row struct {
		ID    *string   `parquet:"sequence_id,optional,dict"`
		Embed []float32 `parquet:"embedding,optional,list"`
	}
	rows := make([]row, benchRows)
	slab := make([]float32, benchRows*benchD)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range slab {
		slab[i] = float32(rng.NormFloat64()) // embeddings barely compress, as in DuckDB's files
	}
	for i := range rows {
		id := fmt.Sprint("seq-", i/512)
		rows[i] = row{ID: &id, Embed: slab[i*benchD : (i+1)*benchD]}
	}
	return writeFile(b, b.TempDir(), "one.parquet", rows, parquet.Compression(&parquet.Zstd),
		parquet.DataPageVersion(1), parquet.PageBufferSize(pageBytes), parquet.MaxRowsPerRowGroup(benchRows))
}

// BenchmarkReadAhead reads the value column of one-row-group DuckDB-style
// files (1 MiB pages, or one 100 MB page as DuckDB writes) whole
// (ReadValues) and in segments of 1 Mi floats: pages read on demand
// (serial), or read and decompressed ahead by 1 or GOMAXPROCS workers
// within the default 8 MiB; the one large page is streamed unless
// stream=off. B/op shows what a read allocates.
func BenchmarkReadAhead(b *testing.B) {
	for _, file := range []struct {
		name  string
		pages int
	}{{"pages=1MiB", 1 << 20}, {"pages=one", 256 << 20}} {
		path := benchOneGroupFile(b, file.pages)
		for _, mode := range []struct {
			name      string
			readAhead int64
			workers   int
			stream    bool
		}{{"serial", -1, 1, true}, {"ahead1", 0, 1, true}, {"aheadN", 0, 0, true}, {"stream=off", 0, 0, false}} {
			if !mode.stream && file.pages < 8<<20 {
				continue
			}
			for _, seg := range []int{0, 1 << 20} {
				b.Run(fmt.Sprintf("%s/%s/segment=%d", file.name, mode.name, seg), func(b *testing.B) {
					if !mode.stream {
						defer func(old int64) { streamPageBytes = old }(streamPageBytes)
						streamPageBytes = 1 << 40
					}
					b.SetBytes(benchRows * benchD * 4)
					b.ReportAllocs()
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
}

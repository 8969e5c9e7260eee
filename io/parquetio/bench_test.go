package parquetio

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

const benchRows, benchD = 65536, 384

// benchFile writes 65,536 rows x 384 float32 (zstd, 8192-row groups) and
// returns its path.
func benchFile(b *testing.B) string {
	b.Helper()
	rows := make([]rowListF32, benchRows)
	slab := make([]float32, benchRows*benchD)
	for i := range slab {
		slab[i] = float32(i%1000) * 0.001
	}
	for i := range rows {
		rows[i] = rowListF32{ID: "s", Embedding: slab[i*benchD : (i+1)*benchD]}
	}
	return writeFile(b, b.TempDir(), "bench.parquet", rows, parquet.Compression(&parquet.Zstd), parquet.MaxRowsPerRowGroup(8192))
}

func BenchmarkReadValues(b *testing.B) {
	path := benchFile(b)
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	spec := ReadSpec{Column: "embedding", D: benchD}
	var reuse Floats
	b.SetBytes(benchRows * benchD * 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for rg := 0; rg < f.NumRowGroups(); rg++ {
			if _, err := f.ReadValues(rg, spec, &reuse); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkWrite writes one output row group per input row group (the
// column-by-column path).
func BenchmarkWrite(b *testing.B) { benchWrite(b, 0) }

// BenchmarkWriteRegroup regroups rows (--row-group-rows: the row path).
func BenchmarkWriteRegroup(b *testing.B) { benchWrite(b, 10000) }

func benchWrite(b *testing.B, rowGroupRows int) {
	path := benchFile(b)
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	spec := ReadSpec{Column: "embedding", D: benchD}
	chunks := make([]ValueChunk, f.NumRowGroups())
	for rg := range chunks {
		if chunks[rg], err = f.ReadValues(rg, spec, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(benchRows * benchD * 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := NewWriter(io.Discard, f, WriterOptions{ValueColumn: "embedding", RowGroupRows: rowGroupRows})
		if err != nil {
			b.Fatal(err)
		}
		for rg, c := range chunks {
			if err := w.WriteRowGroup(rg, c); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

type benchSeriesRow struct {
	SeriesID string  `parquet:"series_id"`
	Position int32   `parquet:"position"`
	Value    float64 `parquet:"value"`
}

// benchSeries writes 20 series x 50,000 rows (zstd, 8192-row groups), the
// long layout of the smoothing benchmark.
func benchSeries(b *testing.B) string {
	b.Helper()
	rows := make([]benchSeriesRow, 0, 1_000_000)
	for s := 0; s < 20; s++ {
		for i := 0; i < 50_000; i++ {
			rows = append(rows, benchSeriesRow{SeriesID: fmt.Sprintf("series-%03d", s), Position: int32(i), Value: float64(i)})
		}
	}
	return writeFile(b, b.TempDir(), "series.parquet", rows, parquet.Compression(&parquet.Zstd), parquet.MaxRowsPerRowGroup(8192))
}

// BenchmarkSequenceIDs compares ReadRuns with ReadColumn plus a
// per-row string comparison (what the job did).
func BenchmarkSequenceIDs(b *testing.B) {
	path := benchSeries(b)
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("ReadRuns", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				if _, _, err := f.ReadRuns(rg, "series_id"); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("ReadColumn", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				a, err := f.ReadColumn(rg, "series_id")
				if err != nil {
					b.Fatal(err)
				}
				s := a.(*array.String)
				var keys []string
				for r := 0; r < s.Len(); r++ {
					if r == 0 || s.Value(r) != keys[len(keys)-1] {
						keys = append(keys, strings.Clone(s.Value(r)))
					}
				}
				a.Release()
			}
		}
	})
	b.Run("ReadColumnInt32", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				a, err := f.ReadColumn(rg, "position")
				if err != nil {
					b.Fatal(err)
				}
				a.Release()
			}
		}
	})
}

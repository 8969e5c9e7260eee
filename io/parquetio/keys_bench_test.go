package parquetio

import (
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// benchKeyRow is a long layout's key columns: a string id and an int64
// position.
type benchKeyRow struct {
	SeriesID string  `parquet:"series_id"`
	Position int64   `parquet:"position"`
	Value    float32 `parquet:"value"`
}

// benchKeyFile writes 20 series x 50,000 rows (zstd) with the ids and
// positions encoded as asked, in row groups of rgRows (0: one row group).
func benchKeyFile(b *testing.B, ids, pos encoding.Encoding, rgRows int) string {
	b.Helper()
	rows := make([]benchKeyRow, 0, 1_000_000)
	for s := 0; s < 20; s++ {
		for i := 0; i < 50_000; i++ {
			rows = append(rows, benchKeyRow{SeriesID: fmt.Sprintf("series-%03d", s), Position: int64(i), Value: float32(i)})
		}
	}
	opts := []parquet.WriterOption{parquet.Compression(&parquet.Zstd),
		parquet.DefaultEncodingFor(parquet.ByteArray, ids), parquet.DefaultEncodingFor(parquet.Int64, pos)}
	if rgRows > 0 {
		opts = append(opts, parquet.MaxRowsPerRowGroup(int64(rgRows)))
	} else {
		opts = append(opts, parquet.MaxRowsPerRowGroup(int64(len(rows))), parquet.PageBufferSize(64<<20))
	}
	return writeFile(b, b.TempDir(), "keys.parquet", rows, opts...)
}

// BenchmarkKeyColumns reads 1M rows' key columns on a fresh File each
// time (chunks are checked once per File): the sequence ids as runs
// (DELTA_LENGTH_BYTE_ARRAY, parquet-go's default, and RLE_DICTIONARY, the
// other writers'), and the int64 positions (DELTA_BINARY_PACKED and
// PLAIN), in 8,192-row groups and in one row group.
func BenchmarkKeyColumns(b *testing.B) {
	for _, c := range []struct {
		name     string
		ids, pos encoding.Encoding
		rgRows   int
	}{
		{"delta", &parquet.DeltaLengthByteArray, &parquet.DeltaBinaryPacked, 8192},
		{"dict", &parquet.RLEDictionary, &parquet.Plain, 8192},
		{"delta-1rg", &parquet.DeltaLengthByteArray, &parquet.DeltaBinaryPacked, 0},
		{"dict-1rg", &parquet.RLEDictionary, &parquet.RLEDictionary, 0},
	} {
		path := benchKeyFile(b, c.ids, c.pos, c.rgRows)
		b.Run(c.name+"/ReadRuns", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f, err := Open(path)
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
		b.Run(c.name+"/ReadInt64s", func(b *testing.B) {
			b.ReportAllocs()
			var buf []int64
			for i := 0; i < b.N; i++ {
				f, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					vals, _, _, err := f.ReadInt64s(rg, "position", buf)
					if err != nil {
						b.Fatal(err)
					}
					buf = vals
				}
				f.Close()
			}
		})
	}
}

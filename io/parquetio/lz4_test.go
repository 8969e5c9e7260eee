package parquetio

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/lz4"
)

// TestLZ4RawReadsBack: parquet-go v0.32.0's LZ4_RAW decoder returns the
// stale page buffer when a page compresses to more than a third of its
// size (parquet-go/parquet-go#608): random floats do. Every value must read
// back exactly, through parquet-go's page reader (data pages v1,
// dictionary) and through readDirect (data pages v2, PLAIN).
func TestLZ4RawReadsBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]rowScalarF32, 20000)
	for i := range rows {
		rows[i] = rowScalarF32{ID: "s", Pos: int64(i), Value: rng.Float32()}
	}
	codec := parquet.Compression(&lz4.Codec{Level: lz4.Fast})
	dir := t.TempDir()
	cases := []struct {
		name string
		opts []parquet.WriterOption
	}{
		{"v1", []parquet.WriterOption{codec, parquet.DataPageVersion(1)}},
		{"v2", []parquet.WriterOption{codec, parquet.DataPageVersion(2)}},
		{"dict", []parquet.WriterOption{codec, parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, dir, c.name+".parquet", rows, c.opts...)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got []float32
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				ch, err := f.ReadValues(rg, ReadSpec{Column: "value"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ch.Values.F32...)
			}
			if len(got) != len(rows) {
				t.Fatalf("read %d values, want %d", len(got), len(rows))
			}
			for i, r := range rows {
				if math.Float32bits(got[i]) != math.Float32bits(r.Value) {
					t.Fatalf("value %d: got %v, want %v", i, got[i], r.Value)
				}
			}
		})
	}
}

// TestLZ4RawFromOtherWriters reads the LZ4_RAW files DuckDB and polars
// wrote (scripts/lz4-fixtures) and compares every float32 with what DuckDB
// reads back from the same file (an FNV-1a 64 hash of the vectors' bytes).
func TestLZ4RawFromOtherWriters(t *testing.T) {
	for _, name := range []string{"duckdb_lz4", "polars_lz4"} {
		for _, direct := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/direct=%v", name, direct), func(t *testing.T) {
				defer func(old bool) { directReads = old }(directReads)
				directReads = direct
				var want struct {
					Rows, D int
					Fnv1a64 string
					Codecs  []string
				}
				b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "lz4", name+".json"))
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, &want); err != nil {
					t.Fatal(err)
				}
				if len(want.Codecs) != 1 || want.Codecs[0] != "LZ4_RAW" {
					t.Fatalf("fixture codecs %v, want LZ4_RAW only", want.Codecs)
				}
				f, err := Open(filepath.Join("..", "..", "testdata", "lz4", name+".parquet"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				h := fnv.New64a()
				rows := 0
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					ch, err := f.ReadValues(rg, ReadSpec{Column: "embedding"}, nil)
					if err != nil {
						t.Fatal(err)
					}
					if ch.D != want.D {
						t.Fatalf("d = %d, want %d", ch.D, want.D)
					}
					rows += ch.Rows
					for _, v := range ch.Values.F32 {
						h.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
					}
				}
				if rows != want.Rows {
					t.Fatalf("%d rows, want %d", rows, want.Rows)
				}
				if got := fmt.Sprintf("%016x", h.Sum64()); got != want.Fnv1a64 {
					t.Fatalf("values hash %s, DuckDB reads %s", got, want.Fnv1a64)
				}
			})
		}
	}
}

package parquetio

import (
	"math"
	"math/rand/v2"
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

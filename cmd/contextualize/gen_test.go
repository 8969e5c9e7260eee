package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// vecRow is one element of a long-layout vector input: the layout the
// bundled tokens.parquet has, written by parquet-go instead of DuckDB.
type vecRow struct {
	ID        string    `parquet:"sequence_id"`
	Pos       int64     `parquet:"position"`
	Embedding []float32 `parquet:"embedding,list"`
}

// genSpec describes a deterministic generated input set.
type genSpec struct {
	Files        int // number of files
	Rows         int // rows per file
	D            int // vector width
	SeqLen       int // elements per sequence (the last one may be shorter)
	RowGroupRows int // rows per row group (several per file, so a sequence spans row groups)
}

// genInputs writes spec.Files long-layout Parquet files into a new temp dir
// and returns it. The data depends only on spec (fixed seeds), so two calls
// give byte-identical files.
func genInputs(t testing.TB, spec genSpec) string {
	t.Helper()
	dir := t.TempDir()
	for f := 0; f < spec.Files; f++ {
		path := filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", f))
		if err := writeVecFile(path, uint64(f), spec); err != nil {
			t.Fatalf("generating %s: %v", path, err)
		}
	}
	return dir
}

func writeVecFile(path string, seed uint64, spec genSpec) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	w := parquet.NewGenericWriter[vecRow](out,
		parquet.MaxRowsPerRowGroup(int64(spec.RowGroupRows)),
		parquet.Compression(&parquet.Snappy),
	)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	const batch = 1024
	rows := make([]vecRow, 0, batch)
	vals := make([]float32, batch*spec.D)
	for i := 0; i < spec.Rows; i++ {
		seq, pos := i/spec.SeqLen, i%spec.SeqLen
		v := vals[len(rows)*spec.D : (len(rows)+1)*spec.D]
		for j := range v {
			// a smooth signal plus noise, so smoothing does something visible
			v[j] = float32(math.Sin(float64(pos)/7+float64(j)) + rng.NormFloat64()*0.3)
		}
		rows = append(rows, vecRow{ID: fmt.Sprintf("seq-%06d", seq), Pos: int64(pos), Embedding: v})
		if len(rows) == batch || i == spec.Rows-1 {
			if _, err := w.Write(rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return out.Close()
}

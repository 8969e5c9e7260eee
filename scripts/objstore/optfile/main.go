// Command optfile writes the parquet-go input of the optional-levels
// benchmark (scripts/objstore/bench_levels.sh): series x points rows in
// one row group with parquet-go's defaults (snappy, pages of about 256
// KiB): series_id (dictionary), position (DELTA) and value, an optional
// float64 of seeded normal draws, null at every 97th row.
//
//	go run ./scripts/objstore/optfile OUT.parquet [series=200] [points=20000]
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	ID    string   `parquet:"series_id,dict"`
	Pos   int64    `parquet:"position,delta"`
	Value *float64 `parquet:"value"`
}

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: optfile OUT.parquet [series] [points]")
	}
	series, points := arg(2, 200), arg(3, 20000)
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	w := parquet.NewGenericWriter[row](f, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(int64(series*points)))
	batch := make([]row, 0, 1<<14)
	for i := 0; i < series*points; i++ {
		r := row{ID: fmt.Sprintf("series-%04d", i/points), Pos: int64(i % points)}
		if i%97 != 13 {
			v := rng.NormFloat64()
			r.Value = &v
		}
		if batch = append(batch, r); len(batch) == cap(batch) || i == series*points-1 {
			if _, err := w.Write(batch); err != nil {
				log.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func arg(i, def int) int {
	if len(os.Args) <= i {
		return def
	}
	n, err := strconv.Atoi(os.Args[i])
	if err != nil || n <= 0 {
		log.Fatalf("argument %d: want a positive number, got %q", i, os.Args[i])
	}
	return n
}

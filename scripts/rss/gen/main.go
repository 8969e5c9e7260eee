// Command gen writes a large long-layout Parquet input for the peak-RSS
// check (scripts/rss/run.sh): one row per element, columns sequence_id
// (string), position (int64, 0..n-1 within each sequence) and embedding
// (list<float32> of width -d), in row groups of -row-group-rows rows.
// The values are pseudo-random from a fixed seed, so the file (and its
// size) depends only on the flags.
//
//	go run ./scripts/rss/gen -rows 1400000 -d 384 -o /tmp/big.parquet
//	go run ./scripts/rss/gen -largest-page in.parquet -column embedding
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	ID        string    `parquet:"sequence_id"`
	Pos       int64     `parquet:"position"`
	Embedding []float32 `parquet:"embedding,list"`
}

func main() {
	rows := flag.Int("rows", 1_400_000, "rows (elements) to write")
	d := flag.Int("d", 384, "vector width")
	seqLen := flag.Int("seq-len", 1000, "elements per sequence")
	rgRows := flag.Int("row-group-rows", 10_000, "rows per row group")
	comp := flag.String("compression", "none", "none or snappy")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("o", "", "output file (required)")
	page := flag.String("largest-page", "", "print the largest page of -column in this `FILE` (MiB, rounded up) instead of writing")
	column := flag.String("column", "embedding", "the column whose pages -largest-page measures")
	flag.Parse()
	if *page != "" {
		if err := largestPage(*page, *column); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if *out == "" || *rows <= 0 || *d <= 0 || *seqLen <= 0 || *rgRows <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := write(*out, *rows, *d, *seqLen, *rgRows, *comp, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(path string, rows, d, seqLen, rgRows int, comp string, seed uint64) error {
	var codec parquet.WriterOption
	switch comp {
	case "none":
		codec = parquet.Compression(&parquet.Uncompressed)
	case "snappy":
		codec = parquet.Compression(&parquet.Snappy)
	default:
		return fmt.Errorf("-compression: expected none or snappy, found %q", comp)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 4<<20)
	w := parquet.NewGenericWriter[row](bw, parquet.MaxRowsPerRowGroup(int64(rgRows)), codec)
	rng := rand.New(rand.NewPCG(seed, 0x2b))
	const batch = 1000
	buf := make([]row, 0, batch)
	vals := make([]float32, batch*d)
	for i := 0; i < rows; i++ {
		v := vals[len(buf)*d : (len(buf)+1)*d]
		for j := range v {
			v[j] = rng.Float32()*2 - 1
		}
		buf = append(buf, row{ID: fmt.Sprintf("seq-%07d", i/seqLen), Pos: int64(i % seqLen), Embedding: v})
		if len(buf) == batch || i == rows-1 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

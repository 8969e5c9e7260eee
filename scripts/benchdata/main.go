// Command benchdata writes the deterministic Parquet inputs of scripts/bench.
//
//	go run ./scripts/benchdata -kind attend -o DIR/attend.parquet [-sequences 256 -length 256 -d 384]
//	go run ./scripts/benchdata -kind smooth -o DIR/smooth.parquet [-sequences 200 -length 50000]
//	go run ./scripts/benchdata -layout FILE.parquet
//
// attend: long layout, one row per token: sequence_id int64, position int64,
// embedding list<float32> (3-level LIST, `list` tag), values standard normal
// as in scripts/mha/bench_numpy.py.
// smooth: long layout, one row per sample: series_id string, position int64,
// value float64, a random walk plus standard normal noise.
// Both: zstd, row groups of -row-group-rows rows (8192 for attend, 122880 for
// smooth by default), a PCG stream seeded by -seed,
// so the same flags give the same bytes.
// -layout prints how any Parquet file is laid out (writer, row groups, codecs,
// page kinds and largest page per column, schema) and writes nothing.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

type tokenRow struct {
	SequenceID int64     `parquet:"sequence_id"`
	Position   int64     `parquet:"position"`
	Embedding  []float32 `parquet:"embedding,list"`
}

type seriesRow struct {
	SeriesID string  `parquet:"series_id"`
	Position int64   `parquet:"position"`
	Value    float64 `parquet:"value"`
}

func main() {
	kind := flag.String("kind", "attend", "attend (vector sequences) or smooth (scalar series)")
	out := flag.String("o", "", "output file (required)")
	seqs := flag.Int("sequences", 0, "number of sequences (default 256 for attend, 200 for smooth)")
	length := flag.Int("length", 0, "elements per sequence (default 256 for attend, 50000 for smooth)")
	d := flag.Int("d", 384, "embedding dimension (attend)")
	seed := flag.Uint64("seed", 1, "PRNG seed")
	rgRows := flag.Int64("row-group-rows", 0, "rows per row group (default 8192 for attend, 122880 for smooth: DuckDB's default)")
	layout := flag.String("layout", "", "print the layout of this Parquet file and exit")
	flag.Parse()
	if *layout != "" {
		if err := printLayout(os.Stdout, *layout); err != nil {
			fmt.Fprintln(os.Stderr, "benchdata:", err)
			os.Exit(1)
		}
		return
	}
	if *out == "" {
		fmt.Fprintln(os.Stderr, "benchdata: -o is required")
		os.Exit(2)
	}
	if err := run(*kind, *out, *seqs, *length, *d, *seed, *rgRows); err != nil {
		fmt.Fprintln(os.Stderr, "benchdata:", err)
		os.Exit(1)
	}
}

func run(kind, out string, seqs, length, d int, seed uint64, rgRows int64) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	rng := rand.New(rand.NewPCG(seed, 0x62656e6368))
	if rgRows <= 0 {
		rgRows = 8192
		if kind == "smooth" {
			rgRows = 122880
		}
	}
	opts := []parquet.WriterOption{
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(rgRows),
		parquet.CreatedBy("contextualize-benchdata", "1", "scripts/benchdata"),
	}
	switch kind {
	case "attend":
		if seqs == 0 {
			seqs = 256
		}
		if length == 0 {
			length = 256
		}
		err = writeTokens(f, opts, rng, seqs, length, d)
	case "smooth":
		if seqs == 0 {
			seqs = 200
		}
		if length == 0 {
			length = 50000
		}
		err = writeSeries(f, opts, rng, seqs, length)
	default:
		err = fmt.Errorf("unknown -kind %q (attend or smooth)", kind)
	}
	if err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func writeTokens(f *os.File, opts []parquet.WriterOption, rng *rand.Rand, seqs, length, d int) error {
	w := parquet.NewGenericWriter[tokenRow](f, opts...)
	slab := make([]float32, length*d)
	rows := make([]tokenRow, length)
	for s := range seqs {
		for i := range slab {
			slab[i] = float32(rng.NormFloat64())
		}
		for p := range rows {
			rows[p] = tokenRow{SequenceID: int64(s), Position: int64(p), Embedding: slab[p*d : (p+1)*d : (p+1)*d]}
		}
		if _, err := w.Write(rows); err != nil {
			return err
		}
	}
	return w.Close()
}

func writeSeries(f *os.File, opts []parquet.WriterOption, rng *rand.Rand, seqs, length int) error {
	w := parquet.NewGenericWriter[seriesRow](f, opts...)
	rows := make([]seriesRow, length)
	for s := range seqs {
		id := fmt.Sprintf("series-%05d", s)
		level := 0.0
		for p := range rows {
			level += 0.1 * rng.NormFloat64()
			rows[p] = seriesRow{SeriesID: id, Position: int64(p), Value: level + rng.NormFloat64()}
		}
		if _, err := w.Write(rows); err != nil {
			return err
		}
	}
	return w.Close()
}

package job

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// seriesRow and tokenRow are the long layouts of the SPEC's benchmarks.
type seriesRow struct {
	SeriesID string  `parquet:"series_id"`
	Position int32   `parquet:"position"`
	Value    float64 `parquet:"value"`
}

type tokenRow struct {
	SequenceID string    `parquet:"sequence_id"`
	Position   int32     `parquet:"position"`
	Embedding  []float32 `parquet:"embedding,list"`
}

var (
	benchDir     string
	benchDirOnce sync.Once
)

func benchFile(b *testing.B, name string, write func(path string) error) string {
	b.Helper()
	benchDirOnce.Do(func() {
		// Kept across runs: generating 10M rows costs more than a run.
		benchDir = filepath.Join(os.TempDir(), "contextualize-bench-v1")
		if err := os.MkdirAll(benchDir, 0o755); err != nil {
			b.Fatal(err)
		}
	})
	path := filepath.Join(benchDir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".tmp"
	if err := write(tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

func writeRows[T any](path string, rows func(emit func(T) error) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := parquet.NewGenericWriter[T](f, parquet.Compression(&zstd.Codec{}), parquet.MaxRowsPerRowGroup(8192))
	buf := make([]T, 0, 1024)
	err = rows(func(r T) error {
		buf = append(buf, r)
		if len(buf) == cap(buf) {
			_, err := w.Write(buf)
			buf = buf[:0]
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := w.Write(buf); err != nil {
		return err
	}
	return w.Close()
}

// seriesFile: 200 series x 50,000 float64 (a random walk plus noise).
func seriesFile(b *testing.B) string {
	return benchFile(b, "series.parquet", func(path string) error {
		rng := rand.New(rand.NewPCG(1, 2))
		return writeRows(path, func(emit func(seriesRow) error) error {
			for s := 0; s < 200; s++ {
				id, x := fmt.Sprintf("series-%03d", s), 0.0
				for i := 0; i < 50_000; i++ {
					x += rng.NormFloat64()
					if err := emit(seriesRow{id, int32(i), x + 0.1*math.Sin(float64(i))}); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
}

// tokensFile: 256 sequences x 256 tokens x d = 384 float32.
func tokensFile(b *testing.B) string {
	return benchFile(b, "tokens.parquet", func(path string) error {
		rng := rand.New(rand.NewPCG(3, 4))
		return writeRows(path, func(emit func(tokenRow) error) error {
			for s := 0; s < 256; s++ {
				id := fmt.Sprintf("seq-%03d", s)
				for i := 0; i < 256; i++ {
					v := make([]float32, 384)
					for j := range v {
						v[j] = float32(rng.NormFloat64())
					}
					if err := emit(tokenRow{id, int32(i), v}); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
}

func benchProcess(b *testing.B, file string, spec *Spec) {
	b.Helper()
	st, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := spec.Process(context.Background(), pipeline.Unit{Input: file}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSmoothFile(b *testing.B) {
	for _, sigma := range []float64{3, 50} {
		b.Run(fmt.Sprintf("sigma=%g", sigma), func(b *testing.B) {
			s, err := attention.NewSmoother(attention.SmoothParams{Sigma: sigma, Truncate: 4, Radius: -1})
			if err != nil {
				b.Fatal(err)
			}
			spec := &Spec{
				Schema:  schemas.Options{DefaultColumns: []string{"value"}},
				Bind:    func(schemas.Detected, int) (Computer, error) { return smoothComputer{s}, nil },
				Writer:  parquetio.WriterOptions{Compression: "zstd"},
				Workers: 2, Budget: pipeline.NewBudget(1 << 30),
			}
			benchProcess(b, seriesFile(b), spec)
		})
	}
}

func BenchmarkAttendFile(b *testing.B) {
	m, err := attention.NewMHA(attention.RandomWeights(384, 1), attention.MHAParams{Heads: 6, Window: -1})
	if err != nil {
		b.Fatal(err)
	}
	spec := &Spec{
		Schema:  schemas.Options{DefaultColumns: []string{"embedding"}},
		Bind:    func(schemas.Detected, int) (Computer, error) { return mhaComputer{m}, nil },
		Writer:  parquetio.WriterOptions{Compression: "zstd"},
		Workers: 2, Budget: pipeline.NewBudget(1 << 30),
	}
	benchProcess(b, tokensFile(b), spec)
}

// BenchmarkCopyFile is the I/O floor: read and write the attend file with
// an identity computation.
func BenchmarkCopyFile(b *testing.B) {
	spec := &Spec{
		Schema:  schemas.Options{DefaultColumns: []string{"embedding"}},
		Bind:    func(schemas.Detected, int) (Computer, error) { return copyComputer{}, nil },
		Writer:  parquetio.WriterOptions{Compression: "zstd"},
		Workers: 2, Budget: pipeline.NewBudget(1 << 30),
	}
	benchProcess(b, tokensFile(b), spec)
}

type smoothComputer struct{ s *attention.Smoother }

func (c smoothComputer) Compute32(dst, src []float32, n, d int, _ []int64) {
	c.s.Smooth32(dst, src, n, d)
}
func (c smoothComputer) Compute64(dst, src []float64, n, d int, _ []int64) {
	c.s.Smooth64(dst, src, n, d)
}

type mhaComputer struct{ m *attention.MHA }

func (c mhaComputer) Compute32(dst, src []float32, n, d int, _ []int64) { c.m.Forward32(dst, src, n) }
func (c mhaComputer) Compute64(dst, src []float64, n, d int, _ []int64) { c.m.Forward64(dst, src, n) }

type copyComputer struct{}

func (copyComputer) Compute32(dst, src []float32, n, d int, _ []int64) { copy(dst, src) }
func (copyComputer) Compute64(dst, src []float64, n, d int, _ []int64) { copy(dst, src) }

// BenchmarkScanContiguous is what checking that a file's sequences are
// contiguous costs before it streams: reading its id column alone.
func BenchmarkScanContiguous(b *testing.B) {
	f, err := parquetio.Open(seriesFile(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	c, _ := f.Column("series_id")
	b.ResetTimer()
	for range b.N {
		ok, _, err := scanContiguous(f, c, 2)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

package main

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/contextualize/contextualize/io/parquetio"
)

const streamsLog = "a long sequence streams"

// duckDBLongSeries has DuckDB (scripts/interop, npm ci) write rows rows in
// series long series with its default row groups (122,880 rows): a value
// column with a NaN every nanEvery rows (d = 1), or FLOAT[d] embeddings.
func duckDBLongSeries(t *testing.T, rows, d, series, nanEvery int) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join("..", "..", "scripts", "interop", "node_modules", "@duckdb", "node-api")); err != nil {
		t.Fatalf("DuckDB for Node is not installed: run (cd scripts/interop && npm ci) first (%v)", err)
	}
	path := filepath.Join(t.TempDir(), "duckdb_long_series.parquet")
	cmd := exec.Command("node", filepath.Join("..", "..", "scripts", "interop", "long_series.mjs"), path,
		strconv.Itoa(rows), strconv.Itoa(d), strconv.Itoa(series), strconv.Itoa(nanEvery))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("writing the input with DuckDB: %v: %s", err, msg)
	}
	return path
}

type longSeriesRow struct {
	SeriesID string  `parquet:"series_id"`
	Position int64   `parquet:"position"`
	Value    float64 `parquet:"value"`
}

// goLongSeries writes series of rows in all with parquet-go in row groups
// of rgRows rows, positions ascending with gaps and repeats (or, with
// swap, two rows of the last series swapped), NaNs inside.
func goLongSeries(t *testing.T, rows, series, rgRows int, swap bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "go_long_series.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewGenericWriter[longSeriesRow](f, parquet.MaxRowsPerRowGroup(int64(rgRows)), parquet.Compression(&parquet.Snappy))
	rng := rand.New(rand.NewPCG(5, 6))
	per := (rows + series - 1) / series
	buf := make([]longSeriesRow, 0, 4096)
	pos := int64(0)
	for i := range rows {
		if i%per == 0 {
			pos = 0
		}
		pos += int64(rng.IntN(3)) // 0: a repeated position
		v := math.Sin(0.013*float64(i))*10 + rng.NormFloat64()
		if rng.IntN(101) == 0 {
			v = math.NaN()
		}
		p := pos
		if swap && i == rows-per/2 {
			p = pos + 1000 // the next row's position is lower
		}
		buf = append(buf, longSeriesRow{"s" + strconv.Itoa(i/per), p, v})
		if len(buf) == cap(buf) || i == rows-1 {
			if _, err := w.Write(buf); err != nil {
				t.Fatal(err)
			}
			buf = buf[:0]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// valueBits reads the value column of a file as bits, row by row.
func valueBits(t *testing.T, path, column string) []uint64 {
	t.Helper()
	f, err := parquetio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var bits []uint64
	for rg := range f.NumRowGroups() {
		c, err := f.ReadValues(rg, parquetio.ReadSpec{Column: column}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Values.F32 != nil {
			for _, v := range c.Values.F32 {
				bits = append(bits, uint64(math.Float32bits(v)))
			}
			continue
		}
		for _, v := range c.Values.F64 {
			bits = append(bits, math.Float64bits(v))
		}
	}
	return bits
}

// runOne runs the binary on in and returns the output file and stderr.
func runOne(t *testing.T, in string, args ...string) (string, string) {
	t.Helper()
	out := t.TempDir()
	args = append(args, "--progress", "never", "--log-level", "debug", "-o", out, in)
	r := runCLI(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
	}
	files := outputs(t, out)
	if len(files) != 1 {
		t.Fatalf("%d outputs", len(files))
	}
	return files[0], r.stderr
}

// TestLongSequencesStreamAsGathered: series longer than --memory-limit
// allows to gather, spanning many segments and row groups of files DuckDB
// and parquet-go write, stream (the debug log says so) and give the values
// that gathering them whole gives (no limit: they are gathered), bit for
// bit, for every mode but wrap, orders 0 and 2, NaN interpolate,
// --bandwidth and windowed attention. Mode wrap and attention without a
// window are gathered under the limit too, with a warning for the former.
func TestLongSequencesStreamAsGathered(t *testing.T) {
	if testing.Short() {
		t.Skip("writes inputs of a few million values")
	}
	duck := duckDBLongSeries(t, 900_000, 1, 3, 97)
	goFile := goLongSeries(t, 700_000, 2, 5_000, false)
	unsorted := goLongSeries(t, 700_000, 2, 5_000, true)
	vecs := duckDBLongSeries(t, 300_000, 8, 2, 0)
	wide := duckDBLongSeries(t, 40_000, 32, 2, 0) // 640 Ki floats a series: attention without a window is n²
	limit := []string{"--memory-limit", "8MiB", "--workers", "2"}
	cases := []struct {
		name, in, column string
		args             []string
		streams          bool
		warn             string
	}{
		{"reflect", duck, "value", []string{"smooth", "--sigma", "5"}, true, ""},
		{"constant order 2", duck, "value", []string{"smooth", "--sigma", "3", "--mode", "constant", "--cval", "0.5", "--order", "2"}, true, ""},
		{"nearest interpolate", duck, "value", []string{"smooth", "--sigma", "4", "--mode", "nearest", "--nan", "interpolate"}, true, ""},
		{"mirror", goFile, "value", []string{"smooth", "--sigma", "7", "--mode", "mirror"}, true, ""},
		{"bandwidth", goFile, "value", []string{"smooth", "--bandwidth", "3"}, true, ""},
		{"bandwidth duckdb", duck, "value", []string{"smooth", "--bandwidth", "2.5", "--nan", "interpolate"}, true, ""},
		{"unsorted", unsorted, "value", []string{"smooth", "--sigma", "5"}, true, "its order column is not ascending"},
		{"wrap", duck, "value", []string{"smooth", "--sigma", "5", "--mode", "wrap"}, false, "mode wrap needs the end"},
		{"attend window", vecs, "embedding", []string{"attend", "--weights", "random", "--seed", "3", "--heads", "2", "--window", "24"}, true, ""},
		{"attend causal window", vecs, "embedding", []string{"attend", "--weights", "random", "--seed", "3", "--heads", "4", "--window", "5", "--causal"}, true, ""},
		{"attend no window", wide, "embedding", []string{"attend", "--weights", "random", "--seed", "3", "--heads", "2"}, false, "without --window"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			wantFile, log := runOne(t, tc.in, tc.args...)
			if strings.Contains(log, streamsLog) {
				t.Fatalf("streams without a memory limit: %s", log)
			}
			gotFile, log := runOne(t, tc.in, append(slices.Clone(tc.args), limit...)...)
			if streamed := strings.Contains(log, streamsLog); streamed != tc.streams {
				t.Fatalf("streamed %v, want %v: %s", streamed, tc.streams, log)
			}
			if tc.warn != "" && !strings.Contains(log, tc.warn) {
				t.Fatalf("no warning %q: %s", tc.warn, log)
			}
			want, got := valueBits(t, wantFile, tc.column), valueBits(t, gotFile, tc.column)
			if len(got) != len(want) {
				t.Fatalf("%d values, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("value %d: %#x, gathered %#x", i, got[i], want[i])
				}
			}
		})
	}
}

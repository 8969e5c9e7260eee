package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// writeSeries writes series x points rows, interleaved (ordered by
// position, then series; within a time step the series come in a shuffled
// order) or contiguous (by series, then position; positions shuffled
// within each series when shuffle is set, to exercise the sort).
func writeSeries(t *testing.T, path string, series, points int, interleaved bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	vals := make([][]float64, series)
	for s := range vals {
		x := 0.0
		for range points {
			x += rng.NormFloat64()
			vals[s] = append(vals[s], x)
		}
	}
	err := writeRows(path, func(emit func(seriesRow) error) error {
		if !interleaved {
			for s := range series {
				for i := range points {
					if err := emit(seriesRow{fmt.Sprintf("s%03d", s), int32(i), vals[s][i]}); err != nil {
						return err
					}
				}
			}
			return nil
		}
		perm := rng.Perm(series)
		for i := range points {
			if i%7 == 0 {
				perm = rng.Perm(series)
			}
			for _, s := range perm {
				if err := emit(seriesRow{fmt.Sprintf("s%03d", s), int32(i), vals[s][i]}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// smoothSpec smooths the value column with sigma 5 under budget bytes.
func smoothSpec(t *testing.T, budget int64, dir string) *Spec {
	s, err := attention.NewSmoother(attention.SmoothParams{Sigma: 5, Truncate: 4, Radius: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &Spec{
		Schema:  schemas.Options{DefaultColumns: []string{"value"}},
		Bind:    func(schemas.Detected, int) (Computer, error) { return smoothComputer{s}, nil },
		Writer:  parquetio.WriterOptions{Compression: "zstd"},
		Workers: 2, Budget: pipeline.NewBudget(budget), TempDir: dir,
	}
}

// outputByKey runs spec over file and returns each row's output bits by
// (series, position), checking that ids and positions pass through.
func outputByKey(t *testing.T, spec *Spec, file string) map[string]uint64 {
	t.Helper()
	var buf bytes.Buffer
	if _, err := spec.Process(context.Background(), pipeline.Unit{Input: file}, &buf); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.parquet")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	in, got := readLong(t, file, "value", "series_id", "position"), readLong(t, out, "value", "series_id", "position")
	if !slices.Equal(in.ids, got.ids) || !slices.Equal(in.order, got.order) {
		t.Fatalf("%s: the id and position columns changed", file)
	}
	m := map[string]uint64{}
	for i := range got.vals {
		m[fmt.Sprintf("%s/%d", got.ids[i], got.order[i])] = math.Float64bits(got.vals[i][0])
	}
	return m
}

// TestInterleavedMatchesContiguous: the rows of an interleaved file give,
// row for row, the bits the same rows stored contiguous give, grouped in
// memory and through temp disk.
func TestInterleavedMatchesContiguous(t *testing.T) {
	dir := t.TempDir()
	inter, contig := filepath.Join(dir, "inter.parquet"), filepath.Join(dir, "contig.parquet")
	writeSeries(t, inter, 37, 3000, true)
	writeSeries(t, contig, 37, 3000, false)
	want := outputByKey(t, smoothSpec(t, 64<<20, ""), contig)
	for _, tc := range []struct {
		name   string
		budget int64
	}{{"memory", 64 << 20}, {"spill", 256 << 10}, {"unlimited", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			got := outputByKey(t, smoothSpec(t, tc.budget, tmp), inter)
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("row %s: %x, want %x", k, got[k], v)
				}
			}
			left, _ := os.ReadDir(tmp)
			if len(left) != 0 {
				t.Fatalf("spill files left in the temp dir: %v", left)
			}
		})
	}
}

// TestSpillWriteFault: a temp dir that cannot take the spill fails the
// file as an I/O error (exit 1), not as bad input.
func TestSpillWriteFault(t *testing.T) {
	dir := t.TempDir()
	inter := filepath.Join(dir, "inter.parquet")
	writeSeries(t, inter, 20, 2000, true)
	ro := filepath.Join(dir, "missing")
	spec := smoothSpec(t, 64<<10, ro)
	var buf bytes.Buffer
	_, err := spec.Process(context.Background(), pipeline.Unit{Input: inter}, &buf)
	if err == nil {
		t.Fatal("no error spilling to a missing directory")
	}
	if c := pipeline.Classify(err); c != pipeline.ClassIO {
		t.Fatalf("class %v, want I/O: %v", c, err)
	}
}

// TestCollectInterleaved: Collect (the plot command's path) sees each
// wanted sequence of an interleaved file, in time order, with the results
// the same rows stored contiguous give.
func TestCollectInterleaved(t *testing.T) {
	dir := t.TempDir()
	inter, contig := filepath.Join(dir, "inter.parquet"), filepath.Join(dir, "contig.parquet")
	writeSeries(t, inter, 9, 500, true)
	writeSeries(t, contig, 9, 500, false)
	only := func(key string, _ int) bool { return key != "s003" }
	collect := func(spec *Spec, file string) map[string][]float64 {
		got := map[string][]float64{}
		_, err := spec.Collect(context.Background(), file, only, func(r Result) (bool, error) {
			if !slices.IsSorted(r.Order) {
				t.Errorf("%s: order values not sorted", r.Key)
			}
			got[r.Key] = r.Out
			return true, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := collect(smoothSpec(t, 64<<20, ""), contig)
	if len(want) != 8 {
		t.Fatalf("%d sequences collected from the contiguous file, want 8", len(want))
	}
	for _, budget := range []int64{64 << 20, 16 << 10} {
		got := collect(smoothSpec(t, budget, t.TempDir()), inter)
		if len(got) != len(want) {
			t.Fatalf("budget %d: %d sequences, want %d", budget, len(got), len(want))
		}
		for k, w := range want {
			if !slices.Equal(got[k], w) {
				t.Fatalf("budget %d: sequence %s differs", budget, k)
			}
		}
	}
}

// TestGroupingWithHeldBudget: bytes held for the whole run (attention
// weights take theirs when the first row group binds the computer) must
// not make the grouping wait forever for the whole budget.
func TestGroupingWithHeldBudget(t *testing.T) {
	inter := filepath.Join(t.TempDir(), "inter.parquet")
	writeSeries(t, inter, 12, 2000, true)
	for _, budget := range []int64{4 << 20, 256 << 10} { // in memory, spilled
		spec := smoothSpec(t, budget, t.TempDir())
		bind := spec.Bind
		spec.Bind = func(det schemas.Detected, d int) (Computer, error) {
			spec.Budget.TryAcquire(budget / 4) // held for the run, as attend's weights are
			return bind(det, d)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var buf bytes.Buffer
		_, err := spec.Process(ctx, pipeline.Unit{Input: inter}, &buf)
		cancel()
		if err != nil {
			t.Fatalf("budget %d: %v", budget, err)
		}
	}
}

// TestSpillTurn: one file spills at a time; a file waiting for its turn
// gives up when its run is canceled, and gets the turn once it is given
// back.
func TestSpillTurn(t *testing.T) {
	release, err := spillTurn(context.Background(), "a.parquet")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := spillTurn(ctx, "b.parquet"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v while another file spills, want the run's context error", err)
	}
	release()
	again, err := spillTurn(context.Background(), "b.parquet")
	if err != nil {
		t.Fatal(err)
	}
	again()
}

// TestInterleavedWholeRowGroupWarns: the grouped path reads a row group
// whole, values and keys; one larger than the budget is named in a
// warning (once), and none is given when it fits.
func TestInterleavedWholeRowGroupWarns(t *testing.T) {
	dir := t.TempDir()
	inter := filepath.Join(dir, "inter.parquet")
	writeSeries(t, inter, 20, 2000, true) // 40,000 rows: 1.6 MB of values and keys
	for _, tc := range []struct {
		budget int64
		warns  int
	}{{256 << 10, 1}, {64 << 20, 0}} {
		var log bytes.Buffer
		old := slog.Default()
		slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
		var buf bytes.Buffer
		_, err := smoothSpec(t, tc.budget, t.TempDir()).Process(context.Background(), pipeline.Unit{Input: inter}, &buf)
		slog.SetDefault(old)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(log.String(), "row group is larger than --memory-limit: it is read whole"); n != tc.warns {
			t.Fatalf("budget %d: %d warnings, want %d: %s", tc.budget, n, tc.warns, log.String())
		}
	}
}

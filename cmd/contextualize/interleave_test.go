package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/contextualize/contextualize/io/parquetio"
)

const interleaveDir = "../../testdata/interleave"

// keyedRows is a long file's rows: id text, order value and value bits.
type keyedRows struct {
	ids   []string
	order []int64
	vals  [][]uint64
}

func readKeyed(t *testing.T, path, value, seq, order string) keyedRows {
	t.Helper()
	f, err := parquetio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var k keyedRows
	for rg := range f.NumRowGroups() {
		c, err := f.ReadValues(rg, parquetio.ReadSpec{Column: value}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for r := range c.Rows {
			v := make([]uint64, c.D)
			for j := range v {
				if c.Values.F32 != nil {
					v[j] = uint64(math.Float32bits(c.Values.F32[r*c.D+j]))
				} else {
					v[j] = math.Float64bits(c.Values.F64[r*c.D+j])
				}
			}
			k.vals = append(k.vals, v)
		}
		k.ids = append(k.ids, readStrings(t, f, rg, seq)...)
		k.order = append(k.order, readInts(t, f, rg, order)...)
	}
	return k
}

// byKey maps "id/order" to the row's value bits.
func (k keyedRows) byKey() map[string][]uint64 {
	m := make(map[string][]uint64, len(k.ids))
	for i := range k.ids {
		m[fmt.Sprintf("%s/%d", k.ids[i], k.order[i])] = k.vals[i]
	}
	return m
}

// outputs lists the .parquet files under dir.
func outputs(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for _, rel := range visibleFiles(t, dir) {
		if strings.HasSuffix(rel, ".parquet") {
			files = append(files, filepath.Join(dir, rel))
		}
	}
	slices.Sort(files)
	return files
}

// TestInterleavedMatchesGrouped runs smooth and attend on tables stored
// in time order (DuckDB, DuckDB PARTITION_BY output, polars), in memory
// and spilled, and on the same rows stored grouped: every row's output
// must be the same bits, and every other column must pass through in
// input row order.
func TestInterleavedMatchesGrouped(t *testing.T) {
	duck := func(name string) string { return filepath.Join(interleaveDir, name) }
	tests := []struct {
		name, input, grouped, value, seq, order string
		args                                    []string
	}{
		{"duckdb smooth", duck("duckdb_time_ordered.parquet"), duck("duckdb_grouped.parquet"), "value", "series_id", "timestamp",
			[]string{"smooth", "--sigma", "3"}},
		{"duckdb smooth spilled", duck("duckdb_time_ordered_small_rg.parquet"), duck("duckdb_grouped.parquet"), "value", "series_id", "timestamp",
			[]string{"smooth", "--sigma", "3", "--memory-limit", "64KiB"}},
		{"duckdb bandwidth spilled", duck("duckdb_time_ordered_small_rg.parquet"), duck("duckdb_grouped.parquet"), "value", "series_id", "timestamp",
			[]string{"smooth", "--bandwidth", "5m", "--nan", "interpolate", "--memory-limit", "64KiB"}},
		{"duckdb partition_by", duck("duckdb_partitioned"), duck("duckdb_grouped.parquet"), "value", "series_id", "timestamp",
			[]string{"smooth", "--sigma", "2", "--mode", "wrap"}},
		{"polars attend", duck("polars_step_ordered.parquet"), duck("polars_grouped.parquet"), "embedding", "sequence_id", "position",
			[]string{"attend", "--weights", "random", "--seed", "3", "--heads", "2"}},
		{"polars attend spilled causal", duck("polars_step_ordered.parquet"), duck("polars_grouped.parquet"), "embedding", "sequence_id", "position",
			[]string{"attend", "--weights", "random", "--seed", "5", "--heads", "4", "--causal", "--memory-limit", "40KiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp, out, ref := t.TempDir(), t.TempDir(), t.TempDir()
			args := append(slices.Clone(tt.args), "--temp-dir", tmp, "-o", out, tt.input)
			if r := runCLI(t, nil, args...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if r := runCLI(t, nil, append(slices.Clone(tt.args), "-o", ref, tt.grouped)...); r.code != 0 {
				t.Fatalf("grouped: exit %d: %s", r.code, r.stderr)
			}
			want := readKeyed(t, filepath.Join(ref, filepath.Base(tt.grouped)), tt.value, tt.seq, tt.order).byKey()
			inputs := []string{tt.input}
			if st, err := os.Stat(tt.input); err == nil && st.IsDir() {
				inputs = outputs(t, tt.input)
			}
			got := outputs(t, out)
			if len(got) != len(inputs) {
				t.Fatalf("%d outputs for %d inputs", len(got), len(inputs))
			}
			rows := 0
			for i, o := range got {
				in := readKeyed(t, inputs[i], tt.value, tt.seq, tt.order)
				res := readKeyed(t, o, tt.value, tt.seq, tt.order)
				if !slices.Equal(in.ids, res.ids) || !slices.Equal(in.order, res.order) {
					t.Fatalf("%s: the key columns are not passed through in input order", o)
				}
				changed := 0
				for r := range res.ids {
					w, ok := want[fmt.Sprintf("%s/%d", res.ids[r], res.order[r])]
					if !ok || !slices.Equal(w, res.vals[r]) {
						t.Fatalf("%s row %d (%s at %d): %x, grouped gives %x", o, r, res.ids[r], res.order[r], res.vals[r], w)
					}
					if !slices.Equal(w, in.vals[r]) {
						changed++
					}
				}
				if changed == 0 {
					t.Fatalf("%s: no value changed", o)
				}
				rows += len(res.ids)
			}
			if rows != len(want) {
				t.Fatalf("%d rows, the grouped file has %d", rows, len(want))
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Fatalf("spill files left: %v", left)
			}
		})
	}
}

// seriesRow is a row of a time-ordered series table.
type seriesRow struct {
	SeriesID string  `parquet:"series_id"`
	Position int64   `parquet:"position"`
	Value    float64 `parquet:"value"`
}

// writeInterleaved writes series x points random walks, ordered by
// position (time) then series, in row groups of DuckDB's default size.
func writeInterleaved(t testing.TB, path string, series, points int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewGenericWriter[seriesRow](f, parquet.MaxRowsPerRowGroup(122_880), parquet.Compression(&parquet.Snappy))
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float64, series)
	rows := make([]seriesRow, 0, series)
	for p := range points {
		rows = rows[:0]
		for s := range series {
			x[s] += rng.NormFloat64()
			rows = append(rows, seriesRow{fmt.Sprintf("series-%03d", s), int64(p), x[s]})
		}
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestInterleavedSpillBounds runs 200 series x 20,000 float64 points
// stored in time order under --memory-limit 64MiB: the run spills, peaks
// below 128 MiB RSS, and leaves no spill file; a run SIGKILLed or
// interrupted while spilling leaves no spill file and no visible output
// (SIGINT: exit 130); a spill that cannot be written (the file size limit
// of the process) fails as an I/O error (exit 1) with nothing visible.
func TestInterleavedSpillBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 4M-row input")
	}
	in := filepath.Join(t.TempDir(), "series.parquet")
	writeInterleaved(t, in, 200, 20_000)
	args := func(tmp, out string) []string {
		return []string{"smooth", "--sigma", "3", "--memory-limit", "64MiB", "--workers", "2", "--temp-dir", tmp, "-o", out, in}
	}
	noSpill := func(t *testing.T, tmp string) {
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Fatalf("spill files left: %v", left)
		}
	}
	noOutput := func(t *testing.T, out string) {
		for _, rel := range visibleFiles(t, out) {
			if !isTempName(rel) {
				t.Fatalf("visible output after a failed run: %s", rel)
			}
		}
	}

	t.Run("peak RSS", func(t *testing.T) {
		tmp, out := t.TempDir(), t.TempDir()
		stderr, rss, err := runMeasured(t, nil, args(tmp, out)...)
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		t.Logf("peak RSS %d MiB", rss>>20)
		// Issue 12 asks for < 128 MiB (the limit + 64 MiB), binary
		// included: its resident pages are ~48 MiB of it on Linux 6.x.
		if rss >= 128<<20 {
			t.Fatalf("peak RSS %d MiB, want < 128 MiB (--memory-limit 64MiB + 64 MiB)", rss>>20)
		}
		if !strings.Contains(string(stderr), "temp_bytes_peak") {
			t.Fatalf("the run did not spill (or did not report it): %s", stderr)
		}
		noSpill(t, tmp)
		if n := len(outputs(t, out)); n != 1 {
			t.Fatalf("%d outputs", n)
		}
	})

	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp, out := t.TempDir(), t.TempDir()
			cmd, stderr := startCLI(t, args(tmp, out)...)
			deadline := time.Now().Add(60 * time.Second)
			for !strings.Contains(stderr.String(), "through temp disk") {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no spill reported: %s", stderr)
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond) // well into the spill
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("the run finished before the signal (%v): %s", err, stderr)
			}
			if sig == syscall.SIGINT && ee.ExitCode() != 130 {
				t.Fatalf("exit %d after SIGINT, want 130: %s", ee.ExitCode(), stderr)
			}
			noSpill(t, tmp)
			noOutput(t, out)
		})
	}

	t.Run("write fault", func(t *testing.T) {
		tmp, out := t.TempDir(), t.TempDir()
		// 4 MiB per file: the spill partitions (8 MB each) hit it first.
		sh := "ulimit -f 4096 && exec \"$0\" \"$@\""
		cmd := exec.Command("/bin/sh", append([]string{"-c", sh, binary}, args(tmp, out)...)...)
		cmd.Env = cleanEnv()
		b, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("want exit 1, got %v: %s", err, b)
		}
		if !strings.Contains(string(b), "spill file") {
			t.Fatalf("the error does not name the spill: %s", b)
		}
		noSpill(t, tmp)
		noOutput(t, out)
	})
}

// TestPlanReportsSpills: plan says which inputs are interleaved and,
// when grouping them exceeds --memory-limit, about how much temp disk a
// run will use.
func TestPlanReportsSpills(t *testing.T) {
	inter, grouped := filepath.Join(interleaveDir, "duckdb_time_ordered.parquet"), filepath.Join(interleaveDir, "duckdb_grouped.parquet")
	for _, tc := range []struct {
		limit string
		spill bool
	}{{"64KiB", true}, {"1GiB", false}} {
		r := runCLI(t, nil, "plan", "smooth", "--json", "--sigma", "2", "--memory-limit", tc.limit, "-o", t.TempDir(), inter, grouped)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var entries []struct {
			Input      string `json:"input"`
			Sequences  string `json:"sequences"`
			SpillBytes int64  `json:"spill_bytes"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			switch {
			case e.Input == grouped && (e.Sequences != "" || e.SpillBytes != 0):
				t.Errorf("%s: the grouped file reported as %q, spill %d", tc.limit, e.Sequences, e.SpillBytes)
			case e.Input == inter && e.Sequences != "interleaved":
				t.Errorf("%s: the time-ordered file reported as %q", tc.limit, e.Sequences)
			case e.Input == inter && tc.spill != (e.SpillBytes > 7200*33):
				t.Errorf("%s: spill bytes %d", tc.limit, e.SpillBytes)
			}
		}
		if tc.spill && !strings.Contains(r.stderr, "through temp disk") {
			t.Errorf("%s: no spill in the log: %s", tc.limit, r.stderr)
		}
	}
}

// TestInterleavedFloat16: a float16 file whose sequences interleave (the
// arrow-go series file grouped by position, so every id repeats) gives
// the same float16 output grouped in memory and spilled.
func TestInterleavedFloat16(t *testing.T) {
	in := filepath.Join("..", "..", "testdata", "interop", "arrowgo_series_f16.parquet")
	var outs []string
	for _, limit := range []string{"1GiB", "1KiB"} {
		out := t.TempDir()
		r := runCLI(t, nil, "smooth", "--sigma", "0.5", "--workers", "1", "--sequence-column", "position", "--order-column", "position",
			"--memory-limit", limit, "--temp-dir", t.TempDir(), "-o", out, in)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", limit, r.code, r.stderr)
		}
		if want := map[string]string{"1GiB": "in memory", "1KiB": "through temp disk"}[limit]; !strings.Contains(r.stderr, want) {
			t.Fatalf("%s: not grouped %s: %s", limit, want, r.stderr)
		}
		o := filepath.Join(out, filepath.Base(in))
		assertValueType(t, o, "value", parquetio.Float16)
		outs = append(outs, o)
	}
	a, b := readKeyed(t, outs[0], "value", "series_id", "position"), readKeyed(t, outs[1], "value", "series_id", "position")
	if !slices.EqualFunc(a.vals, b.vals, slices.Equal) {
		t.Fatal("in memory and spilled outputs differ")
	}
}

// TestInterleavedMatchesScipy compares each series of the time-ordered
// DuckDB file, in time order, with scipy's gaussian_filter1d
// (scripts/interleave/scipy_reference.py), grouped in memory and spilled,
// within the tolerance of attention's scipy parity (4 eps x max|x|).
func TestInterleavedMatchesScipy(t *testing.T) {
	var ref struct {
		Cases []struct {
			Name   string              `json:"name"`
			Sigma  float64             `json:"sigma"`
			Mode   string              `json:"mode"`
			Series map[string][]string `json:"series"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(mustRead(t, filepath.Join(interleaveDir, "scipy_reference.json")), &ref); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(interleaveDir, "duckdb_time_ordered_small_rg.parquet")
	for _, c := range ref.Cases {
		for _, limit := range []string{"1GiB", "64KiB"} {
			t.Run(c.Name+" "+limit, func(t *testing.T) {
				out := t.TempDir()
				r := runCLI(t, nil, "smooth", "--sigma", fmt.Sprint(c.Sigma), "--mode", c.Mode,
					"--memory-limit", limit, "--temp-dir", t.TempDir(), "-o", out, in)
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				got := readKeyed(t, filepath.Join(out, filepath.Base(in)), "value", "series_id", "timestamp")
				type point struct {
					t int64
					v float64
				}
				bySeries := map[string][]point{}
				for i, id := range got.ids {
					bySeries[id] = append(bySeries[id], point{got.order[i], math.Float64frombits(got.vals[i][0])})
				}
				if len(bySeries) != len(c.Series) {
					t.Fatalf("%d series, scipy has %d", len(bySeries), len(c.Series))
				}
				for id, want := range c.Series {
					pts := bySeries[id]
					slices.SortFunc(pts, func(a, b point) int { return int(a.t - b.t) })
					if len(pts) != len(want) {
						t.Fatalf("%s: %d rows, scipy has %d", id, len(pts), len(want))
					}
					w := make([]float64, len(want))
					scale := 0.0
					for i, h := range want {
						var err error
						if w[i], err = strconv.ParseFloat(h, 64); err != nil {
							t.Fatalf("%s: %q: %v", id, h, err)
						}
						scale = max(scale, math.Abs(w[i]))
					}
					tol := 4 * 0x1p-52 * scale
					for i, p := range pts {
						if d := math.Abs(p.v - w[i]); !(d <= tol) {
							t.Fatalf("%s[%d]: %v, scipy %v (|diff| %.3g > %.3g)", id, i, p.v, w[i], d, tol)
						}
					}
				}
			})
		}
	}
}

// TestInterleavedMatchesTorch compares each sequence of the polars file
// stored step by step with torch's nn.MultiheadAttention (identity
// projections, 2 heads: scripts/interleave/torch_reference.py), grouped
// in memory and spilled, within attention's float32 torch parity (1e-4
// relative to the sequence's largest output).
func TestInterleavedMatchesTorch(t *testing.T) {
	var ref struct {
		Sequences map[string][]string `json:"sequences"`
	}
	if err := json.Unmarshal(mustRead(t, filepath.Join(interleaveDir, "torch_reference.json")), &ref); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(interleaveDir, "polars_step_ordered.parquet")
	for _, limit := range []string{"1GiB", "40KiB"} {
		out := t.TempDir()
		r := runCLI(t, nil, "attend", "--weights", "identity", "--heads", "2",
			"--memory-limit", limit, "--temp-dir", t.TempDir(), "-o", out, in)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", limit, r.code, r.stderr)
		}
		got := readKeyed(t, filepath.Join(out, filepath.Base(in)), "embedding", "sequence_id", "position")
		type row struct {
			pos  int64
			vals []uint64
		}
		bySeq := map[string][]row{}
		for i, id := range got.ids {
			bySeq[id] = append(bySeq[id], row{got.order[i], got.vals[i]})
		}
		if len(bySeq) != len(ref.Sequences) {
			t.Fatalf("%s: %d sequences, torch has %d", limit, len(bySeq), len(ref.Sequences))
		}
		for id, want := range ref.Sequences {
			rows := bySeq[id]
			slices.SortFunc(rows, func(a, b row) int { return int(a.pos - b.pos) })
			var g []float64
			for _, r := range rows {
				for _, b := range r.vals {
					g = append(g, float64(math.Float32frombits(uint32(b))))
				}
			}
			if len(g) != len(want) {
				t.Fatalf("%s %s: %d values, torch has %d", limit, id, len(g), len(want))
			}
			worst, scale := 0.0, 0.0
			for i, h := range want {
				w, err := strconv.ParseFloat(h, 64)
				if err != nil {
					t.Fatal(err)
				}
				worst, scale = max(worst, math.Abs(g[i]-w)), max(scale, math.Abs(w))
			}
			if worst > 1e-4*scale {
				t.Fatalf("%s %s: max |diff| %.3g > 1e-4 x %.3g", limit, id, worst, scale)
			}
		}
	}
}

// TestInterleavedTwoFilesPeakRSS groups two interleaved files of 200
// series x 20,000 float64 points at once (--workers 2) under
// --memory-limit 64MiB: both spill, and the process shares one bound,
// < 128 MiB (the limit + 64 MiB), binary included. Each file took its
// spill's buffers and its row groups' ids outside the budget, and the
// second one, finding the budget taken, went on with none: 137 MiB.
func TestInterleavedTwoFilesPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two 4M-row inputs")
	}
	dir := t.TempDir()
	writeInterleaved(t, filepath.Join(dir, "a.parquet"), 200, 20_000)
	b, err := os.ReadFile(filepath.Join(dir, "a.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.parquet"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	tmp, out := t.TempDir(), t.TempDir()
	stderr, rss, err := runMeasured(t, nil, "smooth", "--sigma", "3", "--memory-limit", "64MiB", "--workers", "2",
		"--progress", "never", "--temp-dir", tmp, "-o", out, dir)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	t.Logf("peak RSS %d MiB", rss>>20)
	if n := len(outputs(t, out)); n != 2 {
		t.Fatalf("%d outputs, want 2", n)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("spill files left: %v", left)
	}
	if rss >= 128<<20 {
		t.Fatalf("peak RSS %d MiB, want < 128 MiB (--memory-limit 64MiB + 64 MiB)", rss>>20)
	}
}

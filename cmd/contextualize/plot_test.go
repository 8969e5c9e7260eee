package main

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/picture"
	"github.com/parquet-go/parquet-go"
	"github.com/urfave/cli/v3"
	"gonum.org/v1/plot/plotter"
)

// buildInProcess parses args with the real plot flags and returns the
// plot built from them (figures and the values handed to gonum), without
// writing it.
func buildInProcess(t *testing.T, sub string, args ...string) *plotBuild {
	t.Helper()
	cmd := plotCommand()
	var got *plotBuild
	for _, s := range cmd.Commands {
		if s.Name == sub {
			s.Action = func(ctx context.Context, c *cli.Command) (err error) {
				if sub == "weights" {
					got, err = buildWeightsPlot(c)
				} else {
					got, err = buildPlot(ctx, c, sub)
				}
				return err
			}
		}
	}
	root := &cli.Command{Name: "contextualize", Commands: []*cli.Command{cmd}, ExitErrHandler: func(context.Context, *cli.Command, error) {}}
	if err := root.Run(context.Background(), append([]string{"contextualize", "plot", sub}, args...)); err != nil {
		t.Fatalf("plot %s %v: %v", sub, args, err)
	}
	return got
}

// longRows are a long file's rows: id, order value and vector.
type longRows struct {
	ids   []string
	order []int64
	vals  [][]float64
}

func readLongRows(t *testing.T, path, value, seq, order string) longRows {
	t.Helper()
	f, err := parquetio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r longRows
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		c, err := f.ReadValues(rg, parquetio.ReadSpec{Column: value}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < c.Rows; i++ {
			v := make([]float64, c.D)
			for j := range v {
				if c.Values.F32 != nil {
					v[j] = float64(c.Values.F32[i*c.D+j])
				} else {
					v[j] = c.Values.F64[i*c.D+j]
				}
			}
			r.vals = append(r.vals, v)
		}
		r.ids = append(r.ids, readStrings(t, f, rg, seq)...)
		r.order = append(r.order, readInts(t, f, rg, order)...)
	}
	return r
}

// sequence returns the rows of id, sorted by the order column.
func (r longRows) sequence(id string) []int {
	var rows []int
	for i, k := range r.ids {
		if k == id {
			rows = append(rows, i)
		}
	}
	slices.SortStableFunc(rows, func(a, b int) int { return int(r.order[a] - r.order[b]) })
	return rows
}

// points flattens the segments handed to gonum.
func points(segs []plotter.XYs) plotter.XYs {
	var out plotter.XYs
	for _, s := range segs {
		out = append(out, s...)
	}
	return out
}

// checkLine checks that a drawn line is exactly want's finite values, in
// order, at x(i), broken where want is missing.
func checkLine(t *testing.T, name string, segs []plotter.XYs, want []float64, x func(i int) float64) {
	t.Helper()
	got := points(segs)
	j, gaps := 0, 0
	for i, w := range want {
		if math.IsNaN(w) {
			if i > 0 && !math.IsNaN(want[i-1]) {
				gaps++
			}
			continue
		}
		if j >= len(got) {
			t.Fatalf("%s: %d points drawn, want more", name, len(got))
		}
		if got[j].Y != w || math.Abs(got[j].X-x(i)) > 1e-6 {
			t.Fatalf("%s: point %d = (%v, %v), want (%v, %v) from the run's output", name, j, got[j].X, got[j].Y, x(i), w)
		}
		j++
	}
	if j != len(got) {
		t.Fatalf("%s: %d points drawn, want %d", name, len(got), j)
	}
	if wantSegs := gaps + 1; math.IsNaN(want[len(want)-1]) && len(segs) != gaps || !math.IsNaN(want[len(want)-1]) && len(segs) != wantSegs {
		t.Errorf("%s: %d segments for %d gaps", name, len(segs), gaps)
	}
}

// TestPlotSmoothDrawsTheRunsOutput: the values plot smooth hands to gonum
// are the ones `smooth` writes for that sequence, raw and smoothed, at the
// sequence's timestamps, broken where values are missing.
func TestPlotSmoothDrawsTheRunsOutput(t *testing.T) {
	samples := sampleDir(t)
	for _, tt := range []struct {
		name, file, value, seq, order, id string
		flags, plotFlags                  []string
		channels                          []int
	}{
		{"regular", "sensors.parquet", "value", "series_id", "timestamp", "greenhouse/temp_c", []string{"--sigma", "3"}, nil, []int{0}},
		{"missing values", "sensors.parquet", "value", "series_id", "timestamp", "pump/power_w", []string{"--sigma", "2"}, nil, []int{0}},
		{"missing, interpolated", "sensors.parquet", "value", "series_id", "timestamp", "pump/power_w", []string{"--sigma", "2", "--nan", "interpolate"}, nil, []int{0}},
		{"irregular, bandwidth", "sensors.parquet", "value", "series_id", "timestamp", "pump/pressure_kpa", []string{"--bandwidth", "90s"}, nil, []int{0}},
		{"vectors", "tokens.parquet", "embedding", "sequence_id", "position", "doc-007", []string{"--sigma", "1.5"}, []string{"--channels", "0,5-6"}, []int{0, 5, 6}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in, out := filepath.Join(samples, tt.file), t.TempDir()
			if r := runCLI(t, nil, append(append([]string{"smooth"}, tt.flags...), "-o", out, in)...); r.code != 0 {
				t.Fatalf("smooth: exit %d: %s", r.code, r.stderr)
			}
			args := append(slices.Clone(tt.flags), tt.plotFlags...)
			b := buildInProcess(t, "smooth", append(args, "--sequence", tt.id, "-o", "x.png", in)...)
			src, res := readLongRows(t, in, tt.value, tt.seq, tt.order), readLongRows(t, filepath.Join(out, tt.file), tt.value, tt.seq, tt.order)
			rows := src.sequence(tt.id)
			if len(b.figures) != 1 || len(b.figures[0].Panels) != len(tt.channels) {
				t.Fatalf("%d figures, want 1 with %d panels", len(b.figures), len(tt.channels))
			}
			x := func(i int) float64 {
				if tt.order == "timestamp" {
					return float64(src.order[rows[i]]) / 1e6 // microseconds to seconds
				}
				return float64(src.order[rows[i]])
			}
			for p, ch := range tt.channels {
				raw, smoothed := make([]float64, len(rows)), make([]float64, len(rows))
				for i, row := range rows {
					raw[i], smoothed[i] = src.vals[row][ch], res.vals[row][ch]
				}
				panel := b.figures[0].Panels[p]
				checkLine(t, "raw", panel.Lines["raw"], raw, x)
				checkLine(t, "smoothed", panel.Lines["smoothed"], smoothed, x)
			}
		})
	}
}

type attnRow struct {
	Sequence string  `parquet:"sequence"`
	Head     int32   `parquet:"head"`
	Query    int32   `parquet:"query"`
	Key      int32   `parquet:"key"`
	Weight   float64 `parquet:"weight"`
}

// TestPlotAttendDrawsTheRunsWeights: the heatmaps plot attend hands to
// gonum hold exactly the weights `attend --attention-output` writes for
// that sequence, and its norms are those of the run's inputs and outputs;
// plot weights draws the same file alike, and pools it when asked.
func TestPlotAttendDrawsTheRunsWeights(t *testing.T) {
	samples := sampleDir(t)
	in, weights := filepath.Join(samples, "tokens.parquet"), filepath.Join(samples, "mha_d32_h4.safetensors")
	const id = "doc-003"
	for _, tt := range []struct {
		name  string
		flags []string
		heads []int
	}{
		{"per head, causal", []string{"--causal"}, []int{0, 1, 2, 3}},
		{"averaged, window", []string{"--average-heads", "--window", "5"}, []int{-1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, aw := t.TempDir(), t.TempDir()
			flags := append([]string{"--weights", weights, "--heads", "4"}, tt.flags...)
			if r := runCLI(t, nil, append(append([]string{"attend", "--attention-output", aw}, flags...), "-o", out, in)...); r.code != 0 {
				t.Fatalf("attend: exit %d: %s", r.code, r.stderr)
			}
			all, err := parquet.ReadFile[attnRow](filepath.Join(aw, "tokens.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			var rows []attnRow
			for _, r := range all {
				if r.Sequence == id {
					rows = append(rows, r)
				}
			}
			b := buildInProcess(t, "attend", append(flags, "--sequence", id, "-o", "x.png", in)...)
			f := b.figures[0]
			checkGrids(t, f, rows, tt.heads)
			// The norms panel: the run's inputs and outputs of doc-003.
			src, res := readLongRows(t, in, "embedding", "sequence_id", "position"), readLongRows(t, filepath.Join(out, "tokens.parquet"), "embedding", "sequence_id", "position")
			seq := src.sequence(id)
			inNorm, outNorm := make([]float64, len(seq)), make([]float64, len(seq))
			for i, row := range seq {
				inNorm[i], outNorm[i] = norms(src.vals[row], 1, len(src.vals[row]))[0], norms(res.vals[row], 1, len(res.vals[row]))[0]
			}
			last := f.Panels[len(f.Panels)-1]
			pos := func(i int) float64 { return float64(i) }
			checkLine(t, "input norm", last.Lines["input"], inNorm, pos)
			checkLine(t, "output norm", last.Lines["output"], outNorm, pos)

			// plot weights draws the file itself the same way.
			wb := buildInProcess(t, "weights", "--sequence", id, "-o", "x.svg", filepath.Join(aw, "tokens.parquet"))
			checkGrids(t, wb.figures[0], rows, tt.heads)

			// Pooled: 4 positions a cell side; rows sum keys, average queries.
			pb := buildInProcess(t, "weights", "--sequence", id, "--max-points", "16", "-o", "x.svg", filepath.Join(aw, "tokens.parquet"))
			n := len(seq)
			k := (n + 15) / 16
			for p, h := range tt.heads {
				g := pb.figures[0].Panels[p].Grid
				sum := map[[2]int]float64{}
				for _, r := range rows {
					if int(r.Head) == h {
						sum[[2]int{int(r.Query) / k, int(r.Key) / k}] += r.Weight
					}
				}
				for cell, s := range sum {
					queries := min(k, n-cell[0]*k)
					if got := g.Cell(cell[0], cell[1]); math.Abs(got-s/float64(queries)) > 1e-12 {
						t.Fatalf("head %d pooled cell %v = %v, want %v", h, cell, got, s/float64(queries))
					}
				}
			}
			if notes := strings.Join(pb.figures[0].Notes, " "); !strings.Contains(notes, "pooled") {
				t.Errorf("pooled picture's notes %q do not say so", notes)
			}
		})
	}
}

// checkGrids checks that the figure's heatmaps, one per head, hold exactly
// the weights rows of their head, and nothing where no row is.
func checkGrids(t *testing.T, f *picture.Figure, rows []attnRow, heads []int) {
	t.Helper()
	var grids []*picture.Grid
	for _, p := range f.Panels {
		if p.Grid != nil {
			grids = append(grids, p.Grid)
		}
	}
	if len(grids) != len(heads) {
		t.Fatalf("%d heatmaps, want %d", len(grids), len(heads))
	}
	for p, h := range heads {
		g, set := grids[p], 0
		for _, r := range rows {
			if int(r.Head) != h {
				continue
			}
			if got := g.Cell(int(r.Query), int(r.Key)); got != r.Weight {
				t.Fatalf("head %d (%d, %d): heatmap %v, run %v", h, r.Query, r.Key, got, r.Weight)
			}
			set++
		}
		var drawn int
		for q := 0; q < g.Side(); q++ {
			for k := 0; k < g.Side(); k++ {
				if !math.IsNaN(g.Cell(q, k)) {
					drawn++
				}
			}
		}
		if set == 0 || drawn != set {
			t.Errorf("head %d: %d cells drawn, the run wrote %d weights", h, drawn, set)
		}
	}
}

// TestPlotSequenceInTheKeysType: --sequence names integer ids as their
// decimal text, and picks that sequence.
func TestPlotSequenceInTheKeysType(t *testing.T) {
	in := filepath.Join("..", "..", "testdata", "interop", "long_bigint_ids.parquet")
	b := buildInProcess(t, "smooth", "--sigma", "1", "--sequence", "9000000014", "--channels", "0", "-o", "x.svg", in)
	f := b.figures[0]
	if !strings.Contains(f.Title, "sequence 9000000014 (n = 7, d = 8)") {
		t.Errorf("title %q, want sequence 9000000014 of 7 vectors of 8", f.Title)
	}
}

// TestPlotAttendNested: in the nested layout the heatmaps are the run's
// weights of that row's sequence too.
func TestPlotAttendNested(t *testing.T) {
	samples := sampleDir(t)
	in, weights := filepath.Join(samples, "tokens_nested.parquet"), filepath.Join(samples, "mha_d32_h4.safetensors")
	out, aw := t.TempDir(), t.TempDir()
	if r := runCLI(t, nil, "attend", "--weights", weights, "--heads", "4", "--attention-output", aw, "-o", out, in); r.code != 0 {
		t.Fatalf("attend: exit %d: %s", r.code, r.stderr)
	}
	all, err := parquet.ReadFile[attnRow](filepath.Join(aw, "tokens_nested.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	id := all[len(all)-1].Sequence // the last sequence: the job runs the whole file for it
	var rows []attnRow
	for _, r := range all {
		if r.Sequence == id {
			rows = append(rows, r)
		}
	}
	b := buildInProcess(t, "attend", "--weights", weights, "--heads", "4", "--sequence", id, "-o", "x.png", in)
	checkGrids(t, b.figures[0], rows, []int{0, 1, 2, 3})
}

// TestPlotSmoothPools: a series longer than --max-points is drawn as the
// means of consecutive values of the run's output, and the picture says so.
func TestPlotSmoothPools(t *testing.T) {
	samples := sampleDir(t)
	in, out := filepath.Join(samples, "sensors.parquet"), t.TempDir()
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "-o", out, in); r.code != 0 {
		t.Fatalf("smooth: exit %d: %s", r.code, r.stderr)
	}
	const id, maxPoints = "pump/power_w", 64 // 400 values: 7 a point
	b := buildInProcess(t, "smooth", "--sigma", "2", "--sequence", id, "--max-points", "64", "-o", "x.png", in)
	res := readLongRows(t, filepath.Join(out, "sensors.parquet"), "value", "series_id", "timestamp")
	rows := res.sequence(id)
	k := (len(rows) + maxPoints - 1) / maxPoints
	var want []float64
	for lo := 0; lo < len(rows); lo += k {
		var sum float64
		var n int
		for _, row := range rows[lo:min(lo+k, len(rows))] {
			if v := res.vals[row][0]; !math.IsNaN(v) {
				sum, n = sum+v, n+1
			}
		}
		if n > 0 {
			want = append(want, sum/float64(n))
		}
	}
	got := points(b.figures[0].Panels[0].Lines["smoothed"])
	if len(got) != len(want) {
		t.Fatalf("%d pooled points drawn, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i].Y-want[i]) > 1e-9*math.Abs(want[i]) {
			t.Fatalf("pooled point %d = %v, want %v", i, got[i].Y, want[i])
		}
	}
	if notes := strings.Join(b.figures[0].Notes, " "); !strings.Contains(notes, "pooled: 400 points shown as 58, each the mean of 7") {
		t.Errorf("notes %q do not say the series is pooled", notes)
	}
}

// TestPlotSmoothOverTypedOrderColumns: a series is drawn over its order
// column in the column's own units, whatever its type, in the run's order.
func TestPlotSmoothOverTypedOrderColumns(t *testing.T) {
	in := filepath.Join("..", "..", "testdata", "keys", "duckdb_orders.parquet")
	f, err := parquetio.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, refPos := readInts(t, f, 0, "sequence_id"), readInts(t, f, 0, "ref_pos")
	vals, err := f.ReadValues(0, parquetio.ReadSpec{Column: "value"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.ReadColumn(0, "ord_f64")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	f64 := a.(*array.Float64).Float64Values()
	id := ids[0]
	var rows []int
	for i, v := range ids {
		if v == id {
			rows = append(rows, i)
		}
	}
	slices.SortFunc(rows, func(a, b int) int { return int(refPos[a] - refPos[b]) })
	for _, tt := range []struct {
		col    string
		x      func(row int) float64 // nil: only increasing
		maxAbs float64
	}{
		{"ord_f64", func(row int) float64 { return f64[row] }, 0},
		{"ord_f32", nil, 0},
		{"ord_u64", nil, 0},
		{"ord_dec18", nil, 0},
		{"ord_date", nil, 0},
		{"ord_time", nil, 86400},
		{"ord_ts", nil, 0},
	} {
		t.Run(tt.col, func(t *testing.T) {
			b := buildInProcess(t, "smooth", "--sigma", "1", "--order-column", tt.col, "--sequence", strconv.FormatInt(id, 10), "-o", "x.svg", in)
			got := points(b.figures[0].Panels[0].Lines["raw"])
			var want []float64
			var wantRows []int
			for _, row := range rows {
				if v := vals.Values.F64[row]; !math.IsNaN(v) {
					want, wantRows = append(want, v), append(wantRows, row)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d points drawn, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].Y != want[i] {
					t.Fatalf("point %d: value %v, want %v (the ref_pos order)", i, got[i].Y, want[i])
				}
				if i > 0 && got[i].X < got[i-1].X {
					t.Fatalf("x goes back at point %d: %v after %v", i, got[i].X, got[i-1].X)
				}
				if tt.x != nil && got[i].X != tt.x(wantRows[i]) {
					t.Fatalf("point %d: x %v, want %v", i, got[i].X, tt.x(wantRows[i]))
				}
				if tt.maxAbs > 0 && math.Abs(got[i].X) > tt.maxAbs {
					t.Fatalf("point %d: x %v beyond %v", i, got[i].X, tt.maxAbs)
				}
			}
		})
	}
}

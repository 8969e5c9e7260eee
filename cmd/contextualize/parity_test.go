package main

import (
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/io/safetensors"
)

// sequences is a file's value column cut into sequences, each in its
// order-column order, with the file row of every element.
type sequences struct {
	d    int
	f32  bool
	seqs [][]float64 // element-major values per sequence
	rows [][]int     // file row (long) or row*1e6+element (nested) per element
	ts   [][]int64   // order values per element, when there is an order column
}

// readSequences reads a long or nested file the way the job must group it.
func readSequences(t *testing.T, path, value, seq, order string, nested bool) sequences {
	t.Helper()
	f, err := parquetio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var s sequences
	var vals [][]float64
	var ids []string
	var ord []int64
	nesting := 0
	if nested {
		nesting = 1
	}
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		c, err := f.ReadValues(rg, parquetio.ReadSpec{Column: value, Nesting: nesting}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.d, s.f32 = c.D, c.Values.F32 != nil
		flat := make([]float64, c.Values.Len())
		for i := range flat {
			if s.f32 {
				flat[i] = float64(c.Values.F32[i])
			} else {
				flat[i] = c.Values.F64[i]
			}
		}
		if nested {
			for r := 0; r < c.Rows; r++ {
				lo, hi := int(c.Offsets[r]), int(c.Offsets[r+1])
				s.seqs = append(s.seqs, flat[lo*c.D:hi*c.D])
				rows := make([]int, hi-lo)
				for i := range rows {
					rows[i] = (int(c.FirstRow)+r)*1_000_000 + i
				}
				s.rows = append(s.rows, rows)
			}
			continue
		}
		for r := 0; r < c.Rows; r++ {
			vals = append(vals, flat[r*c.D:(r+1)*c.D])
		}
		if seq != "" {
			ids = append(ids, readStrings(t, f, rg, seq)...)
		}
		if order != "" {
			ord = append(ord, readInts(t, f, rg, order)...)
		}
	}
	if nested {
		return s
	}
	// Rows grouped by id, sequences in the order of their first rows
	// (the rows of one sequence need not be contiguous).
	var groups [][]int
	index := map[string]int{}
	for r := range vals {
		id := ""
		if ids != nil {
			id = ids[r]
		}
		g, ok := index[id]
		if !ok {
			g = len(groups)
			index[id] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], r)
	}
	for _, idx := range groups {
		if ord != nil {
			sort.SliceStable(idx, func(a, b int) bool { return ord[idx[a]] < ord[idx[b]] })
		}
		var flat []float64
		var ts []int64
		for _, r := range idx {
			flat = append(flat, vals[r]...)
			if ord != nil {
				ts = append(ts, ord[r])
			}
		}
		s.seqs, s.rows, s.ts = append(s.seqs, flat), append(s.rows, idx), append(s.ts, ts)
	}
	return s
}

func readStrings(t *testing.T, f *parquetio.File, rg int, col string) []string {
	a, err := f.ReadColumn(rg, col)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	out := make([]string, a.Len())
	for i := range out {
		out[i] = strings.Clone(a.ValueStr(i))
	}
	return out
}

func readInts(t *testing.T, f *parquetio.File, rg int, col string) []int64 {
	a, err := f.ReadColumn(rg, col)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	out := make([]int64, a.Len())
	for i := range out {
		switch c := a.(type) {
		case *array.Int32:
			out[i] = int64(c.Value(i))
		case *array.Int64:
			out[i] = c.Value(i)
		case *array.Timestamp:
			out[i] = int64(c.Value(i))
		default:
			t.Fatalf("order column %s is %s", col, a.DataType())
		}
	}
	return out
}

var _ arrow.Array // the parquetio API returns Arrow arrays

// compareExact checks that two files' sequences hold bit-identical values
// (NaN matching NaN).
func compareExact(t *testing.T, name string, got, want [][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d sequences, want %d", name, len(got), len(want))
	}
	for s := range want {
		if len(got[s]) != len(want[s]) {
			t.Fatalf("%s: sequence %d has %d values, want %d", name, s, len(got[s]), len(want[s]))
		}
		for i := range want[s] {
			g, w := got[s][i], want[s][i]
			if g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
				t.Fatalf("%s: sequence %d value %d = %v, want %v (library)", name, s, i, g, w)
			}
		}
	}
}

func TestSmoothCLIMatchesLibrary(t *testing.T) {
	samples := sampleDir(t)
	tests := []struct {
		name, file, value, seq, order string
		nested                        bool
		flags                         []string
		p                             attention.SmoothParams
		bandwidthUnits                float64 // > 0: SmoothAt with this bandwidth in column units
	}{
		{"sensors sigma 3", filepath.Join(samples, "sensors.parquet"), "value", "series_id", "timestamp", false,
			[]string{"--sigma", "3"}, attention.SmoothParams{Sigma: 3, Truncate: 4, Radius: -1, Mode: "reflect", NaN: "propagate"}, 0},
		{"sensors wrap order 1", filepath.Join(samples, "sensors.parquet"), "value", "series_id", "timestamp", false,
			[]string{"--sigma", "2.5", "--mode", "wrap", "--order", "1"}, attention.SmoothParams{Sigma: 2.5, Truncate: 4, Radius: -1, Mode: "wrap", Order: 1, NaN: "propagate"}, 0},
		{"sensors bandwidth 5m", filepath.Join(samples, "sensors.parquet"), "value", "series_id", "timestamp", false,
			[]string{"--bandwidth", "5m", "--nan", "interpolate"}, attention.SmoothParams{Truncate: 4, Radius: -1, Mode: "reflect", NaN: "interpolate"}, 300e6},
		{"duckdb ts_long", "../../testdata/interop/ts_long.parquet", "value", "series_id", "timestamp", false,
			[]string{"--sigma", "1", "--mode", "constant", "--cval", "0.5"}, attention.SmoothParams{Sigma: 1, Truncate: 4, Radius: -1, Mode: "constant", Cval: 0.5, NaN: "propagate"}, 0},
		{"duckdb f32 vectors", "../../testdata/interop/long_unordered_positions.parquet", "embedding", "sequence_id", "position", false,
			[]string{"--sigma", "0.7", "--mode", "mirror"}, attention.SmoothParams{Sigma: 0.7, Truncate: 4, Radius: -1, Mode: "mirror", NaN: "propagate"}, 0},
		{"duckdb nested series", "../../testdata/interop/nested_series_f64.parquet", "value", "", "", true,
			[]string{"--sigma", "1.5", "--nan", "interpolate"}, attention.SmoothParams{Sigma: 1.5, Truncate: 4, Radius: -1, Mode: "reflect", NaN: "interpolate"}, 0},
		{"duckdb time-ordered", "../../testdata/interleave/duckdb_time_ordered_small_rg.parquet", "value", "series_id", "timestamp", false,
			[]string{"--sigma", "4", "--mode", "nearest"}, attention.SmoothParams{Sigma: 4, Truncate: 4, Radius: -1, Mode: "nearest", NaN: "propagate"}, 0},
		{"duckdb time-ordered bandwidth spilled", "../../testdata/interleave/duckdb_time_ordered.parquet", "value", "series_id", "timestamp", false,
			[]string{"--bandwidth", "3m", "--memory-limit", "64KiB"}, attention.SmoothParams{Truncate: 4, Radius: -1, Mode: "reflect", NaN: "propagate"}, 180e6},
		{"duckdb partition_by", "../../testdata/interleave/duckdb_partitioned/region=south/data_0.parquet", "value", "series_id", "timestamp", false,
			[]string{"--sigma", "2"}, attention.SmoothParams{Sigma: 2, Truncate: 4, Radius: -1, Mode: "reflect", NaN: "propagate"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"smooth", "-o", out}, tt.flags...)
			if r := runCLI(t, nil, append(args, tt.file)...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			in := readSequences(t, tt.file, tt.value, tt.seq, tt.order, tt.nested)
			got := readSequences(t, filepath.Join(out, filepath.Base(tt.file)), tt.value, tt.seq, tt.order, tt.nested)
			p := tt.p
			if tt.bandwidthUnits > 0 {
				p.Bandwidth = tt.bandwidthUnits
			}
			sm, err := attention.NewSmoother(p)
			if err != nil {
				t.Fatal(err)
			}
			want := make([][]float64, len(in.seqs))
			for s, x := range in.seqs {
				n := len(x) / in.d
				if in.f32 {
					src, dst := toF32(x), make([]float32, len(x))
					if tt.bandwidthUnits > 0 {
						sm.SmoothAt32(dst, src, in.ts[s], n, in.d)
					} else {
						sm.Smooth32(dst, src, n, in.d)
					}
					want[s] = toF64(dst)
					continue
				}
				want[s] = make([]float64, len(x))
				if tt.bandwidthUnits > 0 {
					sm.SmoothAt64(want[s], x, in.ts[s], n, in.d)
				} else {
					sm.Smooth64(want[s], x, n, in.d)
				}
			}
			compareExact(t, tt.name, got.seqs, want)
		})
	}
}

func TestAttendCLIMatchesLibrary(t *testing.T) {
	samples := sampleDir(t)
	weights := filepath.Join(samples, "mha_d32_h4.safetensors")
	sampleW := loadSampleWeights(t, weights)
	tests := []struct {
		name, file, value, seq, order string
		nested                        bool
		flags                         []string
		w                             func(d int) attention.MHAWeights
		p                             attention.MHAParams
	}{
		{"sample tokens", filepath.Join(samples, "tokens.parquet"), "embedding", "sequence_id", "position", false,
			[]string{"--weights", weights, "--heads", "4"}, func(int) attention.MHAWeights { return sampleW }, attention.MHAParams{Heads: 4, Window: -1}},
		{"sample nested causal", filepath.Join(samples, "tokens_nested.parquet"), "embedding", "", "", true,
			[]string{"--weights", weights, "--heads", "4", "--causal"}, func(int) attention.MHAWeights { return sampleW }, attention.MHAParams{Heads: 4, Causal: true, Window: -1}},
		{"duckdb list random window", "../../testdata/interop/long_unordered_positions.parquet", "embedding", "sequence_id", "position", false,
			[]string{"--weights", "random", "--seed", "3", "--heads", "2", "--window", "2"}, func(d int) attention.MHAWeights { return attention.RandomWeights(d, 3) }, attention.MHAParams{Heads: 2, Window: 2}},
		{"duckdb fixed8 identity", "../../testdata/interop/long_f32_fixed8.parquet", "embedding", "sequence_id", "position", false,
			[]string{"--weights", "identity", "--heads", "1"}, attention.IdentityWeights, attention.MHAParams{Heads: 1, Window: -1}},
		{"arrow-go fixed_size_list", "../../testdata/interop/arrowgo_fixed_size_list_f32.parquet", "embedding", "sequence_id", "position", false,
			[]string{"--weights", "random", "--seed", "9", "--heads", "4"}, func(d int) attention.MHAWeights { return attention.RandomWeights(d, 9) }, attention.MHAParams{Heads: 4, Window: -1}},
		{"duckdb nested f64", "../../testdata/interop/nested_f64_list_of_list.parquet", "embedding", "", "", true,
			[]string{"--weights", "random", "--seed", "1", "--heads", "3"}, func(d int) attention.MHAWeights { return attention.RandomWeights(d, 1) }, attention.MHAParams{Heads: 3, Window: -1}},
		{"polars step-ordered", "../../testdata/interleave/polars_step_ordered.parquet", "embedding", "sequence_id", "position", false,
			[]string{"--weights", "random", "--seed", "2", "--heads", "2"}, func(d int) attention.MHAWeights { return attention.RandomWeights(d, 2) }, attention.MHAParams{Heads: 2, Window: -1}},
		{"polars step-ordered spilled window", "../../testdata/interleave/polars_step_ordered.parquet", "embedding", "sequence_id", "position", false,
			[]string{"--weights", "random", "--seed", "4", "--heads", "4", "--window", "3", "--memory-limit", "40KiB"}, func(d int) attention.MHAWeights { return attention.RandomWeights(d, 4) }, attention.MHAParams{Heads: 4, Window: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"attend", "-o", out}, tt.flags...)
			if r := runCLI(t, nil, append(args, tt.file)...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			in := readSequences(t, tt.file, tt.value, tt.seq, tt.order, tt.nested)
			got := readSequences(t, filepath.Join(out, filepath.Base(tt.file)), tt.value, tt.seq, tt.order, tt.nested)
			m, err := attention.NewMHA(tt.w(in.d), tt.p)
			if err != nil {
				t.Fatal(err)
			}
			want := make([][]float64, len(in.seqs))
			for s, x := range in.seqs {
				n := len(x) / in.d
				if in.f32 {
					dst := make([]float32, len(x))
					m.Forward32(dst, toF32(x), n)
					want[s] = toF64(dst)
					continue
				}
				want[s] = make([]float64, len(x))
				m.Forward64(want[s], x, n)
			}
			compareExact(t, tt.name, got.seqs, want)
		})
	}
}

func loadSampleWeights(t *testing.T, path string) attention.MHAWeights {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string]attention.Tensor{}
	for _, n := range f.Names() {
		shape, data, err := f.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		ts[n] = attention.Tensor{Shape: shape, Data: data}
	}
	w, err := attention.WeightsFromStateDict(ts, "")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func toF32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

type parquetFile = parquetio.File

func openParquet(path string) (*parquetio.File, error) { return parquetio.Open(path) }

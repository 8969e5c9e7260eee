package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/half"
	"github.com/contextualize/contextualize/io/parquetio"
)

// f16Case is a float16 fixture (written by arrow-go's pqarrow) and how to
// run it.
type f16Case struct {
	name, file, value, seq, order string
	nested                        bool
}

var f16Cases = []f16Case{
	{"list", "arrowgo_list_f16.parquet", "embedding", "sequence_id", "position", false},
	{"large_list", "arrowgo_large_list_f16.parquet", "embedding", "sequence_id", "position", false},
	{"fixed_size_list", "arrowgo_fixed_size_list_f16.parquet", "embedding", "sequence_id", "position", false},
	{"nested", "arrowgo_nested_list_of_list_f16.parquet", "embedding", "", "", true},
	{"series", "arrowgo_series_f16.parquet", "value", "series_id", "position", false},
}

// checkF16 compares a run's outputs (out) with the float64 reference
// (ref64) and the float32 computation (ref32, what the tool computes):
//   - float16 output: bit for bit ref32 rounded to nearest even, and within
//     1 float16 ulp of ref64 plus tol32 (the float32 computation's own
//     error, which matters only for results near zero);
//   - float32 / float64 output: ref32 exactly.
func checkF16(t *testing.T, name string, outType parquetio.ElemType, got, ref32, ref64 [][]float64, tol32 []float64) {
	t.Helper()
	if len(got) != len(ref64) {
		t.Fatalf("%s: %d sequences, want %d", name, len(got), len(ref64))
	}
	worst := 0.0
	for s := range ref64 {
		if len(got[s]) != len(ref64[s]) {
			t.Fatalf("%s: sequence %d has %d values, want %d", name, s, len(got[s]), len(ref64[s]))
		}
		for i, r := range ref64[s] {
			g, r32 := got[s][i], ref32[s][i]
			if math.IsNaN(r) {
				if !math.IsNaN(g) {
					t.Fatalf("%s: sequence %d value %d = %v, want NaN/null", name, s, i, g)
				}
				continue
			}
			switch outType {
			case parquetio.Float16:
				if want := half.ToFloat64(half.FromFloat64(r32)); g != want {
					t.Fatalf("%s: sequence %d value %d = %v, want %v (the float32 result %v rounded to float16)", name, s, i, g, want, r32)
				}
				if e := math.Abs(g - r); e > half.Ulp(r)+tol32[s] {
					t.Fatalf("%s: sequence %d value %d = %v, reference %v: error %v above 1 float16 ulp %v + %v", name, s, i, g, r, e, half.Ulp(r), tol32[s])
				} else {
					worst = max(worst, e/half.Ulp(r))
				}
			default:
				if g != r32 {
					t.Fatalf("%s (%v): sequence %d value %d = %v, want %v", name, outType, s, i, g, r32)
				}
			}
		}
	}
	if outType == parquetio.Float16 {
		t.Logf("%s: largest error %.3f float16 ulp", name, worst)
	}
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		if !math.IsNaN(v) {
			m = max(m, math.Abs(v))
		}
	}
	return m
}

// TestFloat16Smooth: smoothing float16 inputs (every list shape, and a
// series with nulls, subnormals and ±65504) gives float16 outputs within 1
// float16 ulp of the float64 computation (which matches scipy, see
// TestSmoothCLIMatchesLibrary and the attention package's scipy fixtures),
// and --output-type widens.
func TestFloat16Smooth(t *testing.T) {
	p := attention.SmoothParams{Sigma: 1.5, Truncate: 4, Radius: -1, Mode: "reflect", NaN: "propagate"}
	sm, err := attention.NewSmoother(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range f16Cases {
		for _, ot := range []string{"", "float32", "float64"} {
			t.Run(tc.name+"/"+ot, func(t *testing.T) {
				file := filepath.Join("..", "..", "testdata", "interop", tc.file)
				out := t.TempDir()
				args := []string{"smooth", "--sigma", "1.5", "-o", out}
				if ot != "" {
					args = append(args, "--output-type", ot)
				}
				if r := runCLI(t, nil, append(args, file)...); r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				outFile := filepath.Join(out, tc.file)
				wantType, _ := parquetio.ParseFloatType(ot)
				if wantType == parquetio.Unknown {
					wantType = parquetio.Float16
				}
				assertValueType(t, outFile, tc.value, wantType)
				in := readSequences(t, file, tc.value, tc.seq, tc.order, tc.nested)
				got := readSequences(t, outFile, tc.value, tc.seq, tc.order, tc.nested)
				ref32, ref64, tol := make([][]float64, len(in.seqs)), make([][]float64, len(in.seqs)), make([]float64, len(in.seqs))
				for s, x := range in.seqs {
					n := len(x) / in.d
					ref64[s] = make([]float64, len(x))
					sm.Smooth64(ref64[s], x, n, in.d)
					dst := make([]float32, len(x))
					sm.Smooth32(dst, toF32(x), n, in.d)
					ref32[s] = toF64(dst)
					tol[s] = 0 // Smooth32 computes in float64 and rounds once
				}
				checkF16(t, tc.name, wantType, got.seqs, ref32, ref64, tol)
			})
		}
	}
}

// TestFloat16Attend: attention over float16 inputs computes in float32
// and writes float16 within 1 float16 ulp of the float64 computation (which
// matches torch, see the attention package's torch fixtures) plus the
// float32 computation's error bound.
func TestFloat16Attend(t *testing.T) {
	for _, tc := range f16Cases {
		if tc.name == "series" {
			continue // attention needs vectors; d=1 works but says little
		}
		for _, ot := range []string{"", "float64"} {
			t.Run(tc.name+"/"+ot, func(t *testing.T) {
				file := filepath.Join("..", "..", "testdata", "interop", tc.file)
				out := t.TempDir()
				args := []string{"attend", "--weights", "random", "--seed", "5", "--heads", "2", "-o", out}
				if ot != "" {
					args = append(args, "--output-type", ot)
				}
				if r := runCLI(t, nil, append(args, file)...); r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				outFile := filepath.Join(out, tc.file)
				wantType, _ := parquetio.ParseFloatType(ot)
				if wantType == parquetio.Unknown {
					wantType = parquetio.Float16
				}
				assertValueType(t, outFile, tc.value, wantType)
				in := readSequences(t, file, tc.value, tc.seq, tc.order, tc.nested)
				got := readSequences(t, outFile, tc.value, tc.seq, tc.order, tc.nested)
				m, err := attention.NewMHA(attention.RandomWeights(in.d, 5), attention.MHAParams{Heads: 2, Window: -1})
				if err != nil {
					t.Fatal(err)
				}
				ref32, ref64, tol := make([][]float64, len(in.seqs)), make([][]float64, len(in.seqs)), make([]float64, len(in.seqs))
				for s, x := range in.seqs {
					n := len(x) / in.d
					ref64[s] = make([]float64, len(x))
					m.Forward64(ref64[s], x, n)
					dst := make([]float32, len(x))
					m.Forward32(dst, toF32(x), n)
					ref32[s] = toF64(dst)
					// float32 GEMMs over d terms: a few d·eps32 of the largest magnitudes
					tol[s] = 4 * float64(in.d) * 0x1p-23 * max(maxAbs(x), maxAbs(ref64[s]))
				}
				checkF16(t, tc.name, wantType, got.seqs, ref32, ref64, tol)
			})
		}
	}
}

// TestOutputTypeNarrowingIsUsageError: --output-type never narrows: float64
// inputs with --output-type float32 exit 2, naming the column and types.
func TestOutputTypeNarrowingIsUsageError(t *testing.T) {
	file := filepath.Join("..", "..", "testdata", "interop", "arrowgo_large_list_f64.parquet")
	for _, args := range [][]string{
		{"smooth", "--sigma", "1", "--output-type", "float32"},
		{"attend", "--weights", "identity", "--output-type", "float32"},
		{"smooth", "--sigma", "1", "--output-type", "float128"},
	} {
		out := t.TempDir()
		r := runCLI(t, nil, append(append(args, "-o", out), file)...)
		if r.code != 2 {
			t.Fatalf("%v: exit %d, want 2: %s", args, r.code, r.stderr)
		}
		if args[len(args)-1] == "float32" && !strings.Contains(r.stderr, "float64 values, which output type float32 would narrow") {
			t.Fatalf("%v: stderr does not say what narrows: %s", args, r.stderr)
		}
		if files := visibleFiles(t, out); len(files) != 0 {
			t.Fatalf("%v: outputs written: %v", args, files)
		}
	}
}

func assertValueType(t *testing.T, path, col string, want parquetio.ElemType) {
	t.Helper()
	f, err := parquetio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, ok := f.Column(col)
	if !ok || c.Elem != want {
		t.Fatalf("%s: column %q is %v, want %v", path, col, c.Elem, want)
	}
}

// TestFloat16MatchesScipyAndTorch: float16 outputs against the reference
// tools themselves (testdata/interop/f16_reference.json, made by
// scripts/mha/make_f16_reference.py from the values DuckDB reads back):
// scipy gaussian_filter1d and torch nn.MultiheadAttention in float64. Every
// output is within 1 float16 ulp of the reference, plus the float32
// arithmetic's error bound for attention.
func TestFloat16MatchesScipyAndTorch(t *testing.T) {
	raw := mustRead(t, filepath.Join("..", "..", "testdata", "interop", "f16_reference.json"))
	var ref struct {
		Smooth map[string]json.RawMessage `json:"smooth"`
		Attend map[string]json.RawMessage `json:"attend"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	seqs := func(m map[string]json.RawMessage, name string) [][]float64 {
		var v [][]*float64
		if err := json.Unmarshal(m[name], &v); err != nil || len(v) == 0 {
			t.Fatalf("%s: %v", name, err)
		}
		out := make([][]float64, len(v))
		for s := range v {
			for _, x := range v[s] {
				if x == nil {
					out[s] = append(out[s], math.NaN())
				} else {
					out[s] = append(out[s], *x)
				}
			}
		}
		return out
	}
	for _, c := range []struct {
		cmd     string
		tc      f16Case
		args    []string
		attend  bool
		refName string
	}{
		{"smooth", f16Cases[4], []string{"--sigma", "1.5"}, false, "arrowgo_series_f16"},
		{"smooth", f16Cases[0], []string{"--sigma", "1.5"}, false, "arrowgo_list_f16"},
		{"attend", f16Cases[2], []string{"--weights", filepath.Join(weightsFixtures, "torch.safetensors"), "--weights-prefix", "layers.0.attn", "--heads", "4"}, true, "arrowgo_fixed_size_list_f16"},
	} {
		t.Run(c.cmd+"/"+c.tc.name, func(t *testing.T) {
			file := filepath.Join("..", "..", "testdata", "interop", c.tc.file)
			out := t.TempDir()
			if r := runCLI(t, nil, append(append([]string{c.cmd, "-o", out}, c.args...), file)...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := readSequences(t, filepath.Join(out, c.tc.file), c.tc.value, c.tc.seq, c.tc.order, c.tc.nested)
			in := readSequences(t, file, c.tc.value, c.tc.seq, c.tc.order, c.tc.nested)
			var want [][]float64
			if c.attend {
				want = seqs(ref.Attend, c.refName)
			} else {
				want = seqs(ref.Smooth, c.refName)
			}
			if len(got.seqs) != len(want) {
				t.Fatalf("%d sequences, reference %d", len(got.seqs), len(want))
			}
			worst := 0.0
			for s := range want {
				if len(got.seqs[s]) != len(want[s]) {
					t.Fatalf("sequence %d: %d values, reference %d", s, len(got.seqs[s]), len(want[s]))
				}
				tol := 4 * 0x1p-52 * maxAbs(in.seqs[s]) // scipy vs a float64 computation
				if c.attend {
					tol = 4 * float64(in.d) * 0x1p-23 * max(maxAbs(in.seqs[s]), maxAbs(want[s]))
				}
				for i, r := range want[s] {
					g := got.seqs[s][i]
					if math.IsNaN(r) {
						if !math.IsNaN(g) {
							t.Fatalf("sequence %d value %d = %v, reference NaN (null)", s, i, g)
						}
						continue
					}
					if e := math.Abs(g - r); e > half.Ulp(r)+tol {
						t.Fatalf("sequence %d value %d = %v, reference %v: error %g above 1 float16 ulp (%g) + %g", s, i, g, r, e, half.Ulp(r), tol)
					} else {
						worst = max(worst, e/half.Ulp(r))
					}
				}
			}
			t.Logf("largest error %.3f float16 ulp", worst)
		})
	}
}

// TestOutputTypeNarrowingFailsAlone: among inputs that --output-type can
// widen, one it would narrow fails alone (exit 3) and the others are
// written; when it could widen none, the run exits 2 before reading any
// (TestOutputTypeNarrowingIsUsageError).
func TestOutputTypeNarrowingFailsAlone(t *testing.T) {
	in := t.TempDir()
	for _, name := range []string{"arrowgo_large_list_f16.parquet", "arrowgo_large_list_f64.parquet"} {
		if err := os.WriteFile(filepath.Join(in, name), mustRead(t, filepath.Join("..", "..", "testdata", "interop", name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	r := runCLI(t, nil, "smooth", "--sigma", "1", "--output-type", "float32", "-o", out, in)
	if r.code != 3 || !strings.Contains(r.stderr, "arrowgo_large_list_f64.parquet") || !strings.Contains(r.stderr, "would narrow") {
		t.Fatalf("exit %d, want 3 naming the float64 file: %s", r.code, r.stderr)
	}
	assertValueType(t, filepath.Join(out, "arrowgo_large_list_f16.parquet"), "embedding", parquetio.Float32)
}

package main

import (
	le "encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contextualize/contextualize/io/safetensors"
	"github.com/parquet-go/parquet-go"
)

// weightsFixtures are made by scripts/mha/make_hf_fixtures.py: one torch
// nn.MultiheadAttention(16, 4) in every naming, and torch's outputs.
var weightsFixtures = filepath.Join("..", "..", "io", "weights", "testdata")

type vecRow64 struct {
	ID        string    `parquet:"sequence_id"`
	Pos       int64     `parquet:"position"`
	Embedding []float64 `parquet:"embedding,list"`
}

// torchReference writes the reference inputs as a long-layout Parquet file
// (float32, or float64 with f64) and returns it with torch's float32 outputs.
func torchReference(t *testing.T, f64 bool) (string, [][]float64) {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(weightsFixtures, "reference.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const d = 16
	var rows32 []vecRow
	var rows64 []vecRow64
	var want [][]float64
	for k := 0; ; k++ {
		_, x, err := f.Tensor(fmt.Sprintf("x.%d", k))
		if err != nil {
			break
		}
		_, y, err := f.Tensor(fmt.Sprintf("y32.%d", k))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, y)
		for i := 0; i < len(x)/d; i++ {
			id := fmt.Sprintf("s%d", k)
			rows32 = append(rows32, vecRow{ID: id, Pos: int64(i), Embedding: toF32(x[i*d : (i+1)*d])})
			rows64 = append(rows64, vecRow64{ID: id, Pos: int64(i), Embedding: x[i*d : (i+1)*d]})
		}
	}
	path := filepath.Join(t.TempDir(), "ref.parquet")
	var werr error
	if f64 {
		werr = parquet.WriteFile(path, rows64)
	} else {
		werr = parquet.WriteFile(path, rows32)
	}
	if werr != nil {
		t.Fatal(werr)
	}
	return path, want
}

// TestAttendHuggingFaceWeights: attend with the same weights in every
// naming gives outputs within 1e-5 of each other and within 1e-4 of torch.
func TestAttendHuggingFaceWeights(t *testing.T) {
	input, want := torchReference(t, false)
	var first [][]float64
	for _, c := range []struct{ file, prefix string }{
		{"torch.safetensors", "layers.0.attn"},
		{"torch_qkv.safetensors", ""},
		{"bert.safetensors", "bert.encoder.layer.0.attention."},
		{"clip.safetensors", "vision_model.encoder.layers.0.self_attn"},
		{"gpt2.safetensors", "h.0.attn"},
	} {
		t.Run(c.file, func(t *testing.T) {
			out := t.TempDir()
			args := []string{"attend", "--weights", filepath.Join(weightsFixtures, c.file), "--heads", "4", "-o", out}
			if c.prefix != "" {
				args = append(args, "--weights-prefix", c.prefix)
			}
			if r := runCLI(t, nil, append(args, input)...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := readSequences(t, filepath.Join(out, "ref.parquet"), "embedding", "sequence_id", "position", false).seqs
			if len(got) != len(want) {
				t.Fatalf("%d sequences, want %d", len(got), len(want))
			}
			for s := range want {
				for i := range want[s] {
					if e := math.Abs(got[s][i] - want[s][i]); e > 1e-4*max(1, math.Abs(want[s][i])) {
						t.Fatalf("sequence %d value %d = %v, torch %v", s, i, got[s][i], want[s][i])
					}
					if first != nil {
						if e := math.Abs(got[s][i] - first[s][i]); e > 1e-5*max(1, math.Abs(first[s][i])) {
							t.Fatalf("sequence %d value %d = %v, the first naming gave %v", s, i, got[s][i], first[s][i])
						}
					}
				}
			}
			if first == nil {
				first = got
			}
		})
	}
}

// TestAttendWeightsRefusals: usage errors (exit 2, nothing written) that
// say what is wrong and what was found.
func TestAttendWeightsRefusals(t *testing.T) {
	input, _ := torchReference(t, false)
	input64, _ := torchReference(t, true)
	w := func(name string) string { return filepath.Join(weightsFixtures, name) }
	mixed := t.TempDir() // a float32 and a float64 input
	for name, src := range map[string]string{"ref32.parquet": input, "ref64.parquet": input64} {
		if err := os.WriteFile(filepath.Join(mixed, name), mustRead(t, src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		args  []string
		input string
		code  int
		want  []string
	}{
		{"heads required", []string{"--weights", w("bert.safetensors"), "--weights-prefix", "bert.encoder.layer.0.attention"}, input, 2,
			[]string{"does not record the number of heads", "--heads"}},
		{"ambiguous prefix", []string{"--weights", w("bert.safetensors"), "--heads", "4"}, input, 2,
			[]string{"found attention blocks under: bert.encoder.layer.0.attention., bert.encoder.layer.1.attention."}},
		{"wrong prefix", []string{"--weights", w("clip.safetensors"), "--weights-prefix", "text_model", "--heads", "4"}, input, 2,
			[]string{`"text_model"`, "found attention blocks under: vision_model.encoder.layers.0.self_attn."}},
		{"llama", []string{"--weights", w("llama.safetensors"), "--weights-prefix", "model.layers.0.self_attn", "--heads", "4"}, input, 2,
			[]string{"rotary", "not supported"}},
		{"grouped-query", []string{"--weights", w("gqa.safetensors"), "--heads", "4"}, input, 2,
			[]string{"grouped-query", "not supported"}},
		{"f64 weights beyond float32, float32 input", []string{"--weights", w("big_f64.safetensors"), "--heads", "4"}, input, 2,
			[]string{"out_proj.weight", "1e+39", "float32 range"}},
		{"weights larger than the memory limit", []string{"--weights", w("torch.safetensors"), "--heads", "4", "--memory-limit", "8KiB"}, input, 2,
			[]string{"block layers.0.attn. (d=16) takes about", "more than the memory limit of 8.0 KiB"}},
		{"f64 weights beyond float32, float64 input", []string{"--weights", w("big_f64.safetensors"), "--heads", "4"}, input64, 0, nil},
		{"f64 weights beyond float32, float32 and float64 inputs", []string{"--weights", w("big_f64.safetensors"), "--heads", "4"}, mixed, 3,
			[]string{"ref32.parquet", "out_proj.weight", "float32 range"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			args := append(append([]string{"attend", "-o", out}, c.args...), c.input)
			r := runCLI(t, nil, args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d: %s", r.code, c.code, r.stderr)
			}
			for _, s := range c.want {
				if !strings.Contains(r.stderr, s) {
					t.Fatalf("stderr does not say %q: %s", s, r.stderr)
				}
			}
			if c.code == 3 { // the float64 input is written
				if _, err := os.Stat(filepath.Join(out, "ref64.parquet")); err != nil {
					t.Fatalf("the float64 input was not written: %v", err)
				}
				return
			}
			if c.code != 0 {
				if files := visibleFiles(t, out); len(files) != 0 {
					t.Fatalf("outputs written: %v", files)
				}
				return
			}
			got := readSequences(t, filepath.Join(out, "ref.parquet"), "embedding", "sequence_id", "position", false)
			for _, s := range got.seqs {
				for _, v := range s {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("non-finite output %v", v)
					}
				}
			}
		})
	}
}

// TestAttendWeightsHeldWithOversizedRowGroup: the weights' memory is held
// for the whole run; a row group larger than what is left of the budget
// still proceeds alone (no deadlock waiting for bytes the weights hold).
// The input's d is fixed by its schema (FIXED_LEN_BYTE_ARRAY(64)), so its
// first row group is charged before any sequence is open.
func TestAttendWeightsHeldWithOversizedRowGroup(t *testing.T) {
	type flbaRow struct {
		ID        string   `parquet:"sequence_id"`
		Pos       int64    `parquet:"position"`
		Embedding [64]byte `parquet:"embedding"`
	}
	rows := make([]flbaRow, 4000)
	for i := range rows {
		rows[i].ID, rows[i].Pos = fmt.Sprintf("s%03d", i/100), int64(i%100)
		for j := 0; j < 16; j++ {
			le.LittleEndian.PutUint32(rows[i].Embedding[4*j:], math.Float32bits(float32(math.Sin(float64(i+j)))))
		}
	}
	input := filepath.Join(t.TempDir(), "flba.parquet")
	// Pages stay under the limit (a page above it is bad input, SPEC v2);
	// the 64 KB row groups do not.
	if err := parquet.WriteFile(input, rows, parquet.MaxRowsPerRowGroup(1000), parquet.PageBufferSize(8<<10)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	done := make(chan result, 1)
	go func() {
		done <- runCLI(t, nil, "attend", "--weights", filepath.Join(weightsFixtures, "torch.safetensors"), "--heads", "4",
			"--memory-limit", "30KiB", "-o", out, input)
	}()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("attend did not finish: waiting for budget the weights hold?")
	}
}

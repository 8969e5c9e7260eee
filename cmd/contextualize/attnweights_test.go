package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/attention"
	"github.com/parquet-go/parquet-go"
)

type weightRow struct {
	Sequence string  `parquet:"sequence"`
	Head     int32   `parquet:"head"`
	Query    int32   `parquet:"query"`
	Key      int32   `parquet:"key"`
	Weight   float64 `parquet:"weight"`
}

func TestAttentionOutputMatchesLibrary(t *testing.T) {
	samples := sampleDir(t)
	weights := filepath.Join(samples, "mha_d32_h4.safetensors")
	file := filepath.Join(samples, "tokens_nested.parquet")
	for _, tt := range []struct {
		name    string
		flags   []string
		average bool
		p       attention.MHAParams
	}{
		{"per head causal", []string{"--causal"}, false, attention.MHAParams{Heads: 4, Causal: true, Window: -1}},
		{"averaged window", []string{"--average-heads", "--window", "3"}, true, attention.MHAParams{Heads: 4, Window: 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, aw := t.TempDir(), t.TempDir()
			args := append([]string{"attend", "--weights", weights, "--heads", "4", "--attention-output", aw, "-o", out}, tt.flags...)
			if r := runCLI(t, nil, append(args, file)...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			rows, err := parquet.ReadFile[weightRow](filepath.Join(aw, "tokens_nested.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			in := readSequences(t, file, "embedding", "", "", true)
			m, err := attention.NewMHA(loadSampleWeights(t, weights), tt.p)
			if err != nil {
				t.Fatal(err)
			}
			var want []weightRow
			ids := readStrings(t, mustOpen(t, file), 0, "sequence_id")
			for s, x := range in.seqs {
				m.Weights(x, len(x)/in.d, tt.average, func(h, q, k int, w float64) {
					want = append(want, weightRow{ids[s], int32(h), int32(q), int32(k), w})
				})
			}
			if len(rows) != len(want) {
				t.Fatalf("%d weight rows, want %d", len(rows), len(want))
			}
			for i := range want {
				if rows[i] != want[i] {
					t.Fatalf("row %d = %+v, want %+v", i, rows[i], want[i])
				}
			}
			checkRowsSumToOne(t, rows)
		})
	}
}

// checkRowsSumToOne: every (sequence, head, query) distribution sums to 1.
func checkRowsSumToOne(t *testing.T, rows []weightRow) {
	t.Helper()
	sums := map[[3]any]float64{}
	for _, r := range rows {
		sums[[3]any{r.Sequence, r.Head, r.Query}] += r.Weight
	}
	for k, s := range sums {
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("weights of %v sum to %v", k, s)
		}
	}
}

func TestAttentionOutputLimit(t *testing.T) {
	samples := sampleDir(t)
	out, aw := t.TempDir(), t.TempDir()
	r := runCLI(t, nil, "attend", "--weights", "identity", "--heads", "1", "--attention-output", aw,
		"--attention-output-limit", "100", "-o", out, filepath.Join(samples, "tokens_nested.parquet"))
	if r.code != 2 || !strings.Contains(r.stderr, "limit 100") {
		t.Fatalf("exit %d, want 2 naming the limit: %s", r.code, r.stderr)
	}
	for _, dir := range []string{out, aw} {
		if files := visibleFiles(t, dir); len(files) != 0 {
			t.Errorf("%s holds %v after a refused run", dir, files)
		}
	}
}

func mustOpen(t *testing.T, path string) *parquetFile {
	t.Helper()
	f, err := openParquet(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runCLI(t, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "contextualize") {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

func TestExitCodes(t *testing.T) {
	samples := sampleDir(t)
	tokens := filepath.Join(samples, "tokens.parquet")
	sensors := filepath.Join(samples, "sensors.parquet")
	weights := filepath.Join(samples, "mha_d32_h4.safetensors")
	garbage := filepath.Join(t.TempDir(), "garbage.parquet")
	if err := os.WriteFile(garbage, []byte("this is not parquet at all, just bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, []byte("x"), 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"success", []string{"smooth", "--sigma", "2", "-o", t.TempDir(), sensors}, 0, nil},
		{"unknown flag", []string{"smooth", "--sigmaa", "2", "-o", t.TempDir(), sensors}, 2, []string{"sigmaa"}},
		{"bad mode", []string{"smooth", "--sigma", "2", "--mode", "bogus", "-o", t.TempDir(), sensors}, 2, []string{"mode"}},
		{"no sigma", []string{"smooth", "-o", t.TempDir(), sensors}, 2, []string{"sigma"}},
		{"no output", []string{"smooth", "--sigma", "2", sensors}, 2, []string{"--output"}},
		{"missing input", []string{"smooth", "--sigma", "2", "-o", t.TempDir(), filepath.Join(samples, "nope.parquet")}, 2, []string{"nope.parquet"}},
		{"heads do not divide d", []string{"attend", "--weights", weights, "--heads", "5", "-o", t.TempDir(), tokens}, 2, []string{"5"}},
		{"missing weights file", []string{"attend", "--weights", filepath.Join(samples, "none.safetensors"), "--heads", "4", "-o", t.TempDir(), tokens}, 2, []string{"none.safetensors"}},
		{"default value column missing in the one input", []string{"attend", "--weights", weights, "--heads", "4", "-o", t.TempDir(), sensors}, 3, []string{"sensors.parquet", "embedding"}},
		{"flag-named column missing from every input", []string{"smooth", "--sigma", "2", "--order-column", "when", "-o", t.TempDir(), sensors, tokens}, 2, []string{"--order-column when", "no input has"}},
		{"flag-named column missing from one input", []string{"smooth", "--sigma", "2", "--column", "value", "-o", t.TempDir(), sensors, tokens}, 3, []string{"tokens.parquet", `"value"`}},
		{"one bad input among good", []string{"smooth", "--sigma", "2", "-o", t.TempDir(), sensors, garbage}, 3, []string{"garbage.parquet"}},
		{"plan without a command", []string{"plan", sensors}, 2, []string{"unknown command", "plan attend|smooth"}},
		{"output not a directory", []string{"smooth", "--sigma", "2", "-o", notDir, sensors}, 1, []string{"file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

func TestBadInputLeavesGoodOutputs(t *testing.T) {
	samples := sampleDir(t)
	in := t.TempDir()
	for _, name := range []string{"a.parquet", "c.parquet"} {
		os.WriteFile(filepath.Join(in, name), mustRead(t, filepath.Join(samples, "sensors.parquet")), 0o644)
	}
	os.WriteFile(filepath.Join(in, "b.parquet"), []byte("PAR1 garbage"), 0o644)
	out := t.TempDir()
	r := runCLI(t, nil, "smooth", "--sigma", "3", "-o", out, in)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "b.parquet") {
		t.Errorf("stderr does not name the bad file:\n%s", r.stderr)
	}
	got := visibleFiles(t, out)
	want := []string{"a.parquet", "c.parquet"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("outputs %v, want %v (no _SUCCESS, no temp files)", got, want)
	}
}

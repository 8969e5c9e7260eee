package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

type planEntry struct {
	Index    int    `json:"index"`
	Input    string `json:"input"`
	Output   string `json:"output"`
	Shard    int    `json:"shard"`
	Selected bool   `json:"selected"`
	Action   string `json:"action"`
}

func plan(t *testing.T, env []string, args ...string) []planEntry {
	t.Helper()
	r := runCLI(t, env, append([]string{"plan", "smooth", "--json", "--sigma", "2"}, args...)...)
	if r.code != 0 {
		t.Fatalf("plan: exit %d: %s", r.code, r.stderr)
	}
	var entries []planEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatalf("plan --json is not a JSON array of entries: %v\n%s", err, r.stdout)
	}
	return entries
}

func TestPlanShowsShardsAndSkips(t *testing.T) {
	samples := sampleDir(t)
	out := t.TempDir()
	all := plan(t, nil, "--shard-count", "2", "-o", out, samples)
	if len(all) != 3 {
		t.Fatalf("%d units, want the 3 sample Parquet files", len(all))
	}
	for i, e := range all {
		if e.Index != i || e.Shard != i%2 || !e.Selected || e.Action != "process" {
			t.Errorf("entry %d = %+v, want shard %d, selected, process", i, e, i%2)
		}
	}
	one := plan(t, []string{"JOB_COMPLETION_INDEX=1"}, "--shard-count", "2", "-o", out, samples)
	for _, e := range one {
		if e.Selected != (e.Shard == 1) {
			t.Errorf("shard 1 plan selects %+v", e)
		}
	}
	// After a run, the same parameters plan to skip; other ones differ.
	sensors := filepath.Join(samples, "sensors.parquet")
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "-o", out, sensors); r.code != 0 {
		t.Fatalf("smooth: %d %s", r.code, r.stderr)
	}
	if e := plan(t, nil, "-o", out, sensors); e[0].Action != "skip: up to date" {
		t.Errorf("after a run: action %q, want skip", e[0].Action)
	}
	r := runCLI(t, nil, "plan", "smooth", "--json", "--sigma", "3", "-o", out, sensors)
	var differs []planEntry
	json.Unmarshal([]byte(r.stdout), &differs)
	if len(differs) != 1 || differs[0].Action != "error: fingerprint differs" {
		t.Errorf("other parameters: %s (exit %d) want action differs", r.stdout, r.code)
	}
	if _, err := os.Stat(filepath.Join(out, "_SUCCESS")); err != nil {
		t.Errorf("plan must not touch outputs: %v", err)
	}
}

// TestPlanExitsAsTheRunWould: plan makes the checks a run makes before it
// computes, and exits with the code the run then exits with.
func TestPlanExitsAsTheRunWould(t *testing.T) {
	samples := sampleDir(t)
	tokens := filepath.Join(samples, "tokens.parquet")
	sensors := filepath.Join(samples, "sensors.parquet")
	weights := filepath.Join(samples, "mha_d32_h4.safetensors")
	d4 := "../../testdata/interop/long_rowgroups.parquet"
	garbage := filepath.Join(t.TempDir(), "garbage.parquet")
	os.WriteFile(garbage, []byte("not parquet, only bytes"), 0o644)
	differs := t.TempDir()
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "-o", differs, sensors); r.code != 0 {
		t.Fatal(r.stderr)
	}
	tests := []struct {
		name string
		args []string // after the command; "OUT" is a fresh output directory
		code int      // -1: any failure, as long as plan and run agree
	}{
		{"all good", []string{"smooth", "--sigma", "2", "-o", "OUT", samples}, 0},
		{"bad input among good", []string{"smooth", "--sigma", "2", "-o", "OUT", sensors, garbage}, 3},
		{"d differs from the weights in one file", []string{"attend", "--weights", weights, "--heads", "4", "-o", "OUT", tokens, d4}, 3},
		{"default value column missing", []string{"attend", "--weights", "random", "--heads", "4", "-o", "OUT", sensors}, 3},
		{"heads do not divide this file's d", []string{"attend", "--weights", "random", "--heads", "3", "-o", "OUT", tokens}, 3},
		{"bandwidth without timestamps in this file", []string{"smooth", "--bandwidth", "5m", "-o", "OUT", tokens}, 3},
		{"column named by a flag in no input", []string{"smooth", "--sigma", "2", "--sequence-column", "nope", "-o", "OUT", tokens, sensors}, 2},
		{"fingerprint differs", []string{"smooth", "--sigma", "3", "-o", differs, sensors}, 2},
		{"up to date", []string{"smooth", "--sigma", "2", "-o", differs, sensors}, 0},
		{"other shard's bad input is not checked", []string{"smooth", "--sigma", "2", "--shard-count", "2", "--shard-index", "1", "-o", "OUT", garbage, sensors}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := func() []string {
				out := filepath.Join(t.TempDir(), "out")
				a := append([]string(nil), tt.args...)
				for i := range a {
					if a[i] == "OUT" {
						a[i] = out
					}
				}
				return a
			}
			p := runCLI(t, nil, append([]string{"plan"}, args()...)...)
			if p.code != tt.code {
				t.Errorf("plan: exit %d, want %d\n%s%s", p.code, tt.code, p.stdout, p.stderr)
			}
			if tt.name == "fingerprint differs" || tt.name == "up to date" {
				return // the run would change the directory the next cases use
			}
			r := runCLI(t, nil, args()...)
			if r.code != p.code {
				t.Errorf("run: exit %d, plan said %d\n%s", r.code, p.code, r.stderr)
			}
		})
	}
	r := runCLI(t, nil, "plan", "smooth", "--json", "--sigma", "2", "-o", t.TempDir(), sensors, garbage)
	var entries []struct {
		Input, Action, Detail string
		Rows                  int64
	}
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("plan --json: %v\n%s", err, r.stdout)
	}
	for _, e := range entries {
		bad := filepath.Base(e.Input) == "garbage.parquet"
		if bad != (e.Action == "error: input") || bad != (e.Detail != "") || !bad && e.Rows != 2080 {
			t.Errorf("entry %+v", e)
		}
	}
}

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

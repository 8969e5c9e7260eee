package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// attendArgs runs the sample weights over the sample tokens.
func attendArgs(samples, out string, extra ...string) []string {
	args := []string{"attend", "--weights", filepath.Join(samples, "mha_d32_h4.safetensors"), "--heads", "4", "-o", out}
	args = append(args, extra...)
	return append(args, filepath.Join(samples, "tokens.parquet"), filepath.Join(samples, "tokens_nested.parquet"))
}

func TestOutputBytesDoNotDependOnWorkers(t *testing.T) {
	samples := sampleDir(t)
	var first map[string][]byte
	for _, w := range []string{"1", "2", "7"} {
		out := t.TempDir()
		if r := runCLI(t, nil, attendArgs(samples, out, "--workers", w)...); r.code != 0 {
			t.Fatalf("workers %s: exit %d: %s", w, r.code, r.stderr)
		}
		got := parquetBytes(t, out)
		if first == nil {
			first = got
			continue
		}
		for name, b := range first {
			if !bytes.Equal(b, got[name]) {
				t.Errorf("workers %s: %s differs from workers 1", w, name)
			}
		}
	}
}

func parquetBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range visibleFiles(t, dir) {
		if strings.HasSuffix(f, ".parquet") {
			m[f] = mustRead(t, filepath.Join(dir, f))
		}
	}
	if len(m) == 0 {
		t.Fatalf("no outputs in %s", dir)
	}
	return m
}

func TestShardsEqualOneRun(t *testing.T) {
	samples := sampleDir(t)
	in := t.TempDir()
	for i := 0; i < 5; i++ {
		os.WriteFile(filepath.Join(in, fmt.Sprintf("part-%d.parquet", i)), mustRead(t, filepath.Join(samples, "sensors.parquet")), 0o644)
	}
	whole := t.TempDir()
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "-o", whole, in); r.code != 0 {
		t.Fatalf("unsharded: exit %d: %s", r.code, r.stderr)
	}
	sharded := t.TempDir()
	for i := 0; i < 3; i++ {
		if _, err := os.Stat(filepath.Join(sharded, "_SUCCESS")); err == nil {
			t.Fatalf("_SUCCESS before shard %d ran", i)
		}
		env := []string{fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i)}
		if r := runCLI(t, env, "smooth", "--sigma", "2", "--shard-count", "3", "-o", sharded, in); r.code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(sharded, "_SUCCESS")); err != nil {
		t.Fatalf("no _SUCCESS after all shards: %v", err)
	}
	want, got := parquetBytes(t, whole), parquetBytes(t, sharded)
	if len(want) != len(got) {
		t.Fatalf("%d outputs sharded, %d unsharded", len(got), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(b, got[name]) {
			t.Errorf("%s differs between sharded and unsharded runs", name)
		}
	}
}

func TestRerunSkipsOrRefuses(t *testing.T) {
	samples := sampleDir(t)
	out := t.TempDir()
	sensors := filepath.Join(samples, "sensors.parquet")
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "-o", out, sensors); r.code != 0 {
		t.Fatalf("first run: %d %s", r.code, r.stderr)
	}
	before := mustRead(t, filepath.Join(out, "sensors.parquet"))
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "-o", out, sensors); r.code != 0 {
		t.Fatalf("same parameters: exit %d, want 0 (skipped): %s", r.code, r.stderr)
	}
	r := runCLI(t, nil, "smooth", "--sigma", "3", "-o", out, sensors)
	if r.code != 2 || !strings.Contains(r.stderr, "sensors.parquet") {
		t.Fatalf("different parameters: exit %d, want 2 naming the file: %s", r.code, r.stderr)
	}
	if !bytes.Equal(before, mustRead(t, filepath.Join(out, "sensors.parquet"))) {
		t.Fatal("a refused run changed the output")
	}
	if r := runCLI(t, nil, "smooth", "--sigma", "3", "--overwrite", "-o", out, sensors); r.code != 0 {
		t.Fatalf("--overwrite: exit %d: %s", r.code, r.stderr)
	}
	if bytes.Equal(before, mustRead(t, filepath.Join(out, "sensors.parquet"))) {
		t.Fatal("--overwrite left the old output")
	}
}

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileURLsEndToEnd runs over file:// URLs, which take the
// object-storage path (the same code as s3://, gs:// and azblob://, which
// run against real servers under the objstore build tag): hive folders
// kept, hidden names skipped, the same bytes as a run on paths, _SUCCESS,
// and a re-run that skips.
func TestFileURLsEndToEnd(t *testing.T) {
	samples := sampleDir(t)
	sensors := mustRead(t, filepath.Join(samples, "sensors.parquet"))
	in := t.TempDir()
	for _, k := range []string{"date=2024-01-01/a.parquet", "date=2024-01-02/b.parquet", "_tmp/c.parquet"} {
		os.MkdirAll(filepath.Dir(filepath.Join(in, k)), 0o755)
		os.WriteFile(filepath.Join(in, k), sensors, 0o644)
	}
	ref, out := t.TempDir(), t.TempDir()
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "-q", "-o", ref, in); r.code != 0 {
		t.Fatalf("paths: exit %d: %s", r.code, r.stderr)
	}
	args := []string{"smooth", "--sigma", "2", "--progress", "never", "-o", "file://" + filepath.ToSlash(out) + "/o", "file://" + filepath.ToSlash(in)}
	if r := runCLI(t, nil, args...); r.code != 0 {
		t.Fatalf("URLs: exit %d: %s", r.code, r.stderr)
	}
	got := visibleFiles(t, filepath.Join(out, "o"))
	want := []string{"_SUCCESS", filepath.FromSlash("date=2024-01-01/a.parquet"), filepath.FromSlash("date=2024-01-02/b.parquet")}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("files %q, want %q", got, want)
	}
	for _, k := range want[1:] {
		if !bytes.Equal(mustRead(t, filepath.Join(out, "o", k)), mustRead(t, filepath.Join(ref, k))) {
			t.Errorf("%s differs from the run on paths", k)
		}
	}
	if r := runCLI(t, nil, args...); r.code != 0 || !strings.Contains(r.stderr, "written=0 skipped=2") {
		t.Fatalf("re-run: exit %d, want both skipped: %s", r.code, r.stderr)
	}
}

// TestUnknownSchemeExits2 names an unsupported scheme as input and as
// output: exit 2 with the scheme named, and nothing created (no local
// folder named after the scheme).
func TestUnknownSchemeExits2(t *testing.T) {
	samples := sampleDir(t)
	cwd := t.TempDir()
	for _, args := range [][]string{
		{"smooth", "--sigma", "2", "-o", "foo://bucket/out", filepath.Join(samples, "sensors.parquet")},
		{"smooth", "--sigma", "2", "-o", filepath.Join(cwd, "out"), "foo://bucket/in"},
		{"inspect", "foo://bucket/in"},
	} {
		cmd := runCLIIn(t, cwd, args...)
		if cmd.code != 2 || !strings.Contains(cmd.stderr, `unsupported scheme "foo"`) {
			t.Errorf("%q: exit %d, want 2 naming the scheme: %s", args, cmd.code, cmd.stderr)
		}
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("created %v", entries)
	}
}

// runCLIIn is runCLI in the working directory dir.
func runCLIIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return result{code: ee.ExitCode(), stdout: out.String(), stderr: errb.String()}
	case err != nil:
		t.Fatalf("running %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String()}
}

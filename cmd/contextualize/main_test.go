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

// binary is the contextualize executable built once for the tests that
// run it as a user would.
var binary string

func TestMain(m *testing.M) {
	if launchMeasured() {
		return
	}
	dir, err := os.MkdirTemp("", "contextualize-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "contextualize")
	linked := binary + ".linked"
	build := exec.Command("go", "build", "-tags", buildTags, "-o", linked, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building the binary: " + err.Error())
	}
	// The peak-RSS tests run a copy, as a user runs an installed binary:
	// the file the linker just wrote maps 7-9 MiB more pages when run
	// (scripts/bench measured it and copies its binaries too).
	if err := copyExecutable(linked, binary); err != nil {
		panic("copying the binary: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// copyExecutable writes the bytes of src to a new executable dst and
// removes src.
func copyExecutable(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		return err
	}
	return os.Remove(src)
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the binary with args and an environment free of
// CONTEXTUALIZE_* and JOB_COMPLETION_INDEX leftovers.
func runCLI(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CONTEXTUALIZE_") || strings.HasPrefix(kv, "JOB_COMPLETION_INDEX=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// sampleDir writes the bundled samples with the binary itself.
func sampleDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if r := runCLI(t, nil, "samples", "-o", dir); r.code != 0 {
		t.Fatalf("samples: exit %d: %s", r.code, r.stderr)
	}
	return dir
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// visibleFiles lists the files below dir, relative, skipping only the
// run's bookkeeping under _shards/: a leftover temp file must show.
func visibleFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "_shards" {
			return filepath.SkipDir // the run's bookkeeping: shard manifests and locks
		}
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

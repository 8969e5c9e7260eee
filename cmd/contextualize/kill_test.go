package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contextualize/contextualize/io/storage"
)

// killInputs is the input set of the kill and signal tests: a clean
// `smooth --sigma 5` over it takes 0.3-1 s on 2 cores (idle to busy), in
// 8 files of 27 row groups each (sequences of 400 rows span row groups), so
// a kill can land before the first file, inside any file, between commits
// and around _SUCCESS, and a signal sent after the first commit still finds
// files to interrupt. (With 8,000 rows a file the run took 75 ms once the
// reader got faster, and a signal after the first commit could arrive when
// every file was already written.)
var killInputs = genSpec{Files: 8, Rows: 40000, D: 32, SeqLen: 400, RowGroupRows: 1500}

// smoothArgs are the arguments of the runs the kill and signal tests
// interrupt (no --overwrite: re-runs must resume by skipping).
func smoothArgs(out, in string) []string {
	return []string{"smooth", "--sigma", "5", "--progress", "never", "-o", out, in}
}

// reference is the outcome of one clean run.
type reference struct {
	outputs  map[string][]byte // visible *.parquet below the output dir
	duration time.Duration
}

func cleanRun(t *testing.T, in string) reference {
	t.Helper()
	out := t.TempDir()
	start := time.Now()
	r := runCLI(t, nil, smoothArgs(out, in)...)
	d := time.Since(start)
	if r.code != 0 {
		t.Fatalf("clean run: exit %d: %s", r.code, r.stderr)
	}
	ref := reference{outputs: parquetBytes(t, out), duration: d}
	if len(ref.outputs) != killInputs.Files {
		t.Fatalf("clean run wrote %d outputs, want %d", len(ref.outputs), killInputs.Files)
	}
	checkComplete(t, out, ref)
	return ref
}

// dirState is what an interrupted run left in an output directory.
type dirState struct {
	temps   []string // hidden temp files (storage.TempPrefix + random + "." + name)
	outputs []string // visible *.parquet
	success bool     // _SUCCESS present
}

// checkInterrupted asserts what must hold after any interruption, however
// abrupt: every visible output is complete (byte-identical to the clean
// run's), every other file is a hidden temp file (storage.TempPrefix..., skipped
// by readers) or the run's bookkeeping under _shards/ (shard manifest, lock),
// and _SUCCESS is there only if every output is.
func checkInterrupted(t *testing.T, out string, ref reference) dirState {
	t.Helper()
	var st dirState
	for _, rel := range visibleFiles(t, out) {
		base := filepath.Base(rel)
		switch {
		case strings.HasPrefix(base, "."):
			if !storage.IsTemp(base) {
				t.Errorf("%s: hidden file that is not one of our temp files", rel)
			}
			st.temps = append(st.temps, rel)
		case strings.HasPrefix(rel, "_shards"+string(filepath.Separator)):
			if !strings.HasSuffix(base, ".json") && !strings.HasSuffix(base, ".lock") {
				t.Errorf("%s: unexpected file in _shards", rel)
			}
		case rel == "_SUCCESS":
			st.success = true
		case strings.HasSuffix(base, ".parquet"):
			want, ok := ref.outputs[rel]
			if !ok {
				t.Errorf("%s: visible output the clean run does not have", rel)
				continue
			}
			if got := mustRead(t, filepath.Join(out, rel)); !bytes.Equal(got, want) {
				t.Errorf("%s: visible but not the clean run's bytes (%d bytes, want %d): a partial or different file", rel, len(got), len(want))
			}
			st.outputs = append(st.outputs, rel)
		default:
			t.Errorf("%s: unexpected file in the output directory", rel)
		}
	}
	if st.success {
		if len(st.outputs) != len(ref.outputs) {
			t.Errorf("_SUCCESS present with %d of %d outputs: %v", len(st.outputs), len(ref.outputs), st.outputs)
		}
		checkSuccess(t, out, ref)
	}
	return st
}

// checkComplete asserts a finished run: exactly the clean run's outputs,
// a valid _SUCCESS, and no temp file left.
func checkComplete(t *testing.T, out string, ref reference) {
	t.Helper()
	st := checkInterrupted(t, out, ref)
	if len(st.temps) > 0 {
		t.Errorf("temp files left after a complete run: %v", st.temps)
	}
	if !st.success {
		t.Errorf("no _SUCCESS after a complete run")
	}
	if len(st.outputs) != len(ref.outputs) {
		t.Errorf("%d outputs after a complete run, want %d: %v", len(st.outputs), len(ref.outputs), st.outputs)
	}
}

// checkSuccess asserts that _SUCCESS is a manifest listing exactly the
// outputs present, with their sizes.
func checkSuccess(t *testing.T, out string, ref reference) {
	t.Helper()
	var m struct {
		Files   int `json:"files"`
		Outputs []struct {
			Path  string `json:"path"`
			Rows  int64  `json:"rows"`
			Bytes int64  `json:"bytes"`
		} `json:"outputs"`
	}
	b := mustRead(t, filepath.Join(out, "_SUCCESS"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Errorf("_SUCCESS is not a complete JSON manifest (%v): %q", err, b)
		return
	}
	if m.Files != len(ref.outputs) || len(m.Outputs) != len(ref.outputs) {
		t.Errorf("_SUCCESS lists %d files / %d outputs, want %d", m.Files, len(m.Outputs), len(ref.outputs))
	}
	for _, o := range m.Outputs {
		want, ok := ref.outputs[filepath.FromSlash(o.Path)]
		switch {
		case !ok:
			t.Errorf("_SUCCESS lists %s, which the clean run did not write", o.Path)
		case o.Bytes != int64(len(want)):
			t.Errorf("_SUCCESS: %s has %d bytes, want %d", o.Path, o.Bytes, len(want))
		case o.Rows != int64(killInputs.Rows):
			t.Errorf("_SUCCESS: %s has %d rows, want %d", o.Path, o.Rows, killInputs.Rows)
		}
	}
}

// startCLI starts the binary without waiting for it.
func startCLI(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &errb
}

// killAfter starts a run, SIGKILLs it after delay and reports whether it
// had already finished (with exit 0) by then.
func killAfter(t *testing.T, delay time.Duration, args ...string) (finished bool) {
	t.Helper()
	cmd, stderr := startCLI(t, args...)
	time.Sleep(delay)
	killErr := cmd.Process.Signal(syscall.SIGKILL)
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true // done before the kill
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return false
		}
		t.Fatalf("run killed after %v: exit %d before the kill (kill: %v): %s", delay, ee.ExitCode(), killErr, stderr)
	default:
		t.Fatalf("waiting: %v", err)
	}
	return false
}

// TestKillAtTwentyMoments SIGKILLs a run at 20 moments spread over a clean
// run's duration (a few very early, a few very late) and checks that
// nothing partial is ever visible, that _SUCCESS never claims an
// incomplete directory, and that a plain re-run (no --overwrite) resumes:
// exit 0, the clean run's bytes, _SUCCESS, no temp file left. Every fourth
// moment is followed by a second kill into the same directory before the
// re-run, so a run also starts over a killed run's leftovers.
func TestKillAtTwentyMoments(t *testing.T) {
	in := genInputs(t, killInputs)
	ref := cleanRun(t, in)
	t.Logf("clean run: %v", ref.duration)

	// 20 moments as fractions of the clean run's duration: very early
	// (flag parsing, planning, first row group), k/20 through the run, and
	// very late (last commits, _SUCCESS, exit).
	moments := []float64{
		0.002, 0.01, 0.03, 0.06,
		0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9,
		0.95, 0.98, 0.995, 1.01,
	}

	unfinished, withTemps, withSomeOutputs := 0, 0, 0
	for i, m := range moments {
		out := t.TempDir()
		delay := time.Duration(m * float64(ref.duration))
		finished := killAfter(t, delay, smoothArgs(out, in)...)
		st := checkInterrupted(t, out, ref)
		if !finished {
			unfinished++
		}
		if len(st.temps) > 0 {
			withTemps++
		}
		if len(st.outputs) > 0 && len(st.outputs) < len(ref.outputs) {
			withSomeOutputs++
		}
		t.Logf("kill at %.3f (%v): finished %v, %d outputs, %d temps, _SUCCESS %v", m, delay, finished, len(st.outputs), len(st.temps), st.success)

		if i%4 == 1 && !st.success {
			// Resume once more and kill again, half-way through what is left.
			finished := killAfter(t, ref.duration/2, smoothArgs(out, in)...)
			st2 := checkInterrupted(t, out, ref)
			if len(st2.outputs) < len(st.outputs) {
				t.Errorf("a second killed run lost committed outputs: %v then %v", st.outputs, st2.outputs)
			}
			t.Logf("  second kill: finished %v, %d outputs, %d temps, _SUCCESS %v", finished, len(st2.outputs), len(st2.temps), st2.success)
		}

		r := runCLI(t, nil, smoothArgs(out, in)...)
		if r.code != 0 {
			t.Fatalf("re-run after kill at %.3f: exit %d: %s", m, r.code, r.stderr)
		}
		checkComplete(t, out, ref)
		if t.Failed() {
			t.Fatalf("stopping after the kill at %.3f", m)
		}
	}
	t.Logf("%d of 20 kills landed before the end, %d left temp files, %d left some but not all outputs", unfinished, withTemps, withSomeOutputs)
	// The early moments land inside the run even if the machine got twice
	// as fast since the clean run was timed; without such kills the test
	// would prove nothing.
	if unfinished < 5 || withTemps < 2 {
		t.Errorf("only %d kills landed before the end and %d caught a temp file: the test is not exercising interruption", unfinished, withTemps)
	}
}

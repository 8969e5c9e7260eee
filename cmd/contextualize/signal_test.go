package main

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contextualize/contextualize/io/storage"
)

// waitFor polls dir until cond holds for one of its files (relative
// paths), and fails the test after timeout.
func waitFor(t *testing.T, dir string, timeout time.Duration, what string, cond func(rel string) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, rel := range visibleFiles(t, dir) {
			if cond(rel) {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no %s in %s after %v", what, dir, timeout)
}

func isTempName(rel string) bool {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	return storage.IsTemp(base)
}

// TestSignalsExit130 interrupts a run with SIGINT and with SIGTERM (what
// Kubernetes sends before SIGKILL) at two points: while the first files
// are being written, and once at least one output is committed. The run
// must exit 130 promptly, keep the committed outputs (complete, the clean
// run's bytes), remove its temp files, write no _SUCCESS, say it was
// interrupted; a plain re-run then completes the directory.
func TestSignalsExit130(t *testing.T) {
	in := genInputs(t, killInputs)
	ref := cleanRun(t, in)
	t.Logf("clean run: %v", ref.duration)

	points := []struct {
		name string
		what string
		cond func(rel string) bool
	}{
		{"while writing the first files", "temp file", isTempName},
		{"after a commit", "committed output", func(rel string) bool {
			return !isTempName(rel) && strings.HasSuffix(rel, ".parquet")
		}},
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for _, p := range points {
			t.Run(sig.String()+" "+p.name, func(t *testing.T) {
				out := t.TempDir()
				cmd, stderr := startCLI(t, smoothArgs(out, in)...)
				waitFor(t, out, 30*time.Second, p.what, p.cond)
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				sent := time.Now()
				err := cmd.Wait()
				latency := time.Since(sent)
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode() // -1 if the signal killed it
				} else if err != nil {
					t.Fatal(err)
				}
				if code != 130 {
					t.Fatalf("exit %d after %v, want 130; stderr:\n%s", code, sig, stderr)
				}
				t.Logf("exit 130 %v after the signal", latency)
				// A cancelled run stops at the next row group or work item,
				// not at the end of the file: far less than a clean run of
				// every file, even on a loaded machine.
				if limit := 10 * time.Second; latency > limit {
					t.Errorf("took %v to exit after %v, want < %v", latency, sig, limit)
				}
				if !strings.Contains(stderr.String(), "interrupted") {
					t.Errorf("stderr does not say the run was interrupted:\n%s", stderr)
				}
				st := checkInterrupted(t, out, ref)
				if len(st.temps) > 0 {
					t.Errorf("temp files left after %v: %v", sig, st.temps)
				}
				if st.success {
					t.Errorf("_SUCCESS written by an interrupted run")
				}
				if len(st.outputs) == len(ref.outputs) {
					t.Errorf("every output was written: the signal came too late to test anything")
				}
				r := runCLI(t, nil, smoothArgs(out, in)...)
				if r.code != 0 {
					t.Fatalf("re-run: exit %d: %s", r.code, r.stderr)
				}
				checkComplete(t, out, ref)
			})
		}
	}
}

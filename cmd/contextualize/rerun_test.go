package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contextualize/contextualize/io/storage"
	"github.com/contextualize/contextualize/pipeline"
)

// snapshot returns every file below dir (hidden ones included) with its bytes.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			m[rel] = mustRead(t, p)
		}
		return nil
	})
	return m
}

func sameFiles(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d files, want %d", what, len(got), len(want))
	}
	for rel, b := range want {
		if !bytes.Equal(got[rel], b) {
			t.Errorf("%s: %s changed or missing", what, rel)
		}
	}
}

func readSuccessFile(t *testing.T, out string) pipeline.SuccessManifest {
	t.Helper()
	var m pipeline.SuccessManifest
	if err := json.Unmarshal(mustRead(t, filepath.Join(out, pipeline.SuccessName)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRerunRewrittenInput: an input rewritten under the same name (its
// old modification time given back) is recomputed, not skipped; the output
// is a fresh run's over the new file and _SUCCESS pairs the new size with
// the new row count. A deleted input's output stays, with a warning, and
// is listed in _SUCCESS.
func TestRerunRewrittenInput(t *testing.T) {
	spec := genSpec{Files: 3, Rows: 600, D: 4, SeqLen: 50, RowGroupRows: 250}
	in := genInputs(t, spec)
	out := t.TempDir()
	args := []string{"smooth", "--sigma", "2", "--progress", "never", "-o", out, in}
	if r := runCLI(t, nil, args...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	target := filepath.Join(in, "part-001.parquet")
	fi, _ := os.Stat(target)
	other := spec
	other.Rows = 450
	if err := writeVecFile(target, 99, other); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(target, fi.ModTime(), fi.ModTime())
	r := runCLI(t, nil, args...)
	if r.code != 0 || !strings.Contains(r.stderr, "recomputing") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fresh := t.TempDir()
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "--progress", "never", "-o", fresh, target); r.code != 0 {
		t.Fatalf("fresh run: exit %d: %s", r.code, r.stderr)
	}
	if !bytes.Equal(mustRead(t, filepath.Join(out, "part-001.parquet")), mustRead(t, filepath.Join(fresh, "part-001.parquet"))) {
		t.Fatal("the output of the rewritten input is not a fresh run's")
	}
	nfi, _ := os.Stat(target)
	m := readSuccessFile(t, out)
	for i, mi := range m.Inputs {
		if strings.HasSuffix(mi.Path, "part-001.parquet") && (mi.Size != nfi.Size() || mi.Rows != 450 || m.Outputs[i].Rows != 450) {
			t.Fatalf("_SUCCESS pairs %+v with %+v; the input has %d bytes and 450 rows", mi, m.Outputs[i], nfi.Size())
		}
	}

	// Deleted input: its output is kept, warned about, listed.
	os.Remove(filepath.Join(in, "part-002.parquet"))
	r = runCLI(t, nil, args...)
	if r.code != 0 || !strings.Contains(r.stderr, "input is gone") || !strings.Contains(r.stderr, "part-002.parquet") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "part-002.parquet")); err != nil {
		t.Fatalf("orphaned output deleted: %v", err)
	}
	if m := readSuccessFile(t, out); m.Files != 2 || len(m.Orphans) != 1 || m.Orphans[0].Output.Path != "part-002.parquet" {
		t.Fatalf("_SUCCESS %+v", m)
	}
	// Other parameters are still refused.
	if r := runCLI(t, nil, "smooth", "--sigma", "3", "--progress", "never", "-o", out, in); r.code != 2 {
		t.Fatalf("other parameters: exit %d: %s", r.code, r.stderr)
	}
}

// TestConcurrentRunsOneLocation starts a second run on the -o of a run in
// progress, with other parameters and with the same: it exits 1 naming the
// first run's pid, and deletes nothing. The first run finishes with the
// clean run's bytes and a _SUCCESS of its own parameters.
func TestConcurrentRunsOneLocation(t *testing.T) {
	in := genInputs(t, killInputs)
	ref := cleanRun(t, in)
	for _, second := range [][]string{{"--sigma", "3"}, {"--sigma", "5"}} {
		out := t.TempDir()
		first, stderr := startCLI(t, smoothArgs(out, in)...)
		waitFor(t, out, 30*time.Second, "temp file", isTempName)
		// Stopped, the first run keeps its lock however fast it would have
		// finished (fewer fsyncs made it outrun the second run under load).
		if err := first.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"smooth"}, second...)
		r := runCLI(t, nil, append(args, "--progress", "never", "-o", out, in)...)
		if err := first.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("pid %d", first.Process.Pid)) {
			t.Errorf("second run %v: exit %d, want 1 naming pid %d: %s", second, r.code, first.Process.Pid, r.stderr)
		}
		if err := first.Wait(); err != nil {
			t.Fatalf("first run: %v: %s", err, stderr)
		}
		checkComplete(t, out, ref)
		var params map[string]any
		if m := readSuccessFile(t, out); json.Unmarshal(m.Parameters, &params) != nil || params["sigma"] != 5.0 {
			t.Fatalf("_SUCCESS parameters %s", m.Parameters)
		}
	}
}

// TestShardsRunTogether: the shards of one job, started at once on one
// directory, never block each other.
func TestShardsRunTogether(t *testing.T) {
	in := genInputs(t, killInputs)
	ref := cleanRun(t, in)
	out := t.TempDir()
	var cmds []*cmdAndErr
	for i := range 3 {
		args := append([]string{"smooth", "--shard-index", fmt.Sprint(i), "--shard-count", "3"}, smoothArgs(out, in)[1:]...)
		c, e := startCLI(t, args...)
		cmds = append(cmds, &cmdAndErr{c.Process.Pid, c.Wait, e})
	}
	for i, c := range cmds {
		if err := c.wait(); err != nil {
			t.Fatalf("shard %d: %v: %s", i, err, c.stderr)
		}
	}
	checkComplete(t, out, ref)
}

type cmdAndErr struct {
	pid    int
	wait   func() error
	stderr *bytes.Buffer
}

// TestCleanupTouchesOnlyOurTemps: a killed run's temp file for an output is
// removed; files that merely look like temp files, in -o or in the input
// tree, and our own names inside the input tree, are never touched.
func TestCleanupTouchesOnlyOurTemps(t *testing.T) {
	in := genInputs(t, genSpec{Files: 2, Rows: 200, D: 4, SeqLen: 50, RowGroupRows: 100})
	out := t.TempDir()
	ours := storage.TempPrefix + "0123456789abcdef.part-000.parquet"
	userFiles := map[string]string{
		filepath.Join(in, ".part-000.parquet.tmp-1234"):   "user",
		filepath.Join(in, ours):                           "an input-side file with our name",
		filepath.Join(in, "sub", ".x.tmp-00"):             "user",
		filepath.Join(out, ".part-000.parquet.tmp-1234"):  "user",
		filepath.Join(out, ".contextualize-tmp-notours"):  "user",
		filepath.Join(out, "keep", ".a.tmp-0123456789ab"): "user",
	}
	for p, c := range userFiles {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(c), 0o644)
	}
	stale := filepath.Join(out, ours)
	os.WriteFile(stale, []byte("left by a killed run"), 0o644)
	inBefore := snapshot(t, in)
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "--progress", "never", "-o", out, in); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("our stale temp file was not removed")
	}
	for p, c := range userFiles {
		if got, err := os.ReadFile(p); err != nil || string(got) != c {
			t.Errorf("%s: %q %v", p, got, err)
		}
	}
	sameFiles(t, "input tree", snapshot(t, in), inBefore)
}

// TestOverlappingPathsRefused: inputs, -o and --attention-output that
// overlap, and inputs that would be written to a reserved name, exit 2
// before anything is written.
func TestOverlappingPathsRefused(t *testing.T) {
	samples := sampleDir(t)
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "tokens.parquet"), mustRead(t, filepath.Join(samples, "tokens_nested.parquet")), 0o644)
	os.WriteFile(filepath.Join(in, "_SUCCESS"), mustRead(t, filepath.Join(samples, "tokens_nested.parquet")), 0o644)
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(in, link)
	before := snapshot(t, in)
	out := filepath.Join(t.TempDir(), "out")
	attend := []string{"attend", "--weights", "identity", "--heads", "1", "--progress", "never"}
	for name, args := range map[string][]string{
		"attention output is the input dir":    {"--attention-output", in, "-o", out, in},
		"attention output is -o":               {"--attention-output", out, "-o", out, in},
		"attention output via a symlink to in": {"--attention-output", link + "/w", "-o", out, in},
		"-o inside the input":                  {"-o", filepath.Join(in, "out"), in},
		"input named _SUCCESS":                 {"-o", out, filepath.Join(in, "_SUCCESS")},
	} {
		r := runCLI(t, nil, append(attend, args...)...)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2: %s", name, r.code, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: created %s", name, out)
		}
		sameFiles(t, name, snapshot(t, in), before)
	}

	// The attention-output location is in the fingerprint.
	w1, w2 := filepath.Join(t.TempDir(), "w1"), filepath.Join(t.TempDir(), "w2")
	run := func(w string, extra ...string) result {
		return runCLI(t, nil, append(append(attend, extra...), "--attention-output", w, "-o", out, filepath.Join(in, "tokens.parquet"))...)
	}
	if r := run(w1); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r := run(w2); r.code != 2 || !strings.Contains(r.stderr, "--overwrite") {
		t.Fatalf("another attention output: exit %d: %s", r.code, r.stderr)
	}
	if r := run(w2, "--overwrite"); r.code != 0 {
		t.Fatalf("--overwrite: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(w2, "tokens.parquet")); err != nil {
		t.Fatal(err)
	}
}

// TestBadDirectoryEntryFailsAlone: a dangling symbolic link and a link
// loop named *.parquet fail alone (exit 3, named); the good input is written.
func TestBadDirectoryEntryFailsAlone(t *testing.T) {
	samples := sampleDir(t)
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "good.parquet"), mustRead(t, filepath.Join(samples, "sensors.parquet")), 0o644)
	os.Symlink(filepath.Join(in, "missing"), filepath.Join(in, "dangling.parquet"))
	os.Symlink("loop.parquet", filepath.Join(in, "loop.parquet"))
	out := t.TempDir()
	r := runCLI(t, nil, "smooth", "--sigma", "2", "--progress", "never", "-o", out, in)
	if r.code != 3 || !strings.Contains(r.stderr, "dangling.parquet") || !strings.Contains(r.stderr, "loop.parquet") {
		t.Fatalf("exit %d, want 3 naming both entries: %s", r.code, r.stderr)
	}
	if got := visibleFiles(t, out); len(got) != 1 || got[0] != "good.parquet" {
		t.Fatalf("outputs %v", got)
	}
}

// TestKillKeepsRecords: outputs committed before a SIGKILL are on record
// (_shards/0-of-1.json is kept up to date while the run works), so the
// re-run skips them instead of computing them again.
func TestKillKeepsRecords(t *testing.T) {
	in := genInputs(t, killInputs)
	ref := cleanRun(t, in)
	out := t.TempDir()
	cmd, _ := startCLI(t, smoothArgs(out, in)...)
	journal := pipeline.ShardManifestPath(out, 0, 1)
	var recorded []string
	deadline := time.Now().Add(30 * time.Second)
	for len(recorded) == 0 && time.Now().Before(deadline) {
		var sm pipeline.ShardManifest
		if data, err := os.ReadFile(journal); err == nil && json.Unmarshal(data, &sm) == nil {
			for _, o := range sm.Outputs {
				recorded = append(recorded, o.Path)
			}
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if len(recorded) == 0 {
		t.Fatal("no output recorded while the run worked")
	}
	checkInterrupted(t, out, ref)
	r := runCLI(t, nil, smoothArgs(out, in)...)
	if r.code != 0 {
		t.Fatalf("re-run: exit %d: %s", r.code, r.stderr)
	}
	for _, p := range recorded {
		if !strings.Contains(r.stderr, `msg="skipped: up to date" output=`+filepath.Join(out, p)) {
			t.Errorf("%s was recorded before the kill but not skipped:\n%s", p, r.stderr)
		}
	}
	checkComplete(t, out, ref)
}

// TestPlanShowsRecomputeAndBadEntries: plan reports an output whose input
// changed as recomputed, and an unreadable directory entry as an error.
func TestPlanShowsRecomputeAndBadEntries(t *testing.T) {
	in := genInputs(t, genSpec{Files: 2, Rows: 200, D: 4, SeqLen: 50, RowGroupRows: 100})
	out := t.TempDir()
	if r := runCLI(t, nil, "smooth", "--sigma", "2", "--progress", "never", "-o", out, in); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if err := writeVecFile(filepath.Join(in, "part-001.parquet"), 42, genSpec{Rows: 150, D: 4, SeqLen: 50, RowGroupRows: 100}); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(in, "nowhere"), filepath.Join(in, "part-002.parquet"))
	r := runCLI(t, nil, "plan", "smooth", "--json", "--sigma", "2", "-o", out, in)
	if r.code != 3 {
		t.Fatalf("plan: exit %d, want 3 as the run: %s", r.code, r.stderr)
	}
	var entries []planEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	var got []string
	for _, e := range entries {
		got = append(got, filepath.Base(e.Output)+"="+e.Action)
	}
	want := "part-000.parquet=skip: up to date part-001.parquet=recompute: input changed part-002.parquet=error: input"
	if strings.Join(got, " ") != want {
		t.Fatalf("plan %v\nwant %s", got, want)
	}
}

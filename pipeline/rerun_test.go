package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contextualize/contextualize/io/storage"
)

// rewrite replaces an input's content and, when keepTime, gives it back its
// old modification time (as cp -p, rsync -t or an object store's copy can).
func rewrite(t *testing.T, p, content string, keepTime bool) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if keepTime {
		if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
}

func actions(rep *Report) string {
	var s []string
	for _, u := range rep.Units {
		s = append(s, filepath.ToSlash(u.Rel)+"="+string(u.Action))
	}
	return strings.Join(s, " ")
}

// TestRerunInputIdentity: an output is skipped only while its input is
// the one on record. A rewrite at the same size and time (only the content,
// hence the footer, differs), a rewrite at another size, and a touch each
// make it recomputed and replaced; _SUCCESS then pairs each input's new
// size with its new row count.
func TestRerunInputIdentity(t *testing.T) {
	fx := newFixture(t, map[string]string{"a.parquet": "one\ntwo", "b.parquet": "three", "c.parquet": "four", "d.parquet": "five"})
	ctx := context.Background()
	run := func() *Report {
		t.Helper()
		rep, err := Run(ctx, fx.units, &fakeProc{fp: "A"}, fx.opts("A"))
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	run()
	if rep := run(); rep.Skipped() != 4 {
		t.Fatalf("unchanged inputs: %s", actions(rep))
	}

	rewrite(t, filepath.Join(fx.in, "a.parquet"), "ONE\nTWO", true) // same size, same time
	rewrite(t, filepath.Join(fx.in, "b.parquet"), "three\nand more\nrows", false)
	now := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(fx.in, "c.parquet"), now, now) // touched only
	fx.expand(t)
	rep := run()
	want := "a.parquet=recompute: input changed b.parquet=recompute: input changed c.parquet=recompute: input changed d.parquet=skip: up to date"
	if got := actions(rep); got != want {
		t.Fatalf("actions %s\nwant %s", got, want)
	}
	if rep.Written() != 3 || !rep.SuccessWritten {
		t.Fatalf("report %+v", rep)
	}
	for rel, content := range map[string]string{"a.parquet": "ONE\nTWO", "b.parquet": "three\nand more\nrows"} {
		if got := string(mustReadFile(t, filepath.Join(fx.out, rel))); got != expected("A", content) {
			t.Fatalf("%s: stale output %q", rel, got)
		}
	}
	m := readSuccess(t, fx.out)
	for i, in := range m.Inputs {
		p := filepath.FromSlash(in.Path)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		wantRows := int64(strings.Count(string(mustReadFile(t, p)), "\n") + 1)
		if in.Size != fi.Size() || in.Identity == nil || in.Identity.Size != fi.Size() || in.Rows != wantRows || m.Outputs[i].Rows != wantRows {
			t.Fatalf("_SUCCESS input %+v output %+v: want size %d rows %d", in, m.Outputs[i], fi.Size(), wantRows)
		}
	}
	if rep := run(); rep.Skipped() != 4 || rep.SuccessWritten {
		t.Fatalf("after recomputing: %s", actions(rep))
	}

	// An output changed by someone else no longer matches its record:
	// recomputed, not trusted.
	os.WriteFile(filepath.Join(fx.out, "d.parquet"), []byte(expected("A", "five")+"extra\n"), 0o644)
	if rep := run(); actions(rep) != "a.parquet=skip: up to date b.parquet=skip: up to date c.parquet=skip: up to date d.parquet=recompute: input changed" {
		t.Fatalf("changed output: %s", actions(rep))
	}
}

// TestRerunOrphans: the output of a deleted input is kept, warned about and
// listed in _SUCCESS, run after run, until it is gone or its input is back.
func TestRerunOrphans(t *testing.T) {
	fx := newFixture(t, map[string]string{"a.parquet": "one", "sub/b.parquet": "two"})
	ctx := context.Background()
	var logs bytes.Buffer
	opt := fx.opts("A")
	opt.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := Run(ctx, fx.units, &fakeProc{fp: "A"}, opt); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(fx.in, "sub", "b.parquet"))
	fx.expand(t)
	for range 2 {
		logs.Reset()
		rep, err := Run(ctx, fx.units, &fakeProc{fp: "A"}, opt)
		if err != nil || len(rep.Orphans) != 1 || rep.Orphans[0].Output.Path != "sub/b.parquet" {
			t.Fatalf("%+v %v", rep, err)
		}
		if !strings.Contains(logs.String(), "output whose input is gone") || !strings.Contains(logs.String(), "sub/b.parquet") {
			t.Fatalf("no warning:\n%s", logs.String())
		}
		m := readSuccess(t, fx.out)
		if m.Files != 1 || len(m.Orphans) != 1 || m.Orphans[0].Output.Path != "sub/b.parquet" ||
			m.Orphans[0].Input.Path != filepath.ToSlash(filepath.Join(fx.in, "sub", "b.parquet")) {
			t.Fatalf("_SUCCESS %+v", m)
		}
		if got := string(mustReadFile(t, filepath.Join(fx.out, "sub", "b.parquet"))); got != expected("A", "two") {
			t.Fatalf("orphan changed: %q", got)
		}
	}
	// Its input is back, unchanged: up to date again, no orphan.
	os.WriteFile(filepath.Join(fx.in, "sub", "b.parquet"), []byte("two"), 0o644)
	fx.expand(t)
	rep, err := Run(ctx, fx.units, &fakeProc{fp: "A"}, opt)
	if err != nil || len(rep.Orphans) != 0 || len(readSuccess(t, fx.out).Orphans) != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
}

// TestRerunAfterFailure: a run with a failed input records what it wrote
// (_shards/0-of-1.json, complete false), so the next run recomputes only
// the failed input.
func TestRerunAfterFailure(t *testing.T) {
	fx := newFixture(t, withFile("b.parquet", "BAD"))
	ctx := context.Background()
	rep, err := Run(ctx, fx.units, &fakeProc{fp: "A"}, fx.opts("A"))
	if err == nil || rep.Failed() != 1 || rep.Written() != 4 {
		t.Fatalf("%+v %v", rep, err)
	}
	var sm ShardManifest
	if err := json.Unmarshal(mustReadFile(t, ShardManifestPath(fx.out, 0, 1)), &sm); err != nil || sm.Complete || len(sm.Outputs) != 4 {
		t.Fatalf("journal %+v %v", sm, err)
	}
	os.WriteFile(filepath.Join(fx.in, "b.parquet"), []byte("good now"), 0o644)
	fx.expand(t)
	p := &fakeProc{fp: "A"}
	rep, err = Run(ctx, fx.units, p, fx.opts("A"))
	if err != nil || p.calls.Load() != 1 || rep.Skipped() != 4 || !rep.SuccessWritten {
		t.Fatalf("%s: %v, %d calls", actions(rep), err, p.calls.Load())
	}
}

// TestRunBadEntryFailsAlone: a unit whose directory entry could not be
// examined fails as a bad input (exit 3); the others are written.
func TestRunBadEntryFailsAlone(t *testing.T) {
	fx := newFixture(t, sampleFiles)
	os.Symlink(filepath.Join(fx.dir, "nowhere"), filepath.Join(fx.in, "bad.parquet"))
	fx.expand(t)
	p := &fakeProc{fp: "A"}
	rep, err := Run(context.Background(), fx.units, p, fx.opts("A"))
	if ExitCode(rep, err) != ExitInputs || rep.Failed() != 1 || rep.Written() != 5 || p.calls.Load() != 5 {
		t.Fatalf("exit %d, %+v %v", ExitCode(rep, err), rep, err)
	}
	if !strings.Contains(err.Error(), "bad.parquet") {
		t.Fatalf("error does not name the entry: %v", err)
	}
}

// TestRunLocked: a second run on the same output location and shard exits
// 1 naming the holder; another shard of the same job is not blocked.
func TestRunLocked(t *testing.T) {
	fx := newFixture(t, sampleFiles)
	lk, err := storage.NewLocal(nil).Lock(context.Background(), LockPath(fx.out, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release()
	opt := fx.opts("A")
	opt.ShardIndex, opt.ShardCount = 1, 2
	p := &fakeProc{fp: "A"}
	rep, err := Run(context.Background(), fx.units, p, opt)
	if ExitCode(rep, err) != ExitIO || !errors.Is(err, storage.ErrLocked) || p.calls.Load() != 0 ||
		!strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("exit %d: %v, %d calls", ExitCode(rep, err), err, p.calls.Load())
	}
	opt.ShardIndex = 0
	if _, err := Run(context.Background(), fx.units, p, opt); err != nil {
		t.Fatalf("shard 0 blocked by shard 1's lock: %v", err)
	}
	lk.Release()
	opt.ShardIndex = 1
	if rep, err := Run(context.Background(), fx.units, p, opt); err != nil || !rep.SuccessWritten {
		t.Fatalf("after release: %+v %v", rep, err)
	}
}

// TestRunCleansSideOutputTemps: stale temp files of side outputs (the
// attention weights) are removed with the outputs' own; a live writer's
// and any other file beside them are kept.
func TestRunCleansSideOutputTemps(t *testing.T) {
	fx := newFixture(t, map[string]string{"a.parquet": "one"})
	side := filepath.Join(fx.dir, "weights")
	os.MkdirAll(side, 0o755)
	stale := filepath.Join(side, storage.TempPrefix+"0123456789abcdef.a.parquet")
	other := filepath.Join(side, storage.TempPrefix+"0123456789abcdef.z.parquet") // not a target of this run
	os.WriteFile(stale, []byte("x"), 0o644)
	os.WriteFile(other, []byte("x"), 0o644)
	opt := fx.opts("A")
	opt.SideOutputs = func(u Unit) []string { return []string{filepath.Join(side, u.Rel)} }
	if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "A"}, opt); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale side-output temp kept: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a temp file of another target removed: %v", err)
	}
}

package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ops returns the FaultFS log lines of kind op ("syncdir", "sync", ...),
// without the kind.
func ops(ffs *FaultFS, op string) []string {
	var out []string
	for _, l := range ffs.Log() {
		if k, rest, _ := strings.Cut(l, " "); k == op {
			out = append(out, rest)
		}
	}
	return out
}

// TestBatchLocalCommitSequence: a NewBatchLocal's commits sync each file
// before its rename but leave the directories to SyncDirs, which syncs each
// directory renamed into once, deepest first, with the parents of new
// directories up to the root (and no higher); a second call has nothing to
// do. A Local of NewLocal still syncs the directory in Commit.
func TestBatchLocalCommitSequence(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "out")
	ffs := NewFaultFS(OS(), nil)
	l := NewBatchLocal(ffs, root)
	names := []string{"day=1/a.parquet", "day=1/b.parquet", "day=2/x/c.parquet", "top.parquet", "day=1/d.parquet"}
	for _, n := range names {
		w, err := l.Create(ctx, filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(n))
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if got := ops(ffs, "syncdir"); len(got) != 0 {
		t.Fatalf("directories synced before SyncDirs: %v", got)
	}
	if got := ops(ffs, "sync"); len(got) != len(names) {
		t.Fatalf("%d file syncs for %d files: %v", len(got), len(names), got)
	}
	// Every file is synced before it is renamed.
	log := ffs.Log()
	for _, n := range names {
		final := filepath.Join(root, n)
		ren := slices.IndexFunc(log, func(l string) bool { return strings.HasPrefix(l, "rename ") && strings.HasSuffix(l, " -> "+final) })
		if ren < 0 {
			t.Fatalf("%s never renamed", n)
		}
		tmp := strings.TrimSuffix(strings.TrimPrefix(log[ren], "rename "), " -> "+final)
		if s := slices.Index(log, "sync "+tmp); s < 0 || s > ren {
			t.Fatalf("%s renamed before its sync:\n%s", n, strings.Join(log, "\n"))
		}
	}
	if err := SyncDirs(ctx, NewRouter(l)); err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(root, "day=2", "x"),
		filepath.Join(root, "day=1"), filepath.Join(root, "day=2"),
		root,
	}
	if got := ops(ffs, "syncdir"); !slices.Equal(got, want) {
		t.Fatalf("synced %v, want %v", got, want)
	}
	if err := l.SyncDirs(ctx); err != nil || len(ops(ffs, "syncdir")) != len(want) {
		t.Fatalf("second SyncDirs: %v, synced %v", err, ops(ffs, "syncdir"))
	}

	plain := NewFaultFS(OS(), nil)
	w, err := NewLocal(plain).Create(ctx, filepath.Join(root, "day=3", "e.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := ops(plain, "syncdir"); !slices.Equal(got, []string{filepath.Join(root, "day=3")}) {
		t.Fatalf("NewLocal commit synced %v", got)
	}
}

// TestBatchLocalSyncDirsFault: a failed directory sync is reported, and
// it and the directories after it stay pending for the next call.
func TestBatchLocalSyncDirsFault(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	ffs := NewFaultFS(OS(), FailNth(1, OpSyncDir))
	l := NewBatchLocal(ffs, root)
	for _, n := range []string{"a/1", "b/2"} {
		w, err := l.Create(ctx, filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.SyncDirs(ctx); !errors.Is(err, ErrInjected) {
		t.Fatalf("first SyncDirs: %v, want the injected fault", err)
	}
	if err := l.SyncDirs(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(root, "a") + ": " + ErrInjected.Error(),
		filepath.Join(root, "a"), filepath.Join(root, "b"), root,
	}
	if got := ops(ffs, "syncdir"); !slices.Equal(got, want) {
		t.Fatalf("synced %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(root, "b", "2")); err != nil {
		t.Fatal(err)
	}
}

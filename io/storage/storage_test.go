package storage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// listAll returns every file below dir as slash paths relative to dir.
func listAll(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func TestCommitSequence(t *testing.T) {
	dir := t.TempDir()
	ffs := NewFaultFS(OS(), nil)
	target := filepath.Join(dir, "a", "b", "out.parquet")
	f, err := CreateAtomic(ffs, target)
	if err != nil {
		t.Fatal(err)
	}
	if base := filepath.Base(f.TempName()); !strings.HasPrefix(base, TempPrefix) || !strings.HasSuffix(base, ".out.parquet") || !IsTemp(base) {
		t.Fatalf("temp name %q", base)
	}
	if filepath.Dir(f.TempName()) != filepath.Dir(target) {
		t.Fatalf("temp %q not beside %q", f.TempName(), target)
	}
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("target visible before commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Fatalf("abort after commit: %v", err)
	}
	if got, _ := os.ReadFile(target); string(got) != "hello" || f.Size() != 5 {
		t.Fatalf("content %q size %d", got, f.Size())
	}
	if got := listAll(t, dir); !slices.Equal(got, []string{"a/b/out.parquet"}) {
		t.Fatalf("files %v", got)
	}
	var ops []string
	for _, l := range ffs.Log() {
		ops = append(ops, strings.Fields(l)[0])
	}
	want := []string{"mkdirall", "open", "stat", "write", "sync", "close", "rename", "syncdir"}
	if !slices.Equal(ops, want) {
		t.Fatalf("ops %v, want %v\n%s", ops, want, strings.Join(ffs.Log(), "\n"))
	}
	if err := f.Commit(); err == nil {
		t.Fatal("second commit succeeded")
	}
}

func TestAbort(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.parquet")
	f, err := CreateAtomic(OS(), target)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("partial"))
	for range 2 {
		if err := f.Abort(); err != nil {
			t.Fatal(err)
		}
	}
	if got := listAll(t, dir); len(got) != 0 {
		t.Fatalf("left %v", got)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Fatal("write after abort succeeded")
	}
	if err := f.Commit(); err == nil {
		t.Fatal("commit after abort succeeded")
	}
}

// TestWriteFileAtomicFaults fails each operation of WriteFileAtomic in turn,
// over a target that already holds old content: the target always holds
// either the old or the whole new content, and a temp file is left only when
// the removal of the temp file itself was the failed operation.
func TestWriteFileAtomicFaults(t *testing.T) {
	probe := NewFaultFS(OS(), nil)
	if err := WriteFileAtomic(probe, filepath.Join(t.TempDir(), "x"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	total := probe.Ops()
	for n := int64(1); n <= total+1; n++ {
		dir := t.TempDir()
		target := filepath.Join(dir, "m.json")
		os.WriteFile(target, []byte("old"), 0o644)
		ffs := NewFaultFS(OS(), FailNth(n))
		err := WriteFileAtomic(ffs, target, []byte("new"))
		got, _ := os.ReadFile(target)
		log := strings.Join(ffs.Log(), "\n")
		if n > total {
			if err != nil || string(got) != "new" {
				t.Fatalf("no fault: err %v content %q", err, got)
			}
			continue
		}
		if err == nil {
			t.Fatalf("op %d: fault not reported\n%s", n, log)
		}
		if !errors.Is(err, ErrInjected) {
			t.Fatalf("op %d: error %v does not wrap ErrInjected", n, err)
		}
		var pe *fs.PathError
		if !errors.As(err, &pe) {
			t.Fatalf("op %d: error %v is not a PathError", n, err)
		}
		if s := string(got); s != "old" && s != "new" {
			t.Fatalf("op %d: target holds %q\n%s", n, s, log)
		}
		removeFailed := slices.ContainsFunc(ffs.Log(), func(l string) bool {
			return strings.HasPrefix(l, "remove ") && strings.HasSuffix(l, ": "+ErrInjected.Error())
		})
		files := listAll(t, dir)
		if !removeFailed && !slices.Equal(files, []string{"m.json"}) {
			t.Fatalf("op %d: files %v\n%s", n, files, log)
		}
		if removed, err := CleanTemps(OS(), []string{target}, nil); err != nil || (len(files) > 1) != (len(removed) == 1) {
			t.Fatalf("op %d: cleanup removed %v, %v", n, removed, err)
		}
	}
}

func TestFailNthFilter(t *testing.T) {
	dir := t.TempDir()
	ffs := NewFaultFS(OS(), FailNth(1, OpRename))
	err := WriteFileAtomic(ffs, filepath.Join(dir, "x"), []byte("data"))
	if !errors.Is(err, ErrInjected) {
		t.Fatalf("err %v", err)
	}
	if got := listAll(t, dir); len(got) != 0 {
		t.Fatalf("left %v", got)
	}
	if err := WriteFileAtomic(ffs, filepath.Join(dir, "x"), []byte("data")); err != nil {
		t.Fatalf("second rename failed too: %v", err)
	}
	data, err := ReadFile(ffs, filepath.Join(dir, "x"))
	if err != nil || string(data) != "data" {
		t.Fatalf("read %q %v", data, err)
	}
}

package storage

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mkfiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, f := range names {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCleanTemps: only this tool's temp names, only of the given targets,
// only in the targets' own directories, never a kept path, never a file
// that is not regular.
func TestCleanTemps(t *testing.T) {
	dir := t.TempDir()
	ours := func(base string) string { return TempPrefix + "0123456789abcdef." + base }
	mkfiles(t, dir,
		"a.parquet",
		ours("a.parquet"),                              // ours, a target: removed
		ours("b.parquet"),                              // ours, not a target: kept
		"sub/"+ours("c.parquet"),                       // ours, a target in sub: removed
		"sub/deeper/"+ours("c.parquet"),                // not beside the target: kept
		".a.parquet.tmp-0123456789abcdef",              // the old naming, or a user's file: kept
		TempPrefix+"XYZ."+"a.parquet",                  // not 16 hex digits: kept
		"in/"+ours("d.parquet"),                        // beside a target, but an input: kept
		".contextualize-tmp-0123456789abcdefa.parquet", // no dot after the random part: kept
	)
	if err := os.MkdirAll(filepath.Join(dir, ours("e.parquet")), 0o755); err != nil { // a directory: kept
		t.Fatal(err)
	}
	input := filepath.Join(dir, "in", ours("d.parquet"))
	removed, err := CleanTemps(OS(), []string{
		filepath.Join(dir, "a.parquet"), filepath.Join(dir, "sub", "c.parquet"),
		filepath.Join(dir, "in", "d.parquet"), filepath.Join(dir, "e.parquet"), filepath.Join(dir, "nodir", "x"),
	}, func(p string) bool { return p == input })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, ours("a.parquet")), filepath.Join(dir, "sub", ours("c.parquet"))}
	if !slices.Equal(removed, want) {
		t.Fatalf("removed %v, want %v", removed, want)
	}
	for _, keep := range []string{"a.parquet", ours("b.parquet"), "sub/deeper/" + ours("c.parquet"),
		".a.parquet.tmp-0123456789abcdef", "in/" + ours("d.parquet"), ours("e.parquet")} {
		if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
}

// TestCleanTempsKeepsLiveWriters: a temp file whose writer is alive (here
// an AtomicFile still open) is never removed, by this process or another;
// once the writer is gone (closed without commit, as a killed process) it is.
func TestCleanTempsKeepsLiveWriters(t *testing.T) {
	if !locksWork {
		t.Skip("no file locks on this platform")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "out.parquet")
	a, err := CreateAtomic(OS(), target)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("in progress"))
	removed, err := CleanTemps(OS(), []string{target}, nil)
	if err != nil || len(removed) != 0 {
		t.Fatalf("removed a live writer's temp file: %v %v", removed, err)
	}
	if err := a.Commit(); err != nil {
		t.Fatalf("the live writer could not commit: %v", err)
	}
	// A writer that died: its descriptor (and lock) is gone, its file stays.
	b, err := CreateAtomic(OS(), target)
	if err != nil {
		t.Fatal(err)
	}
	b.f.Close()
	removed, err = CleanTemps(OS(), []string{target}, nil)
	if err != nil || len(removed) != 1 || removed[0] != b.TempName() {
		t.Fatalf("dead writer's temp: removed %v %v", removed, err)
	}
}

func TestTempNames(t *testing.T) {
	long := strings.Repeat("é", 200) + ".parquet" // 408 bytes
	for _, base := range []string{"a.parquet", "x", long} {
		tmp := filepath.Base(TempName(filepath.Join("d", base)))
		if len(tmp) > 255 || !IsTemp(tmp) || !isTempOf(tmp, base) || (base != long && isTempOf(tmp, base+"x")) {
			t.Errorf("%q -> %q (%d bytes)", base, tmp, len(tmp))
		}
	}
	for _, name := range []string{"", ".x.tmp-00", TempPrefix, TempPrefix + "0123456789abcdef", TempPrefix + "0123456789ABCDEF.a"} {
		if IsTemp(name) {
			t.Errorf("IsTemp(%q)", name)
		}
	}
}

// TestLocalList: sorted, "_" and "." names skipped, links to files
// followed, bad links reported with their error, FIFOs left out.
func TestLocalList(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir, "b.parquet", "a.parquet", "_SUCCESS", ".hidden", "sub/x.parquet")
	os.Symlink("a.parquet", filepath.Join(dir, "link.parquet"))
	os.Symlink("missing", filepath.Join(dir, "dangling.parquet"))
	os.Symlink("loop.parquet", filepath.Join(dir, "loop.parquet"))
	if err := mkfifo(filepath.Join(dir, "fifo.parquet")); err != nil {
		t.Log("no FIFO on this platform:", err)
	}
	entries, err := NewLocal(nil).List(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		s := filepath.Base(e.Name)
		switch {
		case e.Err != nil:
			s += "!"
		case e.IsDir:
			s += "/"
		case e.Symlink:
			s += "@"
		}
		got = append(got, s)
	}
	if want := "a.parquet b.parquet dangling.parquet! link.parquet@ loop.parquet! sub/"; strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

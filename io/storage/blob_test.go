package storage

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
)

func TestJoinBaseOverlapOnURLs(t *testing.T) {
	q := "?region=r&endpoint=http://h:1"
	for _, tc := range []struct{ dir, rel, want string }{
		{"s3://b/out" + q, "date=1/a.parquet", "s3://b/out/date=1/a.parquet?endpoint=http://h:1&region=r"},
		{"s3://b//out/" + q, "_shards", "s3://b/out/_shards?endpoint=http://h:1&region=r"},
		{"gs://b", "a.parquet", "gs://b/a.parquet"},
		{"/tmp/out", "x/a.parquet", "/tmp/out/x/a.parquet"},
	} {
		if got := Join(tc.dir, tc.rel); got != tc.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tc.dir, tc.rel, got, tc.want)
		}
	}
	if got := Base("s3://b/out/a.parquet" + q); got != "a.parquet" {
		t.Errorf("Base = %q", got)
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"s3://b/in" + q, "s3://b/in/out?endpoint=http://h:1&region=r", true},
		{"s3://b/in", "s3://b/input", false},
		{"s3://b/in", "gs://b/in", false},
		{"s3://b/in", "/b/in", false},
	} {
		if got := Overlap(tc.a, tc.b); got != tc.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestBlobOnFileURLs drives the blob Storage through fileblob (file://):
// writes visible only on Commit, listings that skip hidden names, small
// files, locks (flock for file URLs), and usage errors for an unknown
// scheme.
func TestBlobOnFileURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := "file://" + filepath.ToSlash(dir)
	s := For(root)
	if _, ok := s.(*Blob); !ok {
		t.Fatalf("For(%q) is %T, want *Blob", root, s)
	}
	w, err := s.Create(ctx, root+"/out/a.parquet")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("PAR1 data"))
	if _, err := s.Stat(ctx, root+"/out/a.parquet"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("visible before Commit: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile(ctx, root+"/out/_SUCCESS", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile(ctx, root+"/out/sub/b.parquet", []byte("b")); err != nil {
		t.Fatal(err)
	}
	es, err := s.List(ctx, root+"/out")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, Base(e.Name))
		if e.Name != Join(root+"/out", Base(e.Name)) {
			t.Errorf("entry name %q is not a URL below the listed prefix", e.Name)
		}
	}
	if !slices.Equal(names, []string{"a.parquet", "sub"}) || !es[1].IsDir {
		t.Fatalf("List: %v", es)
	}
	if data, err := s.ReadFile(ctx, root+"/out/_SUCCESS"); err != nil || string(data) != "{}" {
		t.Fatalf("ReadFile: %q, %v", data, err)
	}
	r, err := s.Open(ctx, root+"/out/a.parquet")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := r.ReadAt(buf, 5); err != nil || string(buf) != "data" || r.Info().Size != 9 || r.Info().ETag == "" {
		t.Fatalf("ReadAt: %q %v %+v", buf, err, r.Info())
	}
	r.Close()

	l, err := s.Lock(ctx, root+"/out/_shards/0-of-1.lock")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocal(nil).Lock(ctx, filepath.Join(dir, "out", "_shards", "0-of-1.lock")); !errors.Is(err, ErrLocked) {
		t.Fatalf("a file URL's lock is not the path's flock: %v", err)
	}
	l.Release()

	if got, err := s.Resolve(root + "//out/"); err != nil || got != filepath.Join(dir, "out") {
		t.Errorf("Resolve of a file URL: %q %v", got, err)
	}
	var ue interface{ UsageError() bool }
	if _, err := For("foo://b/x").Stat(ctx, "foo://b/x"); !errors.As(err, &ue) || !ue.UsageError() {
		t.Errorf("unknown scheme: %v, want a usage error", err)
	}
}

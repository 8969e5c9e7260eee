package blobstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// suite holds the behaviour every backend must show. root is an empty
// prefix in a bucket of the backend under test; each case works below its
// own sub-prefix.
type suite struct {
	store *Store
	root  Location
	// pinned: the backend makes reads conditional on the version seen at
	// Open and supports ReplaceIfMatch (not fileblob).
	pinned bool
}

func (s suite) run(t *testing.T) {
	t.Run("ListAndGlob", s.listAndGlob)
	t.Run("RangedRead", s.rangedRead)
	t.Run("Multipart", s.multipart)
	t.Run("AbortLeavesNothing", s.abort)
	t.Run("CancelLeavesNothing", s.cancel)
	t.Run("ConditionalCreate", s.conditional)
	t.Run("MissingObject", s.missingObject)
}

func (s suite) put(t *testing.T, loc Location, data []byte) {
	t.Helper()
	if err := s.store.Put(context.Background(), loc, data); err != nil {
		t.Fatalf("Put %s: %v", loc, err)
	}
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func rels(es []Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Rel)
	}
	return out
}

func (s suite) listAndGlob(t *testing.T) {
	ctx := context.Background()
	base := s.root.Join("list")
	for _, k := range []string{
		"in/a.parquet",
		"in/_SUCCESS",
		"in/.a.parquet.tmp-0123",
		"in/_shards/0-of-2.json",
		"in/date=2024-01-01/p0.parquet",
		"in/date=2024-01-02/p1.parquet",
		"in/date=2024-01-02/_temporary/x.parquet",
		"in/sub/.hidden/y.parquet",
		"in/sub/z.csv",
		"input-sibling/no.parquet",
	} {
		s.put(t, base.Join(k), []byte(k))
	}
	tests := []struct {
		name, key string
		glob      bool
		want      []string
	}{
		{"prefix", "in", false, []string{"a.parquet", "date=2024-01-01/p0.parquet", "date=2024-01-02/p1.parquet", "sub/z.csv"}},
		{"hive glob", "in/date=*/*.parquet", true, []string{"date=2024-01-01/p0.parquet", "date=2024-01-02/p1.parquet"}},
		{"doublestar", "in/**/*.parquet", true, []string{"a.parquet", "date=2024-01-01/p0.parquet", "date=2024-01-02/p1.parquet"}},
		{"glob of directories", "in/date=*", true, []string{"date=2024-01-01/p0.parquet", "date=2024-01-02/p1.parquet"}},
		{"alternatives", "in/date=2024-01-0{2,9}/*", true, []string{"date=2024-01-02/p1.parquet"}},
		{"hidden asked for", "in/_*", true, []string{"_SUCCESS", "_shards/0-of-2.json"}},
		{"glob matching nothing", "in/*.orc", true, []string{}},
		{"empty prefix", "nothing-here", false, []string{}},
	}
	for _, tt := range tests {
		loc := base.Join(tt.key)
		var got []Entry
		var err error
		if tt.glob {
			got, err = s.store.Glob(ctx, loc)
		} else {
			got, err = s.store.List(ctx, loc)
		}
		if err != nil {
			t.Errorf("%s (%s): %v", tt.name, loc, err)
			continue
		}
		if !slices.Equal(rels(got), tt.want) {
			t.Errorf("%s (%s) = %q, want %q", tt.name, loc, rels(got), tt.want)
		}
		res, err := s.store.Resolve(ctx, loc)
		if err != nil || !slices.Equal(rels(res), tt.want) {
			t.Errorf("Resolve(%s) = %q, %v; want %q", loc, rels(res), err, tt.want)
		}
		for _, e := range got {
			if e.Attrs.Size != int64(len(e.Loc.Key)-len(base.Dir())) {
				t.Errorf("%s: size %d, want %d", e.Loc, e.Attrs.Size, len(e.Loc.Key)-len(base.Dir()))
			}
		}
	}
	dir, err := s.store.ListDir(ctx, base.Join("in"))
	var names []string
	for _, e := range dir {
		n := e.Rel
		if e.IsDir {
			n += "/"
		}
		names = append(names, n)
	}
	if want := []string{"a.parquet", "date=2024-01-01/", "date=2024-01-02/", "sub/"}; err != nil || !slices.Equal(names, want) {
		t.Errorf("ListDir(in) = %q, %v; want %q", names, err, want)
	}
	one, err := s.store.Resolve(ctx, base.Join("in/date=2024-01-01/p0.parquet"))
	if err != nil || !slices.Equal(rels(one), []string{"p0.parquet"}) {
		t.Errorf("Resolve(one object) = %q, %v", rels(one), err)
	}
	if _, err := s.store.Glob(ctx, base.Join("in/[a-")); !isUsage(err) {
		t.Errorf("malformed glob: %v, want a usage error", err)
	}
}

func isUsage(err error) bool {
	var e interface{ UsageError() bool }
	return errors.As(err, &e) && e.UsageError()
}

func (s suite) rangedRead(t *testing.T) {
	ctx := context.Background()
	loc := s.root.Join("ranged/object.bin")
	data := randomBytes(t, 3<<20+17)
	s.put(t, loc, data)
	obj, err := s.store.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", obj.Size(), len(data))
	}
	var asked int64
	for _, r := range []struct{ off, n int64 }{{0, 8}, {int64(len(data)) - 8, 8}, {1 << 20, 1000}, {12345, 1}} {
		p := make([]byte, r.n)
		n, err := obj.ReadAt(p, r.off)
		if err != nil || int64(n) != r.n || !bytes.Equal(p, data[r.off:r.off+r.n]) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v, or wrong bytes", r.off, r.n, n, err)
		}
		asked += r.n
	}
	p := make([]byte, 100)
	n, err := obj.ReadAt(p, int64(len(data))-10)
	if n != 10 || err != io.EOF || !bytes.Equal(p[:10], data[len(data)-10:]) {
		t.Errorf("ReadAt across the end = %d, %v; want 10, EOF", n, err)
	}
	asked += 10
	if n, err := obj.ReadAt(p, int64(len(data))); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at the end = %d, %v; want 0, EOF", n, err)
	}
	reqs, got := obj.Stats()
	if reqs != 5 || got != asked {
		t.Errorf("Stats = %d requests, %d bytes; want 5, %d", reqs, got, asked)
	}
	if v := obj.Attrs().Version(); v == "" {
		t.Error("no version")
	}
	if !s.pinned {
		return
	}
	s.put(t, loc, randomBytes(t, len(data)))
	if _, err := obj.ReadAt(p, 0); !errors.Is(err, ErrChanged) || isUsage(err) {
		t.Errorf("ReadAt after the object was replaced: %v, want ErrChanged (I/O class)", err)
	}
}

func (s suite) multipart(t *testing.T) {
	ctx := context.Background()
	loc := s.root.Join("multipart/big.bin")
	data := randomBytes(t, 2*DefaultPartSize+DefaultPartSize/2) // three parts
	w, err := s.store.Create(ctx, loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for off := 0; off < len(data); off += 1 << 20 {
		if _, err := w.Write(data[off:min(off+1<<20, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.store.Stat(ctx, loc); !errors.Is(err, ErrNotExist) {
		t.Errorf("before Commit, after %d bytes: Stat = %v, want ErrNotExist", len(data), err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	obj, err := s.store.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if etag := obj.Attrs().ETag; s.root.Scheme == "s3" && !strings.HasSuffix(strings.Trim(etag, `"`), "-3") {
		t.Errorf("ETag %s: want the ETag of a 3-part multipart upload (…-3)", etag)
	}
	back := make([]byte, obj.Size())
	if _, err := obj.ReadAt(back, 0); err != nil || !bytes.Equal(back, data) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(back), err, len(data))
	}
}

func (s suite) abort(t *testing.T) {
	ctx := context.Background()
	loc := s.root.Join("abort/x.bin")
	w, err := s.store.Create(ctx, loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randomBytes(t, DefaultPartSize+1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	s.assertNothing(t, loc)
}

func (s suite) cancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	loc := s.root.Join("cancel/x.bin")
	w, err := s.store.Create(ctx, loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randomBytes(t, DefaultPartSize+1<<20)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Commit(); err == nil {
		t.Error("Commit after cancel succeeded")
	}
	s.assertNothing(t, loc)
}

func (s suite) assertNothing(t *testing.T, loc Location) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.store.Stat(ctx, loc); !errors.Is(err, ErrNotExist) {
		t.Errorf("Stat(%s) = %v, want ErrNotExist", loc, err)
	}
	parent := loc
	parent.Key = loc.Key[:len(loc.Key)-len(loc.Base())-1]
	if es, err := s.store.List(ctx, parent); err != nil || len(es) != 0 {
		t.Errorf("List(%s) = %q, %v; want nothing", parent, rels(es), err)
	}
}

func (s suite) conditional(t *testing.T) {
	ctx := context.Background()
	loc := s.root.Join("lease/_lock")
	first, err := s.store.CreateIfNotExist(ctx, loc, []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.store.CreateIfNotExist(ctx, loc, []byte("second"))
	if !errors.Is(err, ErrExist) || !errors.Is(err, fs.ErrExist) || isUsage(err) {
		t.Fatalf("second CreateIfNotExist = %v, want ErrExist", err)
	}
	s.assertContent(t, loc, "first")
	data, a, err := s.store.ReadAll(ctx, loc, 1<<10)
	if err != nil || string(data) != "first" || a.Version() != first.Version() {
		t.Fatalf("ReadAll = %q, %s, %v; want first, %s", data, a.Version(), err, first.Version())
	}
	if _, _, err := s.store.ReadAll(ctx, loc, 2); err == nil {
		t.Error("ReadAll of an object above its max succeeded")
	}
	if !s.pinned {
		return
	}
	renewed, err := s.store.ReplaceIfMatch(ctx, loc, a.Version(), []byte("renewed"))
	if err != nil {
		t.Fatalf("ReplaceIfMatch(current version): %v", err)
	}
	if renewed.Version() == a.Version() {
		t.Errorf("version unchanged by a replace: %s", a.Version())
	}
	s.assertContent(t, loc, "renewed")
	if _, err := s.store.ReplaceIfMatch(ctx, loc, a.Version(), []byte("stale")); !errors.Is(err, ErrChanged) {
		t.Fatalf("ReplaceIfMatch(stale version) = %v, want ErrChanged", err)
	}
	s.assertContent(t, loc, "renewed")
	if err := s.store.DeleteIfMatch(ctx, loc, a.Version()); !errors.Is(err, ErrChanged) {
		t.Fatalf("DeleteIfMatch(stale version) = %v, want ErrChanged", err)
	}
	s.assertContent(t, loc, "renewed")
	if err := s.store.DeleteIfMatch(ctx, loc, renewed.Version()); err != nil {
		t.Fatalf("DeleteIfMatch(current version) = %v", err)
	}
	if _, err := s.store.Stat(ctx, loc); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after DeleteIfMatch: Stat = %v, want fs.ErrNotExist", err)
	}
	if err := s.store.DeleteIfMatch(ctx, loc, renewed.Version()); !errors.Is(err, ErrChanged) {
		t.Fatalf("DeleteIfMatch(gone) = %v, want ErrChanged", err)
	}
}

func (s suite) assertContent(t *testing.T, loc Location, want string) {
	t.Helper()
	obj, err := s.store.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, obj.Size())
	if _, err := obj.ReadAt(got, 0); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s holds %q, want %q", loc, got, want)
	}
}

func (s suite) missingObject(t *testing.T) {
	ctx := context.Background()
	_, err := s.store.Open(ctx, s.root.Join("no/such.parquet"))
	if !errors.Is(err, ErrNotExist) || isUsage(err) {
		t.Errorf("Open(missing object) = %v, want ErrNotExist, I/O class", err)
	}
	if err := s.store.Delete(ctx, s.root.Join("no/such.parquet")); err != nil {
		t.Errorf("Delete(missing object) = %v, want nil", err)
	}
}

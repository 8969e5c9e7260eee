package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mkfiles creates files (slash paths, relative to dir) with content = path.
func mkfiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if strings.HasSuffix(f, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpand(t *testing.T) {
	tree := []string{
		"data/a.parquet",
		"data/b.PARQUET",
		"data/notes.txt",
		"data/_SUCCESS",
		"data/_shards/0-of-2.json",
		"data/.a.parquet.tmp-01",
		"data/_tmp/x.parquet",
		"data/.hidden/y.parquet",
		"data/sub/c.parquet",
		"data/sub/_d.parquet",
		"data/2024-01/p.parquet",
		"data/2024-02/p.parquet",
		"data/2024-02/q.csv",
		"other/a.parquet",
		"other/z.pq",
		"empty/",
		"empty/_x/h.parquet",
		"flat.parquet",
		"_under.parquet",
	}
	type want struct{ in, rel string }
	tests := []struct {
		name    string
		args    []string
		want    []want
		wantErr string // substring; class must be usage
	}{
		{name: "dir recursive skipping _ and .", args: []string{"data"}, want: []want{
			{"data/2024-01/p.parquet", "2024-01/p.parquet"},
			{"data/2024-02/p.parquet", "2024-02/p.parquet"},
			{"data/a.parquet", "a.parquet"},
			{"data/b.PARQUET", "b.PARQUET"},
			{"data/sub/c.parquet", "sub/c.parquet"},
		}},
		{name: "file by name lands at base", args: []string{"data/sub/c.parquet", "other/z.pq"}, want: []want{
			{"data/sub/c.parquet", "c.parquet"},
			{"other/z.pq", "z.pq"},
		}},
		{name: "file by name may start with _", args: []string{"_under.parquet"}, want: []want{
			{"_under.parquet", "_under.parquet"},
		}},
		{name: "glob keeps path below static prefix", args: []string{"data/2024-*/*.parquet"}, want: []want{
			{"data/2024-01/p.parquet", "2024-01/p.parquet"},
			{"data/2024-02/p.parquet", "2024-02/p.parquet"},
		}},
		{name: "glob matching dirs expands them", args: []string{"data/2024-*"}, want: []want{
			{"data/2024-01/p.parquet", "2024-01/p.parquet"},
			{"data/2024-02/p.parquet", "2024-02/p.parquet"},
		}},
		{name: "glob star skips _ and . names", args: []string{"data/*.parquet"}, want: []want{
			{"data/a.parquet", "a.parquet"},
		}},
		{name: "glob explicit _ prefix", args: []string{"data/sub/_*.parquet"}, want: []want{
			{"data/sub/_d.parquet", "_d.parquet"},
		}},
		{name: "glob any extension", args: []string{"other/*"}, want: []want{
			{"other/a.parquet", "a.parquet"},
			{"other/z.pq", "z.pq"},
		}},
		{name: "same file twice is kept once", args: []string{"data/sub", "data/sub/c.parquet"}, want: []want{
			{"data/sub/c.parquet", "c.parquet"},
		}},
		{name: "glob ** any depth skips _ and . names", args: []string{"data/**/*.parquet"}, want: []want{
			{"data/2024-01/p.parquet", "2024-01/p.parquet"},
			{"data/2024-02/p.parquet", "2024-02/p.parquet"},
			{"data/a.parquet", "a.parquet"},
			{"data/sub/c.parquet", "sub/c.parquet"},
		}},
		{name: "glob ** explicit _ prefix", args: []string{"data/**/_*.parquet"}, want: []want{
			{"data/sub/_d.parquet", "sub/_d.parquet"},
		}},
		{name: "glob ** below a static dir", args: []string{"data/sub/**"}, want: []want{
			{"data/sub/c.parquet", "c.parquet"},
		}},
		{name: "glob alternatives", args: []string{"other/{a.parquet,z.pq}"}, want: []want{
			{"other/a.parquet", "a.parquet"},
			{"other/z.pq", "z.pq"},
		}},
		{name: "empty dir is no inputs", args: []string{"empty"}, wantErr: "no input files in empty"},
		{name: "collision names both", args: []string{"data", "other/a.parquet"}, wantErr: "data/a.parquet and other/a.parquet would both be written to"},
		{name: "collision two dirs", args: []string{"data", "other"}, wantErr: "would both be written to"},
		{name: "missing path", args: []string{"nope.parquet"}, wantErr: "nope.parquet: no such file or directory"},
		{name: "glob matching nothing", args: []string{"data/*.avro"}, wantErr: "no input files in data/*.avro"},
		{name: "glob ** matching nothing", args: []string{"other/**/*.avro", "empty"}, wantErr: "no input files in other/**/*.avro empty"},
		{name: "bad pattern", args: []string{"data/[.parquet"}, wantErr: "bad glob pattern"},
		{name: "no inputs", args: nil, wantErr: "no INPUT"},
	}
	dir := t.TempDir()
	mkfiles(t, dir, tree...)
	t.Chdir(dir)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			units, err := Expand(tc.args, "out")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(filepath.ToSlash(err.Error()), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(tc.wantErr, "no input files") && !errors.Is(err, ErrNoInputs) {
					t.Fatalf("err %v does not wrap ErrNoInputs", err)
				}
				if c := Classify(err); c != ClassUsage {
					t.Fatalf("class %v, want usage", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(units) != len(tc.want) {
				t.Fatalf("got %d units %+v, want %+v", len(units), units, tc.want)
			}
			for i, u := range units {
				w := tc.want[i]
				if filepath.ToSlash(u.Input) != w.in || filepath.ToSlash(u.Rel) != w.rel ||
					u.Output != filepath.Join("out", u.Rel) || u.Index != i {
					t.Errorf("unit %d = %+v, want input %s rel %s", i, u, w.in, w.rel)
				}
				if u.Size != int64(len(w.in)) {
					t.Errorf("unit %d size %d, want %d", i, u.Size, len(w.in))
				}
			}
		})
	}
}

func TestExpandOutputIsInput(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir, "data/a.parquet")
	t.Chdir(dir)
	_, err := Expand([]string{"data"}, "data")
	if err == nil || Classify(err) != ClassUsage || !strings.Contains(err.Error(), "would overwrite input") {
		t.Fatalf("err %v", err)
	}
	mkfiles(t, dir, "data/out/a.parquet", "data/out/b/c.parquet")
	units, err := Expand([]string{"."}, "data/out")
	if err != nil || len(units) != 1 || units[0].Rel != filepath.Join("data", "a.parquet") {
		t.Fatalf("output dir inside the input dir: %+v %v", units, err)
	}
	if _, err := Expand([]string{"data"}, ""); Classify(err) != ClassUsage {
		t.Fatalf("empty out dir: %v", err)
	}
}

func TestExpandSymlinkedDirectory(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir, "real/a.parquet", "real/sub/b.parquet")
	t.Chdir(dir)
	if err := os.Symlink("real", "link"); err != nil {
		t.Skip("no symlinks here:", err)
	}
	units, err := Expand([]string{"link"}, "out")
	if err != nil || len(units) != 2 || units[0].Input != filepath.Join("link", "a.parquet") || units[1].Rel != filepath.Join("sub", "b.parquet") {
		t.Fatalf("a directory named by a symlink: %+v %v", units, err)
	}
}

func TestExpandSortedAndStable(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir, "d/b/1.parquet", "d/a/2.parquet", "d/c.parquet", "e/0.parquet")
	t.Chdir(dir)
	a, err := Expand([]string{"e/0.parquet", "d"}, "o")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Expand([]string{"d", "e/0.parquet"}, "o")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("argument order changed the units: %+v vs %+v", a[i], b[i])
		}
		got = append(got, filepath.ToSlash(a[i].Rel))
	}
	if strings.Join(got, " ") != "0.parquet a/2.parquet b/1.parquet c.parquet" {
		t.Fatalf("order %v", got)
	}
}

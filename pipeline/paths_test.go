package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/io/storage"
)

// TestCheckPaths: inputs, -o and --attention-output never overlap, after
// resolving symbolic links, and no input is written to a reserved name.
func TestCheckPaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	mkfiles(t, dir, "in/a.parquet", "in/sub/b.parquet", "other/c.parquet", "_SUCCESS",
		storage.TempPrefix+"0123456789abcdef.x.parquet", "x/_shards/0-of-1.json")
	os.Symlink("in", "link-to-in")
	os.Symlink(filepath.Join(dir, "in", "sub"), "link-to-sub")
	os.MkdirAll("outs", 0o755)
	os.Symlink(filepath.Join(dir, "other"), filepath.Join("outs", "link-to-other"))
	aw := func(p string) []Location { return []Location{{"-o", "out"}, {"--attention-output", p}} }
	o := func(p string) []Location { return []Location{{"-o", p}} }
	for _, tc := range []struct {
		name string
		args []string
		outs []Location
		want string // "" ok, else a substring of the usage error
	}{
		{"separate", []string{"in"}, aw("weights"), ""},
		{"separate files", []string{"in/a.parquet", "other/c.parquet"}, o("out"), ""},
		{"-o equals the input", []string{"in"}, o("in"), "would overwrite input"},
		{"-o equals an input file", []string{"in/a.parquet"}, o("in/a.parquet"), "overlap"},
		{"-o inside the input", []string{"in"}, o("in/out"), "input in and -o in/out overlap"},
		{"input inside -o", []string{"in/sub"}, o("in"), "overlap"},
		{"-o through a symlink to the input", []string{"in"}, o("link-to-in/new"), "overlap"},
		{"input through a symlink into -o", []string{"link-to-sub"}, o("in"), "overlap"},
		{"-o below a symlink to an input", []string{"other/c.parquet"}, o("outs/link-to-other"), "overlap"},
		{"attention output equals the input", []string{"in"}, aw("in"), "input in and --attention-output in overlap"},
		{"attention output equals -o", []string{"in"}, aw("out"), "-o out and --attention-output out overlap"},
		{"attention output inside -o", []string{"in"}, aw("out/w"), "overlap"},
		{"input named _SUCCESS", []string{"_SUCCESS"}, o("out"), "a name the tool keeps"},
		{"input named like a temp file", []string{storage.TempPrefix + "0123456789abcdef.x.parquet"}, o("out"), "a name the tool keeps"},
		{"input under _shards", []string{"x/_*/0-of-1.json"}, o("out"), "a name the tool keeps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			units, err := Expand(tc.args, tc.outs[0].Path)
			if err == nil {
				err = CheckPaths(tc.args, units, tc.outs)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || Classify(err) != ClassUsage):
				t.Fatalf("err %v (class %v), want a usage error containing %q", err, Classify(err), tc.want)
			}
		})
	}
}

// TestExpandBadEntries: a dangling symbolic link and a link loop named
// *.parquet become units that fail alone; the directory still expands.
func TestExpandBadEntries(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir, "in/a.parquet", "in/d.parquet")
	os.Symlink(filepath.Join(dir, "missing.parquet"), filepath.Join(dir, "in", "b.parquet"))
	os.Symlink("c.parquet", filepath.Join(dir, "in", "c.parquet"))
	os.Symlink("loop", filepath.Join(dir, "in", "loop")) // not *.parquet: ignored
	units, err := Expand([]string{filepath.Join(dir, "in")}, filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range units {
		s := u.Rel
		if u.Err != nil {
			s += " (bad)"
		}
		got = append(got, s)
	}
	if strings.Join(got, ",") != "a.parquet,b.parquet (bad),c.parquet (bad),d.parquet" {
		t.Fatalf("units %v", got)
	}
	if !errors.Is(units[1].Err, os.ErrNotExist) {
		t.Fatalf("dangling link: %v", units[1].Err)
	}
}

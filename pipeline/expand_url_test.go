package pipeline

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExpandURLs expands file:// URLs, served by the object-storage path
// (gocloud.dev's fileblob) like s3://, gs:// and azblob:// (those run
// against real servers under the objstore build tag): prefixes read as
// directories (*.parquet only, "_" and "." names skipped, hive folders
// kept in Rel), globs with "?"-free keys, an object named exactly, the
// output prefix skipped, outputs joined on the URL's key.
func TestExpandURLs(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir,
		"in/date=2024-01-01/a.parquet",
		"in/date=2024-01-02/b.PARQUET",
		"in/date=2024-01-02/notes.txt",
		"in/_SUCCESS",
		"in/_tmp/x.parquet",
		"in/.hidden/y.parquet",
		"in/out/old.parquet",
		"input-sibling/no.parquet",
	)
	base := "file://" + filepath.ToSlash(dir)
	type want struct{ in, rel, out string }
	tests := []struct {
		name, arg, out string
		want           []want
		wantErr        string
	}{
		{name: "prefix", arg: base + "/in", out: base + "/in/out", want: []want{
			{base + "/in/date=2024-01-01/a.parquet", "date=2024-01-01/a.parquet", base + "/in/out/date=2024-01-01/a.parquet"},
			{base + "/in/date=2024-01-02/b.PARQUET", "date=2024-01-02/b.PARQUET", base + "/in/out/date=2024-01-02/b.PARQUET"},
		}},
		{name: "glob", arg: base + "/in/date=*/*.txt", out: base + "/o/", want: []want{
			{base + "/in/date=2024-01-02/notes.txt", "date=2024-01-02/notes.txt", base + "/o/date=2024-01-02/notes.txt"},
		}},
		{name: "object", arg: base + "//in/date=2024-01-01/a.parquet", out: base + "/o", want: []want{
			{base + "/in/date=2024-01-01/a.parquet", "a.parquet", base + "/o/a.parquet"},
		}},
		{name: "empty prefix", arg: base + "/nothing", out: base + "/o", wantErr: "no input files"},
		{name: "unknown scheme", arg: "foo://bucket/in", out: base + "/o", wantErr: `unsupported scheme "foo"`},
		{name: "unknown scheme out", arg: base + "/in", out: "foo://bucket/out", wantErr: `unsupported scheme "foo"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			units, err := Expand([]string{tc.arg}, tc.out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || Classify(err) != ClassUsage {
					t.Fatalf("err %v (class %v), want a usage error with %q", err, Classify(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []want
			for _, u := range units {
				got = append(got, want{u.Input, filepath.ToSlash(u.Rel), u.Output})
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestCheckPathsURLs refuses outputs that overlap inputs once URLs are
// normalised (query order, repeated slashes), and accepts siblings that
// share a name prefix.
func TestCheckPathsURLs(t *testing.T) {
	q := "?region=r&endpoint=http://h:1"
	qSorted := "?endpoint=http://h:1&region=r"
	tests := []struct {
		name    string
		args    []string
		out     string
		overlap bool
	}{
		{"output inside input prefix", []string{"s3://b/in" + q}, "s3://b//in/out/" + qSorted, true},
		{"input inside output", []string{"s3://b/data/in" + q}, "s3://b/data" + qSorted, true},
		{"sibling with a shared name prefix", []string{"s3://b/in" + q}, "s3://b/input" + q, false},
		{"other bucket", []string{"s3://b/in" + q}, "s3://c/in" + q, false},
		{"other endpoint", []string{"s3://b/in" + q}, "s3://b/in?endpoint=http://other:1&region=r", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPaths(tc.args, nil, []Location{{Flag: "-o", Path: tc.out}})
			if tc.overlap != (err != nil) {
				t.Fatalf("overlap %v, err %v", tc.overlap, err)
			}
			if err != nil && Classify(err) != ClassUsage {
				t.Fatalf("class %v, want usage", Classify(err))
			}
		})
	}
}

package blobstore

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		bucket   string
		key      string
	}{
		{"s3://bucket/in/", "s3://bucket/in", "bucket", "in"},
		{"S3://bucket//a///b/", "s3://bucket/a/b", "bucket", "a/b"},
		{"s3://bucket", "s3://bucket", "bucket", ""},
		{"s3://bucket/", "s3://bucket", "bucket", ""},
		{"s3://bucket/in/?region=us-east-1&endpoint=http://127.0.0.1:9000&use_path_style=true",
			"s3://bucket/in?endpoint=http://127.0.0.1:9000&region=us-east-1&use_path_style=true", "bucket", "in"},
		{"gs://b/date=2024-01-01/part-0.parquet", "gs://b/date=2024-01-01/part-0.parquet", "b", "date=2024-01-01/part-0.parquet"},
		{"azblob://container/x/*.parquet?localemu=true", "azblob://container/x/*.parquet?localemu=true", "container", "x/*.parquet"},
		{"file:///tmp/data/", "file:///tmp/data", "", "tmp/data"},
		{"file:///", "file:///", "", ""},
	}
	for _, tt := range tests {
		loc, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := loc.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if loc.Bucket != tt.bucket || loc.Key != tt.key {
			t.Errorf("Parse(%q) = bucket %q key %q, want %q %q", tt.in, loc.Bucket, loc.Key, tt.bucket, tt.key)
		}
		again, err := Parse(loc.String())
		if err != nil || again.String() != loc.String() {
			t.Errorf("Parse(String()) of %q = %v, %v: not a fixed point", tt.in, again, err)
		}
	}
}

func TestParseUsageErrors(t *testing.T) {
	for _, in := range []string{
		"hdfs://nn/data",   // unknown scheme
		"http://host/x",    // not object storage
		"s3:///key",        // no bucket
		"s3://b/a/../c",    // dot elements
		"s3://b/./c",       //
		"s3://b/x#frag",    // fragment
		"file://host/path", // file URL with a host
		"s3://b/?a=%zz",    // bad query
		"C:/data/in",       // a path, not a URL
		"relative/path",
	} {
		_, err := Parse(in)
		var e *Error
		if !errors.As(err, &e) || !e.UsageError() {
			t.Errorf("Parse(%q) = %v, want a usage *Error", in, err)
		}
	}
}

func TestIsURL(t *testing.T) {
	for in, want := range map[string]bool{
		"s3://b/k":       true,
		"gs://b":         true,
		"azblob://c/k":   true,
		"file:///x":      true,
		"hdfs://nn/x":    true, // a URL, of a scheme Parse refuses
		"C://data":       false,
		`C:\data`:        false,
		"c:/data":        false,
		"/abs/path":      false,
		"rel/s3://x":     false,
		"://x":           false,
		"9p://x":         false,
		"git+ssh://host": true,
	} {
		if got := IsURL(in); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestContains(t *testing.T) {
	p := func(s string) Location {
		l, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{"s3://b/in", "s3://b/in/x.parquet", true},
		{"s3://b/in/", "s3://b/in", true},
		{"s3://b/in", "s3://b/input", false},
		{"s3://b", "s3://b/anything", true},
		{"s3://b/in", "s3://c/in/x", false},
		{"s3://b/in", "gs://b/in/x", false},
		{"s3://b/in?region=us-east-1", "s3://b/in/x?region=us-east-1", true},
		{"s3://b/in?region=us-east-1", "s3://b/in/x", false},
	}
	for _, tt := range tests {
		if got := Contains(p(tt.a), p(tt.b)); got != tt.want {
			t.Errorf("Contains(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestJoinBaseLocalPath(t *testing.T) {
	l, _ := Parse("s3://b/out?region=r")
	if got := l.Join("date=1/x.parquet").String(); got != "s3://b/out/date=1/x.parquet?region=r" {
		t.Errorf("Join = %s", got)
	}
	if got := l.Join("_SUCCESS").Base(); got != "_SUCCESS" {
		t.Errorf("Base = %s", got)
	}
	f, _ := Parse("file:///tmp/x")
	if p, ok := f.LocalPath(); !ok || p != "/tmp/x" {
		t.Errorf("LocalPath = %q, %v", p, ok)
	}
	w, _ := Parse("file:///C:/data/in")
	if p, ok := w.LocalPath(); !ok || p != "C:/data/in" {
		t.Errorf("LocalPath of a Windows file URL = %q, %v", p, ok)
	}
	if _, ok := l.LocalPath(); ok {
		t.Error("an s3 URL has no local path")
	}
}

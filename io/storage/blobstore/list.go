package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/bmatcuk/doublestar/v4"
	"gocloud.dev/blob"
)

// Entry is one object found by List, Glob or Resolve.
type Entry struct {
	Loc   Location // the object itself
	Rel   string   // path relative to the listed prefix or glob root, "/"-separated
	Attrs Attrs    // from the listing: size, modification time, ETag/generation where the service lists them
	IsDir bool     // ListDir only: a prefix with objects below it (Loc.Key without the trailing "/")
}

// Hidden reports whether a "/"-separated relative path has an element
// starting with "_" or "." (_SUCCESS, _shards/, .tmp files, _temporary/
// of Spark, .spark-staging ...), which listings skip at any depth.
func Hidden(rel string) bool {
	for _, e := range strings.Split(rel, "/") {
		if strings.HasPrefix(e, "_") || strings.HasPrefix(e, ".") {
			return true
		}
	}
	return false
}

// HasMeta reports whether a key holds glob metacharacters (doublestar
// syntax: * ** [ ] { } and \ escapes). "?" is not one: in a URL it starts
// the query.
func HasMeta(key string) bool { return strings.ContainsAny(key, `*[{\`) }

// List returns every object below loc read as a directory (prefix
// loc.Key + "/", or the whole bucket), sorted by Rel. Objects whose
// relative path is Hidden are skipped, and so are "directory marker"
// objects (keys ending in "/"). Hive folders ("date=2024-01-01/") are
// ordinary elements of Rel. An empty prefix is an empty list, not an
// error; a missing bucket is a usage error.
func (s *Store) List(ctx context.Context, loc Location) ([]Entry, error) {
	var out []Entry
	err := s.walk(ctx, loc, loc.Dir(), func(e Entry) {
		if !Hidden(e.Rel) {
			out = append(out, e)
		}
	})
	return out, err
}

// ListDir returns the entries directly below loc read as a directory, as
// a directory listing on disk would: objects, and prefixes with objects
// below them as IsDir entries, sorted by name, skipping names that start
// with "_" or ".". Rel is the entry's name. It is List one level at a
// time, for callers that walk directories themselves.
func (s *Store) ListDir(ctx context.Context, loc Location) ([]Entry, error) {
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return nil, err
	}
	prefix := loc.Dir()
	var out []Entry
	it := b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, wrap("listing", loc, err, nil)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/")
		if name == "" || Hidden(name) {
			continue
		}
		e := Entry{Loc: Location{Scheme: loc.Scheme, Bucket: loc.Bucket, Key: prefix + name, Query: loc.Query}, Rel: name, IsDir: obj.IsDir}
		if !obj.IsDir {
			e.Attrs = listAttrs(obj)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, nil
}

// walk lists every object under prefix (recursively) and calls fn with Rel
// relative to prefix.
func (s *Store) walk(ctx context.Context, loc Location, prefix string, fn func(Entry)) error {
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return err
	}
	var found []Entry
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return wrap("listing", loc, err, nil)
		}
		rel := strings.TrimPrefix(obj.Key, prefix)
		if obj.IsDir || rel == "" || strings.HasSuffix(rel, "/") {
			continue
		}
		found = append(found, Entry{
			Loc:   Location{Scheme: loc.Scheme, Bucket: loc.Bucket, Key: obj.Key, Query: loc.Query},
			Rel:   rel,
			Attrs: listAttrs(obj),
		})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Rel < found[j].Rel })
	for _, e := range found {
		fn(e)
	}
	return nil
}

// listAttrs takes what each service's listing says about an object.
func listAttrs(obj *blob.ListObject) Attrs {
	a := Attrs{Size: obj.Size, ModTime: obj.ModTime}
	var s3o s3types.Object
	var gcs storage.ObjectAttrs
	var az container.BlobItem
	switch {
	case obj.As(&s3o):
		if s3o.ETag != nil {
			a.ETag = *s3o.ETag
		}
	case obj.As(&gcs):
		a.ETag, a.Generation = `"`+strings.Trim(gcs.Etag, `"`)+`"`, gcs.Generation
	case obj.As(&az):
		if az.Properties != nil && az.Properties.ETag != nil {
			a.ETag = string(*az.Properties.ETag)
		}
	}
	return a
}

// Glob returns the objects whose keys match loc.Key as a doublestar
// pattern ("*" within one element, "**" across elements, [classes],
// {alternatives}), sorted by Rel, which is relative to the glob's root: the
// longest leading run of elements without metacharacters
// ("in/date=*/part-*.parquet" -> root "in/"). A pattern matching a
// "directory" (a prefix) takes every object below it, as on disk. Matched
// elements starting with "_" or "." are skipped unless the pattern has an
// element starting with that same character (a user who writes "_*" asks
// for them); below a matched directory they are always skipped. A
// malformed pattern is a usage error; a pattern matching nothing is an
// empty list.
func (s *Store) Glob(ctx context.Context, loc Location) ([]Entry, error) {
	pattern := loc.Key
	if !doublestar.ValidatePattern(pattern) {
		return nil, usageErr("globbing", loc, fmt.Errorf("malformed pattern %q", pattern))
	}
	root := globRoot(pattern)
	var out []Entry
	err := s.walk(ctx, loc, root, func(e Entry) {
		if globMatch(pattern, e.Loc.Key) {
			e.Rel = strings.TrimPrefix(e.Loc.Key, root)
			out = append(out, e)
		}
	})
	return out, err
}

// globRoot is the prefix of pattern up to its first element with a
// metacharacter ("" or ending in "/").
func globRoot(pattern string) string {
	elems := strings.Split(pattern, "/")
	var root strings.Builder
	for _, e := range elems[:len(elems)-1] {
		if HasMeta(e) {
			break
		}
		root.WriteString(e)
		root.WriteString("/")
	}
	return root.String()
}

// globMatch reports whether key matches pattern itself or lies below a
// "directory" that does, with the hidden-name rules of Glob.
func globMatch(pattern, key string) bool {
	elems := strings.Split(key, "/")
	for n := len(elems); n >= 1; n-- {
		head := strings.Join(elems[:n], "/")
		if ok, _ := doublestar.Match(pattern, head); !ok {
			continue
		}
		if Hidden(strings.Join(elems[n:], "/")) && n < len(elems) {
			return false
		}
		for _, e := range elems[:n] {
			if (e[0] == '_' || e[0] == '.') && !patternAsksFor(pattern, e[0]) {
				return false
			}
		}
		return true
	}
	return false
}

// patternAsksFor reports whether some element of pattern starts with c.
func patternAsksFor(pattern string, c byte) bool {
	for _, e := range strings.Split(pattern, "/") {
		if e != "" && e[0] == c {
			return true
		}
	}
	return false
}

// Resolve expands one INPUT URL as the SPEC says: a URL naming an
// existing object is that object (Rel is its base name); otherwise a key
// with glob metacharacters is a Glob; otherwise the key is a prefix read
// like a directory (List). It returns an empty list for an empty prefix or
// a glob matching nothing; the caller decides whether that is an error.
func (s *Store) Resolve(ctx context.Context, loc Location) ([]Entry, error) {
	if loc.Key != "" {
		a, err := s.Stat(ctx, loc)
		if err == nil {
			return []Entry{{Loc: loc, Rel: loc.Base(), Attrs: a}}, nil
		}
		if !errors.Is(err, ErrNotExist) {
			return nil, err
		}
	}
	if HasMeta(loc.Key) {
		return s.Glob(ctx, loc)
	}
	return s.List(ctx, loc)
}

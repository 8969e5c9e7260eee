package blobstore

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
)

// Schemes this package opens. Any other scheme is a usage error.
var schemes = map[string]string{
	"s3":     "Amazon S3 or an S3-compatible server",
	"gs":     "Google Cloud Storage",
	"azblob": "Azure Blob Storage",
	"file":   "a local directory",
}

// Location is a parsed and normalised object-storage URL: scheme, bucket
// (container for azblob), key or prefix inside it, and the opener's query
// parameters. The zero Location is invalid.
type Location struct {
	Scheme string     // "s3", "gs", "azblob" or "file"
	Bucket string     // bucket or container name; empty for file
	Key    string     // object key or prefix, "/"-separated, no leading "/"
	Query  url.Values // gocloud.dev opener parameters (endpoint, region, ...)
}

// IsURL reports whether s is written as a URL ("scheme://..." with a
// scheme of two or more letters) rather than a local path. A single
// letter before ":" is a Windows drive ("C:\data", "C:/data"), not a scheme.
// IsURL says nothing about whether the scheme is supported: Parse does.
func IsURL(s string) bool {
	i := strings.Index(s, "://")
	if i < 2 {
		return false
	}
	for j, r := range s[:i] {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (j == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

// Parse parses and normalises an object-storage URL:
//
//	s3://bucket/prefix/?endpoint=http://127.0.0.1:9000&use_path_style=true
//	gs://bucket/key.parquet
//	azblob://container/prefix
//	file:///abs/path
//
// "?" starts the query (it is not a glob character in a URL); "#" is not
// allowed. The scheme is lower-cased, repeated and trailing slashes of the
// key are dropped ("a//b/" -> "a/b"; Location.Dir adds the slash back), and
// the query is kept for the gocloud.dev opener (String writes it sorted).
// A scheme other than s3, gs, azblob and file, a missing bucket name, a
// key with "." or ".." elements and a file URL with a host are usage
// errors (*Error with Usage set); Parse never touches the network.
func Parse(raw string) (Location, error) {
	bad := func(format string, args ...any) (Location, error) {
		return Location{}, &Error{Op: "parsing URL", URL: raw, Err: fmt.Errorf(format, args...), Usage: true}
	}
	if !IsURL(raw) {
		return bad("not a URL: expected scheme://bucket/key")
	}
	i := strings.Index(raw, "://")
	scheme := strings.ToLower(raw[:i])
	if _, ok := schemes[scheme]; !ok {
		return bad("unsupported scheme %q: use s3://, gs://, azblob:// or file:// (or a local path)", scheme)
	}
	rest := raw[i+3:]
	var query string
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest, query = rest[:q], rest[q+1:]
	}
	if strings.ContainsRune(rest, '#') || strings.ContainsRune(query, '#') {
		return bad("%q is not allowed in an object-storage URL", "#")
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return bad("bad query: %v", err)
	}
	loc := Location{Scheme: scheme, Query: values}
	if scheme == "file" {
		if !strings.HasPrefix(rest, "/") {
			return bad("a file URL has no host: write file:///absolute/path")
		}
	} else {
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return bad("no bucket name")
		}
		loc.Bucket, rest = bucket, key
	}
	key, err := cleanKey(rest)
	if err != nil {
		return bad("%v", err)
	}
	loc.Key = key
	return loc, nil
}

// cleanKey drops empty elements (leading, repeated and trailing slashes)
// and refuses "." and "..", which object stores keep literally but which
// would mean something else on disk.
func cleanKey(k string) (string, error) {
	var elems []string
	for _, e := range strings.Split(k, "/") {
		switch e {
		case "":
			continue
		case ".", "..":
			return "", errors.New(`"." and ".." are not allowed in a key`)
		}
		elems = append(elems, e)
	}
	return strings.Join(elems, "/"), nil
}

// String writes the normalised URL, with the query sorted by name.
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.Scheme)
	b.WriteString("://")
	if l.Scheme == "file" {
		b.WriteString("/")
	} else {
		b.WriteString(l.Bucket)
		if l.Key != "" {
			b.WriteString("/")
		}
	}
	b.WriteString(l.Key)
	if q := encodeQuery(l.Query); q != "" {
		b.WriteString("?")
		b.WriteString(q)
	}
	return b.String()
}

// encodeQuery is url.Values.Encode but keeps ":" and "/" readable, so that
// endpoint=http://127.0.0.1:9000 prints as written.
func encodeQuery(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), v[k]...)
		sort.Strings(vals)
		for _, val := range vals {
			parts = append(parts, queryEscape(k)+"="+queryEscape(val))
		}
	}
	return strings.Join(parts, "&")
}

func queryEscape(s string) string {
	e := url.QueryEscape(s)
	return strings.NewReplacer("%3A", ":", "%2F", "/").Replace(e)
}

// Join returns the location of rel ("/"-separated) below l.
func (l Location) Join(rel string) Location {
	out := l
	k, _ := cleanKey(l.Key + "/" + rel)
	out.Key = k
	return out
}

// Dir returns the key as a listing prefix: empty for the bucket root, else
// the key with one trailing "/".
func (l Location) Dir() string {
	if l.Key == "" {
		return ""
	}
	return l.Key + "/"
}

// Base returns the last element of the key ("" for a bucket root).
func (l Location) Base() string {
	if l.Key == "" {
		return ""
	}
	return path.Base(l.Key)
}

// LocalPath returns the path a file URL names ("file:///tmp/x" ->
// "/tmp/x", "file:///C:/data" -> "C:/data"), and false for other schemes.
// Callers that have a better local implementation (fsync, rename, flock)
// use it for file URLs.
func (l Location) LocalPath() (string, bool) {
	if l.Scheme != "file" {
		return "", false
	}
	if k := l.Key; len(k) >= 2 && k[1] == ':' && (k[0] >= 'a' && k[0] <= 'z' || k[0] >= 'A' && k[0] <= 'Z') {
		return k, true // a Windows drive
	}
	return "/" + l.Key, true
}

// SameBucket reports whether a and b name the same bucket of the same
// service (same scheme, bucket and query).
func SameBucket(a, b Location) bool {
	return a.bucketURL() == b.bucketURL()
}

// Contains reports whether b is a or lies below a, element by element
// ("s3://b/in" contains "s3://b/in/x" but not "s3://b/input"). It is the
// overlap test for inputs and outputs after normalisation.
func Contains(a, b Location) bool {
	if !SameBucket(a, b) {
		return false
	}
	return a.Key == "" || b.Key == a.Key || strings.HasPrefix(b.Key, a.Key+"/")
}

// bucketURL is the URL gocloud.dev opens the bucket with. File URLs open
// the root directory with metadata sidecars off and temporary files next
// to their target (so a rename never crosses file systems); S3 URLs
// validate response checksums only where required.
func (l Location) bucketURL() string {
	q := url.Values{}
	for k, v := range l.Query {
		q[k] = v
	}
	if l.Scheme == "file" {
		if _, ok := q["metadata"]; !ok {
			q.Set("metadata", "skip")
		}
		if _, ok := q["no_tmp_dir"]; !ok {
			q.Set("no_tmp_dir", "true")
		}
		return "file:///?" + encodeQuery(q)
	}
	if l.Scheme == "s3" {
		// Ranged GETs carry no whole-object checksum; validating them
		// only makes the SDK log a DEBUG line on stderr per request.
		if _, ok := q["response_checksum_validation"]; !ok {
			q.Set("response_checksum_validation", "when_required")
		}
	}
	s := l.Scheme + "://" + l.Bucket
	if e := encodeQuery(q); e != "" {
		s += "?" + e
	}
	return s
}

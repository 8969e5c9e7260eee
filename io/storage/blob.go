package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/contextualize/contextualize/io/storage/blobstore"
)

// Blob is the Storage of object-storage URLs (s3://, gs://, azblob://,
// file://) through gocloud.dev/blob (package blobstore). Names are URLs;
// the names it returns (Info.Name, Entry.Name) are normalised URLs with
// the query of the name they came from, so they open again as they are.
// A name that is not a valid URL of a supported scheme fails every method
// with a usage error before anything is opened or written.
type Blob struct {
	st *blobstore.Store
	// LeaseTTL is the time a lock (a lease object) lives unless renewed;
	// 0: DefaultLeaseTTL.
	LeaseTTL time.Duration
}

// DefaultLeaseTTL is how long a lock held on object storage lives unless
// its run renews it (every third of it): a run killed without releasing
// its lock blocks the next one for at most this long.
const DefaultLeaseTTL = time.Minute

// NewBlob returns a Blob over its own blobstore.Store (buckets opened once,
// on first use).
func NewBlob() *Blob { return &Blob{st: blobstore.New()} }

// Store is the blobstore.Store b reads and writes through.
func (b *Blob) Store() *blobstore.Store { return b.st }

// maxSmallFile bounds ReadFile: manifests and leases, never data.
const maxSmallFile = 256 << 20

func parse(name string) (blobstore.Location, error) { return blobstore.Parse(name) }

// blobReader reads an object with ranged GETs pinned to the version seen
// at Open, through a readAhead: the ranges a Prefetch hints are fetched
// in a few large GETs, in parallel; any other read is one GET.
type blobReader struct {
	*readAhead
	obj  *blobstore.Object
	info Info
}

func (r *blobReader) Info() Info { return r.info }

// Close cancels the fetches in flight, waits for them and drops every
// buffer.
func (r *blobReader) Close() error {
	r.readAhead.close()
	return r.obj.Close()
}

func blobInfo(loc blobstore.Location, a blobstore.Attrs) Info {
	return Info{Name: loc.String(), Size: a.Size, ModTime: a.ModTime, ETag: a.Version()}
}

// Open opens the object for ranged reads pinned to the version seen now:
// one ranged GET per ReadAt, except in the ranges a Prefetch hints, which
// are read ahead in large parallel GETs (the Reader is a Prefetcher).
// Info.ETag is its version token (generation or ETag).
func (b *Blob) Open(ctx context.Context, name string) (Reader, error) {
	loc, err := parse(name)
	if err != nil {
		return nil, err
	}
	obj, err := b.st.Open(ctx, loc)
	if err != nil {
		return nil, err
	}
	ra := newReadAhead(ctx, obj.Size(), obj.ReadAtContext)
	return &blobReader{readAhead: ra, obj: obj, info: blobInfo(loc, obj.Attrs())}, nil
}

// Stat describes the object at name; a prefix with objects below it is a
// directory (IsDir), as on disk.
func (b *Blob) Stat(ctx context.Context, name string) (Info, error) {
	loc, err := parse(name)
	if err != nil {
		return Info{}, err
	}
	a, err := b.st.Stat(ctx, loc)
	if err == nil {
		return blobInfo(loc, a), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Info{}, err
	}
	if entries, lerr := b.st.ListDir(ctx, loc); lerr == nil && len(entries) > 0 {
		return Info{Name: loc.String(), IsDir: true}, nil
	}
	return Info{}, err
}

// List returns the objects and prefixes directly below dir (ListDir).
func (b *Blob) List(ctx context.Context, dir string) ([]Entry, error) {
	loc, err := parse(dir)
	if err != nil {
		return nil, err
	}
	es, err := b.st.ListDir(ctx, loc)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Info: blobInfo(e.Loc, e.Attrs)}
		out[i].IsDir = e.IsDir
		if e.IsDir {
			out[i].ETag, out[i].ModTime = "", time.Time{}
		}
	}
	return out, nil
}

type blobWriter struct{ *blobstore.Writer }

func (w blobWriter) Name() string { return w.Location().String() }

// Create starts an upload; the object appears only on Commit.
func (b *Blob) Create(ctx context.Context, name string) (Writer, error) {
	loc, err := parse(name)
	if err != nil {
		return nil, err
	}
	w, err := b.st.Create(ctx, loc, nil)
	if err != nil {
		return nil, err
	}
	return blobWriter{w}, nil
}

// ReadFile reads a small object whole, as one version of it.
func (b *Blob) ReadFile(ctx context.Context, name string) ([]byte, error) {
	loc, err := parse(name)
	if err != nil {
		return nil, err
	}
	// Another run may replace the file (a shard manifest rewritten while
	// its shard runs) between the HEAD and the GET, which are pinned to
	// one version: read the new version then.
	for try := 0; ; try++ {
		data, _, err := b.st.ReadAll(ctx, loc, maxSmallFile)
		if err == nil || !errors.Is(err, blobstore.ErrChanged) || try == 9 {
			return data, err
		}
	}
}

// WriteFile writes a small object in one upload, visible only complete.
func (b *Blob) WriteFile(ctx context.Context, name string, data []byte) error {
	loc, err := parse(name)
	if err != nil {
		return err
	}
	return b.st.Put(ctx, loc, data)
}

// Remove deletes the object at name.
func (b *Blob) Remove(ctx context.Context, name string) error {
	loc, err := parse(name)
	if err != nil {
		return err
	}
	return b.st.Delete(ctx, loc)
}

// Lock takes a lease object called name (see Lease): created by a
// conditional write, renewed in the background every third of its TTL,
// taken over by another run once expired. On file URLs, whose store has no
// conditional writes, it is the local flock of the path.
func (b *Blob) Lock(ctx context.Context, name string) (Lock, error) {
	loc, err := parse(name)
	if err != nil {
		return nil, err
	}
	if p, ok := loc.LocalPath(); ok {
		return local.Lock(ctx, filepath.FromSlash(p))
	}
	ttl := b.LeaseTTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	l, err := AcquireLease(ctx, blobCond{b.st}, loc.String(), LeaseOptions{TTL: ttl})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// CleanTemps has nothing to do: an unfinished upload is invisible, and the
// bucket's lifecycle rule removes its parts.
func (b *Blob) CleanTemps(context.Context, []string, func(string) bool) ([]string, error) {
	return nil, nil
}

// Resolve returns the normalised URL (query sorted, empty key elements
// dropped); a file URL resolves as the local path it names, so that it
// compares with local paths.
func (b *Blob) Resolve(name string) (string, error) {
	loc, err := parse(name)
	if err != nil {
		return "", err
	}
	if p, ok := loc.LocalPath(); ok {
		return local.Resolve(filepath.FromSlash(p))
	}
	return loc.String(), nil
}

// blobCond is the CondStore of a blobstore.Store, for leases.
type blobCond struct{ st *blobstore.Store }

func (c blobCond) CreateIfAbsent(ctx context.Context, name string, data []byte) (string, error) {
	loc, err := parse(name)
	if err != nil {
		return "", err
	}
	a, err := c.st.CreateIfNotExist(ctx, loc, data)
	return a.Version(), err
}

func (c blobCond) Read(ctx context.Context, name string) ([]byte, string, error) {
	loc, err := parse(name)
	if err != nil {
		return nil, "", err
	}
	data, a, err := c.st.ReadAll(ctx, loc, 1<<20)
	return data, a.Version(), err
}

func (c blobCond) ReplaceIf(ctx context.Context, name, version string, data []byte) (string, error) {
	loc, err := parse(name)
	if err != nil {
		return "", err
	}
	a, err := c.st.ReplaceIfMatch(ctx, loc, version, data)
	return a.Version(), changed(err)
}

func (c blobCond) DeleteIf(ctx context.Context, name, version string) error {
	loc, err := parse(name)
	if err != nil {
		return err
	}
	return changed(c.st.DeleteIfMatch(ctx, loc, version))
}

// changed maps blobstore.ErrChanged to ErrPrecondition.
func changed(err error) error {
	if errors.Is(err, blobstore.ErrChanged) {
		return fmt.Errorf("%w: %w", ErrPrecondition, err)
	}
	return err
}

// IsURL reports whether name is written as a URL (scheme://...) rather
// than a local path; Blob serves it (an unsupported scheme fails there,
// as a usage error).
func IsURL(name string) bool { return blobstore.IsURL(name) }

// Join returns the name of rel ("/" or OS separated) below dir: a URL
// joined on its key (the query kept at the end), else filepath.Join.
func Join(dir string, rel ...string) string {
	if !IsURL(dir) {
		return filepath.Join(append([]string{dir}, rel...)...)
	}
	loc, err := parse(dir)
	if err != nil {
		return strings.TrimSuffix(dir, "/") + "/" + filepath.ToSlash(strings.Join(rel, "/"))
	}
	for _, r := range rel {
		loc = loc.Join(filepath.ToSlash(r))
	}
	return loc.String()
}

// Base returns the last element of name: of a URL's key (without the
// query), else filepath.Base.
func Base(name string) string {
	if IsURL(name) {
		if loc, err := parse(name); err == nil {
			return loc.Base()
		}
	}
	return filepath.Base(name)
}

// Match is one input an INPUT URL names: an object, or an object below a
// prefix or matched by a glob, with its path relative to the prefix or to
// the glob's root.
type Match struct {
	Name string // normalised URL
	Rel  string // "/"-separated
	Size int64
}

// ExpandURL lists what an INPUT URL names, as SPEC's INPUT rule says: an
// existing object is itself (Rel its base name); otherwise a key with glob
// metacharacters is a doublestar pattern; otherwise the key is a prefix
// read like a directory, of which only the *.parquet objects are taken.
// Names starting with "_" or "." are skipped; the result is sorted by Rel.
func (b *Blob) ExpandURL(ctx context.Context, name string) ([]Match, error) {
	loc, err := parse(name)
	if err != nil {
		return nil, err
	}
	es, err := b.st.Resolve(ctx, loc)
	if err != nil {
		return nil, err
	}
	prefix := !blobstore.HasMeta(loc.Key) && !(len(es) == 1 && es[0].Loc.Key == loc.Key)
	out := make([]Match, 0, len(es))
	for _, e := range es {
		if prefix && !strings.EqualFold(pathExt(e.Rel), ".parquet") {
			continue
		}
		out = append(out, Match{Name: e.Loc.String(), Rel: e.Rel, Size: e.Attrs.Size})
	}
	return out, nil
}

func pathExt(p string) string {
	if i := strings.LastIndexAny(p, "./"); i >= 0 && p[i] == '.' {
		return p[i:]
	}
	return ""
}

// OverlapURL reports whether two resolved URLs are the same place or one
// lies below the other (same bucket, key element by element); false when
// either is not a URL.
func OverlapURL(a, b string) bool {
	la, err1 := parse(a)
	lb, err2 := parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return blobstore.Contains(la, lb) || blobstore.Contains(lb, la)
}

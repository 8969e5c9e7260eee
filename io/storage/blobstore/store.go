package blobstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://
	"golang.org/x/oauth2/google"
)

// Store opens buckets on first use and keeps them open until Close. It is
// safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	buckets map[string]*blob.Bucket
}

// New returns an empty Store.
func New() *Store { return &Store{buckets: map[string]*blob.Bucket{}} }

// Close closes every bucket the Store opened.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for k, b := range s.buckets {
		errs = append(errs, b.Close())
		delete(s.buckets, k)
	}
	return errors.Join(errs...)
}

// bucket opens (once) the bucket of loc. Opener errors (an unknown query
// parameter, a malformed endpoint, no credentials) are usage errors.
func (s *Store) bucket(ctx context.Context, loc Location) (*blob.Bucket, error) {
	key := loc.bucketURL()
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.buckets[key]; ok {
		return b, nil
	}
	if err := checkGoogleCredentials(ctx, loc); err != nil {
		return nil, usageErr("opening bucket", loc, err)
	}
	b, err := blob.OpenBucket(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Op: "opening bucket", URL: loc.String(), Err: err}
		}
		return nil, usageErr("opening bucket", loc, err)
	}
	s.buckets[key] = b
	return b, nil
}

// checkGoogleCredentials looks for Google's default credentials before
// gcsblob does: gcsblob prints a warning on stdout and goes on without
// credentials, which would spoil a command's JSON output and fail later
// with a less useful message.
func checkGoogleCredentials(ctx context.Context, loc Location) error {
	if loc.Scheme != "gs" || os.Getenv("STORAGE_EMULATOR_HOST") != "" || os.Getenv("STORAGE_EMULATOR_HOST_GRPC") != "" {
		return nil
	}
	if loc.Query.Get("anonymous") == "true" || loc.Query.Get("access_id") == "-" {
		return nil
	}
	if _, err := google.FindDefaultCredentials(ctx, storage.ScopeReadWrite); err != nil {
		return fmt.Errorf("no Google credentials (set GOOGLE_APPLICATION_CREDENTIALS, or add ?anonymous=true for a public bucket): %w", err)
	}
	return nil
}

// Attrs are what the store says about one object. Together with a hash
// of the Parquet footer they make an input's identity.
type Attrs struct {
	Size       int64
	ModTime    time.Time
	ETag       string // as the service sends it (quoted); empty if none
	Generation int64  // GCS object generation; 0 elsewhere
}

// Version is the strongest version token the service gives: the GCS
// generation, else the ETag, else the modification time (UTC, RFC 3339
// with nanoseconds). Two different contents of one key never share it.
func (a Attrs) Version() string {
	switch {
	case a.Generation != 0:
		return fmt.Sprintf("gen:%d", a.Generation)
	case a.ETag != "":
		return "etag:" + a.ETag
	}
	return "mtime:" + a.ModTime.UTC().Format(time.RFC3339Nano)
}

// Stat returns the attributes of the object at loc. A missing object is an
// I/O-class error matching ErrNotExist; a missing or inaccessible bucket is
// a usage error.
func (s *Store) Stat(ctx context.Context, loc Location) (Attrs, error) {
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return Attrs{}, err
	}
	if loc.Key == "" {
		return Attrs{}, &Error{Op: "reading", URL: loc.String(), Err: fmt.Errorf("%w: a bucket root is not an object", ErrNotExist)}
	}
	a, err := b.Attributes(ctx, loc.Key)
	if err != nil {
		return Attrs{}, wrap("reading attributes of", loc, err, s.bucketMissing(ctx, b))
	}
	out := Attrs{Size: a.Size, ModTime: a.ModTime, ETag: a.ETag}
	var gcs storage.ObjectAttrs
	if a.As(&gcs) {
		out.Generation = gcs.Generation
	}
	return out, nil
}

// bucketMissing returns a probe that tells a missing object from a missing
// (or inaccessible) bucket after a NotFound.
func (s *Store) bucketMissing(ctx context.Context, b *blob.Bucket) func() bool {
	return func() bool {
		ok, err := b.IsAccessible(ctx)
		return err == nil && !ok
	}
}

// Delete removes the object at loc. A missing object is not an error: the
// caller wanted it gone.
func (s *Store) Delete(ctx context.Context, loc Location) error {
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return err
	}
	err = wrap("deleting", loc, b.Delete(ctx, loc.Key), s.bucketMissing(ctx, b))
	if errors.Is(err, ErrNotExist) {
		return nil
	}
	return err
}

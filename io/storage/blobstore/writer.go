package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// DefaultPartSize is the part (block, chunk) size of uploads: the S3
// minimum, so that an upload holds as little memory as the services allow.
const DefaultPartSize = 5 << 20

// DefaultConcurrency is the number of parts uploaded at once. An open
// Writer holds up to (DefaultConcurrency+1) × PartSize bytes of buffers on
// S3 and Azure (30 MiB by default), and one PartSize chunk on GCS.
const DefaultConcurrency = 5

// WriteOptions tune Create. The zero value is the default.
type WriteOptions struct {
	ContentType string            // default "application/octet-stream"
	PartSize    int               // default DefaultPartSize; S3 refuses parts under 5 MiB
	Concurrency int               // default DefaultConcurrency
	Metadata    map[string]string // user metadata stored with the object

	// IfNotExist makes the write conditional: Commit fails with an error
	// matching ErrExist if an object already exists at the key, and the
	// existing object is left untouched (S3 If-None-Match: *, GCS
	// ifGenerationMatch=0, Azure If-None-Match: *).
	IfNotExist bool
	// IfMatch, when not empty, makes the write conditional on the current
	// object's Attrs.Version (as returned by Stat or Open): Commit fails
	// with an error matching ErrChanged if the object was replaced or
	// deleted since (S3 If-Match, GCS ifGenerationMatch, Azure If-Match).
	IfMatch string
}

// Writer uploads one object. Nothing is visible at the key until Commit
// returns nil: the services publish an object only when its upload
// completes (S3 CompleteMultipartUpload or PutObject, GCS finalising the
// resumable upload, Azure committing the block list). Abort, a failed
// Write, a canceled context or a killed process leave no object (S3 and
// Azure may keep the uploaded parts, invisible, until the bucket's
// lifecycle rule or the service removes them).
type Writer struct {
	w      *blob.Writer
	cancel context.CancelFunc
	loc    Location
	n      int64
	done   bool
	// bucketMissing tells a missing bucket from a missing object after a
	// NotFound at Commit.
	bucketMissing func() bool

	ifNotExist, ifMatch bool
	// s3 is the client of an S3 upload, to abort a failed multipart upload
	// again (nil on other services).
	s3 *s3.Client
}

// Create starts an upload to loc. The upload stops (and nothing appears)
// if ctx is canceled before Commit. The intended use is
//
//	w, err := store.Create(ctx, loc, nil)
//	if err != nil { return err }
//	defer w.Abort()
//	... write ...
//	return w.Commit()
func (s *Store) Create(ctx context.Context, loc Location, opts *WriteOptions) (*Writer, error) {
	if opts == nil {
		opts = &WriteOptions{}
	}
	if loc.Key == "" {
		return nil, usageErr("writing", loc, errors.New("a bucket root is not an object: name a key"))
	}
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return nil, err
	}
	wo := &blob.WriterOptions{
		ContentType:    opts.ContentType,
		BufferSize:     opts.PartSize,
		MaxConcurrency: opts.Concurrency,
		Metadata:       opts.Metadata,
		IfNotExist:     opts.IfNotExist,
	}
	if wo.ContentType == "" {
		wo.ContentType = "application/octet-stream"
	}
	if wo.BufferSize == 0 {
		wo.BufferSize = DefaultPartSize
	}
	if wo.MaxConcurrency == 0 {
		wo.MaxConcurrency = DefaultConcurrency
	}
	var before []func(as func(any) bool) error
	var s3c *s3.Client
	if b.As(&s3c) {
		before = append(before, tuneS3Upload(s3c, int64(wo.BufferSize), wo.MaxConcurrency))
	}
	if opts.IfMatch != "" {
		if err := checkVersion(opts.IfMatch); err != nil {
			return nil, usageErr("writing", loc, err)
		}
		before = append(before, ifMatch(opts.IfMatch))
	}
	wo.BeforeWrite = func(as func(any) bool) error {
		for _, f := range before {
			if err := f(as); err != nil {
				return err
			}
		}
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	w, err := b.NewWriter(wctx, loc.Key, wo)
	if err != nil {
		cancel()
		return nil, wrap("writing", loc, err, s.bucketMissing(ctx, b))
	}
	return &Writer{w: w, cancel: cancel, loc: loc, bucketMissing: s.bucketMissing(ctx, b),
		ifNotExist: opts.IfNotExist, ifMatch: opts.IfMatch != "", s3: s3c}, nil
}

// Write appends p to the upload. After an error the upload is lost: call
// Abort (Commit would fail).
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, &Error{Op: "writing", URL: w.loc.String(), Err: errors.New("write after Commit or Abort")}
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	if err != nil {
		return n, wrap("writing", w.loc, err, w.bucketMissing)
	}
	return n, nil
}

// Size is the number of bytes accepted by Write so far.
func (w *Writer) Size() int64 { return w.n }

// Location is where the object is being written.
func (w *Writer) Location() Location { return w.loc }

// Commit completes the upload: when it returns nil the whole object is
// visible at the key, replacing any previous one. On error nothing new is
// visible (the previous object, if any, is untouched).
func (w *Writer) Commit() error {
	if w.done {
		return &Error{Op: "committing", URL: w.loc.String(), Err: errors.New("already committed or aborted")}
	}
	w.done = true
	defer w.cancel()
	err := w.w.Close()
	if err == nil {
		return nil
	}
	w.abortAgain(err)
	if precondition(err) {
		// Both conditions fail as 412 (Azure: 409 for an existing blob);
		// the writer knows which one it set.
		switch {
		case w.ifNotExist:
			return &Error{Op: "committing", URL: w.loc.String(), Err: fmt.Errorf("%w: %w", ErrExist, err)}
		case w.ifMatch:
			return &Error{Op: "committing", URL: w.loc.String(), Err: fmt.Errorf("%w: %w", ErrChanged, err)}
		}
	}
	return wrap("committing", w.loc, err, w.bucketMissing)
}

// precondition reports whether err is a failed write condition.
func precondition(err error) bool {
	s := httpStatus(err)
	return gcerrors.Code(err) == gcerrors.FailedPrecondition || s == 412 || s == 409
}

// Abort cancels the upload; nothing becomes visible. It is idempotent and
// a no-op after Commit, so it can always be deferred.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.cancel()
	w.abortAgain(w.w.Close()) // returns the cancellation
	return nil
}

// CreateIfNotExist writes data to loc only if no object exists there: the
// primitive a lease object is taken with. It returns the new object's
// attributes, or an error matching ErrExist when an object exists (and is
// left untouched).
func (s *Store) CreateIfNotExist(ctx context.Context, loc Location, data []byte) (Attrs, error) {
	if err := s.put(ctx, loc, data, &WriteOptions{IfNotExist: true}); err != nil {
		return Attrs{}, err
	}
	return s.Stat(ctx, loc)
}

// ReplaceIfMatch writes data to loc only if the object there still has the
// version (Attrs.Version) the caller saw: the primitive to renew a lease or
// take over an expired one. It returns the new object's attributes, or an
// error matching ErrChanged when the object was replaced or deleted since.
//
// The attributes of a new object come from a HEAD after the write (the
// services' upload responses do not reach gocloud.dev's callers); another
// writer replacing the object between the two would be seen as the new
// version, which a lease with a TTL far above a round trip tolerates.
func (s *Store) ReplaceIfMatch(ctx context.Context, loc Location, version string, data []byte) (Attrs, error) {
	if err := s.put(ctx, loc, data, &WriteOptions{IfMatch: version}); err != nil {
		return Attrs{}, err
	}
	return s.Stat(ctx, loc)
}

// DeleteIfMatch removes the object at loc only if it still has the given
// version: the primitive to release a lease without removing another
// run's. It returns an error matching ErrChanged when the object was
// replaced or is gone.
func (s *Store) DeleteIfMatch(ctx context.Context, loc Location, version string) error {
	if err := checkVersion(version); err != nil {
		return usageErr("deleting", loc, err)
	}
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return err
	}
	gen, etag := parseVersion(version)
	err = b.DeleteWithOptions(ctx, loc.Key, &blob.DeleteOptions{BeforeDelete: func(as func(any) bool) error {
		var s3in *s3.DeleteObjectInput
		if as(&s3in) && etag != "" {
			s3in.IfMatch = &etag
			return nil
		}
		var gcs **storage.ObjectHandle
		if as(&gcs) && gen != 0 {
			// That generation only (honoured by every server we test
			// with), and only if it is current (honoured by GCS).
			*gcs = (*gcs).Generation(gen).If(storage.Conditions{GenerationMatch: gen})
			return nil
		}
		var az *azblobblob.DeleteOptions
		if as(&az) && etag != "" {
			e := azcore.ETag(etag)
			az.AccessConditions = &azblobblob.AccessConditions{
				ModifiedAccessConditions: &azblobblob.ModifiedAccessConditions{IfMatch: &e},
			}
			return nil
		}
		return errors.New("this store has no conditional deletes on a version")
	}})
	if err == nil {
		return nil
	}
	if precondition(err) || gcerrors.Code(err) == gcerrors.NotFound {
		return &Error{Op: "deleting", URL: loc.String(), Err: fmt.Errorf("%w: %w", ErrChanged, err)}
	}
	return wrap("deleting", loc, err, s.bucketMissing(ctx, b))
}

// ReadAll returns the whole content of a small object (a manifest, a
// lease) and its attributes, with one ranged GET pinned to the version
// read. Objects larger than max bytes are refused: big ones are read
// through Open.
func (s *Store) ReadAll(ctx context.Context, loc Location, max int64) ([]byte, Attrs, error) {
	obj, err := s.Open(ctx, loc)
	if err != nil {
		return nil, Attrs{}, err
	}
	if obj.Size() > max {
		return nil, Attrs{}, &Error{Op: "reading", URL: loc.String(), Err: fmt.Errorf("%d bytes, more than the %d expected of this object", obj.Size(), max)}
	}
	data := make([]byte, obj.Size())
	if _, err := obj.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, Attrs{}, err
	}
	return data, obj.Attrs(), nil
}

// Put writes a small object in one go (Create, Write, Commit).
func (s *Store) Put(ctx context.Context, loc Location, data []byte) error {
	return s.put(ctx, loc, data, nil)
}

func (s *Store) put(ctx context.Context, loc Location, data []byte, opts *WriteOptions) error {
	w, err := s.Create(ctx, loc, opts)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Commit()
}

// abortTimeout bounds the request that aborts a failed or canceled S3
// multipart upload (made with a fresh context, since the upload's own may
// be canceled).
const abortTimeout = 30 * time.Second

// tuneS3Upload replaces the transfer manager gocloud.dev made for this
// upload by one with the same client and settings plus two of ours:
//   - the multipart threshold is the part size (default: 16 MiB read into
//     one growing buffer before the first request), so an upload holds at
//     most Concurrency+1 parts and starts sending after the first;
//   - a failed or canceled upload is aborted with a fresh context
//     (default: the canceled one, so the abort itself fails and the parts
//     stay, invisible but billed).
func tuneS3Upload(c *s3.Client, partSize int64, concurrency int) func(as func(any) bool) error {
	return func(as func(any) bool) error {
		var tm *transfermanager.Client
		if !as(&tm) {
			return nil
		}
		checksum := c.Options().RequestChecksumCalculation
		*tm = *transfermanager.New(c, func(o *transfermanager.Options) {
			o.RequestChecksumCalculation = checksum
			o.PartSizeBytes = partSize
			o.MultipartUploadThreshold = partSize
			o.Concurrency = concurrency
			o.FailTimeout = abortTimeout
		})
		return nil
	}
}

// ifMatch sets each service's If-Match condition from a Version token.
func ifMatch(version string) func(as func(any) bool) error {
	gen, etag := parseVersion(version)
	return func(as func(any) bool) error {
		var s3in *transfermanager.UploadObjectInput
		if as(&s3in) {
			if etag == "" {
				return errors.New("S3 conditional writes need an ETag version")
			}
			s3in.IfMatch = &etag
			return nil
		}
		var gcs **storage.ObjectHandle
		if as(&gcs) {
			if gen == 0 {
				return errors.New("GCS conditional writes need a generation version")
			}
			*gcs = (*gcs).If(storage.Conditions{GenerationMatch: gen})
			return nil
		}
		var az *azblob.UploadStreamOptions
		if as(&az) {
			if etag == "" {
				return errors.New("Azure conditional writes need an ETag version")
			}
			e := azcore.ETag(etag)
			az.AccessConditions = &azblob.AccessConditions{
				ModifiedAccessConditions: &azblobblob.ModifiedAccessConditions{IfMatch: &e},
			}
			return nil
		}
		return errors.New("this store has no conditional writes on a version")
	}
}

// parseVersion splits an Attrs.Version token into a GCS generation or an
// ETag (one of them is zero).
func parseVersion(v string) (gen int64, etag string) {
	switch {
	case strings.HasPrefix(v, "gen:"):
		gen, _ = strconv.ParseInt(v[len("gen:"):], 10, 64)
	case strings.HasPrefix(v, "etag:"):
		etag = v[len("etag:"):]
	}
	return gen, etag
}

// checkVersion refuses tokens no service can make a condition of.
func checkVersion(v string) error {
	if gen, etag := parseVersion(v); gen == 0 && etag == "" {
		return fmt.Errorf("version %q is not a generation (gen:N) or an ETag (etag:X): the service cannot write conditionally on it", v)
	}
	return nil
}

package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Object is an open object: an io.ReaderAt whose every ReadAt is one
// ranged GET of exactly the bytes asked for (never more, never the whole
// object). Reads are pinned to the version seen at Open (ETag on S3 and
// Azure, generation on GCS): if the object is replaced, ReadAt fails with
// ErrChanged instead of mixing two versions. An Object is safe for
// concurrent ReadAt calls; it holds no buffer of its own.
type Object struct {
	ctx   context.Context
	b     *blob.Bucket
	loc   Location
	attrs Attrs

	requests atomic.Int64
	bytes    atomic.Int64
}

// Open stats the object at loc and returns a reader of it. ctx bounds every
// later ReadAt (io.ReaderAt has no context of its own).
func (s *Store) Open(ctx context.Context, loc Location) (*Object, error) {
	a, err := s.Stat(ctx, loc)
	if err != nil {
		return nil, err
	}
	b, _ := s.bucket(ctx, loc) // opened by Stat
	return &Object{ctx: ctx, b: b, loc: loc, attrs: a}, nil
}

// Size is the object's size in bytes, as seen at Open.
func (o *Object) Size() int64 { return o.attrs.Size }

// Attrs are the object's attributes as seen at Open.
func (o *Object) Attrs() Attrs { return o.attrs }

// Location is where the object is.
func (o *Object) Location() Location { return o.loc }

// Stats returns the number of ranged GETs made so far and the bytes they
// returned.
func (o *Object) Stats() (requests, bytes int64) { return o.requests.Load(), o.bytes.Load() }

// Close releases nothing (each ReadAt closes its own request); it exists so
// an Object can stand where an io.ReadCloser's owner expects to close it.
func (o *Object) Close() error { return nil }

// ReadAt reads len(p) bytes at off with one ranged GET. Like any
// io.ReaderAt it returns io.EOF with n < len(p) when the object ends first.
func (o *Object) ReadAt(p []byte, off int64) (int, error) { return o.ReadAtContext(o.ctx, p, off) }

// ReadAtContext is ReadAt bounded by ctx instead of Open's context.
func (o *Object) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &Error{Op: "reading", URL: o.loc.String(), Err: fmt.Errorf("negative offset %d", off)}
	}
	if off >= o.attrs.Size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := int64(len(p))
	if rest := o.attrs.Size - off; want > rest {
		want = rest
	}
	if want == 0 {
		return 0, nil
	}
	r, err := o.b.NewRangeReader(ctx, o.loc.Key, off, want, &blob.ReaderOptions{BeforeRead: o.pin})
	if err != nil {
		return 0, o.readErr(off, want, err)
	}
	o.requests.Add(1)
	n, err := io.ReadFull(r, p[:want])
	o.bytes.Add(int64(n))
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, o.readErr(off, want, err)
	}
	if int64(n) < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

func (o *Object) readErr(off, n int64, err error) error {
	op := fmt.Sprintf("reading bytes %d-%d of", off, off+n-1)
	// The object existed at Open: now missing, shorter or failing its
	// version condition all mean it was replaced or deleted.
	code := gcerrors.Code(err)
	if errors.Is(err, io.ErrUnexpectedEOF) || code == gcerrors.FailedPrecondition || code == gcerrors.NotFound || httpStatus(err) == 412 {
		return &Error{Op: op, URL: o.loc.String(), Err: fmt.Errorf("%w (was %s): %w", ErrChanged, o.attrs.Version(), err)}
	}
	return wrap(op, o.loc, err, func() bool { return false })
}

// pin makes a ranged GET conditional on the version seen at Open.
func (o *Object) pin(as func(any) bool) error {
	var s3in *s3.GetObjectInput
	if as(&s3in) && o.attrs.ETag != "" {
		etag := o.attrs.ETag
		s3in.IfMatch = &etag
		return nil
	}
	var gcs **storage.ObjectHandle
	if as(&gcs) && o.attrs.Generation != 0 {
		// Both: a read of that generation (honoured by every server we
		// test with) and the precondition (honoured by GCS itself).
		*gcs = (*gcs).Generation(o.attrs.Generation).If(storage.Conditions{GenerationMatch: o.attrs.Generation})
		return nil
	}
	var az *azblobblob.DownloadStreamOptions
	if as(&az) && o.attrs.ETag != "" {
		etag := azcore.ETag(o.attrs.ETag)
		az.AccessConditions = &azblobblob.AccessConditions{
			ModifiedAccessConditions: &azblobblob.ModifiedAccessConditions{IfMatch: &etag},
		}
	}
	return nil
}

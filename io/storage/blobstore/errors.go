package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

// ErrNotExist is matched (errors.Is) by errors about an object that does
// not exist in an existing, accessible bucket. It is fs.ErrNotExist, as
// for local files.
var ErrNotExist = fs.ErrNotExist

// ErrExist is matched by the error of a conditional create (CreateIfNotExist,
// WriteOptions.IfNotExist) when the object already exists. It is
// fs.ErrExist, as for local files.
var ErrExist = fs.ErrExist

// ErrChanged is matched by the error of an operation conditional on a
// version (a read after Open, ReplaceIfMatch, DeleteIfMatch) when the
// object was replaced or deleted since.
var ErrChanged = errors.New("object changed by another writer")

// Error is every error this package returns: the operation, the URL it was
// about, and the cause (the cloud's own message for service errors).
//
// Usage is true when retrying cannot help and the command line or the
// configuration must change: an unsupported scheme or malformed URL, an
// unknown query parameter, a bucket that does not exist, denied or missing
// credentials. Such errors report UsageError() == true, which
// pipeline.Classify maps to exit 2. Every other failure (after the SDK's
// own retries) is an I/O error: exit 1.
type Error struct {
	Op    string // "opening", "reading", "listing", "writing", ...
	URL   string // the normalised URL
	Err   error
	Usage bool
}

func (e *Error) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.URL, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// UsageError reports whether e is a usage or configuration error.
func (e *Error) UsageError() bool { return e.Usage }

// wrap classifies a gocloud.dev error. bucketMissing is called for
// NotFound errors to tell a missing object (I/O class, matches
// ErrNotExist) from a missing bucket (usage class); it may be nil when the
// operation names no object (a listing).
func wrap(op string, loc Location, err error, bucketMissing func() bool) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, URL: loc.String(), Err: err}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return e
	}
	if credentialsFailed(err) {
		e.Usage = true
		e.Err = fmt.Errorf("no usable credentials (see the cloud's standard variables: AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_*): %w", err)
		return e
	}
	code := gcerrors.Code(err)
	if s := httpStatus(err); s == 401 || s == 403 {
		code = gcerrors.PermissionDenied
	}
	switch code {
	case gcerrors.PermissionDenied:
		e.Usage = true
		e.Err = fmt.Errorf("access denied (check the credentials and their permissions on the bucket): %w", err)
	case gcerrors.NotFound:
		if bucketMissing == nil || bucketMissing() {
			e.Usage = true
			e.Err = fmt.Errorf("bucket %q does not exist or is not accessible: %w", loc.Bucket, err)
		} else {
			e.Err = fmt.Errorf("%w: %w", ErrNotExist, err)
		}
	case gcerrors.InvalidArgument:
		// Rejected by the client before any request: a malformed key or
		// option, which the command line must fix.
		e.Usage = true
	}
	return e
}

// usageErr builds a usage-class error.
func usageErr(op string, loc Location, err error) error {
	return &Error{Op: op, URL: loc.String(), Err: err, Usage: true}
}

// httpStatus digs the HTTP status of a service response out of each SDK's
// error type; 0 when there was no response.
func httpStatus(err error) int {
	var aws interface{ HTTPStatusCode() int }
	if errors.As(err, &aws) {
		return aws.HTTPStatusCode()
	}
	var az *azcore.ResponseError
	if errors.As(err, &az) {
		return az.StatusCode
	}
	var g *googleapi.Error
	if errors.As(err, &g) {
		return g.Code
	}
	return 0
}

// credentialsFailed reports whether the SDK could not get credentials at
// all (none configured, or refused by the identity service).
func credentialsFailed(err error) bool {
	var sig *v4.SigningError
	var azAuth *azidentity.AuthenticationFailedError
	return errors.As(err, &sig) || errors.As(err, &azAuth) || hasType(err, azUnavailable)
}

// azUnavailable is the (unexported) type of azidentity's "credential
// unavailable" errors.
var azUnavailable = reflect.TypeOf(azidentity.NewCredentialUnavailableError(""))

// hasType reports whether err's tree holds an error of dynamic type t.
func hasType(err error, t reflect.Type) bool {
	if err == nil {
		return false
	}
	if reflect.TypeOf(err) == t {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return hasType(u.Unwrap(), t)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if hasType(e, t) {
				return true
			}
		}
	}
	return false
}

package blobstore

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// abortChecks is how many times the server is asked, after a failed S3
// multipart upload, whether the upload is still there; abortBackoff is the
// first wait before asking (doubled each time).
const (
	abortChecks  = 5
	abortBackoff = 100 * time.Millisecond
)

// abortAgain makes sure the multipart upload a failed S3 upload (err, from
// the transfer manager) leaves behind is gone. The transfer manager aborts
// it once, after its part goroutines return; but a part whose request was
// canceled after its body was sent can still be stored by the server after
// that abort, which brings the upload back (seen with versitygw in about 1
// run of 6 of TestCancelAbortsMultipart; a second abort removed it every
// time). S3's documentation says as much: "it might be necessary to abort a
// given multipart upload multiple times". So: wait a little, ask for the
// upload's parts, abort again while the server still knows the upload, and
// stop once it has been gone twice in a row. A failed or canceled upload
// costs about 0.3 s more. Best effort: a failure here leaves invisible
// parts for the bucket's lifecycle rule, as a killed process would.
func (w *Writer) abortAgain(err error) {
	var failed interface{ UploadID() string }
	if w.s3 == nil || !errors.As(err, &failed) || failed.UploadID() == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	bucket, key, id := aws.String(w.loc.Bucket), aws.String(w.loc.Key), aws.String(failed.UploadID())
	goneTimes := 0
	for i, wait := 0, abortBackoff; i < abortChecks && goneTimes < 2; i, wait = i+1, wait*2 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		_, err := w.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: key, UploadId: id, MaxParts: aws.Int32(1)})
		if noSuchUpload(err) {
			goneTimes++
			continue
		}
		goneTimes = 0
		_, _ = w.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: key, UploadId: id})
	}
}

// noSuchUpload reports whether err is S3's answer for an upload that does
// not exist (aborted or completed). ListParts does not model the error, so
// it is matched by its code.
func noSuchUpload(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "NoSuchUpload"
}

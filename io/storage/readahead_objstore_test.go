//go:build objstore

// The read-ahead against the real S3 server of scripts/objstore/start.sh:
//
//	scripts/objstore/start.sh && . /tmp/contextualize-objstore/env.sh
//	go test -tags objstore -run Objstore ./io/storage
package storage

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/contextualize/contextualize/io/storage/blobstore"
	"github.com/contextualize/contextualize/io/storage/blobstore/objstoretest"
)

// s3Object puts data at a fresh bucket's key and returns its URL.
func s3Object(t *testing.T, b *Blob, data []byte) string {
	t.Helper()
	query := objstoretest.S3Query(t)
	c := objstoretest.S3Client(query)
	bucket := objstoretest.UniqueName("ctx-ra-")
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	name := "s3://" + bucket + "/obj?" + query
	if err := b.WriteFile(context.Background(), name, data); err != nil {
		t.Fatal(err)
	}
	return name
}

// An object read through the read-ahead: the hinted bytes in a few GETs;
// replaced mid-read, the reader fails with ErrChanged and never returns
// bytes of the new version; closed with fetches in flight, it leaves no
// goroutine behind.
func TestObjstoreReadAheadS3(t *testing.T) {
	fresh(t)
	b := NewBlob()
	defer b.Store().Close()
	old := newObject(24 << 20).data
	name := s3Object(t, b, old)
	const window = 8 << 20
	part := partSize(window)

	r, err := b.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	ra := r.(*blobReader).readAhead
	r.(Prefetcher).Prefetch([]Range{{Off: 0, Len: int64(len(old))}}, window)
	readAll(t, r, 0, int64(len(old)), 64<<10, old)
	if got, want := ra.Gets(), int64(len(old))/part; got != want {
		t.Errorf("%d GETs for %d bytes in %d-byte parts, want %d", got, len(old), part, want)
	}

	// Replaced while read: what was fetched before is the old version;
	// the rest fails.
	r.(Prefetcher).Prefetch([]Range{{Off: 0, Len: int64(len(old))}}, window)
	buf := make([]byte, 64<<10)
	if _, err := r.ReadAt(buf, 0); err != nil || !bytes.Equal(buf, old[:len(buf)]) {
		t.Fatalf("first read: %v", err)
	}
	if err := b.WriteFile(context.Background(), name, bytes.Repeat([]byte{7}, len(old))); err != nil {
		t.Fatal(err)
	}
	var rerr error
	for off := int64(len(buf)); off < int64(len(old)) && rerr == nil; off += int64(len(buf)) {
		_, rerr = r.ReadAt(buf, off)
		if rerr == nil && !bytes.Equal(buf, old[off:off+int64(len(buf))]) {
			t.Fatalf("bytes at %d are not the version opened", off)
		}
	}
	if !errors.Is(rerr, blobstore.ErrChanged) {
		t.Errorf("reading a replaced object: %v, want ErrChanged", rerr)
	}
	r.Close()

	// Closed with GETs in flight: Close cancels and waits for them (the
	// unit test TestReadAheadCloseCancels counts goroutines; here the
	// HTTP client's idle connections would blur the count), and nothing
	// stays held.
	r, err = b.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	r.(Prefetcher).Prefetch([]Range{{Off: 0, Len: int64(len(old))}}, window)
	start := time.Now()
	r.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v with GETs in flight", d)
	}
	if _, err := r.ReadAt(buf, 0); err == nil {
		t.Error("ReadAt after Close succeeded")
	}
	fresh(t)
}

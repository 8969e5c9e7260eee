//go:build objstore

// Integration tests against real servers started by
// scripts/objstore/start.sh (versitygw for S3, fake-gcs-server for GCS,
// Azurite for Azure). Run them with
//
//	scripts/objstore/start.sh && . /tmp/contextualize-objstore/env.sh
//	go test -tags objstore ./io/storage/blobstore
package blobstore

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/contextualize/contextualize/io/storage/blobstore/objstoretest"
)

// backend is one server: how to reach it and how to make a bucket on it.
type backend struct {
	scheme string
	query  string // opener parameters
	create func(ctx context.Context, bucket string) error
	pinned bool
}

func backends(t *testing.T) map[string]backend {
	s3q := objstoretest.Env(t, "OBJSTORE_S3_QUERY")
	azq := objstoretest.Env(t, "OBJSTORE_AZURE_QUERY")
	objstoretest.Env(t, "STORAGE_EMULATOR_HOST")
	return map[string]backend{
		"s3":    {scheme: "s3", query: s3q, create: objstoretest.CreateS3Bucket(s3q), pinned: true},
		"gcs":   {scheme: "gs", create: objstoretest.CreateGCSBucket, pinned: true},
		"azure": {scheme: "azblob", query: azq, create: objstoretest.CreateAzureContainer(azq), pinned: true},
	}
}

func (b backend) newBucket(t *testing.T) Location {
	t.Helper()
	name := objstoretest.UniqueName("ctx-")
	if err := b.create(context.Background(), name); err != nil {
		t.Fatalf("creating %s bucket %s: %v", b.scheme, name, err)
	}
	raw := b.scheme + "://" + name + "/"
	if b.query != "" {
		raw += "?" + b.query
	}
	loc, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestCancelAbortsMultipart: a canceled S3 upload is aborted on the server
// (no parts left to bill), unlike a killed one, and stays aborted.
func TestCancelAbortsMultipart(t *testing.T) {
	b := backends(t)["s3"]
	loc := b.newBucket(t).Join("canceled.bin")
	ctx, cancel := context.WithCancel(context.Background())
	w, err := New().Create(ctx, loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 2*DefaultPartSize+1)); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ { // the upload is under way on the server
		if n, _ := countMultipartUploads(b.query, loc); n == 1 {
			break
		}
		if i == 100 {
			t.Fatal("no multipart upload started")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := w.Commit(); err == nil {
		t.Fatal("Commit after cancel succeeded")
	}
	if n, err := countMultipartUploads(b.query, loc); err != nil || n != 0 {
		t.Errorf("multipart uploads left after cancel: %d, %v; want 0", n, err)
	}
	// A part in flight at the cancel can bring the upload back on the
	// server after the first abort; it must stay gone.
	time.Sleep(time.Second)
	if n, err := countMultipartUploads(b.query, loc); err != nil || n != 0 {
		t.Errorf("multipart uploads back a second after cancel: %d, %v; want 0", n, err)
	}
}

func TestServers(t *testing.T) {
	for name, b := range backends(t) {
		t.Run(name, func(t *testing.T) {
			store := New()
			defer store.Close()
			suite{store: store, root: b.newBucket(t), pinned: b.pinned}.run(t)
			t.Run("MissingBucket", func(t *testing.T) { testMissingBucket(t, store, b) })
			t.Run("KilledUploadLeavesNothing", func(t *testing.T) { testKilledUpload(t, store, b) })
		})
	}
}

// testMissingBucket: every operation on a bucket that does not exist is a
// usage error naming the URL and carrying the server's message.
func testMissingBucket(t *testing.T, store *Store, b backend) {
	ctx := context.Background()
	raw := b.scheme + "://no-such-bucket-" + objstoretest.UniqueName("ctx-") + "/in/x.parquet"
	if b.query != "" {
		raw += "?" + b.query
	}
	loc, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	check := func(op string, err error) {
		t.Helper()
		if !isUsage(err) || !strings.Contains(err.Error(), loc.Bucket) {
			t.Errorf("%s on a missing bucket: %v; want a usage error naming the bucket", op, err)
		}
	}
	_, err = store.Open(ctx, loc)
	check("Open", err)
	_, err = store.List(ctx, loc)
	check("List", err)
	_, err = store.Resolve(ctx, loc)
	check("Resolve", err)
	err = store.Put(ctx, loc, []byte("x"))
	check("Put", err)
}

// TestDeniedCredentials: a wrong secret is a usage error with the server's
// message.
func TestDeniedCredentials(t *testing.T) {
	b := backends(t)["s3"]
	loc := b.newBucket(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
	store := New()
	defer store.Close()
	_, err := store.List(context.Background(), loc)
	if !isUsage(err) {
		t.Fatalf("List with a wrong secret: %v; want a usage error", err)
	}
	t.Log(err)
}

// TestUnknownQueryParameter: a typo in the opener parameters is a usage
// error when the bucket is opened, before any request.
func TestUnknownQueryParameter(t *testing.T) {
	loc, err := Parse("s3://bucket/in?endpont=http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = New().List(context.Background(), loc)
	if !isUsage(err) || !strings.Contains(err.Error(), "endpont") {
		t.Fatalf("List: %v; want a usage error naming the parameter", err)
	}
}

// testKilledUpload runs an upload in a child process (this test binary,
// see TestHelperUpload), SIGKILLs it after more than one part was sent,
// and checks that nothing is visible.
func testKilledUpload(t *testing.T, store *Store, b backend) {
	loc := b.newBucket(t).Join("killed/out.parquet")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperUpload$")
	cmd.Env = append(os.Environ(), "BLOBSTORE_HELPER_URL="+loc.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 6)
	if _, err := io.ReadFull(stdout, line); err != nil || string(line) != "ready\n" {
		cmd.Process.Kill()
		t.Fatalf("helper did not get ready: %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	suite{store: store}.assertNothing(t, loc)
	if b.scheme == "s3" {
		// The upload was under way when the process died: S3 keeps its
		// parts, invisible (and billed) until a lifecycle rule aborts it.
		n, err := countMultipartUploads(b.query, loc)
		if err != nil || n != 1 {
			t.Errorf("incomplete multipart uploads after the kill: %d, %v; want 1", n, err)
		}
	}
}

func countMultipartUploads(query string, loc Location) (int, error) {
	out, err := objstoretest.S3Client(query).ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(loc.Bucket)})
	if err != nil {
		return 0, err
	}
	return len(out.Uploads), nil
}

// TestHelperUpload is the child of testKilledUpload: it uploads three
// parts' worth, says "ready", and waits to be killed without committing.
func TestHelperUpload(t *testing.T) {
	raw := os.Getenv("BLOBSTORE_HELPER_URL")
	if raw == "" {
		t.Skip("helper process of testKilledUpload")
	}
	loc, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	w, err := New().Create(context.Background(), loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 3*DefaultPartSize)); err != nil {
		t.Fatal(err)
	}
	if q := os.Getenv("OBJSTORE_S3_QUERY"); loc.Scheme == "s3" {
		// Wait until the server has the multipart upload.
		for i := 0; ; i++ {
			n, err := countMultipartUploads(q, loc)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				break
			}
			if i == 100 {
				t.Fatal("no multipart upload on the server after 10 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	} else {
		time.Sleep(500 * time.Millisecond) // let the parts reach the server
	}
	os.Stdout.WriteString("ready\n")
	time.Sleep(time.Minute)
	t.Fatal("not killed")
}

// TestRangedReadsOnTheWire puts a counting reverse proxy between the store
// and the server and checks that three 4 KiB ranged reads of a 16 MiB
// object move 12 KiB of response bodies, not the object. S3 and Azure name
// their endpoint in the URL (endpoint=, domain=), so the proxy slips in
// there; GCS takes it from the process environment only.
func TestRangedReadsOnTheWire(t *testing.T) {
	for name, param := range map[string]string{"s3": "endpoint", "azure": "domain"} {
		t.Run(name, func(t *testing.T) {
			b := backends(t)[name]
			bucket := b.newBucket(t)
			target := bucket.Query.Get(param)
			if !strings.Contains(target, "://") {
				target = "http://" + target
			}
			targetURL, _ := url.Parse(target)
			var wire atomic.Int64
			proxy := httputil.NewSingleHostReverseProxy(targetURL)
			proxy.ModifyResponse = func(r *http.Response) error {
				r.Body = countingBody{r.Body, &wire}
				return nil
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: proxy}
			go srv.Serve(ln)
			defer srv.Close()

			ctx := context.Background()
			direct := New()
			defer direct.Close()
			loc := bucket.Join("big.bin")
			const size = 16 << 20
			if err := direct.Put(ctx, loc, make([]byte, size)); err != nil {
				t.Fatal(err)
			}
			viaProxy := loc
			viaProxy.Query = url.Values{}
			for k, v := range loc.Query {
				viaProxy.Query[k] = v
			}
			addr := ln.Addr().String()
			if param == "endpoint" {
				addr = "http://" + addr
			}
			viaProxy.Query.Set(param, addr)
			store := New()
			defer store.Close()
			obj, err := store.Open(ctx, viaProxy)
			if err != nil {
				t.Fatal(err)
			}
			before := wire.Load()
			p := make([]byte, 4096)
			for _, off := range []int64{0, size / 2, size - 4096} {
				if _, err := obj.ReadAt(p, off); err != nil {
					t.Fatal(err)
				}
			}
			if moved := wire.Load() - before; moved != 3*4096 {
				t.Errorf("three 4 KiB ranged reads moved %d body bytes, want %d", moved, 3*4096)
			}
		})
	}
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

//go:build objstore

// Package objstoretest reaches the real object-storage servers that
// scripts/objstore/start.sh starts (versitygw for S3, fake-gcs-server for
// GCS, Azurite for Azure) from the objstore-tagged tests of every package:
// the environment it writes, clients, and fresh buckets.
package objstoretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	gcs "cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Env returns the environment variable name, failing t when it is unset.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run scripts/objstore/start.sh and source the env.sh it writes", name)
	}
	return v
}

// S3Query is the opener query of the S3 server (OBJSTORE_S3_QUERY).
func S3Query(t testing.TB) string { return Env(t, "OBJSTORE_S3_QUERY") }

// S3Client is a client of the S3 server that query (an s3:// URL's
// gocloud.dev parameters) names, with the environment's credentials.
func S3Client(query string) *s3.Client {
	q, _ := url.ParseQuery(query)
	return s3.NewFromConfig(aws.Config{
		Region:      q.Get("region"),
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(q.Get("endpoint"))
		o.UsePathStyle = true
	})
}

// UniqueName is prefix followed by random hex: a bucket no other test uses.
func UniqueName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// CreateS3Bucket returns a function that creates a bucket on query's server.
func CreateS3Bucket(query string) func(context.Context, string) error {
	return func(ctx context.Context, bucket string) error {
		_, err := S3Client(query).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		return err
	}
}

// CreateGCSBucket creates a bucket on the GCS emulator (STORAGE_EMULATOR_HOST).
func CreateGCSBucket(ctx context.Context, bucket string) error {
	c, err := gcs.NewClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Bucket(bucket).Create(ctx, "test-project", nil)
}

// CreateAzureContainer returns a function that creates a container on
// the Azurite account that query and the environment name.
func CreateAzureContainer(query string) func(context.Context, string) error {
	q, _ := url.ParseQuery(query)
	return func(ctx context.Context, container string) error {
		account := os.Getenv("AZURE_STORAGE_ACCOUNT")
		cred, err := azblob.NewSharedKeyCredential(account, os.Getenv("AZURE_STORAGE_KEY"))
		if err != nil {
			return err
		}
		c, err := azblob.NewClientWithSharedKeyCredential(fmt.Sprintf("http://%s/%s", q.Get("domain"), account), cred, nil)
		if err != nil {
			return err
		}
		_, err = c.CreateContainer(ctx, container, nil)
		return err
	}
}

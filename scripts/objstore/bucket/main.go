// Command bucket makes and inspects buckets on the test servers of
// scripts/objstore (and on real clouds, with their credentials), through
// io/storage/blobstore:
//
//	bucket create URL...      create each URL's bucket (s3, gs, azblob)
//	bucket put FILE URL       upload a local file to an object
//	bucket cat URL            print an object (at most 64 MiB)
//	bucket ls URL             list a prefix as the tool reads it
//
// URLs take gocloud.dev's query parameters, e.g.
// s3://b/k?endpoint=http://127.0.0.1:19070&use_path_style=true&region=us-east-1.
// Exit status: 0 ok, 1 failure, 2 usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/contextualize/contextualize/io/storage/blobstore"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bucket:", err)
		var u interface{ UsageError() bool }
		if errors.As(err, &u) && u.UsageError() {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usage string

func (u usage) Error() string    { return string(u) }
func (u usage) UsageError() bool { return true }

func run(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return usage("usage: bucket create URL... | put FILE URL | cat URL | ls URL")
	}
	store := blobstore.New()
	defer store.Close()
	switch args[0] {
	case "create":
		for _, a := range args[1:] {
			loc, err := blobstore.Parse(a)
			if err != nil {
				return err
			}
			if err := create(ctx, loc); err != nil {
				return fmt.Errorf("creating %s: %w", loc, err)
			}
		}
		return nil
	case "put":
		if len(args) != 3 {
			return usage("usage: bucket put FILE URL")
		}
		loc, err := blobstore.Parse(args[2])
		if err != nil {
			return err
		}
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		w, err := store.Create(ctx, loc, nil)
		if err != nil {
			return err
		}
		defer w.Abort()
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
		return w.Commit()
	case "cat":
		loc, err := blobstore.Parse(args[1])
		if err != nil {
			return err
		}
		data, _, err := store.ReadAll(ctx, loc, 64<<20)
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(data)
		return err
	case "ls":
		loc, err := blobstore.Parse(args[1])
		if err != nil {
			return err
		}
		entries, err := store.Resolve(ctx, loc)
		if err != nil {
			return err
		}
		for _, e := range entries {
			fmt.Printf("%d\t%s\n", e.Attrs.Size, e.Rel)
		}
		return nil
	}
	return usage(fmt.Sprintf("unknown subcommand %q", args[0]))
}

// create makes loc's bucket with each cloud's own client (gocloud.dev
// does not create buckets), with the credentials of the environment.
func create(ctx context.Context, loc blobstore.Location) error {
	switch loc.Scheme {
	case "s3":
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return err
		}
		if r := loc.Query.Get("region"); r != "" {
			cfg.Region = r
		}
		c := s3.NewFromConfig(cfg, func(o *s3.Options) {
			if e := loc.Query.Get("endpoint"); e != "" {
				o.BaseEndpoint = aws.String(e)
			}
			o.UsePathStyle = loc.Query.Get("use_path_style") == "true"
		})
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(loc.Bucket)})
		return err
	case "gs":
		c, err := storage.NewClient(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		project := os.Getenv("GOOGLE_CLOUD_PROJECT")
		if project == "" {
			project = "test-project"
		}
		return c.Bucket(loc.Bucket).Create(ctx, project, nil)
	case "azblob":
		account := os.Getenv("AZURE_STORAGE_ACCOUNT")
		cred, err := azblob.NewSharedKeyCredential(account, os.Getenv("AZURE_STORAGE_KEY"))
		if err != nil {
			return err
		}
		proto, domain := loc.Query.Get("protocol"), loc.Query.Get("domain")
		if proto == "" {
			proto = "https"
		}
		url := fmt.Sprintf("%s://%s.blob.core.windows.net", proto, account)
		if domain != "" {
			url = fmt.Sprintf("%s://%s/%s", proto, domain, account)
		}
		c, err := azblob.NewClientWithSharedKeyCredential(url, cred, nil)
		if err != nil {
			return err
		}
		_, err = c.CreateContainer(ctx, loc.Bucket, nil)
		return err
	}
	return usage(fmt.Sprintf("cannot create a bucket for %s", loc))
}

//go:build objstore

// The command line against a real S3 server (versitygw), started by
// scripts/objstore/start.sh:
//
//	scripts/objstore/start.sh && . /tmp/contextualize-objstore/env.sh
//	go test -tags objstore -run Objstore ./cmd/contextualize
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/contextualize/contextualize/io/storage/blobstore"
	"github.com/contextualize/contextualize/io/storage/blobstore/objstoretest"
)

// s3Bucket is a fresh bucket on the test server.
type s3Bucket struct {
	t      *testing.T
	name   string
	query  string
	client *s3.Client
}

func newS3Bucket(t *testing.T) *s3Bucket {
	t.Helper()
	query := objstoretest.S3Query(t)
	c := objstoretest.S3Client(query)
	b := &s3Bucket{t: t, name: objstoretest.UniqueName("ctx-cli-"), query: query, client: c}
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b.name)}); err != nil {
		t.Fatalf("creating bucket %s: %v", b.name, err)
	}
	return b
}

// url is the s3:// URL of key, with the server's query.
func (b *s3Bucket) url(key string) string { return "s3://" + b.name + "/" + key + "?" + b.query }

func (b *s3Bucket) put(key string, data []byte) {
	b.t.Helper()
	_, err := b.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		b.t.Fatalf("putting %s: %v", key, err)
	}
}

func (b *s3Bucket) get(key string) []byte {
	b.t.Helper()
	out, err := b.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		b.t.Fatalf("getting %s: %v", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return data
}

// keys lists every object below prefix, hidden names included.
func (b *s3Bucket) keys(prefix string) []string {
	b.t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: aws.String(b.name), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			b.t.Fatalf("listing %s: %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, strings.TrimPrefix(*o.Key, prefix))
		}
	}
	return keys
}

// etag is the ETag of key.
func (b *s3Bucket) etag(key string) string {
	b.t.Helper()
	h, err := b.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		b.t.Fatalf("head %s: %v", key, err)
	}
	return *h.ETag
}

// uploadDir puts every file below dir under prefix.
func (b *s3Bucket) uploadDir(dir, prefix string) {
	b.t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.put(prefix+filepath.ToSlash(rel), mustRead(b.t, p))
		return nil
	})
}

func smoothS3(in, out string) []string {
	return []string{"smooth", "--sigma", "2", "--progress", "never", "-o", out, in}
}

// TestObjstoreInOutPrefixGlobHive reads a prefix with hive folders and
// hidden names, and a glob, from S3 and writes to S3: the outputs are the
// bytes a local run writes, at the same relative paths, with _SUCCESS and
// the shard manifest; the lease is gone after the run.
func TestObjstoreInOutPrefixGlobHive(t *testing.T) {
	b := newS3Bucket(t)
	samples := sampleDir(t)
	sensors := mustRead(t, filepath.Join(samples, "sensors.parquet"))
	local := t.TempDir()
	for _, k := range []string{"date=2024-01-01/a.parquet", "date=2024-01-02/b.PARQUET", "date=2024-01-02/c.parquet"} {
		os.MkdirAll(filepath.Dir(filepath.Join(local, k)), 0o755)
		os.WriteFile(filepath.Join(local, k), sensors, 0o644)
	}
	b.uploadDir(local, "in/")
	for _, k := range []string{"in/_SUCCESS", "in/_tmp/x.parquet", "in/.hidden.parquet", "in/date=2024-01-01/notes.txt", "input-sibling/no.parquet"} {
		b.put(k, sensors)
	}
	ref := t.TempDir()
	if r := runCLI(t, nil, smoothS3(local, ref)...); r.code != 0 {
		t.Fatalf("local run: exit %d: %s", r.code, r.stderr)
	}

	r := runCLI(t, nil, smoothS3(b.url("in"), b.url("out"))...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := []string{"_SUCCESS", "_shards/0-of-1.json", "date=2024-01-01/a.parquet", "date=2024-01-02/b.PARQUET", "date=2024-01-02/c.parquet"}
	if got := b.keys("out/"); !slices.Equal(got, want) {
		t.Fatalf("objects below out/: %q, want %q", got, want)
	}
	for _, k := range want[2:] {
		if !bytes.Equal(b.get("out/"+k), mustRead(t, filepath.Join(ref, k))) {
			t.Errorf("out/%s differs from the local run's output", k)
		}
	}
	if s := string(b.get("out/_SUCCESS")); !strings.Contains(s, "s3://"+b.name+"/in/date=2024-01-02/c.parquet") {
		t.Errorf("_SUCCESS does not name the inputs by URL: %s", s)
	}

	r = runCLI(t, nil, smoothS3(b.url("in/date=*/{a,c}.parquet"), b.url("glob"))...)
	if r.code != 0 {
		t.Fatalf("glob: exit %d: %s", r.code, r.stderr)
	}
	want = []string{"_SUCCESS", "_shards/0-of-1.json", "date=2024-01-01/a.parquet", "date=2024-01-02/c.parquet"}
	if got := b.keys("glob/"); !slices.Equal(got, want) {
		t.Fatalf("objects below glob/: %q, want %q", got, want)
	}

	// inspect reads URLs too.
	r = runCLI(t, nil, "inspect", b.url("in/date=2024-01-01/a.parquet"))
	if r.code != 0 || !strings.Contains(r.stdout, "a.parquet") {
		t.Errorf("inspect: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

// TestObjstoreRerunSkipsAndRecomputesChanged re-runs over S3: an
// unchanged input is skipped (its output object untouched), an input
// replaced by other content is recomputed.
func TestObjstoreRerunSkipsAndRecomputesChanged(t *testing.T) {
	b := newS3Bucket(t)
	in := genInputs(t, genSpec{Files: 2, Rows: 1200, D: 4, SeqLen: 100, RowGroupRows: 500})
	b.uploadDir(in, "in/")
	args := smoothS3(b.url("in"), b.url("out"))
	if r := runCLI(t, nil, args...); r.code != 0 {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	tag0, tag1 := b.etag("out/part-000.parquet"), b.etag("out/part-001.parquet")
	first1 := b.get("out/part-001.parquet")

	r := runCLI(t, nil, args...)
	if r.code != 0 || !strings.Contains(r.stderr, "written=0 skipped=2") {
		t.Fatalf("re-run: exit %d, want both skipped: %s", r.code, r.stderr)
	}
	if b.etag("out/part-000.parquet") != tag0 || b.etag("out/part-001.parquet") != tag1 {
		t.Fatal("re-run rewrote an up-to-date output")
	}

	// part-001 now holds part-000's data: same size, other content.
	b.put("in/part-001.parquet", mustRead(t, filepath.Join(in, "part-000.parquet")))
	r = runCLI(t, nil, args...)
	if r.code != 0 || !strings.Contains(r.stderr, "written=1 skipped=1") {
		t.Fatalf("after a change: exit %d, want one written: %s", r.code, r.stderr)
	}
	if bytes.Equal(b.get("out/part-001.parquet"), first1) {
		t.Error("the changed input's output was not recomputed")
	}
	if !bytes.Equal(b.get("out/part-001.parquet"), b.get("out/part-000.parquet")) {
		t.Error("the recomputed output differs from the output of the same data")
	}
}

// TestObjstoreKillMidUploadThenLease SIGKILLs runs writing multipart
// outputs (over 5 MiB each) to S3: no partial object and no _SUCCESS is
// ever visible. The killed run's lease makes the next run exit 1 naming
// its holder until the lease expires; then a run takes it over and
// completes.
func TestObjstoreKillMidUploadThenLease(t *testing.T) {
	b := newS3Bucket(t)
	in := genInputs(t, genSpec{Files: 2, Rows: 24000, D: 64, SeqLen: 400, RowGroupRows: 6000})
	b.uploadDir(in, "in/")
	ref := t.TempDir()
	if r := runCLI(t, nil, "smooth", "--sigma", "5", "--compression", "none", "--progress", "never", "-o", ref, in); r.code != 0 {
		t.Fatalf("local run: exit %d: %s", r.code, r.stderr)
	}
	if fi, err := os.Stat(filepath.Join(ref, "part-000.parquet")); err != nil || fi.Size() < 6<<20 {
		t.Fatalf("outputs should be multipart (> 5 MiB): %v %v", fi.Size(), err)
	}
	args := []string{"smooth", "--sigma", "5", "--compression", "none", "--progress", "never", "-o", b.url("out"), b.url("in")}
	env := []string{"CONTEXTUALIZE_LEASE_TTL=3s"}
	killed, leaseSeen := false, false
	for _, delay := range []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 450 * time.Millisecond} {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(cleanEnv(), env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err == nil {
			t.Logf("run finished before the kill at %v", delay)
			continue
		}
		killed = true
		for _, k := range b.keys("out/") {
			switch {
			case k == "_SUCCESS":
				t.Fatalf("_SUCCESS visible after a kill at %v", delay)
			case strings.HasSuffix(k, ".parquet"):
				if !bytes.Equal(b.get("out/"+k), mustRead(t, filepath.Join(ref, k))) {
					t.Fatalf("out/%s visible after a kill at %v but not complete", k, delay)
				}
			}
		}
		// The killed run's lease lives on for up to 3 s.
		if slices.Contains(b.keys("out/"), "_shards/0-of-1.lock") {
			leaseSeen = true
			r := runCLI(t, env, args...)
			if r.code != 1 || !strings.Contains(r.stderr, "another run is writing") || !strings.Contains(r.stderr, "pid") {
				t.Fatalf("run while the killed run's lease lives: exit %d, want 1 naming the holder: %s", r.code, r.stderr)
			}
		}
		time.Sleep(3500 * time.Millisecond) // the lease expires; the next run takes it over
	}
	if !killed {
		t.Skip("every run finished before its kill: machine too fast for this input")
	}
	t.Logf("a killed run's live lease was tried: %v", leaseSeen)
	if r := runCLI(t, env, args...); r.code != 0 {
		t.Fatalf("run after the lease expired: exit %d: %s", r.code, r.stderr)
	}
	for _, k := range []string{"part-000.parquet", "part-001.parquet"} {
		if !bytes.Equal(b.get("out/"+k), mustRead(t, filepath.Join(ref, k))) {
			t.Errorf("out/%s differs from the local run's", k)
		}
	}
	if !slices.Contains(b.keys("out/"), "_SUCCESS") {
		t.Error("no _SUCCESS after the completed run")
	}
}

// TestObjstoreMissingBucketExits2 names a bucket that does not exist, as
// input and as output: exit 2 with the URL and the server's message, and
// nothing written.
func TestObjstoreMissingBucketExits2(t *testing.T) {
	b := newS3Bucket(t)
	b.put("in/a.parquet", mustRead(t, filepath.Join(sampleDir(t), "sensors.parquet")))
	missing := "s3://ctx-no-such-bucket-7f3a/in?" + b.query
	r := runCLI(t, nil, smoothS3(missing, b.url("out"))...)
	if r.code != 2 || !strings.Contains(r.stderr, "ctx-no-such-bucket-7f3a") {
		t.Errorf("missing input bucket: exit %d, want 2 naming it: %s", r.code, r.stderr)
	}
	out := "s3://ctx-no-such-bucket-7f3a/out?" + b.query
	r = runCLI(t, nil, smoothS3(b.url("in"), out)...)
	if r.code != 2 || !strings.Contains(r.stderr, "ctx-no-such-bucket-7f3a") {
		t.Errorf("missing output bucket: exit %d, want 2 naming it: %s", r.code, r.stderr)
	}
	if keys := b.keys("out/"); len(keys) != 0 {
		t.Errorf("objects written: %q", keys)
	}
}

// TestObjstoreHeldLeaseExits1 runs into a live lease of another run (a
// lease object whose expiry is in the future): exit 1 naming the holder,
// nothing written; once the lease has expired, a run takes it over.
func TestObjstoreHeldLeaseExits1(t *testing.T) {
	b := newS3Bucket(t)
	b.put("in/a.parquet", mustRead(t, filepath.Join(sampleDir(t), "sensors.parquet")))
	now := time.Now().UTC()
	lease := fmt.Sprintf(`{"host":"other-pod","pid":4242,"since":%q,"expires":%q}`,
		now.Format(time.RFC3339), now.Add(4*time.Second).Format(time.RFC3339))
	b.put("out/_shards/0-of-1.lock", []byte(lease))
	r := runCLI(t, nil, smoothS3(b.url("in"), b.url("out"))...)
	if r.code != 1 || !strings.Contains(r.stderr, "pid 4242 on host other-pod") {
		t.Fatalf("exit %d, want 1 naming the lease holder: %s", r.code, r.stderr)
	}
	if keys := b.keys("out/"); !slices.Equal(keys, []string{"_shards/0-of-1.lock"}) {
		t.Fatalf("objects below out/ after the refused run: %q", keys)
	}
	time.Sleep(time.Until(now.Add(5 * time.Second)))
	if r := runCLI(t, nil, smoothS3(b.url("in"), b.url("out"))...); r.code != 0 {
		t.Fatalf("after the lease expired: exit %d: %s", r.code, r.stderr)
	}
	if keys := b.keys("out/"); !slices.Equal(keys, []string{"_SUCCESS", "_shards/0-of-1.json", "a.parquet"}) {
		t.Fatalf("objects below out/ after taking the expired lease over: %q", keys)
	}
}

// TestObjstoreGCSAndAzure runs a prefix in and out on fake-gcs-server and
// Azurite: hive folders kept, the bytes of a local run, _SUCCESS, and a
// re-run that skips (generation on GCS, ETag on Azure).
func TestObjstoreGCSAndAzure(t *testing.T) {
	samples := sampleDir(t)
	sensors := mustRead(t, filepath.Join(samples, "sensors.parquet"))
	local := t.TempDir()
	os.MkdirAll(filepath.Join(local, "date=2024-01-01"), 0o755)
	os.WriteFile(filepath.Join(local, "date=2024-01-01", "a.parquet"), sensors, 0o644)
	ref := t.TempDir()
	if r := runCLI(t, nil, smoothS3(local, ref)...); r.code != 0 {
		t.Fatalf("local run: exit %d: %s", r.code, r.stderr)
	}
	want := mustRead(t, filepath.Join(ref, "date=2024-01-01", "a.parquet"))
	azq := os.Getenv("OBJSTORE_AZURE_QUERY")
	if azq == "" || os.Getenv("STORAGE_EMULATOR_HOST") == "" {
		t.Fatal("OBJSTORE_AZURE_QUERY / STORAGE_EMULATOR_HOST not set: source the env.sh of scripts/objstore/start.sh")
	}
	var rnd [5]byte
	rand.Read(rnd[:])
	name := "ctx-cli-" + hex.EncodeToString(rnd[:])
	for _, tc := range []struct {
		scheme, query string
		create        func(context.Context, string) error
	}{
		{"gs", "", objstoretest.CreateGCSBucket},
		{"azblob", azq, objstoretest.CreateAzureContainer(azq)},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			ctx := context.Background()
			if err := tc.create(ctx, name); err != nil {
				t.Fatalf("creating %s://%s: %v", tc.scheme, name, err)
			}
			u := func(key string) string {
				s := tc.scheme + "://" + name + "/" + key
				if tc.query != "" {
					s += "?" + tc.query
				}
				return s
			}
			st := blobstore.New()
			defer st.Close()
			loc, err := blobstore.Parse(u("in/date=2024-01-01/a.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Put(ctx, loc, sensors); err != nil {
				t.Fatal(err)
			}
			args := smoothS3(u("in"), u("out"))
			if r := runCLI(t, nil, args...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			out, _ := blobstore.Parse(u("out"))
			es, err := st.List(ctx, out)
			if err != nil || len(es) != 1 || es[0].Rel != "date=2024-01-01/a.parquet" {
				t.Fatalf("outputs %v, %v", es, err)
			}
			got, _, err := st.ReadAll(ctx, es[0].Loc, 1<<30)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("output differs from the local run's (%v)", err)
			}
			if _, err := st.Stat(ctx, out.Join("_SUCCESS")); err != nil {
				t.Fatalf("_SUCCESS: %v", err)
			}
			if r := runCLI(t, nil, args...); r.code != 0 || !strings.Contains(r.stderr, "written=0 skipped=1") {
				t.Fatalf("re-run: exit %d, want skipped: %s", r.code, r.stderr)
			}
		})
	}
}

// TestObjstoreDeniedCredentialsExit2: a wrong secret is exit 2 with the
// URL and the server's message.
func TestObjstoreDeniedCredentialsExit2(t *testing.T) {
	b := newS3Bucket(t)
	b.put("in/a.parquet", mustRead(t, filepath.Join(sampleDir(t), "sensors.parquet")))
	r := runCLI(t, []string{"AWS_SECRET_ACCESS_KEY=wrong"}, smoothS3(b.url("in"), b.url("out"))...)
	if r.code != 2 || !strings.Contains(r.stderr, "s3://"+b.name+"/in") || !strings.Contains(r.stderr, "denied") {
		t.Errorf("exit %d, want 2 with the URL and the denial: %s", r.code, r.stderr)
	}
	if keys := b.keys("out/"); len(keys) != 0 {
		t.Errorf("objects written: %q", keys)
	}
}

// TestObjstoreAttendWeightsAndAttentionOutput reads --weights from S3 and
// writes --attention-output to S3: the same bytes as runs on paths (the
// outputs compared from runs without --attention-output, whose location
// is part of the outputs' fingerprint).
func TestObjstoreAttendWeightsAndAttentionOutput(t *testing.T) {
	b := newS3Bucket(t)
	samples := sampleDir(t)
	weights := filepath.Join(samples, "mha_d32_h4.safetensors")
	tokens := filepath.Join(samples, "tokens.parquet")
	b.put("w/mha.safetensors", mustRead(t, weights))
	b.put("in/tokens.parquet", mustRead(t, tokens))
	ref := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		args = append([]string{"attend", "--heads", "4", "--progress", "never"}, args...)
		if r := runCLI(t, nil, args...); r.code != 0 {
			t.Fatalf("%q: exit %d: %s", args, r.code, r.stderr)
		}
	}
	run("--weights", weights, "-o", filepath.Join(ref, "out"), tokens)
	run("--weights", weights, "--attention-output", filepath.Join(ref, "aw"), "-o", filepath.Join(ref, "out-aw"), tokens)
	run("--weights", b.url("w/mha.safetensors"), "-o", b.url("out"), b.url("in"))
	run("--weights", b.url("w/mha.safetensors"), "--attention-output", b.url("aw"), "-o", b.url("out-aw"), b.url("in"))
	if !bytes.Equal(b.get("out/tokens.parquet"), mustRead(t, filepath.Join(ref, "out", "tokens.parquet"))) {
		t.Error("out/tokens.parquet differs from the run on paths")
	}
	if !bytes.Equal(b.get("aw/tokens.parquet"), mustRead(t, filepath.Join(ref, "aw", "tokens.parquet"))) {
		t.Error("aw/tokens.parquet (attention weights) differs from the run on paths")
	}
	// plot weights reads the attention weights from S3 (twice: sequences,
	// then grids) in a few GETs and draws what it draws from the local
	// file (the input's name aside).
	query, counter := proxyS3(t, b.query)
	awURL := "s3://" + b.name + "/aw/tokens.parquet?" + query
	svg := filepath.Join(t.TempDir(), "w.svg")
	if r := runCLI(t, nil, "plot", "weights", "-o", svg, awURL); r.code != 0 {
		t.Fatalf("plot weights %s: exit %d: %s", awURL, r.code, r.stderr)
	}
	refSVG := filepath.Join(ref, "w.svg")
	refAW := filepath.Join(ref, "aw", "tokens.parquet")
	if r := runCLI(t, nil, "plot", "weights", "-o", refSVG, refAW); r.code != 0 {
		t.Fatalf("plot weights %s: exit %d: %s", refAW, r.code, r.stderr)
	}
	unnamed := func(b []byte, name string) string {
		s := strings.ReplaceAll(string(b), strings.ReplaceAll(name, "&", "&amp;"), "INPUT")
		return strings.ReplaceAll(s, name, "INPUT")
	}
	if unnamed(mustRead(t, svg), awURL) != unnamed(mustRead(t, refSVG), refAW) {
		t.Error("plot weights of the S3 object differs from the plot of the local file")
	}
	gets, _ := counter.of(b.name, "aw/tokens.parquet")
	awSize := len(mustRead(t, refAW))
	_, chunks, _ := pageStats(t, refAW)
	rowGroups := chunks / 5
	t.Logf("plot weights: %d GETs for a %d-byte object of %d row groups (54 without read-ahead)", gets, awSize, rowGroups)
	// Per pass: the footer (3 GETs at most), then per row group its
	// chunks in one coalesced part, plus one per 2 MiB.
	if limit := 2 * (3 + rowGroups + awSize>>21); gets > limit {
		t.Errorf("plot weights made %d GETs of a %d-byte object, want at most %d", gets, awSize, limit)
	}

	// inspect reads a weights file's header from a URL (its query is no
	// extension).
	r := runCLI(t, nil, "inspect", b.url("w/mha.safetensors"))
	if r.code != 0 || !strings.Contains(r.stdout, "in_proj_weight") || !strings.Contains(r.stdout, "PyTorch nn.MultiheadAttention, d=32") {
		t.Errorf("inspect of the weights URL: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

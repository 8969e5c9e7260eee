//go:build objstore

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// getCounter is a reverse proxy in front of the S3 server that counts the
// GET requests for each key and the bytes they return: the requests the
// binary really makes, on the wire.
type getCounter struct {
	mu    sync.Mutex
	gets  map[string]int
	bytes map[string]int64
}

// proxyS3 starts a counting proxy and returns the server query with its
// endpoint in place of the server's.
func proxyS3(t *testing.T, query string) (string, *getCounter) {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(q.Get("endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	c := &getCounter{gets: map[string]int{}, bytes: map[string]int64{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == http.MethodGet && r.StatusCode/100 == 2 {
			c.mu.Lock()
			c.gets[r.Request.URL.Path]++
			c.bytes[r.Request.URL.Path] += r.ContentLength
			c.mu.Unlock()
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	q.Set("endpoint", srv.URL)
	return q.Encode(), c
}

func (c *getCounter) of(bucket, key string) (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := "/" + bucket + "/" + key
	return c.gets[p], c.bytes[p]
}

// duckdbBigFile writes series x points rows with DuckDB's default writer
// (scripts/objstore/bigfile.mjs) and returns its path.
func duckdbBigFile(t *testing.T, series, points int) string {
	t.Helper()
	script, _ := filepath.Abs("../../scripts/objstore/bigfile.mjs")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "@duckdb", "node-api")); err != nil {
		t.Fatal("DuckDB is not installed for scripts/objstore: run scripts/objstore/start.sh (it runs npm ci there)")
	}
	out := filepath.Join(t.TempDir(), "big.parquet")
	cmd := exec.Command("node", script, out, strconv.Itoa(series), strconv.Itoa(points))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bigfile.mjs: %v: %s", err, msg)
	}
	return out
}

// pageStats counts the pages and column chunks of a Parquet file and
// finds its largest page (decoded, as held in memory).
func pageStats(t *testing.T, path string) (pages, chunks int, largest int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range pf.RowGroups() {
		for _, cc := range rg.ColumnChunks() {
			chunks++
			ps := cc.Pages()
			for {
				p, err := ps.ReadPage()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				pages++
				largest = max(largest, p.Size())
				parquet.Release(p)
			}
			ps.Close()
		}
	}
	return pages, chunks, largest
}

// TestObjstoreReadsAreFewRangedGETs smooths a 45 MB DuckDB file (4M rows,
// 33 row groups, 99 column chunks) read from S3 under --memory-limit
// 64MiB: the run makes a few large ranged GETs (about one per column
// chunk plus one per 1 MiB part of the 8 MiB read-ahead window: 118-122
// measured), not one per page header and page body read (728 before
// the read-ahead, 107 MB for the 45 MB object); it reads each byte about
// once, writes what a run on the local file writes, and its peak RSS
// stays within the limit + 64 MiB + the largest page.
func TestObjstoreReadsAreFewRangedGETs(t *testing.T) {
	local := duckdbBigFile(t, 200, 20_000)
	pages, chunks, largest := pageStats(t, local)
	size := int64(len(mustRead(t, local)))
	b := newS3Bucket(t)
	b.put("in/big.parquet", mustRead(t, local))
	query, counter := proxyS3(t, b.query)
	in := "s3://" + b.name + "/in/big.parquet?" + query

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"smooth", []string{"smooth", "--sigma", "2"}},
		{"smooth bandwidth", []string{"smooth", "--bandwidth", "5m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, beforeBytes := counter.of(b.name, "in/big.parquet")
			out := t.TempDir()
			args := append(tc.args, "--memory-limit", "64MiB", "--workers", "2", "--progress", "never", "-o", out, in)
			msg, rss, err := runMeasured(t, nil, args...)
			if err != nil {
				t.Fatalf("%v: %s", err, msg)
			}
			gets, got := counter.of(b.name, "in/big.parquet")
			gets, got = gets-before, got-beforeBytes
			t.Logf("%d-byte input, %d row groups' %d column chunks, %d pages: %d GETs, %d bytes; peak RSS %d MiB (largest page %d KiB)",
				size, chunks/3, chunks, pages, gets, got, rss>>20, largest>>10)
			// Footer (2-3 GETs), then per chunk read: its parts of at most
			// 1 MiB (an 8 MiB window), a chunk read twice (the key chunks:
			// validation, then decoding) refetched at most once.
			if limit := 2*(chunks+int(size>>20)) + 8; gets > limit {
				t.Errorf("%d GETs, want at most %d (O(chunks + size/part)); the file has %d pages", gets, limit, pages)
			}
			// Each byte about once: the key chunks are read twice
			// (validation, then decoding), the second time from the
			// read-ahead buffers; the value chunks once.
			if got > size+size/2 {
				t.Errorf("read %d bytes of a %d-byte object", got, size)
			}
			if bound := 128<<20 + largest; rss > bound {
				t.Errorf("peak RSS %d MiB, more than --memory-limit 64 MiB + 64 MiB + the largest page (%d KiB)", rss>>20, largest>>10)
			}
			// The same bytes as a run on the local file.
			ref := t.TempDir()
			if r := runCLI(t, nil, append(tc.args, "--workers", "2", "--progress", "never", "-o", ref, local)...); r.code != 0 {
				t.Fatalf("local run: exit %d: %s", r.code, r.stderr)
			}
			outs, refs := outputs(t, out), outputs(t, ref)
			if len(outs) != 1 || len(refs) != 1 || !bytes.Equal(mustRead(t, outs[0]), mustRead(t, refs[0])) {
				t.Fatalf("outputs %v differ from the local run's %v", outs, refs)
			}
		})
	}
}

// TestObjstoreLargeValueChunkFetchedOnce smooths, from S3 under
// --memory-limit 32MiB (a read-ahead window of 4 MiB), a file of one row
// group whose value chunk (19 MB: 2.4M float64 in the pages of about 256
// KiB parquet-go writes by default) is over four times the window: the run
// fetches about the object's size (within 2%: the footer is read a few
// times, and the small key chunks twice), where validating the chunk's
// page headers before reading its pages, then reading the pages out of
// order, fetched it twice (44.8 MB of this 19.3 MB object), and writes what
// a run on the local file writes. (A nullable value column read in several
// segments is still fetched again by the writer, for its levels.)
func TestObjstoreLargeValueChunkFetchedOnce(t *testing.T) {
	type row struct {
		ID    string  `parquet:"series_id,dict"`
		Pos   int64   `parquet:"position,delta"`
		Value float64 `parquet:"value"`
	}
	local := filepath.Join(t.TempDir(), "one_row_group.parquet")
	f, err := os.Create(local)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](f, parquet.Compression(&parquet.Snappy))
	batch := make([]row, 1<<14)
	const rows, points = 2_400_000, 20_000
	for n := 0; n < rows; n += len(batch) {
		for i := range batch {
			k := n + i
			// values snappy barely compresses, like real ones
			batch[i] = row{ID: fmt.Sprintf("series-%03d", k/points), Pos: int64(k % points), Value: math.Sin(float64(k)*0.7) * float64(k%1013)}
		}
		if _, err := w.Write(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := mustRead(t, local)
	size := int64(len(data))
	pages, chunks, _ := pageStats(t, local)
	const window = (32 << 20) / 8
	if size < 4*window || chunks != 3 {
		t.Fatalf("%d bytes in %d column chunks: not the file the test needs", size, chunks)
	}
	b := newS3Bucket(t)
	b.put("in/one.parquet", data)
	query, counter := proxyS3(t, b.query)
	in := "s3://" + b.name + "/in/one.parquet?" + query
	args := []string{"smooth", "--sigma", "2", "--memory-limit", "32MiB", "--workers", "2", "--progress", "never"}

	out := t.TempDir()
	if r := runCLI(t, nil, append(args, "-o", out, in)...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	gets, got := counter.of(b.name, "in/one.parquet")
	t.Logf("%d-byte object, %d pages: %d GETs, %d bytes (%.3fx)", size, pages, gets, got, float64(got)/float64(size))
	if got > size+size/50 {
		t.Errorf("fetched %d bytes of a %d-byte object, want about its size once", got, size)
	}
	ref := t.TempDir()
	if r := runCLI(t, nil, append(args, "-o", ref, local)...); r.code != 0 {
		t.Fatalf("local run: exit %d: %s", r.code, r.stderr)
	}
	outs, refs := outputs(t, out), outputs(t, ref)
	if len(outs) != 1 || len(refs) != 1 || !bytes.Equal(mustRead(t, outs[0]), mustRead(t, refs[0])) {
		t.Fatalf("outputs %v differ from the local run's %v", outs, refs)
	}
}

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
	mu     sync.Mutex
	gets   map[string]int
	bytes  map[string]int64
	ranges map[string][][2]int64 // the byte ranges returned, [first, last]
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
	c := &getCounter{gets: map[string]int{}, bytes: map[string]int64{}, ranges: map[string][][2]int64{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == http.MethodGet && r.StatusCode/100 == 2 {
			c.mu.Lock()
			c.gets[r.Request.URL.Path]++
			c.bytes[r.Request.URL.Path] += r.ContentLength
			var first, last, size int64
			if _, err := fmt.Sscanf(r.Header.Get("Content-Range"), "bytes %d-%d/%d", &first, &last, &size); err == nil {
				c.ranges[r.Request.URL.Path] = append(c.ranges[r.Request.URL.Path], [2]int64{first, last})
			} else if r.ContentLength > 0 {
				c.ranges[r.Request.URL.Path] = append(c.ranges[r.Request.URL.Path], [2]int64{0, r.ContentLength - 1})
			}
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

// within is how many of the bytes the GETs of key returned lie in the
// byte ranges spans ([offset, offset+length)), counted each time they
// were returned.
func (c *getCounter) within(bucket, key string, spans [][2]int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, r := range c.ranges["/"+bucket+"/"+key] {
		for _, sp := range spans {
			lo, hi := max(r[0], sp[0]), min(r[1]+1, sp[0]+sp[1])
			n += max(hi-lo, 0)
		}
	}
	return n
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
	pf := openParquetGo(t, path)
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
// a run on the local file writes. (TestObjstoreOptionalValueChunkFetchedOnce
// does the same for nullable value columns.)
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

// overlaps sums the bytes of the GETs of key that lie wholly within one
// of spans (own), and how many of those bytes an earlier such GET had
// already fetched (dup).
func (c *getCounter) overlaps(bucket, key string, spans [][2]int64) (own, dup int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var inside [][2]int64
	for _, r := range c.ranges["/"+bucket+"/"+key] {
		for _, sp := range spans {
			if r[0] >= sp[0] && r[1] < sp[0]+sp[1] {
				for _, q := range inside {
					dup += max(min(r[1], q[1])-max(r[0], q[0])+1, 0)
				}
				inside = append(inside, r)
				own += r[1] - r[0] + 1
			}
		}
	}
	return own, dup
}

// valueChunks returns the byte ranges ([offset, length]) of the value
// column's chunks in the Parquet file at path.
func valueChunks(t *testing.T, path string) (spans [][2]int64, total int64) {
	t.Helper()
	pf := openParquetGo(t, path)
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			if len(cc.MetaData.PathInSchema) != 1 || cc.MetaData.PathInSchema[0] != "value" {
				continue
			}
			start := cc.MetaData.DataPageOffset
			if d := cc.MetaData.DictionaryPageOffset; d > 0 && d < start {
				start = d
			}
			spans = append(spans, [2]int64{start, cc.MetaData.TotalCompressedSize})
			total += cc.MetaData.TotalCompressedSize
		}
	}
	return spans, total
}

// optionalValuesFile writes series x points rows with
// scripts/interop/optional_values.mjs (writer duckdb, polars or
// polars-zstd): a nullable DOUBLE value column with a null every 97th row.
func optionalValuesFile(t *testing.T, writer string, series, points int) string {
	t.Helper()
	dir := filepath.Join("..", "..", "scripts", "interop")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "nodejs-polars")); err != nil {
		t.Fatalf("DuckDB and polars for Node are not installed: run (cd scripts/interop && npm ci) first (%v)", err)
	}
	out := filepath.Join(t.TempDir(), writer+".parquet")
	cmd := exec.Command("node", filepath.Join(dir, "optional_values.mjs"), writer, out, strconv.Itoa(series), strconv.Itoa(points))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("optional_values.mjs %s: %v: %s", writer, err, msg)
	}
	return out
}

// TestObjstoreOptionalValueChunkFetchedOnce smooths, from S3 under
// --memory-limit 32MiB (a read-ahead window of 4 MiB, segments of about
// 600 Ki floats), files whose nullable value column is read in several
// segments per row group: DuckDB's default writer (one row group, one
// snappy page per chunk), polars' defaults, and parquet-go's optional
// column (snappy pages of about 256 KiB). Counted on the wire by byte
// range, the value chunks are fetched once: each segment carries the
// levels the reader walked, where the writer used to read the input's
// pages again to keep nulls null (1.8x, 2.1x and 1.8x here), and no
// read-ahead part holds both a key chunk's end and a value chunk's start
// (polars' key chunks, read again by the writer, dragged 1.07-1.11x of
// the value chunks with them). The output is the bytes a run on the local
// file writes.
func TestObjstoreOptionalValueChunkFetchedOnce(t *testing.T) {
	type row struct {
		ID    string   `parquet:"series_id,dict"`
		Pos   int64    `parquet:"position,delta"`
		Value *float64 `parquet:"value"`
	}
	const series, points = 300, 5000
	goFile := filepath.Join(t.TempDir(), "parquet-go.parquet")
	fh, err := os.Create(goFile)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](fh, parquet.Compression(&parquet.Snappy))
	batch := make([]row, 0, 1<<14)
	for i := 0; i < series*points; i++ {
		r := row{ID: fmt.Sprintf("series-%04d", i/points), Pos: int64(i % points)}
		if i%97 != 13 {
			v := math.Sin(0.7*float64(i)) * float64(i%1013)
			r.Value = &v
		}
		if batch = append(batch, r); len(batch) == cap(batch) {
			if _, err := w.Write(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fh.Close()

	b := newS3Bucket(t)
	query, counter := proxyS3(t, b.query)
	args := []string{"smooth", "--sigma", "2", "--memory-limit", "32MiB", "--workers", "2", "--progress", "never"}
	for _, tc := range []struct{ name, path string }{
		{"duckdb", optionalValuesFile(t, "duckdb", series, points)},
		{"polars", optionalValuesFile(t, "polars", series, points)},
		{"parquet-go", goFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := mustRead(t, tc.path)
			size := int64(len(data))
			spans, chunks := valueChunks(t, tc.path)
			key := "in/" + tc.name + ".parquet"
			b.put(key, data)
			out := t.TempDir()
			if r := runCLI(t, nil, append(args, "-o", out, "s3://"+b.name+"/"+key+"?"+query)...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			gets, got := counter.of(b.name, key)
			value := counter.within(b.name, key, spans)
			t.Logf("%d-byte object, %d value chunks of %d bytes: %d GETs, %d bytes (%.3fx the object); %d bytes of the value chunks (%.3fx)",
				size, len(spans), chunks, gets, got, float64(got)/float64(size), value, float64(value)/float64(chunks))
			if value != chunks {
				t.Errorf("fetched %d bytes of the value chunks, want their %d bytes once", value, chunks)
			}
			// Every GET within a value chunk fetches bytes no other did:
			// the pages are read once, by the page reader.
			own, dup := counter.overlaps(b.name, key, spans)
			if dup > 0 {
				t.Errorf("GETs within the value chunks fetched %d bytes of them more than once (%d in all)", dup, own)
			}
			ref := t.TempDir()
			if r := runCLI(t, nil, append(args, "-o", ref, tc.path)...); r.code != 0 {
				t.Fatalf("local run: exit %d: %s", r.code, r.stderr)
			}
			outs, refs := outputs(t, out), outputs(t, ref)
			if len(outs) != 1 || len(refs) != 1 || !bytes.Equal(mustRead(t, outs[0]), mustRead(t, refs[0])) {
				t.Fatalf("outputs %v differ from the local run's %v", outs, refs)
			}
		})
	}
}

// openParquetGo opens the Parquet file at path with parquet-go (the
// reference reader), closed when the test ends.
func openParquetGo(t *testing.T, path string) *parquet.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

package parquetio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/contextualize/contextualize/io/storage"
)

// bigChunkRow is a row of a file whose value chunk has many pages:
// parquet-go's defaults (pages of about 256 KiB), as a Go program writes.
type bigChunkRow struct {
	ID    string  `parquet:"series_id,dict"`
	Pos   int64   `parquet:"position,delta"`
	Value float64 `parquet:"value"`
}

// TestValueChunkFetchedOnce: a value column chunk of many pages, several
// times the object-storage read-ahead window, read through the Blob
// storage's ranged reader (a file:// URL: the read-ahead object storage
// uses, fetching from a local file), is fetched once, whole or in small
// segments, its pages decompressed whole or streamed. Its page headers
// are validated as the page reader reaches them, and the chunk is read in
// file order: before, the header walk read the chunk ahead of the pages
// and the window had dropped those bytes when the pages were read, and
// workers reading pages out of order made it drop pages not read yet
// (2.2-2.3x the chunk fetched).
func TestValueChunkFetchedOnce(t *testing.T) {
	const rows = 1 << 20 // 8 MiB of float64
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]bigChunkRow, rows)
	for i := range data {
		data[i] = bigChunkRow{ID: fmt.Sprintf("s%02d", i>>16), Pos: int64(i & 0xffff), Value: rng.NormFloat64()}
	}
	dir := t.TempDir()
	snappy := writeFile(t, dir, "snappy.parquet", data, parquet.Compression(&parquet.Snappy))
	zstd := writeFile(t, dir, "zstd.parquet", data, parquet.Compression(&parquet.Zstd))
	data = nil

	b := storage.NewBlob()
	defer b.Store().Close()
	const limit = 8 << 20 // a read-ahead window of limit/8 = 1 MiB
	for _, tc := range []struct {
		name     string
		path     string
		streamed bool // every page read as a stream (pageStream)
		seg      int
	}{
		{"snappy whole", snappy, false, 0},
		{"snappy segments", snappy, false, 5000},
		{"zstd streamed pages", zstd, true, 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.streamed {
				defer func(old int64) { streamPageBytes = old }(streamPageBytes)
				streamPageBytes = 0
			}
			path, seg := tc.path, tc.seg
			r, err := b.Open(context.Background(), "file://"+filepath.ToSlash(path))
			if err != nil {
				t.Fatal(err)
			}
			counter, ok := r.(interface{ Fetched() int64 })
			if !ok {
				t.Fatalf("%T does not count the bytes it fetches", r)
			}
			f, err := OpenReaderAtWith(path, r, r.Info().Size, OpenOptions{MemoryLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c, _ := f.Column("value")
			cm := f.pf.Metadata().RowGroups[0].Columns[c.Leaf].MetaData
			if window := int64(limit / 8); cm.TotalCompressedSize < 6*window {
				t.Fatalf("value chunk of %d bytes, want several times the %d-byte window", cm.TotalCompressedSize, window)
			}
			before := counter.Fetched()
			s, err := f.NewSegmentReader(0, ReadSpec{Column: "value"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			n := 0
			for {
				chunk, err := s.Next(seg, nil)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n += chunk.Rows
			}
			if n != rows {
				t.Fatalf("read %d rows, want %d", n, rows)
			}
			fetched := counter.Fetched() - before
			pages, err := f.validateChunk(0, c.Leaf, false)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("value chunk of %d bytes in %d pages: %d bytes fetched (%.2fx)", cm.TotalCompressedSize, len(pages), fetched, float64(fetched)/float64(cm.TotalCompressedSize))
			streams := 0
			for i := range pages {
				if streamable(&pages[i], cm.Codec) {
					streams++
				}
			}
			if len(pages) < 20 || tc.streamed != (streams == len(pages)) {
				t.Fatalf("%d pages, %d of them streamed: not the chunk the test needs", len(pages), streams)
			}
			// Once, give or take a part of the window (256 KiB) fetched
			// by read-ahead beyond what was needed.
			if max := cm.TotalCompressedSize + cm.TotalCompressedSize/20; fetched > max {
				t.Errorf("fetched %d bytes for a %d-byte value chunk, want at most %d", fetched, cm.TotalCompressedSize, max)
			}
		})
	}
}

// optionalRow is a row of a parquet-go file whose value column is
// optional, with a null at every 97th row as scripts/interop's
// optional_values.mjs writes them.
type optionalRow struct {
	ID    string   `parquet:"series_id,dict"`
	Pos   int64    `parquet:"position,delta"`
	Value *float64 `parquet:"value"`
}

// optionalValuesFile writes series x points rows with scripts/interop's
// optional_values.mjs (writer duckdb, in one row group, polars or
// polars-zstd).
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
	} else if writer == "duckdb" && !strings.Contains(string(msg), "row groups: 1") {
		t.Fatalf("DuckDB did not write one row group: %s", msg)
	}
	return out
}

// TestOptionalValueChunkFetchedOnce: an optional value column whose row
// group is read in several segments and written as they come (as the
// pipeline does) is fetched once, through the Blob storage's read-ahead
// (a file:// URL) with a window several times smaller than the chunk:
// each segment carries the levels the reader walked, so the writer never
// reads the input's value pages again. It did, to keep nulls null: a
// snappy page (DuckDB's one page per chunk) decompressed whole, a v1
// page's opening levels streamed otherwise, after the window had dropped
// them (levels read from the pages, measured below, fetched the chunk
// again). Nulls stay null, and the output bytes are those of the writer
// that reads the levels from the input's pages.
func TestOptionalValueChunkFetchedOnce(t *testing.T) {
	const series, points = 100, 5000
	rows := make([]optionalRow, series*points)
	for i := range rows {
		rows[i] = optionalRow{ID: fmt.Sprintf("series-%04d", i/points), Pos: int64(i % points)}
		if i%97 != 13 {
			v := math.Sin(0.7*float64(i)) * float64(i%1013)
			rows[i].Value = &v
		}
	}
	goFile := writeFile(t, t.TempDir(), "parquet-go.parquet", rows, parquet.Compression(&parquet.Snappy))
	rows = nil
	wantNulls := int64(0)
	for i := 0; i < series*points; i++ {
		if i%97 == 13 {
			wantNulls++
		}
	}
	for _, tc := range []struct{ name, path string }{
		{"duckdb", optionalValuesFile(t, "duckdb", series, points)},
		{"polars", optionalValuesFile(t, "polars", series, points)},
		{"parquet-go", goFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, chunk, fetched := segmentedRewrite(t, tc.path)
			defer func() { pageLevels = false }()
			pageLevels = true
			ref, _, before := segmentedRewrite(t, tc.path)
			t.Logf("value chunk of %d bytes: %d bytes fetched for it (%.3fx), %d (%.3fx) reading the levels from the input's pages",
				chunk, fetched, float64(fetched)/float64(chunk), before, float64(before)/float64(chunk))
			// Once, give or take a part of the window fetched by
			// read-ahead beyond what was needed.
			if limit := chunk + chunk/50; fetched > limit {
				t.Errorf("fetched %d bytes for a %d-byte value chunk, want at most %d", fetched, chunk, limit)
			}
			if !bytes.Equal(mustReadFile(t, ours), mustReadFile(t, ref)) {
				t.Errorf("output bytes differ from those written with the levels read from the input's pages")
			}
			if nulls := valueNulls(t, ours); nulls != wantNulls {
				t.Errorf("%d nulls in the output's value column, the input has %d", nulls, wantNulls)
			}
		})
	}
}

// segmentedRewrite reads the value column of each of path's row groups
// in segments of 64 Ki floats through the Blob storage's ranged reader (a
// read-ahead window of 1 MiB), writing each segment as it comes, values
// unchanged; it returns the output, the value chunks' size and the bytes
// fetched for them (the other columns' chunks are copied: fetched too,
// once, and counted apart).
func segmentedRewrite(t *testing.T, path string) (out string, chunks, fetched int64) {
	t.Helper()
	b := storage.NewBlob()
	defer b.Store().Close()
	r, err := b.Open(context.Background(), "file://"+filepath.ToSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	counter, ok := r.(interface{ Fetched() int64 })
	if !ok {
		t.Fatalf("%T does not count the bytes it fetches", r)
	}
	const limit = 8 << 20 // a read-ahead window of limit/8 = 1 MiB, as TestValueChunkFetchedOnce
	f, err := OpenReaderAtWith(path, r, r.Info().Size, OpenOptions{MemoryLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, _ := f.Column("value")
	var others int64
	for _, rg := range f.pf.Metadata().RowGroups {
		for i, cc := range rg.Columns {
			if i == c.Leaf {
				chunks += cc.MetaData.TotalCompressedSize
			} else {
				others += cc.MetaData.TotalCompressedSize
			}
		}
	}
	if window := int64(limit / 8); chunks < 2*window {
		t.Fatalf("value chunks of %d bytes, want several times the %d-byte window", chunks, window)
	}
	out = filepath.Join(t.TempDir(), "out.parquet")
	fh, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w, err := NewWriter(fh, f, WriterOptions{ValueColumn: "value"})
	if err != nil {
		t.Fatal(err)
	}
	before := counter.Fetched()
	var reuse Floats
	for rg := range f.NumRowGroups() {
		// the columns before the value column are copied first, so that
		// their read-ahead parts and the value chunk's do not share the
		// window (the copy walks a chunk three times: a chunk dropped
		// between the walks is fetched again, not counted here)
		if err := w.BeginRowGroup(rg); err != nil {
			t.Fatal(err)
		}
		s, err := f.NewSegmentReader(rg, ReadSpec{Column: "value"})
		if err != nil {
			t.Fatal(err)
		}
		segs := 0
		for ; ; segs++ {
			seg, err := s.Next(1<<16, &reuse)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteSegment(seg); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.EndRowGroup(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if segs < 4 {
			t.Fatalf("row group %d: %d segments, want several", rg, segs)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fetched = counter.Fetched() - before - others
	return out, chunks, fetched
}

// valueNulls is the null count of path's value column, as its footer
// says.
func valueNulls(t *testing.T, path string) int64 {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, _ := f.Column("value")
	var n int64
	for _, rg := range f.pf.Metadata().RowGroups {
		n += rg.Columns[c.Leaf].MetaData.Statistics.NullCount
	}
	return n
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

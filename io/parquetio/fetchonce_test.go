package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
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

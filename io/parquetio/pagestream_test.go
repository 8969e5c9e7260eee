package parquetio

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestStreamedPagesMatch: PLAIN data pages read as streams (every such
// page, the threshold lowered to 0) give what parquet-go's page decoding
// gives, bit for bit, whole and in random segments, with pages read ahead
// or not, for every layout, data page v1 and v2, and the codecs with a
// streaming decoder (zstd, gzip, brotli, snappy, none), on parquet-go's files and
// on DuckDB's and polars'; and streams were really read.
func TestStreamedPagesMatch(t *testing.T) {
	defer func(old int64) { streamPageBytes = old }(streamPageBytes)
	defer func(old int64) { minAheadBytes = old }(minAheadBytes)
	streamPageBytes, minAheadBytes = 0, 0
	rng := rand.New(rand.NewPCG(9, 10))
	type file struct {
		path string
		spec ReadSpec
	}
	var files []file
	for _, c := range fuzzCodecs {
		for _, version := range []int{1, 2} {
			for _, tc := range readCases() {
				opts := []parquet.WriterOption{parquet.Compression(c.codec), parquet.DataPageVersion(version),
					parquet.PageBufferSize(64 + rng.IntN(3000)), parquet.MaxRowsPerRowGroup(int64(40 + rng.IntN(300)))}
				files = append(files, file{tc.write(t, t.TempDir(), opts...), tc.spec})
			}
		}
	}
	for _, e := range realWriterFiles(t) {
		for _, spec := range realWriterColumns {
			files = append(files, file{filepath.Join(pagesDir, e.File), spec})
		}
	}
	streams, segs := 0, 0
	for _, fl := range files {
		f, err := Open(fl.path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := f.Column(fl.spec.Column); !ok {
			f.Close()
			continue
		}
		for rg := 0; rg < f.NumRowGroups(); rg++ {
			s, err := f.NewSegmentReader(rg, fl.spec)
			if err != nil {
				t.Fatal(err)
			}
			pages, err := s.pages.all()
			if err != nil {
				t.Fatal(err)
			}
			for i := range pages {
				if streamable(&pages[i], s.codec) {
					streams++
				}
			}
			s.Close()
		}
		f.Close()
		if !sameDirect(t, fl.path, fl.spec) {
			t.Fatalf("%s: nothing read", fl.path)
		}
		for _, ahead := range []int64{-1, 0} {
			spec := fl.spec
			spec.ReadAhead = ahead
			segs += checkSegments(t, rng, fl.path, spec)
		}
	}
	t.Logf("%d pages streamed, %d segmented reads", streams, segs)
	if streams < 200 || segs < 500 {
		t.Fatalf("%d pages streamed, %d segmented reads: the test does not exercise streams", streams, segs)
	}
}

// TestStreamedPageTruncated: a streamed page whose values stop short of
// its levels, or run past them, is a CorruptError naming the page.
func TestStreamedPageTruncated(t *testing.T) {
	defer func(old int64) { streamPageBytes = old }(streamPageBytes)
	streamPageBytes = 0
	rows := make([]rowScalarF32, 500)
	for i := range rows {
		rows[i] = rowScalarF32{ID: "a", Pos: int64(i), Value: float32(i)}
	}
	for _, delta := range []int{-4, 4} {
		t.Run(fmt.Sprint(delta), func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "in.parquet", rows, parquet.DataPageVersion(1), parquet.Compression(&parquet.Zstd))
			bad := filepath.Join(dir, "bad.parquet")
			rewritePages(t, in, bad, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
				if col != "value" || h.Type != format.DataPage {
					return body
				}
				plain, err := decompressPage(format.Zstd, nil, body, int(h.UncompressedPageSize))
				if err != nil {
					t.Fatal(err)
				}
				if delta < 0 {
					plain = plain[:len(plain)+delta]
				} else {
					plain = append(plain, make([]byte, delta)...)
				}
				enc, _ := parquet.LookupCompressionCodec(format.Zstd).Encode(nil, plain)
				h.UncompressedPageSize, h.CompressedPageSize, h.CRC = int32(len(plain)), int32(len(enc)), 0
				return enc
			})
			f, err := Open(bad)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = f.ReadValues(0, ReadSpec{Column: "value"}, nil)
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), `column "value": page `) {
				t.Fatalf("got %v, want a CorruptError naming the page", err)
			}
		})
	}
}

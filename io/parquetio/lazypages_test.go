package parquetio

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestBadLaterPageHeader: a bad header in the last page of a value chunk
// of many pages fails its read as strictly as the up-front walk did, with
// validateChunk's error (file, row group, column, page offset), though the
// page reader now validates each header when it reaches its page: read
// whole, the chunk gives that error and no values; read in segments, the
// segments before the page come, then that error, and no row of the bad
// page.
func TestBadLaterPageHeader(t *testing.T) {
	rows := make([]bigChunkRow, 4000)
	for i := range rows {
		rows[i] = bigChunkRow{ID: "s", Pos: int64(i), Value: float64(i)}
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "in.parquet", rows, parquet.PageBufferSize(2048))
	for _, tc := range []struct {
		name string
		edit func(h *format.PageHeader)
		want string
		data bool // a DataError (--memory-limit), else a CorruptError
	}{
		{"encoding", func(h *format.PageHeader) {
			h.DataPageHeader.V.Encoding, h.DataPageHeaderV2.V.Encoding = 77, 77
		}, "encoding 77", false},
		{"v2 counts", func(h *format.PageHeader) { h.DataPageHeaderV2.V.NumNulls = h.DataPageHeaderV2.V.NumValues + 1 }, "inconsistent data page v2 header", false},
		{"size", func(h *format.PageHeader) { h.UncompressedPageSize = maxPageBytes + 1 }, "implausible uncompressed size", false},
		{"memory limit", func(h *format.PageHeader) { h.UncompressedPageSize = 3 << 20 }, "declares 3145728 bytes", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(dir, "bad "+tc.name+".parquet")
			pages := map[string]int{}
			rewritePages(t, in, bad, func(col string, _ int, _ *format.PageHeader, body []byte) []byte {
				pages[col]++
				return body
			})
			last := pages["value"] - 1
			rewritePages(t, in, bad, func(col string, i int, h *format.PageHeader, body []byte) []byte {
				if col == "value" && i == last {
					tc.edit(h)
				}
				return body
			})
			var limit int64
			if tc.data {
				limit = 2 << 20
			}
			f, err := OpenWith(bad, OpenOptions{MemoryLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c, _ := f.Column("value")
			_, want := f.validateChunk(0, c.Leaf, false)
			if want == nil || !strings.Contains(want.Error(), tc.want) || !strings.Contains(want.Error(), `column "value"`) ||
				!strings.Contains(want.Error(), "bad") || !strings.Contains(want.Error(), "row group 0") {
				t.Fatalf("the header walk says %v, want an error naming the file, row group 0, column value and %q", want, tc.want)
			}
			check := func(what string, err error) {
				t.Helper()
				var ce *CorruptError
				var de *DataError
				if tc.data && !errors.As(err, &de) || !tc.data && !errors.As(err, &ce) || err.Error() != asInput(want).Error() {
					t.Errorf("%s: %v, want the header walk's %v", what, err, want)
				}
			}
			for _, ahead := range []int64{-1, 0} { // serial, read ahead
				if _, err := f.ReadValues(0, ReadSpec{Column: "value", ReadAhead: ahead}, nil); err == nil {
					t.Fatal("ReadValues read the chunk")
				} else {
					check("ReadValues", err)
				}
				s, err := f.NewSegmentReader(0, ReadSpec{Column: "value", ReadAhead: ahead})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for {
					c, err := s.Next(100, nil)
					if errors.Is(err, io.EOF) {
						t.Fatal("the segments reached the end of the chunk")
					}
					if err != nil {
						check("Next", err)
						break
					}
					n += c.Rows
				}
				s.Close()
				if n == 0 || n >= len(rows) {
					t.Errorf("%d rows before the error, want those of the pages before the last", n)
				}
			}
		})
	}
}

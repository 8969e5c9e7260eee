package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// TestBadLastPageHeaderExits3: the value column's page headers are
// validated as the reader reaches each page, no longer all before the
// first; a bad header in the last of many pages still fails its file
// alone (exit 3) with the file, row group, column and page offset named,
// after the rows before it were computed, and leaves no output for it:
// outputs are committed whole or not at all. The other input is written.
func TestBadLastPageHeaderExits3(t *testing.T) {
	type row struct {
		ID    string  `parquet:"series_id,dict"`
		Pos   int64   `parquet:"position"`
		Value float64 `parquet:"value"`
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad_last_page.parquet")
	rows := make([]row, 50_000)
	for i := range rows {
		rows[i] = row{ID: fmt.Sprintf("s%d", i/5000), Pos: int64(i % 5000), Value: float64(i % 97)}
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.PageBufferSize(16<<10))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	off, pages := lastPageHeader(t, data, "value")
	// The header's first field is its type (thrift compact: 0x15, then
	// the zigzag varint): page type 7 does not exist.
	if data[off] != 0x15 || pages < 10 {
		t.Fatalf("value chunk of %d pages, last header at %d starts %#x: not the file the test needs", pages, off, data[off])
	}
	data[off+1] = 14
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r := runCLI(t, nil, "smooth", "--sigma", "2", "--progress", "never", "-o", out, bad, filepath.Join(sampleDir(t), "sensors.parquet"))
	if r.code != 3 {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	for _, s := range []string{"bad_last_page.parquet", "row group 0", `column "value"`, fmt.Sprintf("page header at offset %d", off), "page type 7"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if got := visibleFiles(t, out); len(got) != 1 || got[0] != "sensors.parquet" {
		t.Errorf("outputs %v, want sensors.parquet only", got)
	}
}

// lastPageHeader returns the offset of the last page header of column's
// chunk in row group 0 of a Parquet file, and its number of pages.
func lastPageHeader(t *testing.T, data []byte, column string) (int64, int) {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	leaf, ok := pf.Schema().Lookup(column)
	if !ok {
		t.Fatalf("no column %q", column)
	}
	cm := pf.Metadata().RowGroups[0].Columns[leaf.ColumnIndex].MetaData
	pos := cm.DataPageOffset
	if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < pos {
		pos = cm.DictionaryPageOffset
	}
	end := pos + cm.TotalCompressedSize
	last, n := pos, 0
	for pos < end {
		r := bytes.NewReader(data[pos:end])
		var h format.PageHeader
		if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(r)).Decode(&h); err != nil {
			t.Fatal(err)
		}
		last, n = pos, n+1
		pos = end - int64(r.Len()) + int64(h.CompressedPageSize)
	}
	return last, n
}

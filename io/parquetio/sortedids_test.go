package parquetio

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestSortedIDsInOnePage reads a sorted, dictionary-encoded id column whose
// millions of values are a few RLE runs in one page of a few bytes, as
// DuckDB writes a 4M-row group sorted by series_id (an 810-byte page). Such
// a page is valid: a column that is not repeated may hold as many values as
// its row group has rows, however well they compress. More values than
// rows in that tiny page is still refused.
func TestSortedIDsInOnePage(t *testing.T) {
	const n = sortedIDRows
	f := sortedIDsFile(t)
	md := f.pf.Metadata().RowGroups[0].Columns[0].MetaData
	if uncomp := md.TotalUncompressedSize; int64(n) <= (uncomp+1024)*maxValuesPerByte {
		t.Fatalf("the page is not dense enough to test the bound: %d values in %d bytes", n, uncomp)
	}
	starts, keys, err := f.ReadRuns(0, "series_id")
	if err != nil {
		t.Fatalf("reading %d sorted ids: %v", n, err)
	}
	if len(starts) != 2 || starts[1] != n/2 || keys[0] != "series-0" || keys[1] != "series-1" {
		t.Fatalf("runs %v %v, want [0 %d] [series-0 series-1]", starts, keys, n/2)
	}

	if f.rowsFit(0, 0, n+1) || f.rowsFit(0, 1, n) {
		t.Fatal("a page of more values than rows, or of a repeated column, passed the row bound")
	}
	f.pageLimit = n * 9
	if !f.rowsFit(0, 0, n) {
		t.Fatal("the row bound refused a page whose values fit the memory limit")
	}
	f.pageLimit = n
	if f.rowsFit(0, 0, n) {
		t.Fatal("the row bound accepted a page whose decoded values exceed the memory limit")
	}
}

// TestSortedIDsPageOverMemoryLimit: the same valid page under a memory
// limit its decoded values exceed is refused as a memory-limit problem
// naming the file, row group and column, not as a corrupt file.
func TestSortedIDsPageOverMemoryLimit(t *testing.T) {
	const n = sortedIDRows
	f := sortedIDsFile(t)
	f.pageLimit = n
	_, _, err := f.ReadRuns(0, "series_id")
	var de *DataError
	if !errors.As(err, &de) || errors.Is(err, parquet.ErrCorrupted) {
		t.Fatalf("got %v, want a DataError that is not a corrupt-file error", err)
	}
	for _, want := range []string{"sorted.parquet", "series_id", "--memory-limit", fmt.Sprint(n)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// sortedIDRows is the rows of sortedIDsFile.
const sortedIDRows = 2_500_000

// sortedIDsFile opens sortedIDRows rows of a dictionary-encoded id column,
// two sorted series, written by parquet-go as one row group in one page
// (a few RLE runs of indexes), as DuckDB writes a sorted id.
func sortedIDsFile(t *testing.T) *File {
	t.Helper()
	type row struct {
		ID string `parquet:"series_id,dict"`
	}
	const n = sortedIDRows
	rows := make([]row, n)
	for i := range rows {
		rows[i].ID = fmt.Sprintf("series-%d", i/(n/2))
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.PageBufferSize(64<<20))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := OpenReaderAt("sorted.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestSortedIDsInOnePage reads a sorted, dictionary-encoded id column whose
// millions of values are a few RLE runs in one page of a few bytes, as
// DuckDB writes a 4M-row group sorted by series_id (an 810-byte page). Such
// a page is valid: a column that is not repeated may hold as many values as
// its row group has rows, however well they compress. More values than
// rows in that tiny page is still refused; a page whose values, decoded
// whole, exceed the memory limit is refused by the readers that decode it
// whole (tooDense).
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

	lp, err := f.chunkPages(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := lp.all()
	if err != nil {
		t.Fatal(err)
	}
	page := &pages[len(pages)-1] // the data page, after the dictionary
	f.pageLimit = n * 9
	if f.tooDense(page) {
		t.Fatal("a page whose values fit the memory limit was found too dense to decode whole")
	}
	f.pageLimit = n
	if !f.tooDense(page) {
		t.Fatal("a page whose decoded values exceed the memory limit was not found too dense to decode whole")
	}
	if f.rowsPlausible(0, 0, n+1) || f.rowsPlausible(0, 1, n) {
		t.Fatal("a page of more values than rows, or of a repeated column, passed the row bound")
	}
}

// TestSortedIDsPageOverMemoryLimit: the same valid page under a memory
// limit its decoded values exceed is read by ReadRuns and verified by the
// writer's verifyChunk a window of indexes at a time (verifyDense), and
// refused by the readers that decode a page whole (ReadColumn, parquet-go)
// as a memory-limit problem naming the file, row group and column, not as
// a corrupt file.
func TestSortedIDsPageOverMemoryLimit(t *testing.T) {
	const n = sortedIDRows
	f := sortedIDsFile(t)
	f.pageLimit = n
	starts, keys, err := f.ReadRuns(0, "series_id")
	if err != nil || len(starts) != 2 || starts[1] != n/2 || keys[1] != "series-1" {
		t.Fatalf("ReadRuns under a limit of %d bytes: %v %v, %v", n, starts, keys, err)
	}
	f = sortedIDsFile(t)
	f.pageLimit = n
	if err := f.verifyChunk(0, 0); err != nil {
		t.Fatalf("verifyChunk under a limit of %d bytes: %v", n, err)
	}
	for _, read := range []struct {
		what string
		err  func() error
	}{
		{"ReadColumn", func() error {
			a, err := f.ReadColumn(0, "series_id")
			if a != nil {
				a.Release()
			}
			return err
		}},
		{"parquet-go", func() error { return f.chunkDecodesWhole(0, 0) }},
	} {
		err := read.err()
		var de *DataError
		if !errors.As(err, &de) || errors.Is(err, parquet.ErrCorrupted) {
			t.Fatalf("%s: got %v, want a DataError that is not a corrupt-file error", read.what, err)
		}
		for _, want := range []string{"sorted.parquet", "series_id", "--memory-limit", fmt.Sprint(n)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %q", read.what, err, want)
			}
		}
	}
}

// TestVerifyDenseCorrupt: a dense dictionary page verified in windows
// (verifyDense) whose last RLE run's index is wider than the indexes' bit
// width (its CRC made to match) is refused as corrupt, naming the file
// and column, as verifyChunk refuses it through parquet-go.
func TestVerifyDenseCorrupt(t *testing.T) {
	const n = sortedIDRows
	f := sortedIDsFile(t)
	lp, err := f.chunkPages(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := lp.all()
	if err != nil {
		t.Fatal(err)
	}
	page := pages[len(pages)-1]
	if f.pf.Metadata().RowGroups[0].Columns[0].MetaData.Codec != format.Uncompressed {
		t.Fatal("the page is compressed: its bytes cannot be edited in place")
	}
	raw := bytes.Clone(sortedIDsBytes(t))
	body := raw[page.body : page.body+int64(page.comp)]
	if body[len(body)-1] != 1 {
		t.Fatalf("the page's last byte is %d, not the last run's index 1", body[len(body)-1])
	}
	// the header's CRC, a zigzag varint just before the body's other
	// header fields: replaced by the edited body's, of the same length
	old := binary.AppendUvarint(nil, zigzag(page.crc))
	at := bytes.LastIndex(raw[:page.body], old)
	if at < 0 {
		t.Fatal("the page header's CRC not found")
	}
	edited := false
	for v := byte(2); v < 255 && !edited; v++ {
		body[len(body)-1] = v
		crc := binary.AppendUvarint(nil, zigzag(int32(crc32.ChecksumIEEE(body))))
		if len(crc) == len(old) {
			copy(raw[at:], crc)
			edited = true
		}
	}
	if !edited {
		t.Fatal("no edit keeps the CRC's length")
	}
	bad, err := OpenReaderAt("sorted.parquet", bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	bad.pageLimit = n
	err = bad.verifyChunk(0, 0)
	if !errors.Is(err, parquet.ErrCorrupted) || !strings.Contains(err.Error(), "series_id") ||
		!strings.Contains(err.Error(), "sorted.parquet") || !strings.Contains(err.Error(), "dictionary indexes") {
		t.Fatalf("got %v, want a corrupt-file error naming the file, column and dictionary indexes", err)
	}
}

// zigzag is v as thrift's compact protocol writes an i32.
func zigzag(v int32) uint64 { return uint64(uint32(v<<1 ^ v>>31)) }

// sortedIDRows is the rows of sortedIDsFile.
const sortedIDRows = 2_500_000

// sortedIDsBytes are sortedIDRows rows of a dictionary-encoded id column,
// two sorted series, written by parquet-go as one row group in one page
// (a few RLE runs of indexes), as DuckDB writes a sorted id.
func sortedIDsBytes(t *testing.T) []byte {
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
	return buf.Bytes()
}

// sortedIDsFile opens sortedIDsBytes.
func sortedIDsFile(t *testing.T) *File {
	t.Helper()
	b := sortedIDsBytes(t)
	f, err := OpenReaderAt("sorted.parquet", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

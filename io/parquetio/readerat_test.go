package parquetio

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// rangeReader is an in-memory io.ReaderAt that records the ranges read,
// as an object-storage reader would serve them.
type rangeReader struct {
	r      *bytes.Reader
	mu     sync.Mutex
	reads  [][2]int64
	closed bool
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	r.reads = append(r.reads, [2]int64{off, int64(len(p))})
	r.mu.Unlock()
	return r.r.ReadAt(p, off)
}

func (r *rangeReader) Close() error { r.closed = true; return nil }

// TestOpenReaderAt: a file read through any io.ReaderAt (no *os.File)
// gives the same values as from disk, opening reads only the footer (and
// the 4-byte leading magic), and Close closes the reader.
func TestOpenReaderAt(t *testing.T) {
	type row struct {
		ID  int64     `parquet:"id"`
		Vec []float32 `parquet:"embedding,list"`
	}
	rows := make([]row, 3000)
	for i := range rows {
		rows[i] = row{ID: int64(i), Vec: []float32{float32(i), float32(-i), 0.5, float32(i) / 7}}
	}
	path := writeFile(t, t.TempDir(), "v.parquet", rows, parquet.MaxRowsPerRowGroup(700), parquet.Compression(&parquet.Zstd))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	rr := &rangeReader{r: bytes.NewReader(data)}
	f, err := OpenReaderAt("mem://v.parquet", rr, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	footerStart := int64(len(data)) - 8 - int64(uint32(data[len(data)-8])|uint32(data[len(data)-7])<<8|uint32(data[len(data)-6])<<16|uint32(data[len(data)-5])<<24)
	for _, rd := range rr.reads {
		if rd[0] < footerStart && !(rd[0] == 0 && rd[1] <= 4) { // the leading magic is checked too
			t.Fatalf("opening read [%d, +%d) before the footer at %d", rd[0], rd[1], footerStart)
		}
	}
	if f.NumRowGroups() != 5 || f.NumRows() != 3000 {
		t.Fatalf("%d row groups, %d rows", f.NumRowGroups(), f.NumRows())
	}
	spec := ReadSpec{Column: "embedding"}
	want, _ := readAll(t, disk, spec)
	got, _ := readAll(t, f, spec)
	equalRows(t, got, want)
	if err := f.Close(); err != nil || !rr.closed {
		t.Fatalf("close: %v, closed %v", err, rr.closed)
	}

	// A reader that is not a Parquet file is closed by the failed open.
	bad := &rangeReader{r: bytes.NewReader([]byte("not parquet at all"))}
	if _, err := OpenReaderAt("mem://bad", bad, 18); err == nil || !bad.closed {
		t.Fatalf("bad file: %v, closed %v", err, bad.closed)
	}
}

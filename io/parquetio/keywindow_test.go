package parquetio

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go"
)

// TestColumnWindowsRealWriters: every flat key column of every real
// writer's file (keyWriterFiles: every key type, encoding, codec and page
// version) read in windows of random sizes, crossing pages anywhere, gives
// ReadColumn's values and nulls row for row, and ReadInt64s' for INT64
// columns; also with every PLAIN page over 512 bytes read as a stream.
func TestColumnWindowsRealWriters(t *testing.T) {
	for _, stream := range []int64{streamPageBytes, 512} {
		t.Run(fmt.Sprintf("stream pages over %d bytes", stream), func(t *testing.T) {
			defer func(old int64) { streamPageBytes = old }(streamPageBytes)
			streamPageBytes = stream // large PLAIN pages are read in windows, not whole
			streamedWindows = 0
			columnWindowsRealWriters(t)
			t.Logf("%d windows read from streamed pages", streamedWindows)
			if stream == 512 && streamedWindows < 20 {
				t.Fatalf("%d windows read from streamed pages: the fixtures' PLAIN pages were not streamed", streamedWindows)
			}
		})
	}
}

// TestColumnWindowsDictPages: the same with every dictionary-encoded page
// of more than 8 levels read a window of 1, 5 or 37 levels at a time
// (keyChunk.windows): the windows, crossing dictionary windows anywhere,
// give ReadColumn's values (pages decoded whole) row for row.
func TestColumnWindowsDictPages(t *testing.T) {
	for _, levels := range []int{1, 5, 37} {
		t.Run(fmt.Sprintf("windows of %d levels", levels), func(t *testing.T) {
			defer func(m, l int) { dictWindowMin, dictWindowLevels = m, l }(dictWindowMin, dictWindowLevels)
			dictWindowMin, dictWindowLevels = 8, levels
			dictWindowsSeen = 0
			columnWindowsRealWriters(t)
			t.Logf("%d windows read while a dictionary page was held in windows", dictWindowsSeen)
			if dictWindowsSeen < 20 {
				t.Fatalf("%d windows read from dictionary pages in windows: the fixtures' dictionary pages were not", dictWindowsSeen)
			}
		})
	}
}

func columnWindowsRealWriters(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 4))
	cols := 0
	for _, path := range keyWriterFiles(t) {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Columns() {
			m, _ := f.lookup(c.Name)
			if !(c.Kind == Scalar || c.ListFlavor == "flba") || len(m.repDefs) > 0 {
				continue
			}
			cols++
			for rg := range f.NumRowGroups() {
				sameWindows(t, f, rg, c.Name, rng)
				if m.kind == parquet.Int64 && (c.Elem == Int64 || c.Elem == Timestamp) {
					sameInt64Windows(t, f, rg, c.Name, rng)
				}
			}
		}
		f.Close()
	}
	if cols < 50 {
		t.Fatalf("%d flat columns read in windows: the fixtures are missing", cols)
	}
}

// streamedWindows counts the windows sameWindows read while a streamed
// page was open, dictWindowsSeen those read while a dictionary page was
// held in windows.
var streamedWindows, dictWindowsSeen int

// windowSize is a random window: one row, a few, or thousands.
func windowSize(rng *rand.Rand) int {
	switch rng.IntN(3) {
	case 0:
		return 1 + rng.IntN(3)
	case 1:
		return 1 + rng.IntN(300)
	}
	return 1 + rng.IntN(20000)
}

// sameWindows reads column name of row group rg in random windows and
// compares them with ReadColumn.
func sameWindows(t *testing.T, f *File, rg int, name string, rng *rand.Rand) {
	t.Helper()
	want, werr := f.ReadColumn(rg, name)
	w, err := f.OpenColumnWindows(rg, name)
	if werr != nil {
		if err == nil {
			// the error may show in a window only (a page decoded)
			for err == nil && w.Row() < w.Rows() {
				var a arrow.Array
				if a, err = w.Next(windowSize(rng)); err == nil {
					a.Release()
				}
			}
			w.Close()
		}
		if err == nil {
			t.Fatalf("%s rg %d %q: no error in windows, ReadColumn: %v", f.path, rg, name, werr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s rg %d %q: %v", f.path, rg, name, err)
	}
	defer w.Close()
	defer want.Release()
	row := 0
	for row < want.Len() {
		a, err := w.Next(windowSize(rng))
		if err != nil {
			t.Fatalf("%s rg %d %q at row %d: %v", f.path, rg, name, row, err)
		}
		if !arrow.TypeEqual(a.DataType(), want.DataType()) || a.Len() == 0 {
			t.Fatalf("%s rg %d %q: window of %s, %d rows; ReadColumn gives %s", f.path, rg, name, a.DataType(), a.Len(), want.DataType())
		}
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) != want.IsNull(row+i) || (!a.IsNull(i) && a.ValueStr(i) != want.ValueStr(row+i)) {
				t.Fatalf("%s rg %d %q row %d: %s, ReadColumn %s", f.path, rg, name, row+i, a.ValueStr(i), want.ValueStr(row+i))
			}
		}
		row += a.Len()
		a.Release()
		if w.st != nil {
			streamedWindows++
		}
		if w.c != nil && w.c.dw != nil {
			dictWindowsSeen++
		}
	}
	if a, err := w.Next(10); err != nil || a.Len() != 0 {
		t.Fatalf("%s rg %d %q: after the last row: %v, err %v", f.path, rg, name, a, err)
	}
}

// sameInt64Windows compares NextInt64s' windows with ReadInt64s.
func sameInt64Windows(t *testing.T, f *File, rg int, name string, rng *rand.Rand) {
	t.Helper()
	want, wantNulls, _, err := f.ReadInt64s(rg, name, nil)
	if err != nil {
		t.Fatalf("%s rg %d %q: %v", f.path, rg, name, err)
	}
	ref, err := f.ReadColumn(rg, name)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Release()
	w, err := f.OpenColumnWindows(rg, name)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	row, nulls := 0, 0
	var buf []int64
	for row < len(want) {
		var vals []int64
		var n, first int
		vals, n, first, err = w.NextInt64s(windowSize(rng), buf)
		if err != nil {
			t.Fatalf("%s rg %d %q at row %d: %v", f.path, rg, name, row, err)
		}
		wantFirst := -1
		for i, v := range vals {
			if ref.IsNull(row + i) {
				if wantFirst < 0 {
					wantFirst = i
				}
				continue
			}
			if v != want[row+i] {
				t.Fatalf("%s rg %d %q row %d: %d, ReadInt64s %d", f.path, rg, name, row+i, v, want[row+i])
			}
		}
		if first != wantFirst {
			t.Fatalf("%s rg %d %q window at row %d: first null %d, want %d", f.path, rg, name, row, first, wantFirst)
		}
		nulls += n
		row += len(vals)
		buf = vals
	}
	if nulls != wantNulls {
		t.Fatalf("%s rg %d %q: %d nulls in windows, ReadInt64s %d", f.path, rg, name, nulls, wantNulls)
	}
}

// TestColumnWindowsCorrupt: a chunk holding fewer or more values than its
// row group has rows is an error in the window that reaches its end.
func TestColumnWindowsCorrupt(t *testing.T) {
	path := writeFile(t, t.TempDir(), "k.parquet", []struct {
		K int64 `parquet:"k"`
	}{{1}, {2}, {3}})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := f.OpenColumnWindows(0, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.rows = 5 // the footer claims more rows than the pages hold
	if _, _, _, err := w.NextInt64s(5, nil); err == nil {
		t.Fatal("no error for a chunk shorter than its row group")
	}
	w2, _ := f.OpenColumnWindows(0, "k")
	defer w2.Close()
	w2.rows = 2 // fewer
	if _, _, _, err := w2.NextInt64s(2, nil); err == nil {
		t.Fatal("no error for a chunk longer than its row group")
	}
}

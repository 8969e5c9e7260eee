package parquetio

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

// refRuns computes ReadRuns' answer through ReadColumn, as the job did.
func refRuns(t *testing.T, f *File, rg int, name string) ([]int, []string, error) {
	t.Helper()
	a, err := f.ReadColumn(rg, name)
	if err != nil {
		return nil, nil, err
	}
	defer a.Release()
	var starts []int
	var keys []string
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			return nil, nil, &DataError{File: f.path, RowGroup: rg, Row: f.firstRow[rg] + int64(i), Column: name, Expected: "a sequence id", Found: "null"}
		}
		var k string
		switch c := a.(type) {
		case *array.String:
			k = c.Value(i)
		case *array.Binary:
			k = string(c.Value(i))
		case *array.Int64:
			k = strconv.FormatInt(c.Value(i), 10)
		case *array.Int32:
			k = strconv.FormatInt(int64(c.Value(i)), 10)
		default:
			k = a.ValueStr(i)
		}
		if i == 0 || k != keys[len(keys)-1] {
			starts = append(starts, i)
			keys = append(keys, k)
		}
	}
	return starts, keys, nil
}

func checkRuns(t *testing.T, f *File, name string) {
	t.Helper()
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		s, k, err := f.ReadRuns(rg, name)
		ws, wk, werr := refRuns(t, f, rg, name)
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
			t.Fatalf("%s row group %d column %q: error %v, want %v", f.path, rg, name, err, werr)
		}
		if fmt.Sprint(s) != fmt.Sprint(ws) || fmt.Sprintf("%q", k) != fmt.Sprintf("%q", wk) {
			t.Fatalf("%s row group %d column %q: runs %v %q, want %v %q", f.path, rg, name, s, k, ws, wk)
		}
	}
}

type runsRow struct {
	S   string    `parquet:"s"`
	SO  *string   `parquet:"so,optional"`
	I32 int32     `parquet:"i32"`
	I64 int64     `parquet:"i64"`
	IO  *int64    `parquet:"io,optional"`
	B   []byte    `parquet:"b"`
	TS  int64     `parquet:"ts,timestamp(microsecond)"`
	F   float64   `parquet:"f"`
	Bo  bool      `parquet:"bo"`
	E   []float32 `parquet:"e,list"`
}

func TestReadRuns(t *testing.T) {
	var rows []runsRow
	for i := 0; i < 1000; i++ {
		g := i / 7
		if i > 500 {
			g = i / 3
		}
		s := fmt.Sprint("k", g)
		r := runsRow{S: s, SO: &s, I32: int32(g - 50), I64: int64(g) << 33, B: []byte(s), TS: int64(g), F: float64(g) / 4, Bo: g%2 == 0, E: []float32{1}}
		if g == 0 {
			r.S, r.B = "", nil // empty keys are keys
		}
		x := int64(g)
		r.IO = &x
		rows = append(rows, r)
	}
	cols := []string{"s", "so", "i32", "i64", "io", "b", "ts", "f", "bo"}
	for vname, vopts := range map[string][]parquet.WriterOption{
		"plain_v2": {parquet.MaxRowsPerRowGroup(300), parquet.PageBufferSize(256)},
		"plain_v1": {parquet.DataPageVersion(1), parquet.PageBufferSize(100), parquet.MaxRowsPerRowGroup(333)},
		"dict_v1": {parquet.DataPageVersion(1), parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary),
			parquet.DefaultEncodingFor(parquet.Int32, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Int64, &parquet.RLEDictionary),
			parquet.PageBufferSize(128), parquet.Compression(&parquet.Snappy)},
		"dict_v2": {parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary),
			parquet.DefaultEncodingFor(parquet.Int32, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Int64, &parquet.RLEDictionary),
			parquet.PageBufferSize(200), parquet.MaxRowsPerRowGroup(400)},
		"delta": {parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaByteArray), parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked),
			parquet.PageBufferSize(200)},
	} {
		t.Run(vname, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "r.parquet", rows, vopts...)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, c := range cols {
				checkRuns(t, f, c)
			}
			if _, _, err := f.ReadRuns(0, "e"); err == nil {
				t.Fatal("list column: want an error")
			}
			if _, _, err := f.ReadRuns(0, "nope"); err == nil {
				t.Fatal("missing column: want an error")
			}
		})
	}
	// nulls are DataErrors naming the row
	for i := range rows {
		if i == 777 {
			rows[i].SO, rows[i].IO = nil, nil
		}
	}
	path := writeFile(t, t.TempDir(), "n.parquet", rows, parquet.MaxRowsPerRowGroup(300), parquet.PageBufferSize(200))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []string{"so", "io"} {
		_, _, err := f.ReadRuns(2, c)
		wantDataError(t, err, path, 2, 777, c, "expected a sequence id, found null")
		checkRuns(t, f, c)
	}
	_ = arrow.Null
}

func TestReadRunsInterop(t *testing.T) {
	for _, e := range interopFiles(t) {
		if e.Error != nil && (*e.Error == "garbage" || *e.Error == "truncated" || *e.Error == "empty_file") {
			continue
		}
		f, err := Open(filepath.Join(interopDir, e.File))
		if err != nil {
			continue
		}
		for _, c := range f.Columns() {
			if c.Kind == Scalar {
				checkRuns(t, f, c.Name)
			}
		}
		f.Close()
	}
}

type fixedRow struct {
	I32 int32    `parquet:"i32"`
	IO  *int32   `parquet:"io,optional"`
	I64 *int64   `parquet:"i64,optional"`
	TS  int64    `parquet:"ts,timestamp(millisecond)"`
	D   int32    `parquet:"d,date"`
	F   *float32 `parquet:"f,optional"`
	G   float64  `parquet:"g"`
}

// sameColumn compares ReadColumn's page path with the builders.
func sameColumn(t *testing.T, f *File, name string) {
	t.Helper()
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		a, err := f.ReadColumn(rg, name)
		slowColumn = true
		b, werr := f.ReadColumn(rg, name)
		slowColumn = false
		if (err == nil) != (werr == nil) {
			t.Fatalf("%s rg %d %q: error %v, reference %v", f.path, rg, name, err, werr)
		}
		if err != nil {
			continue
		}
		if !arrow.TypeEqual(a.DataType(), b.DataType()) || a.Len() != b.Len() || a.NullN() != b.NullN() {
			t.Fatalf("%s rg %d %q: %s len %d nulls %d, reference %s %d %d", f.path, rg, name, a.DataType(), a.Len(), a.NullN(), b.DataType(), b.Len(), b.NullN())
		}
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) != b.IsNull(i) || (!a.IsNull(i) && a.ValueStr(i) != b.ValueStr(i)) {
				t.Fatalf("%s rg %d %q row %d: %s, reference %s", f.path, rg, name, i, a.ValueStr(i), b.ValueStr(i))
			}
		}
		a.Release()
		b.Release()
	}
}

func TestReadColumnPages(t *testing.T) {
	var rows []fixedRow
	for i := 0; i < 1000; i++ {
		g := i / 7
		r := fixedRow{I32: int32(g), TS: int64(i) * 1000, D: int32(g), G: float64(i) / 3}
		if i%13 != 5 {
			x, y, z := int32(g), int64(i)<<35, float32(i)/7
			r.IO, r.I64, r.F = &x, &y, &z
		}
		if i == 999 {
			nan := float32(math.NaN())
			r.F = &nan
		}
		rows = append(rows, r)
	}
	for vname, vopts := range map[string][]parquet.WriterOption{
		"plain_v2": {parquet.MaxRowsPerRowGroup(300), parquet.PageBufferSize(256)},
		"plain_v1": {parquet.DataPageVersion(1), parquet.PageBufferSize(100), parquet.MaxRowsPerRowGroup(333)},
		"dict_v1": {parquet.DataPageVersion(1), parquet.DefaultEncodingFor(parquet.Int32, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Int64, &parquet.RLEDictionary),
			parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Double, &parquet.RLEDictionary), parquet.PageBufferSize(128)},
		"dict_v2": {parquet.DefaultEncodingFor(parquet.Int32, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Int64, &parquet.RLEDictionary),
			parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary), parquet.PageBufferSize(200), parquet.MaxRowsPerRowGroup(400)},
		"delta": {parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked), parquet.DefaultEncodingFor(parquet.Int32, &parquet.DeltaBinaryPacked), parquet.PageBufferSize(200)},
	} {
		t.Run(vname, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "c.parquet", rows, vopts...)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, c := range f.Columns() {
				sameColumn(t, f, c.Name)
			}
		})
	}
	for _, e := range interopFiles(t) {
		f, err := Open(filepath.Join(interopDir, e.File))
		if err != nil {
			continue
		}
		for _, c := range f.Columns() {
			if c.Kind == Scalar {
				sameColumn(t, f, c.Name)
			}
		}
		f.Close()
	}
}

// TestReadRunsSized: long runs keep ReadRuns' slices small (a file's
// runs are held for the whole file while its contiguity is checked).
func TestReadRunsSized(t *testing.T) {
	var rows []runsRow
	for i := range 20_000 {
		s := fmt.Sprint("k", i/2000)
		rows = append(rows, runsRow{S: s, SO: &s, B: []byte(s), E: []float32{1}})
	}
	path := writeFile(t, t.TempDir(), "r.parquet", rows, parquet.PageBufferSize(1024))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	starts, keys, err := f.ReadRuns(0, "s")
	if err != nil || len(starts) != 10 {
		t.Fatalf("%d runs, %v", len(starts), err)
	}
	if cap(starts) > 16 || cap(keys) > 16 {
		t.Fatalf("10 runs of 20,000 rows held in room for %d and %d", cap(starts), cap(keys))
	}
}

// TestReadRunsInterleaved: ids that change on every row (series stored in
// time order) give a run per row, and each distinct id's key is made once:
// equal keys share their bytes, in plain and dictionary pages.
func TestReadRunsInterleaved(t *testing.T) {
	var rows []runsRow
	for i := range 2000 {
		g := i % 5
		s := fmt.Sprint("series-", g)
		x := int64(g)
		rows = append(rows, runsRow{S: s, SO: &s, I32: int32(g), I64: int64(g) << 33, IO: &x, B: []byte(s), E: []float32{1}})
	}
	for vname, vopts := range map[string][]parquet.WriterOption{
		"plain": {parquet.MaxRowsPerRowGroup(700), parquet.PageBufferSize(256)},
		"dict": {parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary),
			parquet.DefaultEncodingFor(parquet.Int32, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Int64, &parquet.RLEDictionary),
			parquet.PageBufferSize(200), parquet.MaxRowsPerRowGroup(700)},
	} {
		t.Run(vname, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "r.parquet", rows, vopts...)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, c := range []string{"s", "so", "i32", "i64", "io", "b"} {
				checkRuns(t, f, c)
				starts, keys, err := f.ReadRuns(1, c)
				if err != nil {
					t.Fatal(err)
				}
				if len(starts) != 700 {
					t.Fatalf("column %q: %d runs, want one per row (700)", c, len(starts))
				}
				made := map[string]*byte{}
				for _, k := range keys {
					p := unsafe.StringData(k)
					if q, ok := made[k]; ok && q != p {
						t.Fatalf("column %q: key %q made more than once", c, k)
					}
					made[k] = p
				}
			}
		})
	}
}

// TestSameRun: the block comparison of a run finds the first differing
// value wherever it is, whatever key was repeated before.
func TestSameRun(t *testing.T) {
	page := func(vals ...string) ([]byte, []uint32) {
		var b []byte
		off := []uint32{0}
		for _, v := range vals {
			b = append(b, v...)
			off = append(off, uint32(len(b)))
		}
		return b, off
	}
	many := func(v string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	long := many("ab", 5000)
	long[4321] = "ac" // same length, differs past the first block
	var rep repeated
	for _, tc := range []struct {
		vals []string
		i    int
		key  string
		want int
	}{
		{long, 0, "ab", 4321},
		{long, 4322, "ab", 5000},
		{many("aba", 3000), 0, "aba", 3000}, // rep held "ab" repeated
		{append(many("aba", 10), "abaa"), 0, "aba", 10},
		{append(many("", 7), "x"), 2, "", 7},
		{[]string{"k1", "k2"}, 0, "k1", 1},
		{[]string{"k1", "k2"}, 1, "k1", 1},
	} {
		b, off := page(tc.vals...)
		if got := sameRun(b, off, tc.i, len(tc.vals), []byte(tc.key), &rep); got != tc.want {
			t.Errorf("key %q from %d: %d, want %d", tc.key, tc.i, got, tc.want)
		}
	}
}

// TestReadRunsDictWindows: ReadRuns with every dictionary-encoded page of
// more than 8 levels read a window of 1, 5 or 37 levels at a time gives
// the runs (and errors) of the column decoded whole, on the interop files
// and every real writer's key columns.
func TestReadRunsDictWindows(t *testing.T) {
	for _, levels := range []int{1, 5, 37} {
		t.Run(fmt.Sprintf("windows of %d levels", levels), func(t *testing.T) {
			defer func(m, l int) { dictWindowMin, dictWindowLevels = m, l }(dictWindowMin, dictWindowLevels)
			dictWindowMin, dictWindowLevels = 8, levels
			var paths []string
			for _, e := range interopFiles(t) {
				if e.Error == nil {
					paths = append(paths, filepath.Join(interopDir, e.File))
				}
			}
			paths = append(paths, keyWriterFiles(t)...)
			windowed := 0
			for _, path := range paths {
				f, err := Open(path)
				if err != nil {
					continue
				}
				for _, c := range f.Columns() {
					m, _ := f.lookup(c.Name)
					if c.Kind != Scalar || len(m.repDefs) > 0 {
						continue
					}
					checkRuns(t, f, c.Name)
					windowed += dictPagesOver(t, f, m, dictWindowMin)
				}
				f.Close()
			}
			if windowed < 10 {
				t.Fatalf("%d dictionary pages of more than %d levels among the fixtures", windowed, dictWindowMin)
			}
		})
	}
}

// dictPagesOver counts column m's dictionary-encoded data pages of more
// than n levels.
func dictPagesOver(t *testing.T, f *File, m *colMeta, n int) int {
	t.Helper()
	count := 0
	for rg := range f.NumRowGroups() {
		lp, err := f.chunkPages(rg, m.info.Leaf)
		if err != nil {
			return count
		}
		pages, err := lp.all()
		if err != nil {
			return count
		}
		for i := range pages {
			if isDictPage(&pages[i]) && int(pages[i].numValues) > n {
				count++
			}
		}
	}
	return count
}

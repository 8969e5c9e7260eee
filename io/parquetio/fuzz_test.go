package parquetio

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go"
)

// FuzzOpenRead feeds arbitrary bytes to Open and every read method: they
// may fail but must never panic.
func FuzzOpenRead(f *testing.F) {
	dir := f.TempDir()
	seeds := []string{
		writeFile(f, dir, "l.parquet", []rowListF32{{ID: "a", Embedding: vec32(0, 4)}, {ID: "b", Embedding: vec32(1, 4)}}),
		writeFile(f, dir, "lol.parquet", []rowLoL{{ID: "x", Embedding: [][]float32{{1, 2}, {3, 4}}}, {ID: "y"}}, parquet.DataPageVersion(1)),
		writeFile(f, dir, "d.parquet", []rowScalarF32{{ID: "a", Pos: 1, Value: 2}, {ID: "a", Pos: 2, Value: 2}},
			parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary), parquet.Compression(&parquet.Snappy)),
		writeFile(f, dir, "fl.parquet", []rowFLBA{{ID: 1}}),
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "fuzz.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := Open(p)
		if err != nil {
			return
		}
		defer file.Close()
		exerciseFile(file)
	})
}

// windowsLike reads column name of row group rg in windows of 1, 7 and
// 4096 rows, and panics when they do not give the rows of a, which
// ReadColumn read without error.
func windowsLike(file *File, rg int, name string, a arrow.Array) {
	for _, n := range []int{1, 7, 4096} {
		w, err := file.OpenColumnWindows(rg, name)
		if err != nil {
			panic(fmt.Sprintf("ReadColumn reads row group %d of %q, OpenColumnWindows: %v", rg, name, err))
		}
		row := 0
		for row < a.Len() {
			b, err := w.Next(n)
			if err != nil {
				panic(fmt.Sprintf("ReadColumn reads row group %d of %q, a window at row %d: %v", rg, name, row, err))
			}
			for i := range b.Len() {
				if b.IsNull(i) != a.IsNull(row+i) || !b.IsNull(i) && b.ValueStr(i) != a.ValueStr(row+i) {
					panic(fmt.Sprintf("row group %d of %q, row %d: window %s, ReadColumn %s", rg, name, row+i, b.ValueStr(i), a.ValueStr(row+i)))
				}
			}
			if b.Len() == 0 {
				panic(fmt.Sprintf("row group %d of %q: an empty window at row %d of %d", rg, name, row, a.Len()))
			}
			row += b.Len()
			b.Release()
		}
		_, _, _, _ = w.NextInt64s(n, nil)
		w.Close()
	}
}

// exerciseFile calls every read and write method on every column.
func exerciseFile(file *File) {
	var reuse Floats
	for _, c := range file.Columns() {
		for rg := 0; rg < file.NumRowGroups() && rg < 4; rg++ {
			for nesting := 0; nesting < 2; nesting++ {
				if ch, err := file.ReadValues(rg, ReadSpec{Column: c.Name, Nesting: nesting}, &reuse); err == nil {
					a := ch.Array()
					a.Release()
					if w, err := NewWriter(io.Discard, file, WriterOptions{ValueColumn: c.Name}); err == nil {
						_ = w.WriteRowGroup(rg, ch)
						_ = w.Close()
					}
				}
			}
			if a, err := file.ReadColumn(rg, c.Name); err == nil {
				windowsLike(file, rg, c.Name, a)
				a.Release()
			}
			_, _, _ = file.ReadListInt64(rg, c.Name)
		}
	}
	_ = bytes.MinRead
}

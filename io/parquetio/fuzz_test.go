package parquetio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

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
				a.Release()
			}
			_, _, _ = file.ReadListInt64(rg, c.Name)
		}
	}
	_ = bytes.MinRead
}

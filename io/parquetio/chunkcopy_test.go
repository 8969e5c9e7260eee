package parquetio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// plainWriter hides a writer's ReadFrom: the fast writer then copies
// passthrough chunks through its own piece buffer.
type plainWriter struct{ w io.Writer }

func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }

// failingReaderAt fails every read.
type failingReaderAt struct{ err error }

func (f failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, f.err }

// TestVerbatimCopyPaths: passthrough chunks copied straight into an output
// that reads them itself (io.ReaderFrom, as the pipeline's is) make the
// same file, byte for byte, as through the writer's piece buffer, on
// DuckDB's and polars' files; an
// input that fails to read is the input's error, not the output's.
func TestVerbatimCopyPaths(t *testing.T) {
	compared := 0
	for _, path := range keyFixtures(t) {
		if strings.Contains(path, "bad_") {
			continue
		}
		write := func(out io.Writer) {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var value string
			for _, c := range f.Columns() {
				if c.Kind == Scalar && c.Elem.IsFloat() {
					value = c.Name
				}
			}
			if value == "" {
				return
			}
			w, err := NewWriter(out, f, WriterOptions{ValueColumn: value, Compression: "zstd"})
			if err != nil {
				t.Fatal(err)
			}
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				c, err := f.ReadValues(rg, ReadSpec{Column: value}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.WriteRowGroup(rg, c); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
		var direct, pieces bytes.Buffer // bytes.Buffer reads from a reader itself
		write(&direct)
		write(plainWriter{&pieces})
		if direct.Len() == 0 && pieces.Len() == 0 {
			continue
		}
		compared++
		if !bytes.Equal(direct.Bytes(), pieces.Bytes()) {
			t.Errorf("%s: %d bytes read straight into the output, %d through pieces: not the same file", path, direct.Len(), pieces.Len())
		}
	}
	if compared < 10 {
		t.Fatalf("%d files compared", compared)
	}

	bad := errors.New("input: I/O error")
	fw := &fastWriter{out: &bytes.Buffer{}, off: 4}
	if err := fw.copyVerbatim(failingReaderAt{bad}, 0, 100); !errors.Is(err, bad) {
		t.Fatalf("copy from a failing input: %v, want its error", err)
	} else if _, isOut := err.(writeError); isOut {
		t.Fatalf("copy from a failing input: %v reported as the output's", err)
	}
}

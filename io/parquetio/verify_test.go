package parquetio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

type rowPass struct {
	ID    string  `parquet:"sequence_id"`
	Pos   int64   `parquet:"position"`
	Value float32 `parquet:"value"`
	Extra string  `parquet:"extra,dict"`
}

// TestCorruptPassthroughFailsTheFile: a passthrough column (neither key
// nor value, so only the copy touches it) with a corrupt page makes
// WriteRowGroup fail with a CorruptError naming the file, row group and
// column, instead of copying bytes no reader can open. Without the check
// the same file is copied without an error.
func TestCorruptPassthroughFailsTheFile(t *testing.T) {
	rows := make([]rowPass, 500)
	for i := range rows {
		rows[i] = rowPass{ID: "a", Pos: int64(i), Value: float32(i), Extra: []string{"left", "right"}[i%2]}
	}
	extraData := func(h *format.PageHeader) bool { return h.Type != format.DictionaryPage }
	cases := []struct {
		name  string
		codec parquet.WriterOption
		out   string // the writer's codec: the input's, so chunks are copied verbatim
		edit  func(h *format.PageHeader, body []byte) []byte
		want  string
	}{
		{"crc", parquet.Compression(&parquet.Uncompressed), "none", func(h *format.PageHeader, body []byte) []byte {
			if extraData(h) {
				h.CRC++
			}
			return body
		}, "crc32"},
		{"dictionary index", parquet.Compression(&parquet.Uncompressed), "none", func(h *format.PageHeader, body []byte) []byte {
			if !extraData(h) { // keep only "left": index 1 points outside
				h.DictionaryPageHeader.V.NumValues = 1
				h.UncompressedPageSize = 8
				return body[:8]
			}
			return body
		}, "dictionary"},
		{"invalid UTF-8", parquet.Compression(&parquet.Uncompressed), "none", func(h *format.PageHeader, body []byte) []byte {
			if !extraData(h) {
				copy(body[4:], "l\xfft")
			}
			return body
		}, "UTF-8"},
		{"garbage compressed bytes", parquet.Compression(&parquet.Snappy), "snappy", func(h *format.PageHeader, body []byte) []byte {
			if h.Type == format.DataPage || h.Type == format.DataPageV2 {
				for i := range body {
					body[i] = 0xff
				}
			}
			return body
		}, "SNAPPY"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "in.parquet", rows, c.codec)
			bad := filepath.Join(dir, "bad.parquet")
			target := "extra"
			if c.out == "snappy" {
				target = "position" // PLAIN, required: only the copy reads its pages
			}
			rewritePages(t, in, bad, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
				if col != target {
					return body
				}
				return c.edit(h, body)
			})
			write := func() error {
				f, err := Open(bad)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				ch, err := f.ReadValues(0, ReadSpec{Column: "value"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				w, err := NewWriter(io.Discard, f, WriterOptions{ValueColumn: "value", Compression: c.out})
				if err != nil {
					t.Fatal(err)
				}
				return w.WriteRowGroup(0, ch)
			}
			err := write()
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "bad.parquet") || !strings.Contains(err.Error(), `column "`+target+`"`) ||
				!strings.Contains(err.Error(), "row group 0") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a CorruptError naming bad.parquet, row group 0, column %s and %q", err, target, c.want)
			}
			verifyPassthrough = false
			defer func() { verifyPassthrough = true }()
			if err := write(); err != nil {
				t.Fatalf("without verification the copy fails too (%v): the test does not test the check", err)
			}
		})
	}
}

// TestColumnNameNotUTF8: a schema name that is not UTF-8 (readers such as
// DuckDB refuse the file) is a corrupt file, not copied into an output.
func TestColumnNameNotUTF8(t *testing.T) {
	schema := parquet.NewSchema("x", parquet.Group{"va\xffue": parquet.Leaf(parquet.DoubleType)})
	path := filepath.Join(t.TempDir(), "name.parquet")
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "UTF-8") || !strings.Contains(err.Error(), "name.parquet") {
		t.Fatalf("got %v, want a CorruptError naming the file and UTF-8", err)
	}
}

// TestDirectReadChecksCRC: the value column read straight into the slab
// (data pages v2, PLAIN) has its page CRC checked like parquet-go's pages.
func TestDirectReadChecksCRC(t *testing.T) {
	rows := make([]rowScalarF32, 200)
	for i := range rows {
		rows[i] = rowScalarF32{ID: "a", Pos: int64(i), Value: float32(i)}
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "in.parquet", rows, parquet.DataPageVersion(2), parquet.Compression(&parquet.Uncompressed))
	bad := filepath.Join(dir, "crc.parquet")
	rewritePages(t, in, bad, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
		if col == "value" && h.CRC != 0 {
			h.CRC++
		}
		return body
	})
	f, err := Open(bad)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.ReadValues(0, ReadSpec{Column: "value"}, nil)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "CRC") || !strings.Contains(err.Error(), `column "value"`) {
		t.Fatalf("got %v, want a CorruptError about the CRC of column value", err)
	}
}

// TestCorruptPassthroughAhead: passthrough chunks are verified on another
// goroutine while the row group before them is written (verifyahead.go). A
// corrupt page in a later row group, in a column before the value column
// (copied by BeginRowGroup) or after it (EndRowGroup), still fails that row
// group and only it, with the CorruptError verifyChunk makes on the
// writer's goroutine; the row groups before it are written.
func TestCorruptPassthroughAhead(t *testing.T) {
	rows := make([]rowPass, 900)
	for i := range rows {
		rows[i] = rowPass{ID: "a", Pos: int64(i), Value: float32(i), Extra: []string{"left", "right"}[i%2]}
	}
	for _, target := range []string{"position", "extra"} {
		for _, badRG := range []int{0, 1, 2} {
			t.Run(fmt.Sprintf("%s/row group %d", target, badRG), func(t *testing.T) {
				dir := t.TempDir()
				in := writeFile(t, dir, "in.parquet", rows, parquet.Compression(&parquet.Uncompressed), parquet.MaxRowsPerRowGroup(300), parquet.PageBufferSize(1<<20))
				bad := filepath.Join(dir, "bad.parquet")
				seen := 0 // data pages of target so far: one per row group
				rewritePages(t, in, bad, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
					if col != target || h.Type == format.DictionaryPage {
						return body
					}
					if seen++; seen-1 == badRG {
						h.CRC++
					}
					return body
				})
				f, err := Open(bad)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if f.NumRowGroups() != 3 || seen != 3 {
					t.Fatalf("%d row groups, %d pages of %s: want 3 and 3", f.NumRowGroups(), seen, target)
				}
				w, err := NewWriter(io.Discard, f, WriterOptions{ValueColumn: "value", Compression: "none"})
				if err != nil {
					t.Fatal(err)
				}
				for rg := 0; rg < 3; rg++ {
					ch, err := f.ReadValues(rg, ReadSpec{Column: "value"}, nil)
					if err != nil {
						t.Fatal(err)
					}
					err = w.WriteRowGroup(rg, ch)
					if rg < badRG {
						if err != nil {
							t.Fatalf("row group %d: %v", rg, err)
						}
						continue
					}
					var ce *CorruptError
					if !errors.As(err, &ce) || !strings.Contains(err.Error(), "bad.parquet") || !strings.Contains(err.Error(), `column "`+target+`"`) ||
						!strings.Contains(err.Error(), fmt.Sprintf("row group %d", badRG)) || !strings.Contains(err.Error(), "crc32") {
						t.Fatalf("row group %d: got %v, want a CorruptError naming bad.parquet, row group %d, column %s and crc32", rg, err, badRG, target)
					}
					break
				}
				w.Close() // waits for the verification ahead
			})
		}
	}
}

// TestIsASCII: a byte of 0x80 or more anywhere (in the 32-byte, 8-byte
// and single-byte steps) makes a buffer not ASCII.
func TestIsASCII(t *testing.T) {
	for n := 0; n <= 80; n++ {
		b := bytes.Repeat([]byte{'a'}, n)
		if !isASCII(b) {
			t.Fatalf("%d ASCII bytes: not ASCII", n)
		}
		for i := 0; i < n; i++ {
			for _, c := range []byte{0x80, 0xc3, 0xff} {
				b[i] = c
				if isASCII(b) {
					t.Fatalf("byte %d of %d is %#x: ASCII", i, n, c)
				}
			}
			b[i] = 0x7f
			if !isASCII(b) {
				t.Fatalf("byte %d of %d is 0x7f: not ASCII", i, n)
			}
			b[i] = 'a'
		}
	}
}

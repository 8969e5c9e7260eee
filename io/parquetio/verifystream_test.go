package parquetio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

type rowWide struct {
	ID      string  `parquet:"sequence_id"`
	Pos     int64   `parquet:"position"`
	Value   float32 `parquet:"value"`
	Payload string  `parquet:"payload,plain"`
	Note    *string `parquet:"note,optional,plain"`
}

// TestStreamedPassthroughVerify: a passthrough chunk with a page larger
// than streamPageBytes (DuckDB writes 100 MB string pages) is verified as
// a stream, with the checks parquet-go's decoding makes: the same output
// bytes when it is sound, and a CorruptError naming the file, row group,
// column and fault when a string is not UTF-8, a string's length runs
// past its page, or a definition level exceeds the column's maximum.
func TestStreamedPassthroughVerify(t *testing.T) {
	defer func(old int64) { streamPageBytes = old }(streamPageBytes)
	streamPageBytes = 1 << 10
	rows := make([]rowWide, 3000)
	for i := range rows {
		rows[i] = rowWide{ID: fmt.Sprint(i / 100), Pos: int64(i % 100), Value: float32(i), Payload: fmt.Sprintf("payload-%06d-%s", i, strings.Repeat("x", i%37))}
		if i%3 != 0 {
			s := fmt.Sprintf("note %d é", i)
			rows[i].Note = &s
		}
	}
	for _, codec := range []struct {
		name string
		opt  parquet.WriterOption
	}{{"none", parquet.Compression(&parquet.Uncompressed)}, {"zstd", parquet.Compression(&parquet.Zstd)}} {
		for _, v1 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/v1=%v", codec.name, v1), func(t *testing.T) {
				dir := t.TempDir()
				in := writeFile(t, dir, "in.parquet", rows, codec.opt, parquet.PageBufferSize(16<<10), parquet.DataPageVersion(map[bool]int{true: 1, false: 2}[v1]))
				f, err := Open(in)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				for _, leaf := range []int{3, 4} {
					if err := f.checkChunk(0, leaf); err != nil {
						t.Fatal(err)
					}
					lc, _ := f.pf.Schema().Lookup(f.pf.Schema().Columns()[leaf]...)
					done, err := f.verifyStreamed(0, leaf, f.pf.Schema().Columns()[leaf][0], lc.MaxRepetitionLevel, lc.MaxDefinitionLevel, true)
					if !done || err != nil {
						t.Fatalf("leaf %d: streamed %v, %v; want a streamed check that passes", leaf, done, err)
					}
				}
				streamed := writeAll(t, in, codec.name)
				defer func(old int64) { streamPageBytes = old }(streamPageBytes)
				streamPageBytes = 1 << 40
				if whole := writeAll(t, in, codec.name); !bytes.Equal(streamed, whole) {
					t.Fatal("the output differs from the one verified through parquet-go")
				}
			})
		}
	}
	cases := []struct {
		name, col string
		edit      func(body []byte) bool
		want      string
	}{
		{"invalid UTF-8", "payload", func(b []byte) bool {
			i := bytes.Index(b, []byte("payload-000007"))
			if i < 0 {
				return false
			}
			b[i+3] = 0xff
			return true
		}, "UTF-8"},
		{"string past the page", "payload", func(b []byte) bool {
			i := bytes.Index(b, []byte("payload-000007"))
			if i < 0 {
				return false
			}
			copy(b[i-4:], []byte{0xff, 0xff, 0xff, 0x7f})
			return true
		}, "left in the page"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "in.parquet", rows, parquet.Compression(&parquet.Uncompressed), parquet.PageBufferSize(16<<10))
			bad := filepath.Join(dir, "bad.parquet")
			edited := false
			rewritePages(t, in, bad, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
				if col == c.col && h.Type != format.DictionaryPage && !edited {
					edited = c.edit(body)
				}
				return body
			})
			if !edited {
				t.Fatal("nothing edited")
			}
			err := writeErr(t, bad, "none")
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "bad.parquet") || !strings.Contains(err.Error(), `column "`+c.col+`"`) ||
				!strings.Contains(err.Error(), "row group 0") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a CorruptError naming bad.parquet, row group 0, column %s and %q", err, c.col, c.want)
			}
		})
	}
}

// writeAll writes in's output with its value column as read, and returns
// its bytes.
func writeAll(t *testing.T, in, codec string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeTo(t, &buf, in, codec); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeErr(t *testing.T, in, codec string) error {
	t.Helper()
	return writeTo(t, io.Discard, in, codec)
}

func writeTo(t *testing.T, out io.Writer, in, codec string) error {
	t.Helper()
	f, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(out, f, WriterOptions{ValueColumn: "value", Compression: codec})
	if err != nil {
		t.Fatal(err)
	}
	for rg := range f.NumRowGroups() {
		ch, err := f.ReadValues(rg, ReadSpec{Column: "value"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRowGroup(rg, ch); err != nil {
			return err
		}
	}
	return w.Close()
}

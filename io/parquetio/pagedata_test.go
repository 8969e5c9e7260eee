package parquetio

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestRunLengthBomb: a run-length run claiming 2^30 values in a page of a
// few (in definition levels, or in dictionary indexes) is corrupt input,
// refused before parquet-go's decoder allocates the run (it asked for
// 16 GB and died).
func TestRunLengthBomb(t *testing.T) {
	run := binary.AppendUvarint(nil, (1<<30)<<1) // an RLE run of 2^30
	cases := []struct {
		name, col string
		write     func(dir string) string
		body      func(body []byte) []byte
	}{
		{"definition levels", "value", func(dir string) string {
			rows := make([]rowScalarF64Opt, 50)
			return writeFile(t, dir, "in.parquet", rows, parquet.Compression(&parquet.Uncompressed), parquet.DataPageVersion(1))
		}, func(body []byte) []byte {
			levels := append(append([]byte(nil), run...), 0)
			return append(binary.LittleEndian.AppendUint32(nil, uint32(len(levels))), levels...)
		}},
		{"dictionary indexes", "extra", func(dir string) string {
			rows := make([]rowPass, 50)
			return writeFile(t, dir, "in.parquet", rows, parquet.Compression(&parquet.Uncompressed), parquet.DataPageVersion(1))
		}, func(body []byte) []byte { return append(append([]byte{1}, run...), 0) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in := c.write(dir)
			out := filepath.Join(dir, "bomb.parquet")
			rewritePages(t, in, out, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
				if col != c.col || h.Type != format.DataPage {
					return body
				}
				nb := c.body(body)
				h.UncompressedPageSize = int32(len(nb))
				return nb
			})
			f, err := Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var rerr error
			n := allocated(func() { _, rerr = f.ReadColumn(0, c.col) })
			var ce *CorruptError
			if !errors.As(rerr, &ce) || !strings.Contains(rerr.Error(), "runs of more than") || !strings.Contains(rerr.Error(), `column "`+c.col+`"`) {
				t.Fatalf("got %v, want a CorruptError about the runs naming column %s", rerr, c.col)
			}
			if n > 8<<20 {
				t.Errorf("allocated %d bytes", n)
			}
		})
	}
}

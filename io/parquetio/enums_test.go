package parquetio

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/format"
)

// TestEnumsOutOfRange: parquet-go reads enums of any value, DuckDB refuses
// the file; an out-of-range enum in the footer or a page header is a
// corrupt file (exit 3), never copied into an output.
func TestEnumsOutOfRange(t *testing.T) {
	rows := []rowScalarF32{{ID: "a", Pos: 1, Value: 1}, {ID: "a", Pos: 2, Value: 2}}
	dir := t.TempDir()
	in := writeFile(t, dir, "in.parquet", rows)
	footers := map[string]func(*format.FileMetaData){
		"repetition": func(md *format.FileMetaData) {
			md.Schema[0].RepetitionType.V, md.Schema[0].RepetitionType.Valid = 4, true
		},
		"physical type": func(md *format.FileMetaData) { md.Schema[1].Type.V = 9 },
		"codec":         func(md *format.FileMetaData) { md.RowGroups[0].Columns[0].MetaData.Codec = 12 },
		"encoding":      func(md *format.FileMetaData) { md.RowGroups[0].Columns[1].MetaData.Encoding[0] = -1 },
	}
	for name, edit := range footers {
		t.Run("footer "+name, func(t *testing.T) {
			out := filepath.Join(dir, "footer.parquet")
			rewriteFooter(t, in, out, edit)
			_, err := Open(out)
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "footer.parquet") {
				t.Fatalf("got %v, want a CorruptError naming the file and the %s", err, name)
			}
		})
	}
	t.Run("page encoding", func(t *testing.T) {
		out := filepath.Join(dir, "page.parquet")
		rewritePages(t, in, out, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
			if col == "value" && h.DataPageHeader.Valid {
				h.DataPageHeader.V.Encoding = 77
			}
			if col == "value" && h.DataPageHeaderV2.Valid {
				h.DataPageHeaderV2.V.Encoding = 77
			}
			return body
		})
		f, err := Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, err = f.ReadValues(0, ReadSpec{Column: "value"}, nil)
		var ce *CorruptError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "encoding 77") || !strings.Contains(err.Error(), `column "value"`) {
			t.Fatalf("got %v, want a CorruptError naming the column and encoding 77", err)
		}
	})
}

package parquetio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/deprecated"
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
		"converted type": func(md *format.FileMetaData) {
			md.Schema[1].ConvertedType.V, md.Schema[1].ConvertedType.Valid = deprecated.Int32, true // on sequence_id, a BYTE_ARRAY
		},
		"TIMESTAMP without a unit": func(md *format.FileMetaData) {
			md.Schema[2].LogicalType = format.LogicalType{Value: &format.TimestampType{}}
		},
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

// TestCorruptStatisticsAreDropped: column statistics whose values do not
// have the physical type's size (DuckDB refuses such a file) are left out
// of the output; the data is copied as it is.
func TestCorruptStatisticsAreDropped(t *testing.T) {
	rows := []rowScalarF32{{ID: "a", Pos: 1, Value: 1}, {ID: "a", Pos: 2, Value: 2}}
	dir := t.TempDir()
	in := writeFile(t, dir, "in.parquet", rows)
	bad := filepath.Join(dir, "stats.parquet")
	rewriteFooter(t, in, bad, func(md *format.FileMetaData) {
		md.RowGroups[0].Columns[1].MetaData.Statistics.MinValue = []byte{1, 2, 3} // position: INT64
	})
	f, err := Open(bad)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ch, err := f.ReadValues(0, ReadSpec{Column: "value"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f, WriterOptions{ValueColumn: "value"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(0, ch); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.parquet")
	os.WriteFile(out, buf.Bytes(), 0o644)
	of, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	st := of.pf.Metadata().RowGroups[0].Columns[1].MetaData.Statistics
	if len(st.MinValue) != 0 || len(st.Min) != 0 {
		t.Errorf("the output keeps statistics %+v", st)
	}
	if good := of.pf.Metadata().RowGroups[0].Columns[0].MetaData.Statistics; len(good.MinValue) == 0 {
		t.Errorf("the valid statistics of sequence_id were dropped too")
	}
}

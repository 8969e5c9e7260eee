package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go"
)

// val is the test value of row i, component j.
func val(i, j int) float64 { return float64(i*10+j) + 0.25 }

// writeFile writes rows of type T to dir/name with the given options and
// optional key-value metadata, returning the path.
func writeFile[T any](t testing.TB, dir, name string, rows []T, opts ...parquet.WriterOption) string {
	t.Helper()
	path := filepath.Join(dir, name)
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// arrowSchemaKV returns the ARROW:schema metadata option for fields.
func arrowSchemaKV(t testing.TB, fields ...arrow.Field) parquet.WriterOption {
	t.Helper()
	s, err := encodeArrowSchema(arrow.NewSchema(fields, nil))
	if err != nil {
		t.Fatal(err)
	}
	return parquet.KeyValueMetadata("ARROW:schema", s)
}

// rowValues returns the chunk's values of row r as float64s.
func rowValues(c ValueChunk, r int) []float64 {
	lo, hi := int64(r), int64(r+1)
	if c.Offsets != nil {
		lo, hi = c.Offsets[r], c.Offsets[r+1]
	}
	var out []float64
	for i := lo * int64(c.D); i < hi*int64(c.D); i++ {
		if c.Type == Float32 {
			out = append(out, float64(c.Values.F32[i]))
		} else {
			out = append(out, c.Values.F64[i])
		}
	}
	return out
}

// readAll reads every row group of the value column and returns per-row values.
func readAll(t testing.TB, f *File, spec ReadSpec) ([][]float64, []ValueChunk) {
	t.Helper()
	var out [][]float64
	var chunks []ValueChunk
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		c, err := f.ReadValues(rg, spec, nil)
		if err != nil {
			t.Fatalf("ReadValues(%d): %v", rg, err)
		}
		if c.FirstRow != f.RowGroupFirstRow(rg) || int64(c.Rows) != f.RowGroupRows(rg) {
			t.Fatalf("chunk %d: first row %d rows %d", rg, c.FirstRow, c.Rows)
		}
		for r := 0; r < c.Rows; r++ {
			out = append(out, rowValues(c, r))
		}
		chunks = append(chunks, c)
	}
	return out, chunks
}

func equalRows(t testing.TB, got, want [][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for r := range want {
		if len(got[r]) != len(want[r]) {
			t.Fatalf("row %d: got %d values %v, want %d %v", r, len(got[r]), got[r], len(want[r]), want[r])
		}
		for i := range want[r] {
			if !sameFloat(got[r][i], want[r][i]) {
				t.Fatalf("row %d value %d: got %v, want %v", r, i, got[r][i], want[r][i])
			}
		}
	}
}

// fileRows returns every row of the file (parquet-go rows, all columns).
func fileRows(t testing.TB, path string) ([]parquet.Row, *parquet.Schema) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var out []parquet.Row
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		buf := make([]parquet.Row, 16)
		for {
			n, err := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				out = append(out, r.Clone())
			}
			if err != nil {
				break
			}
		}
		rows.Close()
	}
	return out, pf.Schema()
}

// dropColumn returns the row without the values of leaf column col.
func dropColumn(r parquet.Row, col int) parquet.Row {
	var out parquet.Row
	for _, v := range r {
		if v.Column() != col {
			out = append(out, v)
		}
	}
	return out
}

// wantDataError asserts err is a *DataError naming the file, row group,
// row and column, and containing every fragment.
func wantDataError(t testing.TB, err error, path string, rg int, row int64, column string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a DataError, got nil")
	}
	var de *DataError
	if !errors.As(err, &de) {
		t.Fatalf("want *DataError, got %T: %v", err, err)
	}
	if de.File != path || de.RowGroup != rg || de.Row != row || de.Column != column {
		t.Fatalf("DataError %q: got file %q rg %d row %d column %q, want %q %d %d %q", err, de.File, de.RowGroup, de.Row, de.Column, path, rg, row, column)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, path+": ") {
		t.Fatalf("message %q does not start with the file", msg)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Fatalf("message %q lacks %q", msg, f)
		}
	}
}

func f32bytes(v []float32) [16]byte {
	var b [16]byte
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// rowsEqual compares rows value by value: levels, column, kind, nullness
// and payload, with floats compared bit for bit (so NaN equals NaN).
func rowsEqual(a, b parquet.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Column() != y.Column() || x.RepetitionLevel() != y.RepetitionLevel() || x.DefinitionLevel() != y.DefinitionLevel() ||
			x.IsNull() != y.IsNull() || x.Kind() != y.Kind() {
			return false
		}
		if x.IsNull() {
			continue
		}
		switch x.Kind() {
		case parquet.Float:
			if math.Float32bits(x.Float()) != math.Float32bits(y.Float()) {
				return false
			}
		case parquet.Double:
			if math.Float64bits(x.Double()) != math.Float64bits(y.Double()) {
				return false
			}
		default:
			if !parquet.Equal(x, y) {
				return false
			}
		}
	}
	return true
}

package job

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// TestCheck: the checks a run makes before computing, on real files: rows
// from the footer, d from the schema or the first vector, the Binder's
// verdict, and errors classed as Process classes them.
func TestCheck(t *testing.T) {
	errBind := &schemas.Error{Expected: "d=4", Found: "another d"}
	tests := []struct {
		name    string
		file    string
		maxRead int64
		bindErr error
		rows    int64
		d       int
		class   pipeline.Class // 0: no error
		want    string
	}{
		{name: "FIXED_LEN_BYTE_ARRAY: d from the schema", file: "arrowgo_flba_f32.parquet", maxRead: 0, rows: 10, d: 8},
		{name: "list: d from the first vector", file: "long_f32_list.parquet", maxRead: 1 << 20, rows: 24, d: 8},
		{name: "list too big to read: d unknown", file: "long_f32_list.parquet", maxRead: 8, rows: 24, d: 0},
		{name: "the binder refuses d", file: "long_f32_fixed8.parquet", maxRead: 1 << 20, bindErr: errBind, rows: 24, d: 8, class: pipeline.ClassInput, want: "another d"},
		{name: "no value column", file: "bad_missing_column.parquet", rows: 24, class: pipeline.ClassInput, want: "embedding"},
		{name: "not Parquet", file: "bad_garbage.parquet", class: pipeline.ClassInput, want: "bad_garbage.parquet"},
		{name: "missing file", file: "nope.parquet", class: pipeline.ClassIO, want: "nope.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bound := 0
			spec := &Spec{
				Schema: schemas.Options{DefaultColumns: []string{"embedding"}},
				Bind: func(_ schemas.Detected, d int) (Computer, error) {
					bound = d
					return &rankProbe{}, tt.bindErr
				},
			}
			got, err := spec.Check(pipeline.Unit{Input: filepath.Join(interop, tt.file)}, tt.maxRead)
			if got.Rows != tt.rows || got.D != tt.d {
				t.Errorf("checked %+v, want rows %d d %d", got, tt.rows, tt.d)
			}
			if tt.d > 0 && bound != tt.d {
				t.Errorf("bound for d=%d, want %d", bound, tt.d)
			}
			if c := pipeline.Classify(err); c != tt.class || tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v (class %v), want class %v mentioning %q", err, c, tt.class, tt.want)
			}
			if tt.bindErr != nil && !errors.Is(err, tt.bindErr) {
				t.Errorf("error %v does not wrap the binder's", err)
			}
		})
	}
}

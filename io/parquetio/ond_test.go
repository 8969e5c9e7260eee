package parquetio

import (
	"path/filepath"
	"testing"
)

// TestOnDReportsWidthOnce: ReadSpec.OnD is called once per ReadValues with
// the width the chunk ends up with, for every layout that has vectors.
func TestOnDReportsWidthOnce(t *testing.T) {
	tests := []struct {
		file, column string
		nesting      int
	}{
		{"long_f32_list.parquet", "embedding", 0},
		{"long_f32_fixed8.parquet", "embedding", 0},
		{"arrowgo_flba_f32.parquet", "embedding", 0},
		{"long_f64_scalar.parquet", "value", 0},
		{"nested_f32_list_of_list.parquet", "embedding", 1},
		{"nested_series_f64.parquet", "value", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := Open(filepath.Join(interopDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				var got []int
				spec := ReadSpec{Column: tt.column, Nesting: tt.nesting, OnD: func(d int) { got = append(got, d) }}
				chunk, err := f.ReadValues(rg, spec, nil)
				if err != nil {
					t.Fatal(err)
				}
				if chunk.Elems() == 0 {
					continue
				}
				if len(got) != 1 || got[0] != chunk.D {
					t.Fatalf("row group %d: OnD calls %v, chunk d %d", rg, got, chunk.D)
				}
			}
		})
	}
}

package parquetio

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

// TestReadInt64sMatchesReadColumn: ReadInt64s returns what ReadColumn
// does for INT64 and timestamp columns, in the caller's slice when it is
// large enough, and refuses other physical types.
func TestReadInt64sMatchesReadColumn(t *testing.T) {
	tests := []struct {
		file, column string
		wantErr      error
	}{
		{"long_bigint_ids.parquet", "sequence_id", nil},
		{"long_passthrough.parquet", "created_at", nil},
		{"ts_long.parquet", "timestamp", nil},
		{"long_passthrough.parquet", "position", ErrNotInt64}, // INT32
		{"long_passthrough.parquet", "score", ErrNotInt64},
		{"long_passthrough.parquet", "sequence_id", ErrNotInt64},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.column, func(t *testing.T) {
			f, err := Open(filepath.Join(interopDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := make([]int64, 1<<12)
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				vals, nulls, first, err := f.ReadInt64s(rg, tt.column, buf)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err %v, want %v", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if nulls != 0 || first != -1 {
					t.Fatalf("nulls %d first %d in a column without nulls", nulls, first)
				}
				if len(vals) > 0 && &vals[0] != &buf[0] {
					t.Fatal("values not decoded into the caller's slice")
				}
				a, err := f.ReadColumn(rg, tt.column)
				if err != nil {
					t.Fatal(err)
				}
				want := make([]int64, a.Len())
				switch c := a.(type) {
				case *array.Int64:
					copy(want, c.Int64Values())
				case *array.Timestamp:
					for i, v := range c.TimestampValues() {
						want[i] = int64(v)
					}
				default:
					t.Fatalf("ReadColumn gave %T", a)
				}
				a.Release()
				if len(vals) != len(want) {
					t.Fatalf("row group %d: %d values, want %d", rg, len(vals), len(want))
				}
				for i := range want {
					if vals[i] != want[i] {
						t.Fatalf("row group %d row %d: %d, want %d", rg, i, vals[i], want[i])
					}
				}
			}
		})
	}
}

// TestReadInt64sNulls: nulls are counted and the first is located; a
// short buffer is replaced by a new slice.
func TestReadInt64sNulls(t *testing.T) {
	type row struct {
		Pos *int64 `parquet:"pos,optional"`
	}
	rows := make([]row, 300)
	for i := range rows {
		if i != 17 && i != 200 {
			v := int64(i)
			rows[i].Pos = &v
		}
	}
	path := writeFile(t, t.TempDir(), "nulls.parquet", rows, parquet.MaxRowsPerRowGroup(1000))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	short := make([]int64, 10)
	vals, nulls, first, err := f.ReadInt64s(0, "pos", short)
	if err != nil {
		t.Fatal(err)
	}
	if nulls != 2 || first != 17 {
		t.Fatalf("nulls %d first %d, want 2 and 17", nulls, first)
	}
	if len(vals) != 300 || vals[299] != 299 || vals[16] != 16 {
		t.Fatalf("values %d long, [16]=%d [299]=%d", len(vals), vals[16], vals[299])
	}
}

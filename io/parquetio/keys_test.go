package parquetio

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestKeyColumnTypes: the key types DuckDB and polars write are recognised
// (element type, unit, scale, time zone) and read as the Arrow type the job
// decodes, fast path and value-by-value path alike.
func TestKeyColumnTypes(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "keys")
	tests := []struct {
		file, col string
		elem      ElemType
		unit      string
		scale     int
		utc       bool
		arrow     arrow.Type
	}{
		{"duckdb_ids.parquet", "id_u32", Uint32, "", 0, false, arrow.UINT32},
		{"duckdb_ids.parquet", "id_u64", Uint64, "", 0, false, arrow.UINT64},
		{"duckdb_ids.parquet", "id_u8", Int32, "", 0, false, arrow.INT32},
		{"duckdb_ids.parquet", "id_uuid", UUID, "", 0, false, arrow.FIXED_SIZE_BINARY},
		{"duckdb_ids.parquet", "id_dec9", Decimal, "", 2, false, arrow.INT32},
		{"duckdb_ids.parquet", "id_dec18", Decimal, "", 3, false, arrow.INT64},
		{"duckdb_ids.parquet", "id_dec38", Decimal, "", 4, false, arrow.FIXED_SIZE_BINARY},
		{"duckdb_ids.parquet", "id_tstz", Timestamp, "us", 0, true, arrow.TIMESTAMP},
		{"duckdb_orders.parquet", "ord_time", Time, "us", 0, false, arrow.TIME64},
		{"duckdb_orders.parquet", "ord_f32", Float32, "", 0, false, arrow.FLOAT32},
		{"duckdb_orders.parquet", "ord_ts_ns", Timestamp, "ns", 0, false, arrow.TIMESTAMP},
		{"polars_hash_cumcount.parquet", "series_id", Uint64, "", 0, false, arrow.UINT64},
		{"polars_rank_rowindex.parquet", "position", Uint32, "", 0, false, arrow.UINT32},
		{"polars_times.parquet", "ts_ns_ny", Timestamp, "ns", 0, true, arrow.TIMESTAMP},
		{"polars_times.parquet", "ts_ms", Timestamp, "ms", 0, false, arrow.TIMESTAMP},
		{"polars_times.parquet", "day", Date, "", 0, false, arrow.DATE32},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.col, func(t *testing.T) {
			f, err := Open(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c, ok := f.Column(tt.col)
			if !ok || c.Kind != Scalar || c.Elem != tt.elem || c.TimeUnit != tt.unit || c.Scale != tt.scale || c.UTC != tt.utc {
				t.Fatalf("column %+v", c)
			}
			for _, slow := range []bool{false, true} {
				slowColumn = slow
				a, err := f.ReadColumn(0, tt.col)
				slowColumn = false
				if err != nil {
					t.Fatal(err)
				}
				if a.DataType().ID() != tt.arrow || a.Len() != int(f.NumRows()) || a.NullN() != 0 {
					t.Errorf("slow=%v: %s of %d rows, %d nulls", slow, a.DataType(), a.Len(), a.NullN())
				}
				a.Release()
			}
		})
	}
}

// TestReadListInt64KeyTypes: nested time lists of unsigned, float and
// decimal values come as documented (uint32 zero-extended, floats as
// float64 bits, decimals unscaled), equal to the int64 list they mirror.
func TestReadListInt64KeyTypes(t *testing.T) {
	f, err := Open(filepath.Join("..", "..", "testdata", "keys", "duckdb_nested_times.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ref, refOff, err := f.ReadListInt64(0, "ref_times")
	if err != nil {
		t.Fatal(err)
	}
	conv := map[string]func(int64) int64{
		"t_u32":  func(v int64) int64 { return v - 3000000000 },
		"t_f64":  func(v int64) int64 { return int64(math.Float64frombits(uint64(v)) * 4) },
		"t_f32":  func(v int64) int64 { return int64(math.Float64frombits(uint64(v)) * 4) },
		"t_dec9": func(v int64) int64 { return v },
		"t_u64":  func(v int64) int64 { return int64(uint64(v) - 18000000000000000000) },
	}
	for col, back := range conv {
		vals, off, err := f.ReadListInt64(0, col)
		if err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		if len(vals) != len(ref) || len(off) != len(refOff) {
			t.Fatalf("%s: %d values, want %d", col, len(vals), len(ref))
		}
		for i, v := range vals {
			if back(v) != ref[i] {
				t.Fatalf("%s[%d] = %d, want %d", col, i, back(v), ref[i])
			}
		}
	}
}

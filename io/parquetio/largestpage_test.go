package parquetio

import "testing"

// TestLargestPage reads the largest uncompressed page of a column from
// DuckDB's and polars' page headers (values checked against an independent
// thrift walk of the same headers when this test was written), and names
// a column that does not exist.
func TestLargestPage(t *testing.T) {
	for _, tc := range []struct {
		file, column string
		want         int64
	}{
		{"../../testdata/pages/duckdb_zstd_v1.parquet", "v32", 24803},
		{"../../testdata/pages/duckdb_zstd_v1.parquet", "lol", 31499},
		{"../../testdata/pages/duckdb_zstd_v1.parquet", "id", 12007},
		{"../../testdata/pages/duckdb_snappy_v2.parquet", "s32", 5754},
		{"../../testdata/pages/polars_zstd.parquet", "ser", 28176},
	} {
		f, err := Open(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.LargestPage(tc.column)
		f.Close()
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %d, %v; want %d", tc.file, tc.column, got, err, tc.want)
		}
	}
	f, err := Open("../../testdata/pages/polars_zstd.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.LargestPage("nope"); err == nil {
		t.Error("a missing column gave no error")
	}
}

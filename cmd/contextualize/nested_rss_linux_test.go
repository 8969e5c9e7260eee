//go:build linux

package main

import "testing"

// TestNestedPeakRSS runs smooth and attend on 400 sequences of 256-262 x
// 384 float32, one row each (the nested layout), that DuckDB wrote as ONE
// row group (157 MB of floats in a 159 MiB page), and checks SPEC v2's
// bound: peak RSS <= --memory-limit + 64 MiB + the largest page. The
// writer reads the input's levels (lists of several lengths) a window at a
// time; read through parquet-go, page by page with its values, they took
// 521-554 MiB against a bound of 479 MiB. 256MiB because a page larger
// than the limit is refused (SPEC v2).
func TestNestedPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("DuckDB writes a 150 MB input")
	}
	in := duckDBNestedOneRowGroup(t, 400, 384, 256)
	page := largestPage(t, in, "embedding")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"smooth", []string{"smooth", "--sigma", "1"}},
		{"attend", []string{"attend", "--weights", "identity", "--heads", "4"}},
	} {
		t.Run(tc.name, func(t *testing.T) { withinMemoryBound(t, in, 256, page, tc.args...) })
	}
}

// duckDBNestedOneRowGroup has DuckDB (scripts/interop, npm ci) write
// sequences rows of seqLen..seqLen+6 vectors of d float32 as one row group.
func duckDBNestedOneRowGroup(t *testing.T, sequences, d, seqLen int) string {
	return duckDBInteropFile(t, "nested_one_row_group.mjs", sequences, d, seqLen)
}

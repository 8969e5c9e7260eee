package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLayout writes small generator files and checks what -layout reads
// back from their footers and page headers.
func TestLayout(t *testing.T) {
	tests := []struct {
		name, kind  string
		seqs, len   int
		rgRows      int64
		rowGroups   string
		valueColumn string
	}{
		{"attend, two row groups", "attend", 4, 8, 16, "32 rows in 2 row groups of 16-16 rows",
			"  embedding.list.element: ZSTD; 0 data pages v1, 2 v2, 0 dictionary"},
		{"smooth, uneven row groups", "smooth", 3, 10, 12, "30 rows in 3 row groups of 6-12 rows",
			"  value: ZSTD; 0 data pages v1, 3 v2, 0 dictionary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.parquet")
			if err := run(tt.kind, path, tt.seqs, tt.len, 4, 1, tt.rgRows); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := printLayout(&b, path); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, want := range []string{tt.rowGroups, tt.valueColumn, `created_by "contextualize-benchdata`} {
				if !strings.Contains(out, want) {
					t.Errorf("layout lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

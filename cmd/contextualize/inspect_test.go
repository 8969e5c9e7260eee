package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	samples := sampleDir(t)
	tests := []struct {
		file, layout, value string
		d                   int
		rows, sequences     int64
	}{
		{filepath.Join(samples, "tokens.parquet"), "long", "embedding", 32, 1331, 40},
		{filepath.Join(samples, "tokens_nested.parquet"), "nested", "embedding", 32, 20, 20},
		{filepath.Join(samples, "sensors.parquet"), "long", "value", 1, 2080, 6},
		{"../../testdata/interop/long_rowgroups.parquet", "long", "embedding", 4, 28, 5},
		{"../../testdata/interop/nested_series_f64.parquet", "nested", "value", 1, 3, 3},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			r := runCLI(t, nil, "inspect", "--json", tt.file)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var doc struct{ Files []fileReport }
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Files) != 1 {
				t.Fatalf("inspect --json: %v\n%s", err, r.stdout)
			}
			rep := doc.Files[0]
			if len(rep.Physical) == 0 || rep.Physical[0].Type == "" {
				t.Errorf("no physical schema: %+v", rep.Physical)
			}
			if rep.Layout != tt.layout || rep.Value != tt.value || rep.D != tt.d || rep.Rows != tt.rows || rep.Sequences != tt.sequences || rep.Reason == "" {
				t.Errorf("got %+v", rep)
			}
		})
	}
	r := runCLI(t, nil, "inspect", "../../testdata/interop/bad_garbage.parquet")
	if r.code == 0 || !strings.Contains(r.stderr, "bad_garbage.parquet") {
		t.Errorf("garbage: exit %d, stderr %q", r.code, r.stderr)
	}
}

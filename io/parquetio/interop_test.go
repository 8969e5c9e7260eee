package parquetio

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type interopEntry struct {
	File        string  `json:"file"`
	Writer      string  `json:"writer"`
	Layout      string  `json:"layout"`
	ValueColumn string  `json:"value_column"`
	TimeColumn  *string `json:"time_column"`
	Type        string  `json:"type"`
	D           *int    `json:"d"`
	Shape       string  `json:"shape"`
	Rows        *int64  `json:"rows"`
	Expected    *string `json:"expected"`
	Error       *string `json:"error"`
	BadRow      *int64  `json:"bad_row"`
}

// interopDir is the shared fixture directory written by DuckDB and arrow-go.
var interopDir = filepath.Join("..", "..", "testdata", "interop")

// interopFiles reads the fixtures' manifest.
func interopFiles(t *testing.T) []interopEntry {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(interopDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Files []interopEntry `json:"files"`
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	return man.Files
}

// spec is how a fixture's value column is read.
func (e interopEntry) spec() ReadSpec {
	spec := ReadSpec{Column: e.ValueColumn}
	if e.Layout == "nested" {
		spec.Nesting = 1
	}
	return spec
}

// toF64 converts an expected JSON value (number, "NaN", null) to float64.
func toF64(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case nil: // NULL scalar: read as NaN (a missing value)
		return math.NaN()
	case float64:
		return x
	case string:
		if x == "NaN" {
			return math.NaN()
		}
		if x == "Infinity" || x == "inf" {
			return math.Inf(1)
		}
		if x == "-Infinity" || x == "-inf" {
			return math.Inf(-1)
		}
	}
	t.Fatalf("unexpected expected value %#v", v)
	return 0
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func TestInterop(t *testing.T) {
	for _, e := range interopFiles(t) {
		t.Run(e.File, func(t *testing.T) {
			path := filepath.Join(interopDir, e.File)
			f, err := Open(path)
			if e.Error != nil && (*e.Error == "garbage" || *e.Error == "truncated" || *e.Error == "empty_file") {
				if err == nil {
					f.Close()
					t.Fatalf("Open: want error")
				}
				if !strings.Contains(err.Error(), path) {
					t.Fatalf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			nesting := 0
			if e.Layout == "nested" {
				nesting = 1
			}
			spec := ReadSpec{Column: e.ValueColumn, Nesting: nesting}
			var got [][]float64 // per row: flat values
			var dims []int
			var firstErr error
			var reuse Floats
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				c, err := f.ReadValues(rg, spec, &reuse)
				if err != nil {
					firstErr = err
					break
				}
				if spec.D == 0 {
					spec.D = c.D
				}
				for r := 0; r < c.Rows; r++ {
					got = append(got, rowValues(c, r))
					dims = append(dims, c.D)
				}
			}
			if e.Error != nil {
				if firstErr == nil {
					t.Fatalf("want a %s error", *e.Error)
				}
				var de *DataError
				if !errors.As(firstErr, &de) {
					t.Fatalf("want *DataError, got %v", firstErr)
				}
				if de.File != path || de.Column != e.ValueColumn {
					t.Fatalf("error %q: wrong file/column", firstErr)
				}
				if e.BadRow != nil && de.Row != *e.BadRow {
					t.Fatalf("error %q: want row %d", firstErr, *e.BadRow)
				}
				t.Logf("error: %v", firstErr)
				return
			}
			if firstErr != nil {
				t.Fatal(firstErr)
			}
			ci, _ := f.Column(e.ValueColumn)
			wantType := Float32
			switch e.Type {
			case "float64":
				wantType = Float64
			case "float16":
				wantType = Float16
			}
			if ci.Elem != wantType {
				t.Fatalf("Elem = %v, want %v", ci.Elem, wantType)
			}
			if e.Shape == "fixed_size_list" && ci.ListFlavor != "fixed_size_list" {
				t.Errorf("ListFlavor = %q, want fixed_size_list", ci.ListFlavor)
			}
			// the writer reproduces the file row for row (identity values)
			if f.NumRows() > 0 {
				out := rewrite(t, path, ReadSpec{Column: e.ValueColumn, Nesting: nesting}, WriterOptions{}, func(c ValueChunk) ValueChunk { return c })
				a, sa := fileRows(t, path)
				b, sb := fileRows(t, out)
				if sa.String() != sb.String() || len(a) != len(b) {
					t.Fatalf("rewrite changed the schema or row count:\n%s\n%s", sa, sb)
				}
				for i := range a {
					if !rowsEqual(a[i], b[i]) {
						t.Fatalf("rewrite changed row %d:\n%v\n%v", i, a[i], b[i])
					}
				}
			}
			if e.Expected == nil {
				return
			}
			raw, err := os.ReadFile(filepath.Join(interopDir, *e.Expected))
			if err != nil {
				t.Fatal(err)
			}
			var exp struct {
				Values []any `json:"values"`
			}
			if err := json.Unmarshal(raw, &exp); err != nil {
				t.Fatal(err)
			}
			if len(exp.Values) != len(got) {
				t.Fatalf("rows: got %d, want %d", len(got), len(exp.Values))
			}
			for r, ev := range exp.Values {
				var want []float64
				var flatten func(v any)
				flatten = func(v any) {
					if a, ok := v.([]any); ok {
						for _, x := range a {
							flatten(x)
						}
						return
					}
					want = append(want, toF64(t, v))
				}
				flatten(ev)
				if len(want) != len(got[r]) {
					t.Fatalf("row %d: got %d values, want %d", r, len(got[r]), len(want))
				}
				for i := range want {
					w := want[i]
					if wantType != Float64 { // float16 values are exact in float32
						w = float64(float32(w))
					}
					if !sameFloat(got[r][i], w) {
						t.Fatalf("row %d value %d: got %v, want %v", r, i, got[r][i], w)
					}
				}
				if e.D != nil && len(want) > 0 && nesting == 0 && dims[r] != *e.D {
					t.Fatalf("row %d: d = %d, want %d", r, dims[r], *e.D)
				}
			}
		})
	}
}

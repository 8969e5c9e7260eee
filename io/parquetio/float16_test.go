package parquetio

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/contextualize/contextualize/io/half"
)

// float16Fixtures are the arrow-go (pqarrow) FLOAT16 files of testdata/interop.
func float16Fixtures(t *testing.T) []interopEntry {
	var out []interopEntry
	for _, e := range interopFiles(t) {
		if e.Type == "float16" && e.Error == nil {
			out = append(out, e)
		}
	}
	if len(out) < 5 {
		t.Fatalf("%d float16 fixtures in the manifest, want 5 (list, large_list, fixed_size_list, nested, series)", len(out))
	}
	return out
}

// scaleShift is a computation whose float32 results are rarely float16
// values, so that writing them back rounds.
func scaleShift(c ValueChunk) ValueChunk {
	out := c
	out.Values = Floats{F32: make([]float32, len(c.Values.F32))}
	for i, x := range c.Values.F32 {
		out.Values.F32[i] = x*0.9990234 - 0.0001
	}
	return out
}

// TestFloat16Write: float16 columns read as float32 and are written back as
// FLOAT16 (rounded to nearest even) by default, or widened to float32 or
// float64 by OutputType, in place or as a new column, by all three writers
// (fast, column streams, rows), keeping the list flavour for Arrow readers.
func TestFloat16Write(t *testing.T) {
	writers := []struct {
		name string
		set  *bool
	}{{"fast", nil}, {"streams", &streamPath}, {"rows", &rowPath}}
	for _, e := range float16Fixtures(t) {
		path := filepath.Join(interopDir, e.File)
		spec := ReadSpec{Column: e.ValueColumn}
		if e.Layout == "nested" {
			spec.Nesting = 1
		}
		in, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		inInfo, _ := in.Column(e.ValueColumn)
		inVals, _ := readAll(t, in, spec)
		in.Close()
		for _, wr := range writers {
			for _, ot := range []ElemType{Unknown, Float32, Float64} {
				for _, newCol := range []string{"", "ctx"} {
					t.Run(fmt.Sprintf("%s/%s/%v/%q", e.File, wr.name, ot, newCol), func(t *testing.T) {
						if wr.set != nil {
							*wr.set = true
							defer func() { *wr.set = false }()
						}
						out := rewrite(t, path, spec, WriterOptions{OutputType: ot, OutputColumn: newCol}, scaleShift)
						f, err := Open(out)
						if err != nil {
							t.Fatal(err)
						}
						defer f.Close()
						col := e.ValueColumn
						if newCol != "" {
							col = newCol
							// the input column is passed through as float16
							if c, _ := f.Column(e.ValueColumn); c.Elem != Float16 {
								t.Fatalf("input column %q is %v in the output, want float16", e.ValueColumn, c.Elem)
							}
						}
						c, _ := f.Column(col)
						want := ot
						if want == Unknown {
							want = Float16
						}
						if c.Elem != want || c.Kind != inInfo.Kind || c.ListFlavor != inInfo.ListFlavor || c.FixedSize != inInfo.FixedSize {
							t.Fatalf("output column %+v, want %v like %+v", c, want, inInfo)
						}
						s := spec
						s.Column = col
						got, _ := readAll(t, f, s)
						if len(got) != len(inVals) {
							t.Fatalf("%d rows, want %d", len(got), len(inVals))
						}
						for r := range inVals {
							if len(got[r]) != len(inVals[r]) {
								t.Fatalf("row %d: %d values, want %d", r, len(got[r]), len(inVals[r]))
							}
							for i, x := range inVals[r] {
								y := float32(x)*0.9990234 - 0.0001
								exp := float64(y)
								if want == Float16 {
									exp = half.ToFloat64(half.FromFloat32(y))
								}
								if math.IsNaN(x) { // a null input slot whose value stays NaN stays null
									exp = math.NaN()
								}
								if !sameFloat(got[r][i], exp) {
									t.Fatalf("row %d value %d: %v, want %v (input %v)", r, i, got[r][i], exp, x)
								}
							}
						}
					})
				}
			}
		}
	}
}

// TestFloat16FastMatchesStreams: the fast writer's widened and float16
// outputs read back like the column-stream writer's, with the same
// metadata (ARROW:schema retyped the same way).
func TestFloat16FastMatchesStreams(t *testing.T) {
	for _, e := range float16Fixtures(t) {
		spec := ReadSpec{Column: e.ValueColumn}
		if e.Layout == "nested" {
			spec.Nesting = 1
		}
		for _, o := range []WriterOptions{{}, {OutputType: Float32}, {OutputType: Float64, OutputColumn: "ctx"}, {OutputType: Float64, Compression: "snappy"}} {
			t.Run(fmt.Sprintf("%s/%+v", e.File, o), func(t *testing.T) {
				sameOutput(t, filepath.Join(interopDir, e.File), spec, o, scaleShift)
			})
		}
	}
}

// TestOutputTypeNeverNarrows: narrowing and retyping packed float32 vectors
// are refused when the writer is made.
func TestOutputTypeNeverNarrows(t *testing.T) {
	for _, tt := range []struct {
		file, col string
		ot        ElemType
		ok        bool
	}{
		{"arrowgo_large_list_f64.parquet", "embedding", Float32, false},
		{"arrowgo_large_list_f64.parquet", "embedding", Float16, false},
		{"arrowgo_fixed_size_list_f32.parquet", "embedding", Float16, false},
		{"arrowgo_fixed_size_list_f32.parquet", "embedding", Float64, true},
		{"arrowgo_flba_f32.parquet", "embedding", Float64, false},
		{"arrowgo_series_f16.parquet", "value", Float16, true},
	} {
		f, err := Open(filepath.Join(interopDir, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := f.Column(tt.col)
		_, err = OutputType(c, tt.ot)
		_, werr := NewWriter(new(nopWriter), f, WriterOptions{ValueColumn: tt.col, OutputType: tt.ot})
		f.Close()
		if (err == nil) != tt.ok || (werr == nil) != tt.ok {
			t.Errorf("%s as %v: OutputType error %v, NewWriter error %v; want ok=%v", tt.file, tt.ot, err, werr, tt.ok)
		}
	}
}

type nopWriter struct{}

func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }

// TestFloat16Overflow: a finite result beyond the float16 range is a
// *DataError naming the row (never written as an infinity); the same
// result widened to float32 is written.
func TestFloat16Overflow(t *testing.T) {
	for _, e := range float16Fixtures(t) {
		path := filepath.Join(interopDir, e.File)
		spec := ReadSpec{Column: e.ValueColumn}
		if e.Layout == "nested" {
			spec.Nesting = 1
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.ReadValues(0, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		k := len(c.Values.F32) - 1 // the last value of the first row group
		c.Values.F32[k] = 70000
		w, err := NewWriter(new(nopWriter), f, WriterOptions{ValueColumn: e.ValueColumn})
		if err != nil {
			t.Fatal(err)
		}
		err = w.WriteRowGroup(0, c)
		wantDataError(t, err, path, 0, c.FirstRow+int64(c.Rows)-1, e.ValueColumn, "float16 range", "70000", "--output-type float32")
		w, err = NewWriter(new(nopWriter), f, WriterOptions{ValueColumn: e.ValueColumn, OutputType: Float32})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRowGroup(0, c); err != nil {
			t.Fatalf("widened: %v", err)
		}
		f.Close()
	}
}

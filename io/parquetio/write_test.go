package parquetio

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go"
)

// transform maps every value v to 2v+1 (NaN stays NaN).
func transform(c ValueChunk) ValueChunk {
	out := c
	if c.Type == Float32 {
		out.Values = Floats{F32: make([]float32, len(c.Values.F32))}
		for i, x := range c.Values.F32 {
			out.Values.F32[i] = 2*x + 1
		}
	} else {
		out.Values = Floats{F64: make([]float64, len(c.Values.F64))}
		for i, x := range c.Values.F64 {
			out.Values.F64[i] = 2*x + 1
		}
	}
	return out
}

// rewrite reads path's value column and writes it to a new file with fn
// applied to every chunk.
func rewrite(t *testing.T, path string, spec ReadSpec, opts WriterOptions, fn func(ValueChunk) ValueChunk) string {
	t.Helper()
	return rewriteEach(t, path, spec, opts, func(f *File, w *Writer, rg int, reuse *Floats) {
		c, err := f.ReadValues(rg, spec, reuse)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRowGroup(rg, fn(c)); err != nil {
			t.Fatal(err)
		}
	})
}

// rewriteEach opens path, calls each for every row group with a writer of
// a new file (value column spec.Column) and one reused slab, and returns
// the closed output's path.
func rewriteEach(t *testing.T, path string, spec ReadSpec, opts WriterOptions, each func(f *File, w *Writer, rg int, reuse *Floats)) string {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), "out.parquet")
	fh, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	opts.ValueColumn = spec.Column
	w, err := NewWriter(fh, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	var reuse Floats
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		each(f, w, rg, &reuse)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range readCases() {
		for vname, vopts := range variants() {
			t.Run(tc.name+"/"+vname, func(t *testing.T) {
				in := tc.write(t, t.TempDir(), vopts...)
				inRows, inSchema := fileRows(t, in)
				fin, err := Open(in)
				if err != nil {
					t.Fatal(err)
				}
				defer fin.Close()
				ci, _ := fin.Column(tc.spec.Column)

				// identity: value-identical file, every row equal
				out := rewrite(t, in, tc.spec, WriterOptions{Metadata: map[string]string{"contextualize.fingerprint": "abc"}}, func(c ValueChunk) ValueChunk { return c })
				outRows, outSchema := fileRows(t, out)
				if inSchema.String() != outSchema.String() {
					t.Fatalf("schema changed:\n%s\n%s", inSchema, outSchema)
				}
				if len(inRows) != len(outRows) {
					t.Fatalf("rows %d -> %d", len(inRows), len(outRows))
				}
				for i := range inRows {
					if !rowsEqual(inRows[i], outRows[i]) {
						t.Fatalf("row %d differs:\n%v\n%v", i, inRows[i], outRows[i])
					}
				}
				fout, err := Open(out)
				if err != nil {
					t.Fatal(err)
				}
				defer fout.Close()
				if fout.Metadata()["contextualize.fingerprint"] != "abc" {
					t.Fatalf("metadata %v", fout.Metadata())
				}
				if fin.Metadata()["ARROW:schema"] != fout.Metadata()["ARROW:schema"] {
					t.Fatal("ARROW:schema not kept")
				}
				if fout.NumRowGroups() != fin.NumRowGroups() {
					t.Fatalf("row groups %d -> %d", fin.NumRowGroups(), fout.NumRowGroups())
				}
				oci, _ := fout.Column(tc.spec.Column)
				if oci != ci {
					t.Fatalf("column info %+v -> %+v", ci, oci)
				}

				// transformed, replacing in place, other row group size
				out = rewrite(t, in, tc.spec, WriterOptions{Compression: "snappy", RowGroupRows: 50}, transform)
				fout2, err := Open(out)
				if err != nil {
					t.Fatal(err)
				}
				defer fout2.Close()
				if fout2.NumRowGroups() != (nRows+49)/50 {
					t.Fatalf("row groups: %d", fout2.NumRowGroups())
				}
				got, _ := readAll(t, fout2, tc.spec)
				equalRows(t, got, transformRows(tc.want, tc.elem))
				outRows, _ = fileRows(t, out)
				for i := range inRows {
					if !rowsEqual(dropColumn(inRows[i], ci.Leaf), dropColumn(outRows[i], ci.Leaf)) {
						t.Fatalf("passthrough row %d differs", i)
					}
				}

				// output column: appended at the end, input column unchanged
				out = rewrite(t, in, tc.spec, WriterOptions{OutputColumn: "ctx", Compression: "none"}, transform)
				fout3, err := Open(out)
				if err != nil {
					t.Fatal(err)
				}
				defer fout3.Close()
				cols := fout3.Columns()
				if last := cols[len(cols)-1]; last.Name != "ctx" || last.Kind != ci.Kind || last.Elem != ci.Elem || last.ListFlavor != ci.ListFlavor || last.FixedSize != ci.FixedSize {
					t.Fatalf("output column %+v, value column %+v", last, ci)
				}
				orig, _ := readAll(t, fout3, tc.spec)
				equalRows(t, orig, tc.want)
				spec := tc.spec
				spec.Column = "ctx"
				got, _ = readAll(t, fout3, spec)
				equalRows(t, got, transformRows(tc.want, tc.elem))
				outRows, _ = fileRows(t, out)
				for i := range inRows {
					if !rowsEqual(inRows[i], dropColumn(outRows[i], fin.numLeaf)) {
						t.Fatalf("row %d differs with the output column dropped", i)
					}
				}
			})
		}
	}
}

func transformRows(rows [][]float64, typ ElemType) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, len(r))
		for j, x := range r {
			if typ == Float32 {
				out[i][j] = float64(2*float32(x) + 1)
			} else {
				out[i][j] = 2*x + 1
			}
		}
	}
	return out
}

type inner struct {
	A int64   `parquet:"a"`
	B *string `parquet:"b,optional"`
}

type richRow struct {
	ID        string    `parquet:"sequence_id"`
	TS        time.Time `parquet:"timestamp,timestamp(microsecond)"`
	Pos       int32     `parquet:"position"`
	Tags      []string  `parquet:"tags,list"`
	Meta      inner     `parquet:"meta"`
	Embedding []float32 `parquet:"embedding,list"`
	Opt       *int64    `parquet:"opt,optional"`
	Score     *float64  `parquet:"score,optional"`
	Z         string    `parquet:"a_first_alphabetically"`
}

// TestPassthrough writes a file with strings, timestamps, nested lists and
// structs and nulls around the value column and checks every other column
// comes back identical, in the same column order.
func TestPassthrough(t *testing.T) {
	var rows []richRow
	for i := 0; i < 200; i++ {
		r := richRow{ID: fmt.Sprint("seq-", i/9), TS: time.UnixMicro(int64(i) * 1_000_001).UTC(), Pos: int32(i % 9),
			Meta: inner{A: int64(-i)}, Embedding: vec32(i, 6), Z: "z"}
		for k := 0; k < i%3; k++ {
			r.Tags = append(r.Tags, fmt.Sprint("t", k))
		}
		if i%4 == 0 {
			s := fmt.Sprint("b", i)
			r.Meta.B = &s
			x := int64(i)
			r.Opt = &x
		}
		if i%5 != 0 {
			x := float64(i)
			r.Score = &x
		}
		rows = append(rows, r)
	}
	in := writeFile(t, t.TempDir(), "rich.parquet", rows, parquet.MaxRowsPerRowGroup(64),
		arrowSchemaKV(t, arrow.Field{Name: "embedding", Type: arrow.FixedSizeListOf(6, arrow.PrimitiveTypes.Float32)}),
		parquet.KeyValueMetadata("other", "kept"))
	inRows, inSchema := fileRows(t, in)
	for _, opts := range []WriterOptions{{}, {OutputColumn: "embedding_ctx"}} {
		out := rewrite(t, in, ReadSpec{Column: "embedding"}, opts, transform)
		outRows, outSchema := fileRows(t, out)
		f, err := Open(out)
		if err != nil {
			t.Fatal(err)
		}
		names := ""
		for _, c := range f.Columns() {
			names += c.Name + ","
		}
		want := "sequence_id,timestamp,position,tags,meta,embedding,opt,score,a_first_alphabetically,"
		if opts.OutputColumn != "" {
			want += "embedding_ctx,"
		} else if inSchema.String() != outSchema.String() {
			t.Fatalf("schema changed:\n%s\n%s", inSchema, outSchema)
		}
		if names != want {
			t.Fatalf("columns %s, want %s", names, want)
		}
		if f.Metadata()["other"] != "kept" {
			t.Fatal("metadata lost")
		}
		ci, _ := f.Column("embedding")
		if ci.ListFlavor != "fixed_size_list" || ci.FixedSize != 6 {
			t.Fatalf("embedding %+v", ci)
		}
		if opts.OutputColumn != "" {
			ci, _ = f.Column("embedding_ctx")
			if ci.ListFlavor != "fixed_size_list" || ci.FixedSize != 6 {
				t.Fatalf("ARROW:schema not extended: %+v", ci)
			}
			raw, _ := base64.StdEncoding.DecodeString(f.Metadata()["ARROW:schema"])
			s, err := decodeArrowSchema(raw)
			if err != nil || s.NumFields() != 2 {
				t.Fatalf("ARROW:schema %v %v", s, err)
			}
		}
		leaf := 0
		if c, ok := f.Column("embedding"); ok {
			leaf = c.Leaf
		}
		for i := range inRows {
			a := dropColumn(inRows[i], leaf)
			b := dropColumn(outRows[i], leaf)
			if opts.OutputColumn != "" {
				b = dropColumn(b, f.numLeaf-1)
			}
			if !rowsEqual(a, b) {
				t.Fatalf("row %d differs:\n%v\n%v", i, a, b)
			}
		}
		// the generic reader agrees on the passthrough columns
		var back []richRow
		if opts.OutputColumn == "" {
			fh, _ := os.Open(out)
			r := parquet.NewGenericReader[richRow](fh)
			back = make([]richRow, len(rows))
			n, _ := r.Read(back)
			back = back[:n]
			r.Close()
			fh.Close()
			for i := range rows {
				if back[i].ID != rows[i].ID || !back[i].TS.Equal(rows[i].TS) || fmt.Sprint(back[i].Tags) != fmt.Sprint(rows[i].Tags) ||
					back[i].Meta.A != rows[i].Meta.A || fmt.Sprint(back[i].Meta.B == nil) != fmt.Sprint(rows[i].Meta.B == nil) {
					t.Fatalf("row %d: %+v vs %+v", i, back[i], rows[i])
				}
				if back[i].Embedding[1] != 2*rows[i].Embedding[1]+1 {
					t.Fatalf("row %d embedding", i)
				}
			}
		}
		f.Close()
	}
}

func TestWriterNullsStayNull(t *testing.T) {
	// a NaN result where the input was null stays null; other values are written
	var rows []rowScalarF64Opt
	for i := 0; i < 20; i++ {
		x := float64(i)
		r := rowScalarF64Opt{ID: "a", Value: &x}
		if i%3 == 0 {
			r.Value = nil
		}
		rows = append(rows, r)
	}
	in := writeFile(t, t.TempDir(), "n.parquet", rows)
	out := rewrite(t, in, ReadSpec{Column: "value"}, WriterOptions{}, func(c ValueChunk) ValueChunk {
		c2 := transform(c)
		c2.Values.F64[3] = 42 // fill one gap
		return c2
	})
	f, _ := Open(out)
	defer f.Close()
	got, _ := readAll(t, f, ReadSpec{Column: "value"})
	for i, r := range got {
		want := 2*float64(i) + 1
		if i%3 == 0 {
			want = math.NaN()
		}
		if i == 3 {
			want = 42
		}
		if !sameFloat(r[0], want) {
			t.Fatalf("row %d: %v want %v", i, r[0], want)
		}
	}
	c, _ := f.ReadValues(0, ReadSpec{Column: "value"}, nil)
	if c.Nulls != 6 {
		t.Fatalf("Nulls = %d", c.Nulls)
	}
}

func TestWriterErrors(t *testing.T) {
	in := writeFile(t, t.TempDir(), "l.parquet", []rowListF32{{ID: "a", Embedding: vec32(0, 4)}, {ID: "b", Embedding: vec32(1, 4)}})
	f, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := NewWriter(&buf, f, WriterOptions{ValueColumn: "embedding", Compression: "brotli9"}); err == nil {
		t.Fatal("bad compression: want error")
	}
	if _, err := NewWriter(&buf, f, WriterOptions{ValueColumn: "nope"}); err == nil {
		t.Fatal("missing column: want error")
	}
	if _, err := NewWriter(&buf, f, WriterOptions{ValueColumn: "sequence_id"}); err == nil {
		t.Fatal("string value column: want error")
	}
	if _, err := NewWriter(&buf, f, WriterOptions{ValueColumn: "embedding", OutputColumn: "sequence_id"}); err == nil {
		t.Fatal("existing output column: want error")
	}
	w, err := NewWriter(&buf, f, WriterOptions{ValueColumn: "embedding"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.ReadValues(0, ReadSpec{Column: "embedding"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	short := c
	short.Values.F32 = c.Values.F32[:5]
	if err := w.WriteRowGroup(0, short); err == nil {
		t.Fatal("short values: want error")
	}
	wrong := c
	wrong.Type = Float64
	wrong.Values = Floats{F64: make([]float64, 8)}
	if err := w.WriteRowGroup(0, wrong); err == nil {
		t.Fatal("float64 values for a float32 column: want error")
	}
	fewer := c
	fewer.Rows = 1
	if err := w.WriteRowGroup(0, fewer); err == nil {
		t.Fatal("wrong row count: want error")
	}

	// offsets that shift values between rows (same total) are refused
	nested := writeFile(t, t.TempDir(), "n.parquet", []rowLoL{{ID: "a", Embedding: [][]float32{{1, 2}}}, {ID: "b", Embedding: [][]float32{{3, 4}, {5, 6}}}})
	fn, err := Open(nested)
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Close()
	for _, path := range []bool{false, true} {
		rowPath = path
		cn, err := fn.ReadValues(0, ReadSpec{Column: "embedding", Nesting: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		cn.Offsets = []int64{0, 2, 3}
		wn, err := NewWriter(&buf, fn, WriterOptions{ValueColumn: "embedding"})
		if err != nil {
			t.Fatal(err)
		}
		if err := wn.WriteRowGroup(0, cn); err == nil || !strings.Contains(err.Error(), "Offsets or D do not match") {
			t.Fatalf("shifted offsets (row path %v): %v", path, err)
		}
	}
	rowPath = false
}

// TestWritePathsAgree checks the column-by-column writer (used when row
// groups map one to one) and the row-by-row writer give the same rows.
func TestWritePathsAgree(t *testing.T) {
	for _, tc := range readCases() {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.write(t, t.TempDir(), parquet.DataPageVersion(1), parquet.PageBufferSize(200), parquet.MaxRowsPerRowGroup(90))
			for _, o := range []WriterOptions{{}, {OutputColumn: "ctx"}, {RowGroupRows: 37}, {RowGroupRows: 200, OutputColumn: "ctx"}} {
				colOut := rewrite(t, in, tc.spec, o, transform)
				rowPath = true
				rowOut := rewrite(t, in, tc.spec, o, transform)
				rowPath = false
				fa, _ := Open(colOut)
				fb, _ := Open(rowOut)
				ga, gb := fa.NumRowGroups(), fb.NumRowGroups()
				var sizes []int64
				for i := 0; i < ga; i++ {
					sizes = append(sizes, fa.RowGroupRows(i))
				}
				fa.Close()
				fb.Close()
				if ga != gb {
					t.Fatalf("%+v: %d row groups %v, row path %d", o, ga, sizes, gb)
				}
				a, sa := fileRows(t, colOut)
				b, sb := fileRows(t, rowOut)
				if sa.String() != sb.String() || len(a) != len(b) {
					t.Fatalf("schemas or row counts differ")
				}
				for i := range a {
					if !rowsEqual(a[i], b[i]) {
						t.Fatalf("row %d differs:\n%v\n%v", i, a[i], b[i])
					}
				}
			}
		})
	}
	_ = time.Now
}

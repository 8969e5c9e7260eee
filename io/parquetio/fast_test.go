package parquetio

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// nanHoles maps every value v to 2v+1 and turns every 5th value into NaN,
// so that null input slots get values and some stay null.
func nanHoles(c ValueChunk) ValueChunk {
	out := transform(c)
	if out.Type == Float32 {
		for i := range out.Values.F32 {
			if i%5 == 1 {
				out.Values.F32[i] = float32(math.NaN())
			}
		}
	} else {
		for i := range out.Values.F64 {
			if i%5 == 1 {
				out.Values.F64[i] = math.NaN()
			}
		}
	}
	return out
}

// sameOutput checks the fast writer's output reads back row-identical to
// the reference (column stream) writer's, and is deterministic.
func sameOutput(t *testing.T, in string, spec ReadSpec, o WriterOptions, fn func(ValueChunk) ValueChunk) {
	t.Helper()
	fast := rewrite(t, in, spec, o, fn)
	fast2 := rewrite(t, in, spec, o, fn)
	streamPath = true
	ref := rewrite(t, in, spec, o, fn)
	streamPath = false
	noRegular = true
	fast3 := rewrite(t, in, spec, o, fn)
	pageLevels = true
	fast4 := rewrite(t, in, spec, o, fn)
	noRegular, pageLevels = false, false
	ba, _ := os.ReadFile(fast)
	bb, _ := os.ReadFile(fast2)
	if !bytes.Equal(ba, bb) {
		t.Fatalf("%+v: output bytes differ between two runs", o)
	}
	if bc, _ := os.ReadFile(fast3); !bytes.Equal(ba, bc) {
		t.Fatalf("%+v: output bytes differ when the levels come with the values", o)
	}
	if bd, _ := os.ReadFile(fast4); !bytes.Equal(ba, bd) {
		t.Fatalf("%+v: output bytes differ when the levels are read from the input pages", o)
	}
	a, sa := fileRows(t, fast)
	b, sb := fileRows(t, ref)
	if sa.String() != sb.String() {
		t.Fatalf("%+v: schemas differ:\n%s\n%s", o, sa, sb)
	}
	if len(a) != len(b) {
		t.Fatalf("%+v: %d rows, reference %d", o, len(a), len(b))
	}
	for i := range a {
		if !rowsEqual(a[i], b[i]) {
			t.Fatalf("%+v: row %d differs:\n%v\n%v", o, i, a[i], b[i])
		}
	}
	fa, err := Open(fast)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	if fa.NumRowGroups() != fb.NumRowGroups() {
		t.Fatalf("%+v: %d row groups, reference %d", o, fa.NumRowGroups(), fb.NumRowGroups())
	}
	for rg := 0; rg < fa.NumRowGroups(); rg++ {
		if fa.RowGroupRows(rg) != fb.RowGroupRows(rg) {
			t.Fatalf("row group %d: %d rows, reference %d", rg, fa.RowGroupRows(rg), fb.RowGroupRows(rg))
		}
	}
	if len(fa.Metadata()) != len(fb.Metadata()) {
		t.Fatalf("metadata %v, reference %v", fa.Metadata(), fb.Metadata())
	}
	for k, v := range fb.Metadata() {
		if fa.Metadata()[k] != v {
			t.Fatalf("metadata %q: %q, reference %q", k, fa.Metadata()[k], v)
		}
	}
	// computed columns take --compression; passthrough chunks keep the
	// input's codec when the tool writes it too (keptCodec)
	want, _ := codecOf(o.Compression)
	inCodec := inputCodecs(t, in)
	for _, rg := range fa.pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			path := strings.Join(c.MetaData.PathInSchema, ".")
			w := want.CompressionCodec()
			valueCol := o.ValueColumn
			if valueCol == "" {
				valueCol = spec.Column
			}
			top := c.MetaData.PathInSchema[0]
			computed := top == o.OutputColumn || (o.OutputColumn == "" && top == valueCol)
			if ic, ok := inCodec[path]; ok && !computed && keptCodec(ic) {
				w = ic
			}
			if c.MetaData.Codec != w {
				t.Fatalf("%+v: column chunk %v compressed %v, want %v", o, c.MetaData.PathInSchema, c.MetaData.Codec, w)
			}
		}
	}
	if fa.CreatedBy() != fb.CreatedBy() {
		t.Fatalf("created_by %q, reference %q", fa.CreatedBy(), fb.CreatedBy())
	}
	// the value columns read back the same through ReadValues
	cols := []string{spec.Column}
	if o.OutputColumn != "" {
		cols = append(cols, o.OutputColumn)
	}
	for _, c := range cols {
		s := spec
		s.Column = c
		ga, ca := readAll(t, fa, s)
		gb, cb := readAll(t, fb, s)
		equalRows(t, ga, gb)
		for i := range ca {
			if ca[i].Nulls != cb[i].Nulls {
				t.Fatalf("column %q row group %d: %d nulls, reference %d", c, i, ca[i].Nulls, cb[i].Nulls)
			}
		}
	}
}

var fastOptions = []WriterOptions{
	{},
	{OutputColumn: "ctx"},
	{Compression: "snappy"},
	{Compression: "none", OutputColumn: "ctx"},
	{Compression: "gzip"},
	{Compression: "lz4", OutputColumn: "ctx"},
}

func TestFastWriterMatchesReference(t *testing.T) {
	identity := func(c ValueChunk) ValueChunk { return c }
	for _, tc := range readCases() {
		for vname, vopts := range variants() {
			t.Run(tc.name+"/"+vname, func(t *testing.T) {
				in := tc.write(t, t.TempDir(), vopts...)
				sameOutput(t, in, tc.spec, WriterOptions{}, identity)
				for _, o := range fastOptions {
					sameOutput(t, in, tc.spec, o, nanHoles)
				}
				if vname == "plain_v1_smallpg" || vname == "dict_v2_zstd" {
					fastPageBytes = 24 // pages of a few values: page cuts everywhere
					defer func() { fastPageBytes = 1 << 20 }()
					sameOutput(t, in, tc.spec, WriterOptions{}, transform)
					sameOutput(t, in, tc.spec, WriterOptions{OutputColumn: "ctx"}, nanHoles)
				}
			})
		}
	}
}

func TestFastWriterInterop(t *testing.T) {
	n := 0
	for _, e := range interopFiles(t) {
		if e.Error != nil {
			continue
		}
		t.Run(e.File, func(t *testing.T) {
			path := filepath.Join(interopDir, e.File)
			spec := ReadSpec{Column: e.ValueColumn}
			if e.Layout == "nested" {
				spec.Nesting = 1
			}
			sameOutput(t, path, spec, WriterOptions{}, func(c ValueChunk) ValueChunk { return c })
			var widen ElemType // 2v+1 overflows float16 (the series holds ±65504): write float32
			if e.Type == "float16" {
				widen = Float32
			}
			for _, o := range fastOptions {
				o.OutputType = widen
				sameOutput(t, path, spec, o, nanHoles)
			}
			// passthrough column chunks are the input's bytes
			fin, _ := Open(path)
			defer fin.Close()
			if fin.NumRowGroups() == 0 {
				return
			}
			names := map[format.CompressionCodec]string{format.Uncompressed: "none", format.Snappy: "snappy", format.Gzip: "gzip", format.Zstd: "zstd"}
			name, ok := names[fin.pf.Metadata().RowGroups[0].Columns[0].MetaData.Codec]
			if !ok {
				return
			}
			out := rewrite(t, path, spec, WriterOptions{OutputColumn: "ctx", Compression: name, OutputType: widen}, transform)
			fout, err := Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer fout.Close()
			for rg := 0; rg < fin.NumRowGroups(); rg++ {
				for leaf := 0; leaf < fin.numLeaf; leaf++ {
					a := chunkBytes(t, fin, rg, leaf)
					b := chunkBytes(t, fout, rg, leaf)
					if !bytes.Equal(a, b) {
						t.Fatalf("row group %d leaf %d: chunk bytes changed", rg, leaf)
					}
				}
			}
			n++
		})
	}
	if n == 0 {
		t.Fatal("no interop fixture checked")
	}
}

func chunkBytes(t *testing.T, f *File, rg, leaf int) []byte {
	t.Helper()
	cm := f.pf.Metadata().RowGroups[rg].Columns[leaf].MetaData
	start := cm.DataPageOffset
	if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < start {
		start = cm.DictionaryPageOffset
	}
	b := make([]byte, cm.TotalCompressedSize)
	if _, err := f.osf.ReadAt(b, start); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFastWriterEmpty writes a file with no rows.
func TestFastWriterEmpty(t *testing.T) {
	in := writeFile(t, t.TempDir(), "e.parquet", []rowListF32{})
	sameOutput(t, in, ReadSpec{Column: "embedding"}, WriterOptions{}, transform)
	_ = parquet.ErrCorrupted
}

// sameRead compares ReadValues with the row walk and level by level.
func sameRead(t *testing.T, path string, spec ReadSpec) {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		a, errA := f.ReadValues(rg, spec, nil)
		slowLevels = true
		b, errB := f.ReadValues(rg, spec, nil)
		slowLevels = false
		if fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Fatalf("%s rg %d: error %v, level by level %v", path, rg, errA, errB)
		}
		if errA != nil {
			continue
		}
		if a.Rows != b.Rows || a.D != b.D || a.Nulls != b.Nulls || fmt.Sprint(a.Offsets) != fmt.Sprint(b.Offsets) || a.Values.Len() != b.Values.Len() {
			t.Fatalf("%s rg %d: chunks differ", path, rg)
		}
		for r := 0; r < a.Rows; r++ {
			equalRows(t, [][]float64{rowValues(a, r)}, [][]float64{rowValues(b, r)})
		}
	}
}

func TestReadValuesRowWalk(t *testing.T) {
	for _, tc := range readCases() {
		for _, vopts := range variants() {
			in := tc.write(t, t.TempDir(), vopts...)
			sameRead(t, in, tc.spec)
		}
	}
	for _, e := range interopFiles(t) {
		sameRead(t, filepath.Join(interopDir, e.File), e.spec())
	}
	dir := t.TempDir()
	for i, tc := range []struct{ lens, cuts []int }{
		{[]int{4, 4, 4, 4, 4, 4, 4}, []int{6, 13, 14, 22}},
		{[]int{4, 4, 5, 4}, []int{10}},
		{[]int{4, 3, 4}, []int{2}},
		{[]int{4, 4, 4}, []int{4, 8}},
	} {
		path := filepath.Join(dir, fmt.Sprint("span", i, ".parquet"))
		writeSpanningFile(t, path, tc.lens, tc.cuts)
		sameRead(t, path, ReadSpec{Column: "embedding"})
		sameRead(t, path, ReadSpec{Column: "embedding", D: 3})
	}
}

// TestFastWriterLevelWindows: the fast writer reads the input's levels
// (nested lists, optional scalars) in windows, from the segments
// (segLevelReader) or the input's pages (levelPages); a row, a page and a
// segment may end anywhere in one, and the output bytes are the same as
// with whole pages' levels, either way.
func TestFastWriterLevelWindows(t *testing.T) {
	defer func(w int, s int64) { levelWindow, streamPageBytes = w, s }(levelWindow, streamPageBytes)
	for _, e := range interopFiles(t) {
		if e.Error != nil {
			continue
		}
		t.Run(e.File, func(t *testing.T) {
			path := filepath.Join(interopDir, e.File)
			spec := ReadSpec{Column: e.ValueColumn}
			if e.Layout == "nested" {
				spec.Nesting = 1
			}
			fn := nanHoles
			if e.Type == "float16" { // 2v+1 overflows float16
				fn = func(c ValueChunk) ValueChunk { return c }
			}
			levelWindow, streamPageBytes = streamWindow, 8<<20
			noRegular = true
			defer func() { noRegular = false }()
			want, _ := os.ReadFile(rewrite(t, path, spec, WriterOptions{}, fn))
			defer func() { pageLevels = false }()
			for _, w := range []int{1, 3, 7, 64} {
				for _, pageLevels = range []bool{false, true} {
					levelWindow, streamPageBytes = w, 256
					got, _ := os.ReadFile(rewrite(t, path, spec, WriterOptions{}, fn))
					if !bytes.Equal(got, want) {
						t.Fatalf("window %d, levels from the input pages %v: output bytes differ", w, pageLevels)
					}
				}
			}
		})
	}
}

// inputCodecs maps the leaf paths of in to the codec of their chunks in
// its first row group.
func inputCodecs(t *testing.T, in string) map[string]format.CompressionCodec {
	t.Helper()
	f, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]format.CompressionCodec{}
	if rgs := f.pf.Metadata().RowGroups; len(rgs) > 0 {
		for _, c := range rgs[0].Columns {
			m[strings.Join(c.MetaData.PathInSchema, ".")] = c.MetaData.Codec
		}
	}
	return m
}

// TestFastWriterRowStartsWithoutOffsets: values without Offsets whose D
// is not the column's shift every row after the first (and end the first
// elsewhere); the fast writer, which checks where rows 0 and 1 start only
// when there are no Offsets, refuses them naming row 1, whatever the
// number of rows.
func TestFastWriterRowStartsWithoutOffsets(t *testing.T) {
	type flat struct {
		ID    string  `parquet:"sequence_id"`
		Value float64 `parquet:"value"`
	}
	rows := make([]flat, 64)
	for i := range rows {
		rows[i] = flat{ID: "a", Value: float64(i)}
	}
	in := writeFile(t, t.TempDir(), "in.parquet", rows)
	f, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{1, 2, 64} {
		w, err := NewWriter(io.Discard, f, WriterOptions{ValueColumn: "value"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.BeginRowGroup(0); err != nil {
			t.Fatal(err)
		}
		seg := ValueChunk{Rows: n, D: 2, Type: Float64, Values: Floats{F64: make([]float64, n)}}
		err = w.WriteSegment(seg)
		if err == nil || !strings.Contains(err.Error(), "row 1 starts at value 1 of the column, at value 2 of the values") {
			t.Fatalf("%d rows of d=2 into a flat column: got %v, want row 1 refused", n, err)
		}
	}
}

package parquetio

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

const testD = 4

type rowScalarF32 struct {
	ID    string  `parquet:"sequence_id"`
	Pos   int64   `parquet:"position"`
	Value float32 `parquet:"value"`
}

type rowScalarF64Opt struct {
	ID    string   `parquet:"sequence_id,optional"`
	Value *float64 `parquet:"value,optional"`
}

type rowListF32 struct {
	ID        string    `parquet:"sequence_id"`
	Embedding []float32 `parquet:"embedding,list"`
}

type rowListF64Opt struct {
	Embedding []float64 `parquet:"embedding,optional,list"`
	ID        int64     `parquet:"id"`
}

type rowLegacy struct {
	Embedding []float32 `parquet:"embedding"`
}

type rowFLBA struct {
	ID        int32    `parquet:"id"`
	Embedding [16]byte `parquet:"embedding"`
}

type rowLoL struct {
	ID        string      `parquet:"sequence_id"`
	Embedding [][]float32 `parquet:"embedding,list"`
}

type rowSeries struct {
	ID    string    `parquet:"series_id"`
	Value []float64 `parquet:"value,list"`
}

const nRows = 300

func vec32(i, d int) []float32 {
	v := make([]float32, d)
	for j := range v {
		v[j] = float32(val(i, j))
	}
	return v
}

func vec64(i, d int) []float64 {
	v := make([]float64, d)
	for j := range v {
		v[j] = val(i, j)
	}
	return v
}

// readCase is one fixture: a writer of a file and the values expected from it.
type readCase struct {
	name      string
	write     func(t *testing.T, dir string, opts ...parquet.WriterOption) string
	spec      ReadSpec
	want      [][]float64
	kind      Kind
	elem      ElemType
	flavor    string
	fixedSize int
	wantD     int
}

func readCases() []readCase {
	var (
		scalar, vectors, lol, series, opt [][]float64
		rsF32                             []rowScalarF32
		rsF64                             []rowScalarF64Opt
		rl                                []rowListF32
		rlo                               []rowListF64Opt
		rleg                              []rowLegacy
		rfl                               []rowFLBA
		rlol                              []rowLoL
		rser                              []rowSeries
	)
	for i := 0; i < nRows; i++ {
		scalar = append(scalar, []float64{float64(float32(val(i, 0)))})
		rsF32 = append(rsF32, rowScalarF32{ID: fmt.Sprint(i / 7), Pos: int64(i % 7), Value: float32(val(i, 0))})
		x := val(i, 1)
		r64 := rowScalarF64Opt{ID: fmt.Sprint(i / 7), Value: &x}
		if i%11 == 3 {
			r64.Value = nil
			opt = append(opt, []float64{math.NaN()})
		} else {
			opt = append(opt, []float64{x})
		}
		rsF64 = append(rsF64, r64)
		vectors = append(vectors, vec64(i, testD))
		rl = append(rl, rowListF32{ID: fmt.Sprint(i / 5), Embedding: vec32(i, testD)})
		rlo = append(rlo, rowListF64Opt{Embedding: vec64(i, testD), ID: int64(i)})
		rleg = append(rleg, rowLegacy{Embedding: vec32(i, testD)})
		rfl = append(rfl, rowFLBA{ID: int32(i), Embedding: f32bytes(vec32(i, testD))})
		n := i % 4 // 0..3 vectors per sequence (empty sequences included)
		var seq [][]float32
		var flat []float64
		for k := 0; k < n; k++ {
			seq = append(seq, vec32(i*4+k, testD))
			flat = append(flat, vec64(i*4+k, testD)...)
		}
		rlol = append(rlol, rowLoL{ID: fmt.Sprint(i), Embedding: seq})
		lol = append(lol, flat)
		m := i % 6
		s := make([]float64, m)
		for k := range s {
			s[k] = val(i, k)
		}
		rser = append(rser, rowSeries{ID: fmt.Sprint(i), Value: s})
		series = append(series, s)
	}
	// float32 values exactly
	for _, v := range vectors {
		_ = v
	}
	vectors32 := make([][]float64, len(vectors))
	for i := range vectors {
		for _, x := range vectors[i] {
			vectors32[i] = append(vectors32[i], float64(float32(x)))
		}
	}
	lol32 := lol
	for i := range lol32 {
		for k := range lol32[i] {
			lol32[i][k] = float64(float32(lol32[i][k]))
		}
	}
	return []readCase{
		{name: "scalar_f32", spec: ReadSpec{Column: "value"}, want: scalar, kind: Scalar, elem: Float32, wantD: 1,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				return writeFile(t, dir, "s.parquet", rsF32, o...)
			}},
		{name: "scalar_f64_optional_nulls", spec: ReadSpec{Column: "value"}, want: opt, kind: Scalar, elem: Float64, wantD: 1,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				return writeFile(t, dir, "s64.parquet", rsF64, o...)
			}},
		{name: "list_f32", spec: ReadSpec{Column: "embedding"}, want: vectors32, kind: List, elem: Float32, flavor: "list", wantD: testD,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				return writeFile(t, dir, "l.parquet", rl, o...)
			}},
		{name: "list_f64_optional", spec: ReadSpec{Column: "embedding", D: testD}, want: vectors, kind: List, elem: Float64, flavor: "list", wantD: testD,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				return writeFile(t, dir, "lo.parquet", rlo, o...)
			}},
		{name: "legacy_2level", spec: ReadSpec{Column: "embedding"}, want: vectors32, kind: List, elem: Float32, flavor: "legacy", wantD: testD,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				return writeFile(t, dir, "leg.parquet", rleg, o...)
			}},
		{name: "flba", spec: ReadSpec{Column: "embedding"}, want: vectors32, kind: List, elem: Float32, flavor: "flba", fixedSize: testD, wantD: testD,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				return writeFile(t, dir, "flba.parquet", rfl, o...)
			}},
		{name: "fixed_size_list_arrow_schema", spec: ReadSpec{Column: "embedding"}, want: vectors32, kind: List, elem: Float32, flavor: "fixed_size_list", fixedSize: testD, wantD: testD,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				o = append(o, arrowSchemaKV(t,
					arrow.Field{Name: "sequence_id", Type: arrow.BinaryTypes.String},
					arrow.Field{Name: "embedding", Type: arrow.FixedSizeListOf(testD, arrow.PrimitiveTypes.Float32)}))
				return writeFile(t, dir, "fsl.parquet", rl, o...)
			}},
		{name: "list_of_list", spec: ReadSpec{Column: "embedding", Nesting: 1}, want: lol32, kind: ListOfList, elem: Float32, flavor: "list", wantD: testD,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				return writeFile(t, dir, "lol.parquet", rlol, o...)
			}},
		{name: "nested_series", spec: ReadSpec{Column: "value", Nesting: 1}, want: series, kind: List, elem: Float64, flavor: "list", wantD: 1,
			write: func(t *testing.T, dir string, o ...parquet.WriterOption) string {
				return writeFile(t, dir, "ser.parquet", rser, o...)
			}},
	}
}

// variants are the writer settings every case is read under.
func variants() map[string][]parquet.WriterOption {
	return map[string][]parquet.WriterOption{
		"plain_v2":         {parquet.MaxRowsPerRowGroup(128)},
		"plain_v1_smallpg": {parquet.DataPageVersion(1), parquet.PageBufferSize(256), parquet.MaxRowsPerRowGroup(128)},
		"dict_v1": {parquet.DataPageVersion(1), parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary),
			parquet.DefaultEncodingFor(parquet.Double, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.FixedLenByteArray, &parquet.RLEDictionary),
			parquet.PageBufferSize(512), parquet.Compression(&parquet.Snappy)},
		"dict_v2_zstd": {parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary),
			parquet.DefaultEncodingFor(parquet.Double, &parquet.RLEDictionary), parquet.Compression(&parquet.Zstd), parquet.MaxRowsPerRowGroup(100)},
		"bss_v2": {parquet.DefaultEncodingFor(parquet.Float, &parquet.ByteStreamSplit),
			parquet.DefaultEncodingFor(parquet.Double, &parquet.ByteStreamSplit), parquet.PageBufferSize(300), parquet.Compression(&parquet.Gzip)},
		"bss_v1": {parquet.DataPageVersion(1), parquet.DefaultEncodingFor(parquet.Float, &parquet.ByteStreamSplit),
			parquet.DefaultEncodingFor(parquet.Double, &parquet.ByteStreamSplit), parquet.MaxRowsPerRowGroup(77)},
	}
}

func TestReadValues(t *testing.T) {
	for _, tc := range readCases() {
		for vname, vopts := range variants() {
			t.Run(tc.name+"/"+vname, func(t *testing.T) {
				path := tc.write(t, t.TempDir(), vopts...)
				f, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				ci, ok := f.Column(tc.spec.Column)
				if !ok {
					t.Fatalf("no column %q in %v", tc.spec.Column, f.Columns())
				}
				if ci.Kind != tc.kind || ci.Elem != tc.elem || ci.ListFlavor != tc.flavor || ci.FixedSize != tc.fixedSize {
					t.Fatalf("ColumnInfo %+v, want kind %v elem %v flavor %q fixed %d", ci, tc.kind, tc.elem, tc.flavor, tc.fixedSize)
				}
				got, chunks := readAll(t, f, tc.spec)
				equalRows(t, got, tc.want)
				for _, c := range chunks {
					if c.D != tc.wantD && c.Elems() > 0 {
						t.Fatalf("D = %d, want %d", c.D, tc.wantD)
					}
					if c.Type != tc.elem {
						t.Fatalf("Type = %v", c.Type)
					}
					checkArray(t, c)
				}
				// Reuse: a second pass with one slab gives the same values.
				var reuse Floats
				var got2 [][]float64
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					c, err := f.ReadValues(rg, tc.spec, &reuse)
					if err != nil {
						t.Fatal(err)
					}
					for r := 0; r < c.Rows; r++ {
						got2 = append(got2, rowValues(c, r))
					}
				}
				equalRows(t, got2, tc.want)
			})
		}
	}
}

// checkArray checks that Array() wraps the slab with the right type and length.
func checkArray(t *testing.T, c ValueChunk) {
	t.Helper()
	a := c.Array()
	defer a.Release()
	if a.Len() != c.Rows && c.Offsets != nil {
		t.Fatalf("Array len %d, rows %d", a.Len(), c.Rows)
	}
	if c.Offsets == nil && a.Len() != c.Elems() {
		t.Fatalf("Array len %d, elems %d", a.Len(), c.Elems())
	}
	var inner arrow.Array = a
	if l, ok := a.(*array.List); ok {
		inner = l.ListValues()
		off := l.Offsets()
		for r := range c.Offsets {
			if int64(off[r]) != c.Offsets[r] {
				t.Fatalf("list offsets differ at %d", r)
			}
		}
	}
	if fsl, ok := inner.(*array.FixedSizeList); ok {
		if fsl.DataType().(*arrow.FixedSizeListType).Len() != int32(c.D) {
			t.Fatalf("fixed size %v, D %d", fsl.DataType(), c.D)
		}
		inner = fsl.ListValues()
	}
	switch v := inner.(type) {
	case *array.Float32:
		if c.Values.Len() > 0 && &v.Float32Values()[0] != &c.Values.F32[0] {
			t.Fatalf("Array copied the slab")
		}
	case *array.Float64:
		if c.Values.Len() > 0 && &v.Float64Values()[0] != &c.Values.F64[0] {
			t.Fatalf("Array copied the slab")
		}
	default:
		t.Fatalf("unexpected inner array %T", inner)
	}
}

func TestReadColumnAndList(t *testing.T) {
	dir := t.TempDir()
	type row struct {
		ID    string      `parquet:"sequence_id,optional"`
		Pos   int32       `parquet:"position"`
		TS    int64       `parquet:"timestamp,timestamp(microsecond)"`
		Times []time.Time `parquet:"times,list"`
		Value []float64   `parquet:"value,list"`
		Flag  bool        `parquet:"flag"`
		Blob  []byte      `parquet:"blob"`
	}
	var rows []row
	for i := 0; i < 50; i++ {
		r := row{ID: fmt.Sprint("s", i/10), Pos: int32(i), TS: int64(i) * 1000, Flag: i%2 == 0, Blob: []byte{byte(i)}}
		for k := 0; k < i%3; k++ {
			r.Times = append(r.Times, time.UnixMilli(int64(i*100+k)))
			r.Value = append(r.Value, float64(k))
		}
		rows = append(rows, r)
	}
	path := writeFile(t, dir, "k.parquet", rows, parquet.MaxRowsPerRowGroup(20), parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.NumRowGroups() != 3 || f.NumRows() != 50 || f.RowGroupFirstRow(2) != 40 || f.RowGroupRows(2) != 10 {
		t.Fatalf("row groups: %d rows %d", f.NumRowGroups(), f.NumRows())
	}
	ci, _ := f.Column("timestamp")
	if ci.Elem != Timestamp || ci.TimeUnit != "us" || ci.Kind != Scalar {
		t.Fatalf("timestamp info %+v", ci)
	}
	ci, _ = f.Column("times")
	if ci.Elem != Timestamp || ci.TimeUnit != "ns" || ci.Kind != List {
		t.Fatalf("times info %+v", ci)
	}
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		first := int(f.RowGroupFirstRow(rg))
		a, err := f.ReadColumn(rg, "sequence_id")
		if err != nil {
			t.Fatal(err)
		}
		s := a.(*array.String)
		for i := 0; i < s.Len(); i++ {
			if s.Value(i) != rows[first+i].ID {
				t.Fatalf("sequence_id %d: %q", i, s.Value(i))
			}
		}
		a.Release()
		a, err = f.ReadColumn(rg, "timestamp")
		if err != nil {
			t.Fatal(err)
		}
		ts := a.(*array.Timestamp)
		if ts.DataType().(*arrow.TimestampType).Unit != arrow.Microsecond || int64(ts.Value(3)) != rows[first+3].TS {
			t.Fatalf("timestamp %v", ts)
		}
		a.Release()
		a, err = f.ReadColumn(rg, "position")
		if err != nil {
			t.Fatal(err)
		}
		if a.(*array.Int32).Value(5) != rows[first+5].Pos {
			t.Fatal("position")
		}
		a.Release()
		for _, name := range []string{"flag", "blob"} {
			a, err = f.ReadColumn(rg, name)
			if err != nil {
				t.Fatal(err)
			}
			if a.Len() != int(f.RowGroupRows(rg)) {
				t.Fatal(name)
			}
			a.Release()
		}
		vals, offs, err := f.ReadListInt64(rg, "times")
		if err != nil {
			t.Fatal(err)
		}
		if len(offs) != int(f.RowGroupRows(rg))+1 {
			t.Fatalf("offsets %v", offs)
		}
		for r := 0; r < int(f.RowGroupRows(rg)); r++ {
			got := vals[offs[r]:offs[r+1]]
			var want []int64
			for _, x := range rows[first+r].Times {
				want = append(want, x.UnixNano())
			}
			if fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("times row %d: %v want %v", r, got, want)
			}
		}
	}
	if _, err := f.ReadColumn(0, "value"); err == nil {
		t.Fatal("ReadColumn of a list: want error")
	}
	if _, _, err := f.ReadListInt64(0, "sequence_id"); err == nil {
		t.Fatal("ReadListInt64 of a string: want error")
	}
	if _, err := f.ReadColumn(0, "nope"); err == nil {
		t.Fatal("missing column: want error")
	}
}

// TestConcurrentReads reads all row groups from several goroutines at once
// (run with -race).
func TestConcurrentReads(t *testing.T) {
	tc := readCases()[2] // list_f32
	path := tc.write(t, t.TempDir(), parquet.MaxRowsPerRowGroup(40))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			var reuse Floats
			for k := 0; k < f.NumRowGroups(); k++ {
				rg := (k + g) % f.NumRowGroups()
				c, err := f.ReadValues(rg, tc.spec, &reuse)
				if err != nil {
					errs <- err
					return
				}
				for r := 0; r < c.Rows; r++ {
					got := rowValues(c, r)
					want := tc.want[int(c.FirstRow)+r]
					for i := range want {
						if got[i] != want[i] {
							errs <- fmt.Errorf("rg %d row %d differs", rg, r)
							return
						}
					}
				}
				a, err := f.ReadColumn(rg, "sequence_id")
				if err != nil {
					errs <- err
					return
				}
				a.Release()
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// appendDictValues gathers dictionary values after what the buffer holds,
// and at an index outside the dictionary leaves the buffer as it was and
// names the index's position (valueReader.appendPage's check).
func TestAppendDictValues(t *testing.T) {
	dict := []float64{0.5, -1, 8}
	for _, tc := range []struct {
		name string
		idx  []int32
		want []float64
		bad  int32
	}{
		{"every entry", []int32{2, 0, 1, 1}, []float64{7, 8, 0.5, -1, -1}, -1},
		{"none", nil, []float64{7}, -1},
		{"past the end", []int32{0, 3, 1}, []float64{7}, 1},
		{"negative", []int32{-1}, []float64{7}, 0},
	} {
		got, bad := appendDictValues([]float64{7}, dict, tc.idx)
		if bad != tc.bad || !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, bad at %d; want %v, bad at %d", tc.name, got, bad, tc.want, tc.bad)
		}
	}
	f32, bad := appendDictValues(nil, []float32{3}, []int32{0, 0})
	if bad != -1 || !slices.Equal(f32, []float32{3, 3}) {
		t.Errorf("float32: got %v, bad at %d", f32, bad)
	}
}

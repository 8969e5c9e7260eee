package parquetio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.parquet", []rowListF32{{ID: "a", Embedding: vec32(0, 4)}, {ID: "b", Embedding: vec32(1, 4)}})
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"garbage.parquet":     []byte(strings.Repeat("this is not parquet ", 20)),
		"empty.parquet":       nil,
		"truncated.parquet":   raw[:len(raw)-20],
		"half.parquet":        raw[:len(raw)/2],
		"nofooter.parquet":    append(append([]byte{}, raw[:len(raw)-8]...), 'X', 'X', 'X', 'X', 'P', 'A', 'R', '1'),
		"magic_only.parquet":  []byte("PAR1PAR1"),
		"bad_footer.parquet":  append([]byte("PAR1garbagegarbage"), 10, 0, 0, 0, 'P', 'A', 'R', '1'),
		"huge_footer.parquet": append([]byte("PAR1garbagegarbage"), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(p)
			if err == nil {
				f.Close()
				t.Fatal("want error")
			}
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error %q does not name the file", err)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "absent.parquet")); err == nil || !strings.Contains(err.Error(), "absent.parquet") {
		t.Fatalf("absent file: %v", err)
	}
}

func TestValueErrors(t *testing.T) {
	dir := t.TempDir()
	var rows []rowListF64Opt
	for i := 0; i < 40; i++ {
		rows = append(rows, rowListF64Opt{Embedding: vec64(i, 4), ID: int64(i)})
	}
	ragged := append([]rowListF64Opt(nil), rows...)
	ragged[33].Embedding = vec64(33, 3)
	raggedPath := writeFile(t, dir, "ragged.parquet", ragged, parquet.MaxRowsPerRowGroup(10))
	null := append([]rowListF64Opt(nil), rows...)
	null[25].Embedding = nil
	nullPath := writeFile(t, dir, "null.parquet", null, parquet.MaxRowsPerRowGroup(10))
	empty := append([]rowListF32(nil), rowListF32{Embedding: vec32(0, 4)}, rowListF32{Embedding: []float32{}})
	emptyPath := writeFile(t, dir, "empty.parquet", empty)
	type nullElem struct {
		E []*float32 `parquet:"embedding,list"`
	}
	one := float32(1)
	nullElemPath := writeFile(t, dir, "nullelem.parquet", []nullElem{{E: []*float32{&one, &one}}, {E: []*float32{&one, nil}}})
	type ints struct {
		V int64 `parquet:"embedding"`
	}
	intPath := writeFile(t, dir, "ints.parquet", []ints{{1}, {2}})
	type odd struct {
		V [6]byte `parquet:"embedding"`
	}
	oddPath := writeFile(t, dir, "odd.parquet", []odd{{}})
	type nestedNull struct {
		E [][]float32 `parquet:"embedding,optional,list"`
	}
	nestedNullPath := writeFile(t, dir, "nestednull.parquet", []nestedNull{{E: [][]float32{{1, 2}}}, {E: nil}})
	nestedEmptyVecPath := writeFile(t, dir, "nestedemptyvec.parquet", []rowLoL{{Embedding: [][]float32{{1, 2}}}, {Embedding: [][]float32{{1, 2}, {}}}})
	nestedRaggedPath := writeFile(t, dir, "nestedragged.parquet", []rowLoL{{Embedding: [][]float32{{1, 2}}}, {Embedding: [][]float32{{1, 2}, {3, 4, 5}}}})
	seriesNullPath := writeFile(t, dir, "seriesnull.parquet", []nestedNull{{E: [][]float32{{1, 2}}}})

	type tc struct {
		name    string
		path    string
		spec    ReadSpec
		rg      int
		wantRG  int
		wantRow int64
		frags   []string
	}
	for _, c := range []tc{
		{"ragged", raggedPath, ReadSpec{Column: "embedding"}, 3, 3, 33, []string{"row group 3, row 33", `column "embedding"`, "expected a vector of 4 float64 values, found 3"}},
		{"ragged_given_d", raggedPath, ReadSpec{Column: "embedding", D: 5}, 0, 0, 0, []string{"expected a vector of 5 float64 values, found 4"}},
		{"null_vector", nullPath, ReadSpec{Column: "embedding"}, 2, 2, 25, []string{"row group 2, row 25", "found null"}},
		{"empty_vector", emptyPath, ReadSpec{Column: "embedding"}, 0, 0, 1, []string{"expected a vector of 4 float32 values, found an empty list"}},
		{"null_element", nullElemPath, ReadSpec{Column: "embedding"}, 0, 0, 1, []string{"expected a float32 value, found null"}},
		{"int_column", intPath, ReadSpec{Column: "embedding"}, 0, -1, -1, []string{"expected FLOAT, DOUBLE or FLOAT16 values, found INT64"}},
		{"flba_not_mult_4", oddPath, ReadSpec{Column: "embedding"}, 0, -1, -1, []string{"not a multiple of 4"}},
		{"missing", raggedPath, ReadSpec{Column: "vectors"}, 0, -1, -1, []string{`expected a column named "vectors", found columns embedding, id`}},
		{"nested_null_outer", nestedNullPath, ReadSpec{Column: "embedding", Nesting: 1}, 0, 0, 1, []string{"found null"}},
		{"nested_empty_vector", nestedEmptyVecPath, ReadSpec{Column: "embedding", Nesting: 1}, 0, 0, 1, []string{"found an empty list"}},
		{"nested_ragged", nestedRaggedPath, ReadSpec{Column: "embedding", Nesting: 1}, 0, 0, 1, []string{"expected a vector of 2 float32 values, found 3"}},
		{"lol_as_long", seriesNullPath, ReadSpec{Column: "embedding"}, 0, -1, -1, []string{"expected a scalar or vector"}},
		{"list_as_nested_vectors", raggedPath, ReadSpec{Column: "embedding", Nesting: 1, D: 4}, 0, -1, -1, []string{"list of scalars"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := Open(c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = f.ReadValues(c.rg, c.spec, nil)
			wantDataError(t, err, c.path, c.wantRG, c.wantRow, c.spec.Column, c.frags...)
			t.Log(err)
		})
	}

	// the empty outer list of a nested sequence is fine
	p := writeFile(t, dir, "nestedempty.parquet", []rowLoL{{Embedding: [][]float32{}}, {Embedding: [][]float32{{1, 2}}}})
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := f.ReadValues(0, ReadSpec{Column: "embedding", Nesting: 1}, nil)
	if err != nil || c.Elems() != 1 || c.Offsets[1] != 0 || c.D != 2 {
		t.Fatalf("empty sequence: %+v %v", c, err)
	}
	// strict nulls
	var s []rowScalarF64Opt
	for i := 0; i < 5; i++ {
		x := float64(i)
		s = append(s, rowScalarF64Opt{Value: &x})
	}
	s[2].Value = nil
	p = writeFile(t, dir, "strict.parquet", s)
	f2, _ := Open(p)
	defer f2.Close()
	_, err = f2.ReadValues(0, ReadSpec{Column: "value", StrictNulls: true}, nil)
	wantDataError(t, err, p, 0, 2, "value", "expected a float64 value, found null")
	if _, err := f2.ReadValues(5, ReadSpec{Column: "value"}, nil); err == nil {
		t.Fatal("row group out of range: want error")
	}
}

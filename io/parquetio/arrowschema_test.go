package parquetio

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// arrowSchemaOf returns the decoded ARROW:schema of a fixture.
func arrowSchemaOf(t testing.TB, path string) []byte {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := base64.StdEncoding.DecodeString(f.Metadata()["ARROW:schema"])
	if err != nil || len(raw) == 0 {
		t.Fatalf("%s: no ARROW:schema (%v)", path, err)
	}
	return raw
}

var arrowFixtures = []string{
	"arrowgo_fixed_size_list_f32.parquet", "arrowgo_large_list_f64.parquet", "arrowgo_nested_list_of_list_f32.parquet",
}

// TestArrowSchemaEveryByteChanged changes every byte of real ARROW:schema
// values (arrow-go's) to several values: decoding must fail or succeed
// without a panic and without allocating more than a few MB. Before the
// verifier, one such change made arrow-go allocate 35 GB and the process
// die with "fatal error: runtime: out of memory".
func TestArrowSchemaEveryByteChanged(t *testing.T) {
	for _, name := range arrowFixtures {
		raw := arrowSchemaOf(t, filepath.Join("..", "..", "testdata", "interop", name))
		if _, err := arrowSchemaFields(base64.StdEncoding.EncodeToString(raw)); err != nil {
			t.Fatalf("%s: the intact schema does not decode: %v", name, err)
		}
		rejected := 0
		for i := range raw {
			for _, v := range []byte{0x00, 0x01, 0x7f, 0x80, 0xff, raw[i] ^ 0x40} {
				m := bytes.Clone(raw)
				m[i] = v
				var err error
				n := allocated(func() { _, err = arrowSchemaFields(base64.StdEncoding.EncodeToString(m)) })
				if n > 8<<20 {
					t.Fatalf("%s: byte %d set to %#x: decoding allocated %d bytes", name, i, v, n)
				}
				if err != nil {
					rejected++
				}
			}
		}
		if rejected == 0 {
			t.Errorf("%s: no change was rejected", name)
		}
	}
}

// TestBadArrowSchemaFallsBack: a file whose ARROW:schema is corrupt opens
// with a warning naming the file, reads its vectors from the Parquet
// schema, and is written without the bad metadata.
func TestBadArrowSchemaFallsBack(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "interop", "arrowgo_large_list_f64.parquet")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	raw := arrowSchemaOf(t, src)
	enc := base64.StdEncoding.EncodeToString(raw)
	k := bytes.Index(b, []byte(enc))
	if k < 0 {
		t.Fatal("ARROW:schema text not found in the footer")
	}
	// the first field's children vector claims 2^31-1 elements
	bad := bytes.Clone(raw)
	binary.LittleEndian.PutUint32(bad[len(bad)-4:], 0x7fffffff)
	for i := 8; i+4 <= len(bad); i += 4 {
		if binary.LittleEndian.Uint32(raw[i:]) == 1 { // a vector length of 1
			binary.LittleEndian.PutUint32(bad[i:], 0x7fffffff)
		}
	}
	copy(b[k:], base64.StdEncoding.EncodeToString(bad))
	path := filepath.Join(t.TempDir(), "bad_schema.parquet")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if w := f.Warnings(); len(w) != 1 || !strings.Contains(w[0], "bad_schema.parquet") || !strings.Contains(w[0], "ARROW:schema") {
		t.Fatalf("warnings %q, want one naming the file and ARROW:schema", w)
	}
	col, ok := f.Column("embedding")
	if !ok || col.Kind != List || col.ListFlavor != "list" {
		t.Fatalf("embedding column %+v, want a list from the Parquet schema", col)
	}
	ch, err := f.ReadValues(0, ReadSpec{Column: "embedding"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := NewWriter(&out, f, WriterOptions{ValueColumn: "embedding"})
	if err != nil {
		t.Fatal(err)
	}
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		if rg > 0 {
			if ch, err = f.ReadValues(rg, ReadSpec{Column: "embedding"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteRowGroup(rg, ch); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	op := filepath.Join(t.TempDir(), "out.parquet")
	os.WriteFile(op, out.Bytes(), 0o644)
	of, err := Open(op)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	if _, ok := of.Metadata()["ARROW:schema"]; ok {
		t.Error("the output keeps the corrupt ARROW:schema")
	}
}

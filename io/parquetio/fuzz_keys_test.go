package parquetio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go/format"
)

// fuzzKeyTypes are the physical types of key columns (width: bytes per
// value once decoded; 0 for BYTE_ARRAY).
var fuzzKeyTypes = []struct {
	typ   format.Type
	width int
}{
	{format.Boolean, 1}, {format.Int32, 4}, {format.Int64, 8}, {format.Int96, 12}, {format.Float, 4},
	{format.Double, 8}, {format.ByteArray, 0}, {format.FixedLenByteArray, 16}, {format.FixedLenByteArray, 3},
}

// fuzzKeyEncodings are the encodings of key data pages.
var fuzzKeyEncodings = []format.Encoding{format.Plain, format.PlainDictionary, format.RLEDictionary, format.RLE,
	format.ByteStreamSplit, format.DeltaBinaryPacked, format.DeltaLengthByteArray, format.DeltaByteArray}

// fuzzKeyLayouts are the (max repetition, max definition) levels of key
// columns: required and optional ids or orders, and a nested time list.
var fuzzKeyLayouts = [][2]int{{0, 0}, {0, 1}, {1, 3}}

// keyPageSeed is one FuzzKeyPage input.
type keyPageSeed struct {
	v2                    bool
	layout, typ, enc      uint8
	nv, repLen, defLen    uint16
	dictValues            uint16
	dict, data            []byte
	file, column, pageDoc string // where it comes from (not part of the input)
}

// keyPageSeeds are the key pages (uncompressed) of the real writers' key
// fixtures (DuckDB, polars) and of the page fuzzer's templates (parquet-go,
// every codec and encoding), pages of at most 16 KiB.
func keyPageSeeds(t testing.TB) []keyPageSeed {
	var files []string
	keys, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "keys", "*.parquet"))
	for _, k := range keys {
		if !bytes.HasPrefix([]byte(filepath.Base(k)), []byte("bad_")) {
			files = append(files, k)
		}
	}
	files = append(files, filepath.Join(pagesDir, "duckdb_zstd_v2.parquet"), filepath.Join(pagesDir, "polars_lz4.parquet"))
	dir := t.TempDir()
	for ti, tpl := range pageTemplates() {
		path := filepath.Join(dir, fmt.Sprintf("t%d.parquet", ti))
		if err := os.WriteFile(path, tpl.file, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	var seeds []keyPageSeed
	have := map[string]bool{} // the codecs' templates repeat their pages
	for _, path := range files {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Columns() {
			m, _ := f.lookup(c.Name)
			layout := -1
			switch {
			case len(m.repDefs) == 0 && m.maxDef == 0:
				layout = 0
			case len(m.repDefs) == 0 && m.maxDef == 1:
				layout = 1
			case len(m.repDefs) == 1 && m.maxDef == 3:
				layout = 2
			}
			typ := -1
			for i, k := range fuzzKeyTypes {
				if k.typ == format.Type(m.kind) && (k.width == max(m.flbaLen, 0) || k.typ != format.FixedLenByteArray) {
					typ = i
				}
			}
			if layout < 0 || typ < 0 || c.Elem.IsFloat() && c.Kind != Scalar {
				continue
			}
			for _, s := range chunkKeySeeds(t, f, m, uint8(layout), uint8(typ)) {
				key := fmt.Sprintf("%v %d %d %d %d %d %d %q %q", s.v2, s.layout, s.typ, s.enc, s.nv, s.repLen, s.defLen, s.dict, s.data)
				if !have[key] {
					have[key] = true
					seeds = append(seeds, s)
				}
			}
		}
		f.Close()
	}
	return seeds
}

// chunkKeySeeds are the first two data pages of a column's first chunk.
func chunkKeySeeds(t testing.TB, f *File, m *colMeta, layout, typ uint8) []keyPageSeed {
	lp, err := f.chunkPages(0, m.info.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := lp.all()
	if err != nil {
		t.Fatal(err)
	}
	codec := f.pf.Metadata().RowGroups[0].Columns[m.info.Leaf].MetaData.Codec
	var seeds []keyPageSeed
	var dict []byte
	var dictN uint16
	for i := range pages {
		p := &pages[i]
		var b pageBufs
		data, err := f.fetchPage(p, codec, &b)
		if err != nil {
			t.Fatal(err)
		}
		if p.typ == format.DictionaryPage {
			dict, dictN = bytes.Clone(data), uint16(p.numValues)
			continue
		}
		if len(seeds) == 2 || len(data) > 16<<10 || p.numValues > 1<<16-1 {
			break
		}
		enc := uint8(0)
		for e, x := range fuzzKeyEncodings {
			if x == p.enc {
				enc = uint8(e)
			}
		}
		seeds = append(seeds, keyPageSeed{v2: p.v2, layout: layout, typ: typ, enc: enc, nv: uint16(p.numValues),
			repLen: uint16(p.repLen), defLen: uint16(p.defLen), dictValues: dictN, dict: dict, data: bytes.Clone(data),
			file: filepath.Base(f.path), column: m.info.Name, pageDoc: p.enc.String()})
	}
	return seeds
}

// FuzzKeyPage: the key page decoder on arbitrary uncompressed page
// content: levels (data page v1 and v2), every key type's PLAIN values,
// dictionary indexes against a dictionary, RLE booleans,
// BYTE_STREAM_SPLIT and DELTA_* values. It may refuse a page, never
// panic, and a page it accepts has one level per declared value, one value
// per defined level, and values that stay inside its buffers.
func FuzzKeyPage(f *testing.F) {
	for _, s := range keyPageSeeds(f) {
		f.Add(s.v2, s.layout, s.typ, s.enc, s.nv, s.repLen, s.defLen, s.dictValues, s.dict, s.data)
	}
	f.Fuzz(func(t *testing.T, v2 bool, layout, typ, enc uint8, nv, repLen, defLen, dictValues uint16, dict, data []byte) {
		l := fuzzKeyLayouts[int(layout)%len(fuzzKeyLayouts)]
		kt := fuzzKeyTypes[int(typ)%len(fuzzKeyTypes)]
		d := &keyDecoder{pageDecoder: pageDecoder{f: &File{path: "fuzz.parquet"}, col: "key", maxRep: l[0], maxDef: l[1]},
			typ: kt.typ, width: kt.width}
		if len(dict) > 0 {
			_ = d.dictionary(0, &pageLoc{typ: format.DictionaryPage, enc: format.Plain, numValues: int32(dictValues)}, dict)
		}
		p := pageLoc{v2: v2, enc: fuzzKeyEncodings[int(enc)%len(fuzzKeyEncodings)], repEnc: format.RLE, defEnc: format.RLE,
			numValues: int32(nv), repLen: int32(repLen), defLen: int32(defLen), uncomp: int32(len(data))}
		var out keyPage
		if err := d.decode(1, &p, data, &out); err != nil {
			return
		}
		checkKeyPage(t, d, &out, int(nv))
	})
}

// checkKeyPage checks a decoded page's invariants and touches every
// value.
func checkKeyPage(t *testing.T, d *keyDecoder, out *keyPage, nv int) {
	if out.nl != nv || d.maxRep > 0 && len(out.reps) != nv || d.maxDef > 0 && len(out.defs) != nv {
		t.Fatalf("%d levels, %d repetition and %d definition levels for %d values", out.nl, len(out.reps), len(out.defs), nv)
	}
	defined := nv
	if d.maxDef > 0 {
		defined = bytes.Count(out.defs, []byte{byte(d.maxDef)})
	}
	if out.n != defined {
		t.Fatalf("%d values for %d defined levels", out.n, defined)
	}
	switch {
	case out.dict:
		if len(out.idx) != out.n {
			t.Fatalf("%d dictionary indexes for %d values", len(out.idx), out.n)
		}
		for _, ix := range out.idx {
			if int(ix) >= d.dictN {
				t.Fatalf("index %d in a dictionary of %d", ix, d.dictN)
			}
		}
		if d.width == 0 {
			for i := range out.n {
				_ = d.byteValue(out, i)
			}
		} else if got := len(d.fixedValues(out)); got != out.n*d.width {
			t.Fatalf("%d bytes of looked-up values for %d values of %d bytes", got, out.n, d.width)
		}
	case d.width > 0:
		if len(out.fixed) != out.n*d.width {
			t.Fatalf("%d bytes of values for %d values of %d bytes", len(out.fixed), out.n, d.width)
		}
	default:
		if len(out.offs) != out.n+1 || out.offs[0] != 0 || int(out.offs[out.n]) > len(out.data) {
			t.Fatalf("%d offsets for %d values", len(out.offs), out.n)
		}
		for i := range out.n {
			if out.offs[i] > out.offs[i+1] {
				t.Fatalf("offsets %d > %d", out.offs[i], out.offs[i+1])
			}
			_ = d.byteValue(out, i)
		}
	}
}

// TestKeyPageSeeds: every seed of FuzzKeyPage (real key pages of DuckDB,
// polars and parquet-go) decodes, with its invariants, and the seeds
// cover every key encoding the writers use.
func TestKeyPageSeeds(t *testing.T) {
	seen := map[string]int{}
	for _, s := range keyPageSeeds(t) {
		l := fuzzKeyLayouts[s.layout]
		kt := fuzzKeyTypes[s.typ]
		d := &keyDecoder{pageDecoder: pageDecoder{f: &File{path: s.file}, col: s.column, maxRep: l[0], maxDef: l[1]}, typ: kt.typ, width: kt.width}
		if s.dict != nil {
			if err := d.dictionary(0, &pageLoc{typ: format.DictionaryPage, enc: format.Plain, numValues: int32(s.dictValues)}, s.dict); err != nil {
				t.Fatalf("%s %s: dictionary: %v", s.file, s.column, err)
			}
		}
		p := pageLoc{v2: s.v2, enc: fuzzKeyEncodings[s.enc], repEnc: format.RLE, defEnc: format.RLE,
			numValues: int32(s.nv), repLen: int32(s.repLen), defLen: int32(s.defLen), uncomp: int32(len(s.data))}
		var out keyPage
		if err := d.decode(1, &p, s.data, &out); err != nil {
			t.Fatalf("%s %s (%s): %v", s.file, s.column, s.pageDoc, err)
		}
		checkKeyPage(t, d, &out, int(s.nv))
		seen[s.pageDoc]++
	}
	for _, enc := range []string{"PLAIN", "PLAIN_DICTIONARY", "RLE_DICTIONARY", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY"} {
		if seen[enc] == 0 {
			t.Errorf("no %s key page among the seeds", enc)
		}
	}
	t.Logf("key pages by encoding: %v", seen)
}

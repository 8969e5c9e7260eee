package parquetio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go/format"
)

// fuzzLayouts are the (max repetition, max definition) levels of the
// value layouts: required and optional scalars, a list, a list<list>.
var fuzzLayouts = [][2]int{{0, 0}, {0, 1}, {1, 3}, {2, 5}}

// fuzzWidths are the stored value sizes: FLOAT, DOUBLE, FLOAT16, and a
// FIXED_LEN_BYTE_ARRAY of 4 float32.
var fuzzWidths = []int{4, 8, 2, 16}

var fuzzValueEncodings = []format.Encoding{format.Plain, format.RLEDictionary, format.PlainDictionary, format.ByteStreamSplit, format.DeltaBinaryPacked}

// valuePageSeed is one FuzzValuePage input.
type valuePageSeed struct {
	v2                 bool
	layout, width, enc uint8
	nv, repLen, defLen uint16
	dict, data         []byte
}

// valuePageSeeds are the value pages of the page fuzzer's templates
// (every codec and encoding parquet-go writes), uncompressed.
func valuePageSeeds(t testing.TB) []valuePageSeed {
	var seeds []valuePageSeed
	dir := t.TempDir()
	for ti, tpl := range pageTemplates() {
		path := filepath.Join(dir, fmt.Sprintf("t%d.parquet", ti))
		if err := os.WriteFile(path, tpl.file, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range []struct {
			name   string
			layout uint8
		}{{"value", 0}, {"embedding", 2}} {
			c, _ := f.Column(col.name)
			pages, err := f.validateChunk(0, c.Leaf, false)
			if err != nil {
				t.Fatal(err)
			}
			codec := f.pf.Metadata().RowGroups[0].Columns[c.Leaf].MetaData.Codec
			var dict []byte
			for i := range pages {
				p := &pages[i]
				var b pageBufs
				data, err := f.fetchPage(p, codec, &b)
				if err != nil {
					t.Fatal(err)
				}
				if p.typ == format.DictionaryPage {
					dict = bytes.Clone(data)
					continue
				}
				enc := uint8(0)
				for e, x := range fuzzValueEncodings {
					if x == p.enc {
						enc = uint8(e)
					}
				}
				seeds = append(seeds, valuePageSeed{v2: p.v2, layout: col.layout, enc: enc, nv: uint16(p.numValues),
					repLen: uint16(p.repLen), defLen: uint16(p.defLen), dict: dict, data: bytes.Clone(data)})
				if len(seeds)%7 == 0 { // the same page as double and FLBA values
					for w := uint8(1); w < 4; w++ {
						s := seeds[len(seeds)-1]
						s.width = w
						seeds = append(seeds, s)
					}
				}
			}
		}
		f.Close()
	}
	return seeds
}

// FuzzValuePage: the page reader's decoder on arbitrary uncompressed
// page content: levels (data page v1 and v2), dictionary indexes against
// a dictionary, PLAIN and BYTE_STREAM_SPLIT values of every width. It may
// refuse a page, never panic, and a page it accepts has exactly one level
// per declared value and one value per defined level.
func FuzzValuePage(f *testing.F) {
	for _, s := range valuePageSeeds(f) {
		f.Add(s.v2, s.layout, s.width, s.enc, s.nv, s.repLen, s.defLen, s.dict, s.data)
	}
	f.Fuzz(func(t *testing.T, v2 bool, layout, width, enc uint8, nv, repLen, defLen uint16, dict, data []byte) {
		l := fuzzLayouts[int(layout)%len(fuzzLayouts)]
		d := pageDecoder{f: &File{path: "fuzz.parquet"}, col: "value", maxRep: l[0], maxDef: l[1],
			elemSize: fuzzWidths[int(width)%len(fuzzWidths)]}
		if len(dict) > 0 {
			_ = d.dictionary(0, &pageLoc{typ: format.DictionaryPage, enc: format.Plain}, dict)
		}
		p := pageLoc{v2: v2, enc: fuzzValueEncodings[int(enc)%len(fuzzValueEncodings)], repEnc: format.RLE, defEnc: format.RLE,
			numValues: int32(nv), repLen: int32(repLen), defLen: int32(defLen)}
		var out valuePage
		if err := d.decode(1, &p, data, &out); err != nil {
			return
		}
		if l[0] > 0 && len(out.reps) != int(nv) || l[1] > 0 && len(out.defs) != int(nv) {
			t.Fatalf("%d repetition and %d definition levels for %d values", len(out.reps), len(out.defs), nv)
		}
		defined := int(nv)
		if l[1] > 0 {
			defined = bytes.Count(out.defs, []byte{byte(l[1])})
		}
		if len(out.vals) != defined*d.elemSize {
			t.Fatalf("%d bytes of values for %d defined levels of %d bytes", len(out.vals), defined, d.elemSize)
		}
	})
}

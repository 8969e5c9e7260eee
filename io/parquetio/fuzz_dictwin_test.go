package parquetio

import (
	"bytes"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go/format"
)

// dictWindowSeeds are FuzzKeyPage's seeds holding dictionary indexes,
// each with a window of levels (FuzzKeyDictWindows' last argument).
func dictWindowSeeds(t testing.TB) (seeds []keyPageSeed, windows []uint8) {
	for i, s := range keyPageSeeds(t) {
		if e := fuzzKeyEncodings[s.enc]; e == format.PlainDictionary || e == format.RLEDictionary {
			seeds = append(seeds, s)
			windows = append(windows, []uint8{1, 7, 64, 255}[i%4])
		}
	}
	return seeds, windows
}

// FuzzKeyDictWindows: a dictionary-encoded key page read in windows
// (openDictWindows, dictWindow: levels and index runs resumed window by
// window) is accepted exactly when decode accepts it whole, and then its
// windows, concatenated, are decode's levels and indexes. It may refuse a
// page, never panic.
func FuzzKeyDictWindows(f *testing.F) {
	seeds, windows := dictWindowSeeds(f)
	for i, s := range seeds {
		f.Add(s.v2, s.layout, s.typ, s.enc, s.nv, s.repLen, s.defLen, s.dictValues, s.dict, s.data, windows[i])
	}
	f.Fuzz(func(t *testing.T, v2 bool, layout, typ, enc uint8, nv, repLen, defLen, dictValues uint16, dict, data []byte, window uint8) {
		l := fuzzKeyLayouts[int(layout)%len(fuzzKeyLayouts)]
		kt := fuzzKeyTypes[int(typ)%len(fuzzKeyTypes)]
		decoder := func() *keyDecoder {
			d := &keyDecoder{pageDecoder: pageDecoder{f: &File{path: "fuzz.parquet"}, col: "key", maxRep: l[0], maxDef: l[1]},
				typ: kt.typ, width: kt.width}
			if len(dict) > 0 {
				_ = d.dictionary(0, &pageLoc{typ: format.DictionaryPage, enc: format.Plain, numValues: int32(dictValues)}, dict)
			}
			return d
		}
		p := pageLoc{typ: format.DataPage, v2: v2, enc: []format.Encoding{format.PlainDictionary, format.RLEDictionary}[enc%2],
			repEnc: format.RLE, defEnc: format.RLE, numValues: int32(nv), repLen: int32(repLen), defLen: int32(defLen), uncomp: int32(len(data))}
		whole := decoder()
		var want keyPage
		werr := whole.decode(1, &p, data, &want)
		defer func(old int) { dictWindowLevels = old }(dictWindowLevels)
		dictWindowLevels = int(window) + 1
		d := decoder()
		reps, defs, idx, err := readDictWindows(t, d, &p, data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("windows: error %v; whole page: error %v", err, werr)
		}
		if err != nil {
			return
		}
		if !slices.Equal(reps, want.reps) || !slices.Equal(defs, want.defs) || !slices.Equal(idx, want.idx) {
			t.Fatalf("windows give %d repetition, %d definition levels and %d indexes unlike the whole page's %d, %d, %d",
				len(reps), len(defs), len(idx), len(want.reps), len(want.defs), len(want.idx))
		}
	})
}

// readDictWindows reads page p (content data) in windows with d and
// returns its levels and indexes, concatenated, checking each window's
// invariants (checkKeyPage).
func readDictWindows(t *testing.T, d *keyDecoder, p *pageLoc, data []byte) (reps, defs []byte, idx []uint32, err error) {
	dw, err := d.openDictWindows(1, p, data)
	if err != nil {
		return nil, nil, nil, err
	}
	for dw.left > 0 {
		var w keyPage
		if err := d.dictWindow(dw, &w); err != nil {
			return nil, nil, nil, err
		}
		if w.nl == 0 || w.nl > dictWindowLevels {
			t.Fatalf("a window of %d levels (windows of %d)", w.nl, dictWindowLevels)
		}
		checkKeyPage(t, d, &w, w.nl)
		reps = append(reps, w.reps...)
		defs = append(defs, w.defs...)
		idx = append(idx, w.idx...)
	}
	if d.maxDef > 0 && bytes.Count(defs, []byte{byte(d.maxDef)}) != len(idx) {
		t.Fatalf("%d indexes for %d defined levels", len(idx), bytes.Count(defs, []byte{byte(d.maxDef)}))
	}
	return reps, defs, idx, nil
}

// TestKeyDictWindowsSeeds: every seed of FuzzKeyDictWindows (the real
// writers' dictionary-encoded key pages) reads in windows, and the seeds
// include pages of more levels than their window.
func TestKeyDictWindowsSeeds(t *testing.T) {
	seeds, windows := dictWindowSeeds(t)
	split := 0
	for i, s := range seeds {
		l := fuzzKeyLayouts[s.layout]
		kt := fuzzKeyTypes[s.typ]
		d := &keyDecoder{pageDecoder: pageDecoder{f: &File{path: s.file}, col: s.column, maxRep: l[0], maxDef: l[1]}, typ: kt.typ, width: kt.width}
		if err := d.dictionary(0, &pageLoc{typ: format.DictionaryPage, enc: format.Plain, numValues: int32(s.dictValues)}, s.dict); err != nil {
			t.Fatalf("%s %s: dictionary: %v", s.file, s.column, err)
		}
		p := pageLoc{typ: format.DataPage, v2: s.v2, enc: fuzzKeyEncodings[s.enc], repEnc: format.RLE, defEnc: format.RLE,
			numValues: int32(s.nv), repLen: int32(s.repLen), defLen: int32(s.defLen), uncomp: int32(len(s.data))}
		func() {
			defer func(old int) { dictWindowLevels = old }(dictWindowLevels)
			dictWindowLevels = int(windows[i]) + 1
			if _, _, _, err := readDictWindows(t, d, &p, s.data); err != nil {
				t.Fatalf("%s %s (%s): %v", s.file, s.column, s.pageDoc, err)
			}
			if int(s.nv) > dictWindowLevels {
				split++
			}
		}()
	}
	if len(seeds) < 10 || split < 5 {
		t.Fatalf("%d dictionary-encoded seeds, %d of them read in more than one window", len(seeds), split)
	}
}

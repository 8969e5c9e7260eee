package parquetio

import (
	"bytes"
	"fmt"
	"math/bits"
	"slices"

	"github.com/parquet-go/parquet-go/format"
)

// A dictionary-encoded key page is a few bytes a value (DuckDB writes a
// one-row-group file's timestamp column as ONE page of 4 M indexes, 7.5 MB,
// and a constant id over 20 M rows as ONE RLE run of index 0 in a few
// bytes), but decoded whole it is four bytes an index and the values looked
// up in the dictionary beside them: 46 MB for the 4 M timestamps, 240 MB
// for the 20 M ids. Readers going through a column in windows
// (ColumnWindows, ReadRuns) read such a page a window of levels at a time
// instead: the dictionary and the page's uncompressed bytes are held, and
// its level and index runs (RLE / bit-packed hybrid) are resumed window by
// window, each window's indexes decoded and checked against the
// dictionary, the rest of the page left encoded.

// dictWindowMin: a dictionary-encoded data page of more levels than this
// is read in windows (keyChunk.windows). Tests lower it.
var dictWindowMin = streamWindow

// dictWindowLevels is how many levels of such a page a window holds.
// Tests lower it.
var dictWindowLevels = streamWindow

// dictWindows is a large dictionary-encoded data page of a key column
// read a window of levels at a time (see above).
type dictWindows struct {
	no         int
	loc        pageLoc
	reps, defs hybridReader[uint8]
	idx        hybridReader[uint32]
	left       int    // levels not yet decoded
	release    func() // gives the page's bytes back
}

// isDictPage reports whether p is a data page of dictionary indexes.
func isDictPage(p *pageLoc) bool {
	return (p.typ == format.DataPage || p.typ == format.DataPageV2) && (p.enc == format.PlainDictionary || p.enc == format.RLEDictionary)
}

// openDictWindows starts reading data page no (p), whose uncompressed
// content is data, in windows. It checks what decode checks of the whole
// page before anything is read from it: the levels' runs against the
// page's value count, the definition levels against the column's maximum,
// the dictionary, and the index runs against the defined levels' count
// (counted by decoding the definition levels once, a window at a time).
// Each window then checks its indexes against the dictionary.
func (d *keyDecoder) openDictWindows(no int, p *pageLoc, data []byte) (*dictWindows, error) {
	nl := int(p.numValues)
	fail := func(what string, args ...any) error { return d.pageErr(no, p, what, args...) }
	repB, defB, rest, err := d.splitLevels(no, p, data, fail)
	if err != nil {
		return nil, err
	}
	dw := &dictWindows{no: no, loc: *p, left: nl, release: func() {}}
	for _, lv := range []struct {
		max int
		b   []byte
		h   *hybridReader[uint8]
		dir string
	}{{d.maxRep, repB, &dw.reps, "repetition"}, {d.maxDef, defB, &dw.defs, "definition"}} {
		if lv.max == 0 {
			continue
		}
		w := bits.Len(uint(lv.max))
		if err := scanRuns(lv.b, w, int64(nl)); err != nil {
			return nil, fail("%s levels: %v", lv.dir, err)
		}
		*lv.h = hybridReader[uint8]{b: lv.b, w: w}
	}
	n := nl
	if d.maxDef > 0 {
		if n, err = d.countDefined(dw.defs, nl); err != nil {
			return nil, fail("%v", err)
		}
	}
	if !d.haveDict {
		return nil, fail("dictionary indexes without a dictionary page")
	}
	if err := scanIndexes(rest, int64(n)); err != nil {
		return nil, fail("%v", err)
	}
	if len(rest) > 0 {
		dw.idx = hybridReader[uint32]{b: rest[1:], w: int(rest[0])}
	}
	return dw, nil
}

// countDefined counts the defined levels among the nl definition levels
// of h (a copy: the caller's reader is not advanced), a window at a time,
// checking that they end no sooner and stay within the column's maximum.
func (d *keyDecoder) countDefined(h hybridReader[uint8], nl int) (int, error) {
	n := 0
	for left := nl; left > 0; {
		k := min(left, dictWindowLevels)
		var err error
		if d.defs, err = h.read(d.defs[:0], k); err != nil {
			return 0, fmt.Errorf("definition levels: %v", err)
		}
		if top := maxLevel(d.defs); int(top) > d.maxDef {
			return 0, fmt.Errorf("definition level %d, the column's maximum is %d", top, d.maxDef)
		}
		n += bytes.Count(d.defs, []byte{byte(d.maxDef)})
		left -= k
	}
	return n, nil
}

// dictWindow decodes the next window of dw (dictWindowLevels levels at
// most) into out, as decode gives a page: its levels, its defined values'
// indexes, checked against the dictionary. out's slices are the decoder's
// buffers, valid until the next call.
func (d *keyDecoder) dictWindow(dw *dictWindows, out *keyPage) error {
	k := min(dictWindowLevels, dw.left)
	*out = keyPage{no: dw.no, nl: k, dict: true}
	p := &dw.loc
	var err error
	if d.maxRep > 0 {
		if d.reps, err = dw.reps.read(d.reps[:0], k); err != nil {
			return d.pageErr(dw.no, p, "repetition levels: %v", err)
		}
		out.reps = d.reps
	}
	n := k
	if d.maxDef > 0 {
		if d.defs, err = dw.defs.read(d.defs[:0], k); err != nil {
			return d.pageErr(dw.no, p, "definition levels: %v", err)
		}
		out.defs = d.defs
		n = bytes.Count(d.defs, []byte{byte(d.maxDef)})
	}
	out.n = n
	dw.left -= k
	if d.idx, err = dw.idx.read(d.idx[:0], n); err != nil {
		return d.pageErr(dw.no, p, "dictionary indexes: %v", err)
	}
	if maxIndex(d.idx) >= uint32(d.dictN) {
		i := slices.IndexFunc(d.idx, func(ix uint32) bool { return ix >= uint32(d.dictN) })
		return d.pageErr(dw.no, p, "dictionary index %d out of range [0, %d)", d.idx[i], d.dictN)
	}
	out.idx = d.idx
	return nil
}

package parquetio

import (
	"io"
	"math/bits"
	"strings"

	"github.com/parquet-go/parquet-go/format"
)

// levelPages reads the repetition and definition levels of a column
// chunk, a window of at most levelWindow levels at a time, without
// decoding its values: the fast writer needs the input value column's
// levels (nulls, empty lists, lists of any length) to write the output's,
// and parquet-go decoded each page whole, values included, which for
// DuckDB's one-page chunks held about three times a 100 MB page. A data
// page v2's levels are read as they are stored (never compressed); a v1
// page's open its body, so only they are decompressed from a zstd, gzip or
// brotli stream, and a snappy or LZ4_RAW page (one block) is decompressed
// whole. The page reader that produced the values has already checked
// the pages' CRCs and values.
type levelPages struct {
	d     pageDecoder
	codec format.CompressionCodec
	pages *lazyPages // headers validated as they are reached
	next  int        // the next page
	no    int        // the page being read
	st    *pageStream
	reps  hybridReader[uint8]
	defs  hybridReader[uint8]
	left  int // levels of the page not yet read
	bufs  pageBufs
	lv    []byte // a v2 page's levels
}

// levelWindow is the most levels read returns at a time (tests lower it:
// the output bytes do not depend on it).
var levelWindow = streamWindow

// newLevelPages starts reading the levels of the chunk of leaf in row group
// rg, a column with the given maximum levels.
func (f *File) newLevelPages(rg, leaf, maxRep, maxDef int) (*levelPages, error) {
	pages, err := f.chunkPages(rg, leaf)
	if err != nil {
		return nil, err
	}
	col := f.pf.Schema().Columns()[leaf]
	return &levelPages{pages: pages, codec: f.pf.Metadata().RowGroups[rg].Columns[leaf].MetaData.Codec,
		d: pageDecoder{f: f, rg: rg, col: strings.Join(col, "."), maxRep: maxRep, maxDef: maxDef}}, nil
}

// read returns the next window of levels: n levels, with reps and defs
// (nil for a level the column does not have) valid until the next call;
// io.EOF after the last page.
func (l *levelPages) read() (reps, defs []byte, n int, err error) {
	for l.left == 0 {
		if err := l.open(); err != nil {
			return nil, nil, 0, err
		}
	}
	d := &l.d
	n = min(levelWindow, l.left)
	if d.maxRep > 0 {
		if d.reps, err = l.reps.read(d.reps[:0], n); err != nil {
			return nil, nil, 0, d.corrupt(l.no, "repetition levels: %v", err)
		}
		reps = d.reps
	}
	if d.maxDef > 0 {
		if d.defs, err = l.defs.read(d.defs[:0], n); err != nil {
			return nil, nil, 0, d.corrupt(l.no, "definition levels: %v", err)
		}
		defs = d.defs
	}
	l.left -= n
	return reps, defs, n, nil
}

// open moves to the next data page with levels; io.EOF after the last.
func (l *levelPages) open() error {
	l.closeStream()
	var loc pageLoc
	for {
		var ok bool
		var err error
		if loc, ok, err = l.pages.page(l.next); err != nil {
			return err
		} else if !ok {
			return io.EOF
		}
		l.next++
		if loc.typ == format.DataPage || loc.typ == format.DataPageV2 {
			break
		}
	}
	l.no = l.next - 1
	p := &loc
	d := &l.d
	var repB, defB []byte
	switch {
	case p.v2:
		n := int(p.repLen) + int(p.defLen)
		if n > int(p.comp) {
			return d.corrupt(l.no, "%d bytes of levels in a page of %d", n, p.comp)
		}
		if cap(l.lv) < n {
			l.lv = make([]byte, n)
		}
		l.lv = l.lv[:n]
		if _, err := d.f.osf.ReadAt(l.lv, p.body); err != nil {
			return d.streamErr(l.no, "levels", err)
		}
		repB, defB = l.lv[:p.repLen], l.lv[p.repLen:]
	case l.codec == format.Uncompressed || l.codec == format.Zstd || l.codec == format.Gzip || l.codec == format.Brotli:
		st, err := d.openStream(l.no, p, l.codec)
		if err != nil {
			return err
		}
		l.st, l.reps, l.defs, l.left = st, st.reps, st.defs, st.left
		return nil
	default:
		data, err := d.f.fetchPage(p, l.codec, &l.bufs)
		if err != nil {
			return d.streamErr(l.no, "the page", err)
		}
		if repB, defB, _, err = d.splitLevels(l.no, p, data, func(what string, args ...any) error { return d.corrupt(l.no, what, args...) }); err != nil {
			return err
		}
	}
	l.left = int(p.numValues)
	for _, lv := range []struct {
		max int
		b   []byte
		h   *hybridReader[uint8]
		dir string
	}{{d.maxRep, repB, &l.reps, "repetition"}, {d.maxDef, defB, &l.defs, "definition"}} {
		if lv.max == 0 {
			continue
		}
		w := bits.Len(uint(lv.max))
		if err := scanRuns(lv.b, w, int64(l.left)); err != nil {
			return d.corrupt(l.no, "%s levels: %v", lv.dir, err)
		}
		*lv.h = hybridReader[uint8]{b: lv.b, w: w}
	}
	return nil
}

func (l *levelPages) closeStream() {
	if l.st != nil {
		l.st.close()
		l.st = nil
	}
}

// close gives the decompressor and buffers back.
func (l *levelPages) close() {
	l.closeStream()
	l.bufs = pageBufs{}
}

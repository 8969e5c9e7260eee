package parquetio

import (
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// keyReadAhead bounds the bytes of a key column's pages read and
// decompressed ahead of its decoder (the value column's default is 8 MiB;
// key pages are smaller and two key columns are read beside it).
const keyReadAhead = 2 << 20

// keyChunk reads one key column chunk page by page: pages read and
// decompressed once (ahead, on worker goroutines, for chunks large
// enough), decoded by a keyDecoder.
type keyChunk struct {
	f       *File
	rg      int
	m       *colMeta
	codec   format.CompressionCodec
	pages   *lazyPages // validated as the reader reaches them
	src     pageSource
	own     pageBufs // a page the read-ahead leaves to its reader (streamable)
	dec     *keyDecoder
	next    int    // next page to load
	release func() // gives the current page's buffer back
	levels  int64  // levels decoded so far
	// streams: nextPage opens a large PLAIN page of fixed-width values
	// (one the value reader would stream) as a stream, left in stream
	// for the caller to read in windows, instead of decoding it whole.
	streams bool
	stream  *pageStream
	// windows: nextPage gives a large dictionary-encoded data page a
	// window of levels at a time (dictWindows, held in dw), each window
	// as a page of its own, instead of decoding it whole.
	windows bool
	dw      *dictWindows
	check   keyCheck // verifyChunk's checks the decoder does not do (keyverify.go)
}

// openKeyChunk prepares to read column m of row group rg, its page
// headers validated as the reader reaches them.
func (f *File) openKeyChunk(rg int, m *colMeta) (*keyChunk, error) {
	pages, err := f.chunkPages(rg, m.info.Leaf)
	if err != nil {
		return nil, err
	}
	dec, err := f.newKeyDecoder(rg, m)
	if err != nil {
		return nil, err
	}
	codec := f.pf.Metadata().RowGroups[rg].Columns[m.info.Leaf].MetaData.Codec
	src := newPageSource(f, codec, pages, ReadSpec{ReadAhead: keyReadAhead})
	return &keyChunk{f: f, rg: rg, m: m, codec: codec, pages: pages, src: src, dec: dec, release: func() {}, check: newKeyCheck(m, f, codec)}, nil
}

// nextPage decodes the chunk's next data page into p (reading the
// dictionary page on the way); it returns false at the end of the chunk.
// p's slices are valid until the next call. Key pages are decoded whole,
// also those the value reader would stream (the read-ahead leaves those
// to the reader: they are read here), except with streams (large PLAIN
// pages) and windows (large dictionary-encoded pages, given a window at
// a time).
func (c *keyChunk) nextPage(p *keyPage) (bool, error) {
	c.release()
	c.release = func() {}
	if c.dw != nil {
		if c.dw.left > 0 {
			return c.dictWindow(p)
		}
		c.dw.release()
		c.dw = nil
	}
	for {
		i := c.next
		loc, ok, err := c.pages.page(i) // its header validated now
		if err != nil {
			return false, err
		}
		if !ok {
			c.check.ended = true
			return false, nil
		}
		c.next++
		pl := &loc
		if pl.typ != format.DataPage && pl.typ != format.DataPageV2 && pl.typ != format.DictionaryPage {
			c.check.other()
			continue // an index page
		}
		c.check.header(pl)
		if c.streams && pl.typ != format.DictionaryPage && streamable(pl, c.codec) && c.dec.width > 0 && c.dec.typ != format.Boolean {
			st, err := c.dec.openStream(i, pl, c.codec)
			if err != nil {
				return false, err
			}
			c.stream = st
			c.check.streamed(c.dec)
			*p = keyPage{no: i, nl: int(pl.numValues)}
			c.levels += int64(pl.numValues)
			return true, nil
		}
		var data []byte
		release := func() {}
		if streamable(pl, c.codec) {
			data, err = c.f.fetchPage(pl, c.codec, &c.own)
		} else {
			data, release, err = c.src.get(i, pl)
		}
		if err != nil {
			release()
			if isFileSystem(err) {
				return false, fmt.Errorf("reading %s: row group %d, column %q: %w", c.f.path, c.rg, c.m.info.Name, err)
			}
			return false, fmt.Errorf("reading %s: row group %d, column %q: page %d (at offset %d): %w", c.f.path, c.rg, c.m.info.Name, i, pl.body, err)
		}
		if pl.typ == format.DictionaryPage {
			err := c.dec.dictionary(i, pl, data)
			release()
			if err != nil {
				return false, err
			}
			c.check.dictionary(c.dec)
			continue
		}
		if c.windows && isDictPage(pl) && int(pl.numValues) > dictWindowMin {
			ok, err := c.openDictWindows(i, pl, data, release, p)
			if ok {
				c.check.page(c.dec, pl, p) // its windows make decode's checks (keydictwin.go)
			}
			return ok, err
		}
		if err := c.dec.decode(i, pl, data, p); err != nil {
			release()
			return false, err
		}
		c.check.page(c.dec, pl, p)
		c.release = release
		c.levels += int64(p.nl)
		return true, nil
	}
}

// openDictWindows starts reading page i (pl, uncompressed content data,
// given back by release) in windows and decodes its first window into p.
// A page of a flat column with more values than the row group has rows
// left is refused here, before any window is read.
func (c *keyChunk) openDictWindows(i int, pl *pageLoc, data []byte, release func(), p *keyPage) (bool, error) {
	if rows := c.f.RowGroupRows(c.rg); len(c.m.repDefs) == 0 && c.levels+int64(pl.numValues) > rows {
		release()
		return false, c.corrupt("page %d: %d values after row %d, more than the row group's %d rows", i, pl.numValues, c.levels, rows)
	}
	dw, err := c.dec.openDictWindows(i, pl, data)
	if err != nil {
		release()
		return false, err
	}
	dw.release = release
	c.dw = dw
	return c.dictWindow(p)
}

// dictWindow decodes the next window of the page held in c.dw into p.
func (c *keyChunk) dictWindow(p *keyPage) (bool, error) {
	if err := c.dec.dictWindow(c.dw, p); err != nil {
		return false, err
	}
	c.levels += int64(p.nl)
	return true, nil
}

// corrupt is a CorruptError about the chunk as a whole.
func (c *keyChunk) corrupt(what string, args ...any) error {
	return &CorruptError{Err: fmt.Errorf("reading %s: row group %d, column %q: %s: %w", c.f.path, c.rg, c.m.info.Name, fmt.Sprintf(what, args...), parquet.ErrCorrupted)}
}

// done records that the whole chunk was decoded with its runs checked, so
// that parquet-go (the writer's verification of passthrough chunks) reads
// it without another scan, and, when the caller found the row group's
// rows and every check of verifyChunk passed, that the writer may copy it
// without verifying it again (keyverify.go).
func (c *keyChunk) done() {
	c.f.runsChecked(c.rg, c.m.info.Leaf)
	c.f.markKeyVerified(c.rg, c.m.info.Leaf, c.check.verified(c.f, c.rg, c.m.info.Leaf, c.levels))
}

// close gives back the page buffers and stops the read-ahead.
func (c *keyChunk) close() {
	c.release()
	c.release = func() {}
	if c.stream != nil {
		c.stream.close()
		c.stream = nil
	}
	if c.dw != nil {
		c.dw.release()
		c.dw = nil
	}
	if c.src != nil {
		c.src.close()
		c.src = nil
	}
	if c.dec != nil {
		c.dec.put()
		c.dec = nil
	}
	c.own = pageBufs{}
}

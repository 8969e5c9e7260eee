package parquetio

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math/bits"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/contextualize/contextualize/io/storage"
)

// streamPageBytes: a PLAIN data page larger than this once decompressed
// is streamed (pageStream) rather than read whole (zstd, gzip, brotli,
// snappy or uncompressed). DuckDB writes a whole
// column chunk as one page (103 MB for 65,536 x 384 float32), so without
// this a segment would hold that page, compressed and decompressed, and
// its levels. Tests lower it.
var streamPageBytes int64 = 8 << 20

// streamWindow is how many levels of a streamed page are decoded at a
// time.
const streamWindow = 1 << 16

// streamable reports whether page p is read as a stream: a large PLAIN
// data page whose codec has a streaming decoder (zstd, gzip, brotli) or
// none, or a SNAPPY page markSnappy found streamable. LZ4_RAW pages are
// decompressed whole.
func streamable(p *pageLoc, codec format.CompressionCodec) bool {
	if !largePlain(p) {
		return false
	}
	if codec == format.Uncompressed || (p.v2 && !p.compressed) {
		return true
	}
	return codec == format.Zstd || codec == format.Gzip || codec == format.Brotli || (codec == format.Snappy && p.snappy)
}

// largePlain reports whether p is a PLAIN data page larger than
// streamPageBytes once decompressed.
func largePlain(p *pageLoc) bool {
	return (p.typ == format.DataPage || p.typ == format.DataPageV2) && p.enc == format.Plain && int64(p.uncomp) > streamPageBytes
}

// markSnappy decides, as page p of a SNAPPY chunk is validated, whether
// it is streamed and with what window: a large PLAIN data page whose
// copies reach back maxSnappyWindow at most (snappyReach). A page
// snappyReach cannot scan is read whole, where decompressing it reports
// what is wrong. In object storage the scan, then the stream, would each
// fetch the page: there a large page is streamed unscanned with a window
// of maxSnappyWindow (snappyUnscanned), and read whole, fetched a second
// time, only if a copy reaches further (pageStream.readWhole; no
// encoder this tool meets does: they compress in 64 KiB blocks).
func (f *File) markSnappy(p *pageLoc) {
	if !largePlain(p) || (p.v2 && !p.compressed) {
		return
	}
	if _, remote := f.osf.(storage.Prefetcher); remote {
		p.snappy, p.snappyWindow = true, snappyUnscanned
		return
	}
	levels := int64(0)
	if p.v2 {
		levels = int64(p.repLen) + int64(p.defLen)
	}
	if levels < 0 || levels > int64(p.comp) {
		return
	}
	reach, err := snappyReach(f.osf, p.body+levels, int64(p.comp)-levels)
	if err != nil || reach > maxSnappyWindow {
		return
	}
	p.snappy, p.snappyWindow = true, int32(reach)
}

// pageStream is a large PLAIN data page read a window of levels at a
// time: its compressed bytes are read and decompressed as the windows
// need them (once each), its encoded levels are kept (they are small
// beside the values) and decoded window by window, and its values are read
// for each window's defined levels. Its CRC and sizes are checked when the
// last window has been read.
type pageStream struct {
	no         int
	reps, defs hybridReader[uint8]
	left       int       // levels not yet decoded
	r          io.Reader // the page's content (v1) or values (v2), decompressed
	read, want int64     // bytes read from r, and its size from the header
	raw        io.Reader // the compressed bytes (through the CRC)
	crc        hash.Hash32
	crcWant    uint32
	put        func() // gives the decompressor back
	// whole reads the page whole, once its stream met a copy past its
	// window (an unscanned SNAPPY page); nil for other pages
	whole func() error
}

// snappyUnscanned is the snappyWindow of a large SNAPPY page in object
// storage: streamed with a window of maxSnappyWindow (markSnappy).
const snappyUnscanned = -1

// openStream starts reading page no (p) of the decoder's chunk as a
// stream.
func (d *pageDecoder) openStream(no int, p *pageLoc, codec format.CompressionCodec) (*pageStream, error) {
	st := &pageStream{no: no, left: int(p.numValues), put: func() {}}
	st.raw = io.NewSectionReader(d.f.osf, p.body, int64(p.comp))
	if p.crc != 0 {
		st.crc, st.crcWant = crc32.NewIEEE(), uint32(p.crc)
		st.raw = io.TeeReader(st.raw, st.crc)
	}
	var repB, defB []byte
	st.want = int64(p.uncomp)
	if p.v2 {
		lv := make([]byte, int(p.repLen)+int(p.defLen))
		if _, err := io.ReadFull(st.raw, lv); err != nil {
			return nil, d.streamErr(no, "levels", err)
		}
		repB, defB = lv[:p.repLen], lv[p.repLen:]
		st.want -= int64(len(lv))
		if st.want < 0 {
			return nil, d.corrupt(no, "%d bytes of levels in a page of %d", len(lv), p.uncomp)
		}
	}
	st.r = st.raw
	if codec != format.Uncompressed && (!p.v2 || p.compressed) {
		var sr streamReader
		switch codec {
		case format.Snappy:
			window := int(p.snappyWindow)
			if p.snappyWindow == snappyUnscanned {
				window = int(maxSnappyWindow)
				st.whole = func() error { return st.readWhole(d.f.osf, p) }
			}
			sr = newSnappyStream(window)
		case format.Zstd:
			sr, st.put = zstdStream()
		case format.Gzip:
			sr, st.put = gzipReader()
		default:
			sr, st.put = brotliReader()
		}
		if err := sr.reset(st.raw); err != nil {
			st.close()
			return nil, d.streamErr(no, "the page", corruptPage(codec, err))
		}
		st.r = sr
	}
	if !p.v2 {
		read := func(n int64, what string) ([]byte, error) {
			b := make([]byte, n)
			if err := st.readFull(b); err != nil {
				return nil, d.streamErr(no, what, err)
			}
			return b, nil
		}
		var err error
		if repB, defB, err = d.v1Levels(no, p, read, func() int64 { return st.want - st.read }); err != nil {
			st.close()
			return nil, err
		}
	}
	for _, lv := range []struct {
		max int
		b   []byte
		h   *hybridReader[uint8]
		dir string
	}{{d.maxRep, repB, &st.reps, "repetition"}, {d.maxDef, defB, &st.defs, "definition"}} {
		if lv.max == 0 {
			continue
		}
		w := bits.Len(uint(lv.max))
		if err := scanRuns(lv.b, w, int64(st.left)); err != nil {
			st.close()
			return nil, d.corrupt(no, "%s levels: %v", lv.dir, err)
		}
		*lv.h = hybridReader[uint8]{b: lv.b, w: w}
	}
	return st, nil
}

// readFull reads len(b) bytes of the page's content.
func (st *pageStream) readFull(b []byte) error {
	if int64(len(b)) > st.want-st.read {
		return fmt.Errorf("%d bytes past the page's %d: %w", int64(len(b))-(st.want-st.read), st.want, parquet.ErrCorrupted)
	}
	n, err := io.ReadFull(st.r, b)
	st.read += int64(n)
	if errors.Is(err, errSnappyWindow) && st.whole != nil {
		if err = st.whole(); err == nil {
			m, e := io.ReadFull(st.r, b[n:])
			st.read += int64(m)
			err = e
		}
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: the page ends after %d of %d bytes: %w", errPageSize, st.read, st.want, parquet.ErrCorrupted)
	}
	return err
}

// readWhole reads page p again, whole, and decompresses it, when its
// stream met a copy past its window: the rest of the page is then read
// from the decompressed bytes, and the CRC is that of the bytes read now.
func (st *pageStream) readWhole(r io.ReaderAt, p *pageLoc) error {
	st.whole = nil
	page := make([]byte, p.comp)
	if n, err := r.ReadAt(page, p.body); n < len(page) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if st.crc != nil {
		st.crc.Reset()
		st.crc.Write(page)
	}
	st.raw = bytes.NewReader(nil)
	block := page
	if p.v2 {
		block = page[int(p.repLen)+int(p.defLen):]
	}
	out, err := decompressInto(format.Snappy, nil, block, int(st.want), true)
	if err != nil {
		return corruptPage(format.Snappy, err)
	}
	st.r = bytes.NewReader(out[st.read:])
	return nil
}

func (d *pageDecoder) streamErr(no int, what string, err error) error {
	if isFileSystem(err) {
		return fmt.Errorf("reading %s: row group %d, column %q: page %d: %w", d.f.path, d.rg, d.col, no, err)
	}
	if !errors.Is(err, parquet.ErrCorrupted) {
		err = fmt.Errorf("%w: %w", err, parquet.ErrCorrupted)
	}
	return fmt.Errorf("reading %s: row group %d, column %q: page %d: %s: %w", d.f.path, d.rg, d.col, no, what, err)
}

// window decodes the stream's next levels (streamWindow at most) and
// reads their values into out.
func (d *pageDecoder) window(st *pageStream, out *valuePage) error {
	k := min(streamWindow, st.left)
	*out = valuePage{no: st.no, nl: k, release: func() {}}
	var err error
	nn := k
	if d.maxRep > 0 {
		if d.reps, err = st.reps.read(d.reps[:0], k); err != nil {
			return d.corrupt(st.no, "repetition levels: %v", err)
		}
		out.reps = d.reps
	}
	if d.maxDef > 0 {
		if d.defs, err = st.defs.read(d.defs[:0], k); err != nil {
			return d.corrupt(st.no, "definition levels: %v", err)
		}
		out.defs = d.defs
		nn = bytes.Count(d.defs, []byte{byte(d.maxDef)})
	}
	size := nn * d.elemSize
	if cap(d.vals) < size {
		d.vals = make([]byte, size)
	}
	out.vals = d.vals[:size]
	if err := st.readFull(out.vals); err != nil {
		return d.streamErr(st.no, "values", err)
	}
	st.left -= k
	return nil
}

// finish checks, after the last window, that the page held nothing more
// than its levels' values, and its CRC.
func (d *pageDecoder) finish(st *pageStream) error {
	if st.read != st.want {
		return d.corrupt(st.no, "the levels' values end after %d of the page's %d bytes", st.read, st.want)
	}
	var one [1]byte
	if n, err := io.ReadFull(st.r, one[:]); n > 0 {
		return d.corrupt(st.no, "%v: more than %d bytes", errPageSize, st.want)
	} else if err != io.EOF {
		return d.streamErr(st.no, "the page's end", err)
	}
	if st.crc != nil {
		if _, err := io.Copy(io.Discard, st.raw); err != nil {
			return d.streamErr(st.no, "the page's end", err)
		}
		if got := st.crc.Sum32(); got != st.crcWant {
			return d.corrupt(st.no, "CRC-32 %08x, the header says %08x", got, st.crcWant)
		}
	}
	return nil
}

// close gives the decompressor back.
func (st *pageStream) close() {
	if st.put != nil {
		st.put()
		st.put = nil
	}
}

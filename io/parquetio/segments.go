package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// SegmentReader reads one row group's value column in segments of whole
// rows, page by page: each page is read, decompressed and decoded once,
// and a page crossing a segment boundary gives its remaining rows to the
// next segment.
type SegmentReader struct {
	f     *File
	r     *valueReader
	rg    int
	leaf  int
	codec format.CompressionCodec
	pages *lazyPages // validated as the reader reaches them
	src   pageSource
	dec   pageDecoder
	next  int       // next page of pages to load
	cur   valuePage // the page being taken, when have
	have  bool
	// stream is the page being read as a stream (streamable)
	stream *pageStream
	per    int // floats per stored value
	// slotDef is the definition level from which a level takes a slab
	// slot (a value, or a null read as NaN).
	slotDef int
	floats  int   // floats read in earlier segments
	nulls   int64 // nulls read in all segments
	err     error // the error that stopped the reader
	eof     bool
	legacy  bool // parquet-go's page decoding (directReads off)
	closed  bool
}

// NewSegmentReader prepares to read row group rg's value column in segments.
func (f *File) NewSegmentReader(rg int, spec ReadSpec) (s *SegmentReader, err error) {
	defer func() { err = asInput(err) }()
	if err := f.checkRowGroup(rg); err != nil {
		return nil, err
	}
	m, err := f.lookup(spec.Column)
	if err != nil {
		return nil, err
	}
	r, err := f.newValueReader(rg, m, spec)
	if err != nil {
		return nil, err
	}
	s = &SegmentReader{f: f, r: r, rg: rg, leaf: m.info.Leaf, per: 1, legacy: !directReads}
	s.codec = f.pf.Metadata().RowGroups[rg].Columns[m.info.Leaf].MetaData.Codec
	if r.mode == modeFLBA {
		s.per = m.flbaLen / 4
	}
	switch r.mode {
	case modeVector, modeSeries:
		s.slotDef = r.defA
	case modeSeq:
		s.slotDef = r.defB
	}
	if s.legacy {
		if err := f.checkChunks(rg, m.info.Leaf); err != nil {
			return nil, err
		}
		if err := f.chunkDecodesWhole(rg, m.info.Leaf); err != nil {
			return nil, err
		}
		return s, nil
	}
	if s.pages, err = f.chunkPages(rg, m.info.Leaf); err != nil {
		return nil, err
	}
	s.dec = pageDecoder{f: f, rg: rg, col: m.info.Name, maxRep: len(m.repDefs), maxDef: m.maxDef, elemSize: 4}
	switch {
	case m.kind == parquet.Double:
		s.dec.elemSize = 8
	case m.kind == parquet.FixedLenByteArray:
		s.dec.elemSize = m.flbaLen
	}
	if s.dec.elemSize <= 0 {
		return nil, fmt.Errorf("reading %s: column %q: FIXED_LEN_BYTE_ARRAY of %d bytes: %w", f.path, m.info.Name, m.flbaLen, parquet.ErrCorrupted)
	}
	s.src = newPageSource(f, s.codec, s.pages, spec)
	return s, nil
}

// Next reads the next segment: whole rows, at least one row, ending at the first row
// boundary at or after maxValues floats (maxValues <= 0: the rest of the row group), into
// reuse's storage as ReadValues does (reuse may be nil). The chunk's RowGroup is rg, its
// FirstRow the absolute index of its first row, Offsets (nested layouts) start at 0.
// After the last row it returns io.EOF.
func (s *SegmentReader) Next(maxValues int, reuse *Floats) (chunk ValueChunk, err error) {
	switch {
	case s.err != nil:
		return ValueChunk{}, s.err
	case s.eof:
		return ValueChunk{}, io.EOF
	case s.closed:
		return ValueChunk{}, fmt.Errorf("reading %s: row group %d, column %q: the segment reader is closed", s.f.path, s.rg, s.r.m.info.Name)
	}
	defer func() {
		if rec := recover(); rec != nil {
			chunk, err = ValueChunk{}, s.f.decoderPanic(s.rg, s.r.m.info.Name)
		}
		if err != nil && err != io.EOF {
			err = asInput(err)
			s.err = err
			s.release()
		}
	}()
	s.start(maxValues, reuse)
	end := false
	if s.legacy {
		if err := s.r.readPages(s.f.pf.RowGroups()[s.rg].ColumnChunks()[s.leaf]); err != nil {
			return ValueChunk{}, err
		}
		end = true
	}
	for !end {
		if !s.have {
			ok, err := s.load()
			if err != nil {
				return ValueChunk{}, err
			}
			if !ok {
				end = true
				break
			}
		}
		stop, err := s.take(maxValues)
		if err != nil {
			return ValueChunk{}, err
		}
		if stop {
			break
		}
	}
	return s.finish(end, reuse)
}

// start resets the reader's per-segment state and sizes the slab.
func (s *SegmentReader) start(maxValues int, reuse *Floats) {
	r := s.r
	r.segRows, r.elems, r.nulls = r.rows, 0, 0
	r.f32, r.f64 = nil, nil
	if reuse != nil {
		r.f32, r.f64 = reuse.F32[:0], reuse.F64[:0]
	}
	est := max(s.f.slabLen(r.rg, r.m)-s.floats, 0) // the chunk's value count says how many are left
	if maxValues > 0 {
		est = min(est, maxValues+maxValues/8+1024)
	}
	if r.typ != Float64 {
		r.f32 = slices.Grow(r.f32, est)
	} else {
		r.f64 = slices.Grow(r.f64, est)
	}
	r.offsets = nil
	r.lv = newSegLevels(s.f, s.rg, s.leaf, len(r.m.repDefs), r.m.maxDef)
	if r.mode == modeSeries || r.mode == modeSeq {
		rows := s.f.RowGroupRows(r.rg) - r.rows
		if maxValues > 0 {
			rows = min(rows, 1<<12)
		}
		r.offsets = make([]int64, 1, min(max(rows, 0), 1<<20)+1)
	}
}

// load decodes the chunk's next data page (reading the dictionary page
// on the way); it returns false at the end of the chunk.
func (s *SegmentReader) load() (bool, error) {
	if st := s.stream; st != nil {
		if st.left > 0 {
			return true, s.window()
		}
		s.stream = nil
		err := s.dec.finish(st)
		st.close()
		if err != nil {
			return false, err
		}
	}
	for {
		i := s.next
		loc, ok, err := s.pages.page(i) // its header validated now
		if err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
		s.next++
		p := &loc
		if p.typ != format.DataPage && p.typ != format.DataPageV2 && p.typ != format.DictionaryPage {
			continue // an index page
		}
		if streamable(p, s.codec) {
			st, err := s.dec.openStream(i, p, s.codec)
			if err != nil {
				return false, err
			}
			s.stream = st
			return true, s.window()
		}
		data, release, err := s.src.get(i, p)
		if err != nil {
			if isFileSystem(err) {
				return false, fmt.Errorf("reading %s: row group %d, column %q: %w", s.f.path, s.rg, s.r.m.info.Name, err)
			}
			return false, fmt.Errorf("reading %s: row group %d, column %q: page %d: %w", s.f.path, s.rg, s.r.m.info.Name, i, err)
		}
		if p.typ == format.DictionaryPage {
			err := s.dec.dictionary(i, p, data)
			release()
			if err != nil {
				return false, err
			}
			continue
		}
		if err := s.dec.decode(i, p, data, &s.cur); err != nil {
			release()
			return false, err
		}
		s.cur.release = release
		s.have = true
		return true, nil
	}
}

// window decodes the next window of the page being streamed.
func (s *SegmentReader) window() error {
	if err := s.dec.window(s.stream, &s.cur); err != nil {
		return err
	}
	s.have = true
	return nil
}

// take moves the current page's levels and values onto the segment, up
// to the first row start at or after maxValues floats (maxValues <= 0:
// all of them). It reports whether the segment ends there.
func (s *SegmentReader) take(maxValues int) (stop bool, err error) {
	p, r := &s.cur, s.r
	end := p.nl
	if maxValues > 0 {
		end, stop = s.split(maxValues)
	}
	if end > p.lp {
		var reps, defs []byte
		nn := end - p.lp
		if len(p.reps) > 0 {
			reps = p.reps[p.lp:end]
		}
		if len(p.defs) > 0 {
			defs = p.defs[p.lp:end]
			nn = bytes.Count(defs, []byte{byte(r.m.maxDef)})
		}
		nb := nn * s.dec.elemSize
		n := r.appendStored(p.vals[p.vp : p.vp+nb])
		p.vp += nb
		p.lp = end
		if err := r.walkLevels(p.no, n, reps, defs); err != nil {
			return false, err
		}
	}
	if p.lp == p.nl && !stop {
		s.have = false
		p.release()
		*p = valuePage{}
	}
	return stop, nil
}

// split returns the level of the current page at which the segment ends:
// the first row start with at least maxValues floats and one row before
// it in the segment, or the page's end (stop false).
func (s *SegmentReader) split(maxValues int) (int, bool) {
	p, r := &s.cur, s.r
	have := len(r.f32)
	if r.typ == Float64 {
		have = len(r.f64)
	}
	if have+(p.nl-p.lp)*s.per < maxValues {
		return p.nl, false // the page cannot reach maxValues
	}
	rows := r.rows - r.segRows
	for i := p.lp; i < p.nl; i++ {
		if len(p.reps) == 0 || p.reps[i] == 0 {
			if rows > 0 && have >= maxValues {
				return i, true
			}
			rows++
		}
		if len(p.defs) == 0 || int(p.defs[i]) >= s.slotDef {
			have += s.per
		}
	}
	return p.nl, false
}

// finish closes the segment (end: at the end of the chunk) and returns
// it.
func (s *SegmentReader) finish(end bool, reuse *Floats) (ValueChunk, error) {
	r := s.r
	switch r.mode {
	case modeVector, modeSeq:
		if err := r.endVec(); err != nil {
			return ValueChunk{}, err
		}
	case modeScalar, modeFLBA:
		r.elems = r.rows - r.segRows
	}
	rows := r.rows - r.segRows
	if r.offsets != nil && rows > 0 {
		r.offsets = append(r.offsets, r.elems)
	}
	s.nulls += r.nulls
	if end {
		if want := s.f.RowGroupRows(s.rg); r.rows != want {
			return ValueChunk{}, fmt.Errorf("reading %s: row group %d, column %q: found %d rows, the row group has %d: %w",
				s.f.path, s.rg, r.m.info.Name, r.rows, want, parquet.ErrCorrupted)
		}
		s.eof = true
		s.atEnd()
		if rows == 0 {
			s.release()
			return ValueChunk{}, io.EOF
		}
	}
	r.lv.done()
	chunk := ValueChunk{RowGroup: s.rg, FirstRow: r.firstRow + r.segRows, Rows: int(rows), D: s.chunkD(), Offsets: r.offsets, Type: r.typ.SlabType(), Nulls: r.nulls, levels: r.lv}
	r.lv = nil
	if r.typ != Float64 {
		chunk.Values.F32 = r.f32
		s.floats += len(r.f32)
		if reuse != nil {
			reuse.F32 = r.f32
		}
	} else {
		chunk.Values.F64 = r.f64
		s.floats += len(r.f64)
		if reuse != nil {
			reuse.F64 = r.f64
		}
	}
	if end {
		s.release()
	}
	return chunk, nil
}

// chunkD is d, or without any vector yet, the one the spec or schema
// gives.
func (s *SegmentReader) chunkD() int {
	if d := s.r.d; d != 0 {
		return d
	}
	if s.r.spec.D != 0 {
		return s.r.spec.D
	}
	return s.r.m.info.FixedSize
}

// atEnd records what reading the whole chunk proved: its runs are sound,
// and whether its levels are regular (see regularChunk).
func (s *SegmentReader) atEnd() {
	r := s.r
	if !s.legacy {
		s.f.runsChecked(s.rg, s.leaf)
	}
	switch {
	case r.mode == modeVector && r.rows > 0:
		s.f.noteRegular(s.rg, s.leaf, regularChunk{rows: r.rows, d: s.chunkD(), levelsPerRow: s.chunkD()})
	case (r.mode == modeScalar || r.mode == modeFLBA) && s.nulls == 0:
		s.f.noteRegular(s.rg, s.leaf, regularChunk{rows: r.rows, d: s.chunkD(), levelsPerRow: 1})
	}
}

// empty is the chunk of a row group without rows.
func (s *SegmentReader) empty(reuse *Floats) ValueChunk {
	c := ValueChunk{RowGroup: s.rg, FirstRow: s.r.firstRow, D: s.chunkD(), Type: s.r.typ.SlabType()}
	if s.r.mode == modeSeries || s.r.mode == modeSeq {
		c.Offsets = []int64{0}
	}
	if reuse != nil {
		if c.Type == Float64 {
			c.Values.F64 = reuse.F64[:0]
		} else {
			c.Values.F32 = reuse.F32[:0]
		}
	}
	return c
}

// Close stops read-ahead and gives back page buffers; safe to call twice.
func (s *SegmentReader) Close() error {
	s.closed = true
	s.release()
	return nil
}

// release gives back the page being taken and the page source.
func (s *SegmentReader) release() {
	if s.have {
		s.cur.release()
		s.cur, s.have = valuePage{}, false
	}
	if s.stream != nil {
		s.stream.close()
		s.stream = nil
	}
	if s.src != nil {
		s.src.close()
		s.src = nil
	}
}

// appendStored appends values as stored in a page (the column's physical
// type, little-endian) to the slab and returns how many floats it
// appended.
func (r *valueReader) appendStored(raw []byte) int {
	if r.typ != Float64 {
		return r.appendBytes(raw)
	}
	n := len(raw) / 8
	start := len(r.f64)
	r.f64 = slices.Grow(r.f64, n)[:start+n]
	dst := r.f64[start:]
	if littleEndian {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), n*8), raw)
		return n
	}
	for i := range dst {
		dst[i] = float64frombytes(raw[8*i:])
	}
	return n
}

// pageSource hands out a chunk's pages read and decompressed.
type pageSource interface {
	// get returns page i's (p's) uncompressed content and a function
	// giving its storage back (called before the next get).
	get(i int, p *pageLoc) ([]byte, func(), error)
	close()
}

// serialPages reads and decompresses each page when it is asked for,
// into one reused buffer.
type serialPages struct {
	f     *File
	codec format.CompressionCodec
	bufs  pageBufs
}

func newSerialPages(f *File, codec format.CompressionCodec) *serialPages {
	return &serialPages{f: f, codec: codec, bufs: f.pageBuf()}
}

func (p *serialPages) get(_ int, loc *pageLoc) ([]byte, func(), error) {
	data, err := p.f.fetchPage(loc, p.codec, &p.bufs)
	return data, func() {}, err
}

func (p *serialPages) close() {
	p.f.putPageBuf(p.bufs)
	p.bufs = pageBufs{}
}

func float64frombytes(b []byte) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

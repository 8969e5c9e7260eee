package parquetio

import (
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
)

// A colStream writes one output column of one input row group, a given
// number of rows at a time, so that output row groups can be cut anywhere
// (WriterOptions.RowGroupRows) while still writing column by column.
type colStream interface {
	// write adds the next n rows and returns how many it found; whole
	// batches go to cw, the rest stays for flushTail or the next write.
	write(cw *parquet.ColumnWriter, n int64) (int64, error)
	// flushTail writes the rows still held to cw.
	flushTail(cw *parquet.ColumnWriter) error
	// done reports whether the column has no values left.
	done() (bool, error)
	close()
}

// copyStream passes an input column through.
type copyStream struct {
	pages parquet.Pages
	page  parquet.Page
	vr    parquet.ValueReader
	buf   []parquet.Value // values read from the page
	pos   int
	end   int
	eof   bool
	out   []parquet.Value // values to write, whole rows except the last one
	last  int             // index in out of the current row's start
}

func newCopyStream(chunk parquet.ColumnChunk, buf []parquet.Value) *copyStream {
	return &copyStream{pages: chunk.Pages(), buf: buf}
}

// fill makes buf[pos:end] non-empty unless the column is exhausted. Before
// a page is released, complete rows are written and the current row's
// values cloned so they outlive the page.
func (s *copyStream) fill(cw *parquet.ColumnWriter) error {
	for s.pos == s.end && !s.eof {
		if s.vr != nil {
			n, err := s.vr.ReadValues(s.buf)
			s.pos, s.end = 0, n
			if n > 0 {
				return nil
			}
			if err != nil && err != io.EOF {
				return err
			}
			// page exhausted
			if s.last > 0 {
				if _, err := cw.WriteRowValues(s.out[:s.last]); err != nil {
					return err
				}
				s.out = s.out[:copy(s.out, s.out[s.last:])]
				s.last = 0
			}
			for i := range s.out {
				s.out[i] = s.out[i].Clone()
			}
			parquet.Release(s.page)
			s.page, s.vr = nil, nil
		}
		p, err := s.pages.ReadPage()
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			return asInput(err) // reading the input's pages
		}
		s.page, s.vr = p, p.Values()
	}
	return nil
}

func (s *copyStream) write(cw *parquet.ColumnWriter, n int64) (int64, error) {
	var rows int64
	for {
		if err := s.fill(cw); err != nil {
			return rows, err
		}
		if s.pos == s.end { // column exhausted
			break
		}
		v := s.buf[s.pos]
		if v.RepetitionLevel() == 0 {
			if rows == n {
				break
			}
			rows++
			if len(s.out) >= 4096 {
				if _, err := cw.WriteRowValues(s.out); err != nil {
					return rows, err
				}
				s.out = s.out[:0]
			}
			s.last = len(s.out)
		}
		s.out = append(s.out, v)
		s.pos++
	}
	return rows, nil
}

func (s *copyStream) flushTail(cw *parquet.ColumnWriter) error {
	if len(s.out) > 0 {
		if _, err := cw.WriteRowValues(s.out); err != nil {
			return err
		}
	}
	s.out, s.last = s.out[:0], 0
	return nil
}

func (s *copyStream) done() (bool, error) {
	if err := s.fill(nil); err != nil {
		return false, err
	}
	return s.pos == s.end, nil
}

func (s *copyStream) close() {
	if s.page != nil {
		parquet.Release(s.page)
		s.page = nil
	}
	s.pages.Close()
}

// genStream writes the new float values with the input value column's
// levels: those each segment carries (fromSeg), else read from the input's
// pages (opened only then).
type genStream struct {
	w       *Writer
	rg      int
	chunk   parquet.ColumnChunk // the input's value chunk
	pages   parquet.Pages
	page    parquet.Page
	reps    []byte
	defs    []byte
	i, n    int // level position in the page
	eof     bool
	outLeaf int
	vals    ValueChunk
	raw     []byte // FLBA: the slab's bytes
	per     int
	k       int // next slab index
	row     int // rows started
	out     []parquet.Value
	// levels known without the input's pages (see valuePages.choose):
	// every row is lpr defined levels; rowsLeft rows are still to come
	chosen   bool
	known    bool
	lpr      int
	rowsLeft int64
	lvBuf    [2][]byte
	fromSeg  bool
	segLv    segLevelReader
}

// knownLevels generates the next rows' levels when they are known.
func (s *genStream) knownLevels() {
	rows := int(min(s.rowsLeft, 4096))
	s.rowsLeft -= int64(rows)
	if rows == 0 {
		s.eof = true
		return
	}
	n := rows * s.lpr
	reps, defs := s.lvBuf[0][:0], s.lvBuf[1][:0]
	if s.w.m.leaf.MaxRepetitionLevel() > 0 {
		for range rows {
			reps = append(reps, 0)
			for j := 1; j < s.lpr; j++ {
				reps = append(reps, 1)
			}
		}
	}
	if s.w.m.maxDef > 0 {
		for range n {
			defs = append(defs, byte(s.w.m.maxDef))
		}
	}
	s.lvBuf = [2][]byte{reps, defs}
	s.reps, s.defs, s.i, s.n = reps, defs, 0, n
}

// chooseLevels decides, at the first segment, whether the levels are
// known without the input's pages (as valuePages.choose does).
func (s *genStream) chooseLevels(seg ValueChunk, rows int64) {
	s.chosen = true
	m := s.w.m
	maxRep := m.leaf.MaxRepetitionLevel()
	switch {
	case m.maxDef == 0 && maxRep == 0:
		s.known, s.lpr = true, 1
	case noRegular || seg.Offsets != nil || seg.Rows == 0:
	case m.packed():
		s.known, s.lpr = true, 1
	case maxRep == 1 && seg.D > 1:
		s.known, s.lpr = true, seg.D
	}
	s.rowsLeft = rows
	s.fromSeg = !s.known && !pageLevels && s.w.segLevelsOf(s.rg, seg) != nil
}

func (s *genStream) fill() error {
	if s.known {
		if s.i == s.n && !s.eof {
			s.knownLevels()
		}
		return nil
	}
	if s.fromSeg {
		for s.i == s.n && !s.eof {
			reps, defs, n, err := s.segLv.read()
			if err == io.EOF {
				s.eof = true // the segment's: setSegment starts the next
				return nil
			}
			if err != nil {
				return err
			}
			s.reps, s.defs, s.i, s.n = reps, defs, 0, n
		}
		return nil
	}
	if s.pages == nil {
		s.pages = s.chunk.Pages()
	}
	for s.i == s.n && !s.eof {
		if s.page != nil {
			parquet.Release(s.page)
			s.page = nil
		}
		p, err := s.pages.ReadPage()
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			return asInput(err) // reading the input's pages
		}
		s.page = p
		s.reps, s.defs = p.RepetitionLevels(), p.DefinitionLevels()
		s.i, s.n = 0, max(len(s.reps), len(s.defs))
		if s.n == 0 {
			s.n = int(p.NumValues())
		}
	}
	return nil
}

func (s *genStream) write(cw *parquet.ColumnWriter, n int64) (int64, error) {
	var rows int64
	m := s.w.m
	maxDef, slotDef := m.maxDef, s.w.slotDef
	f32, f64 := s.vals.Values.F32, s.vals.Values.F64
	total := s.vals.Values.Len()
	flba := m.packed()
	for {
		if err := s.fill(); err != nil {
			return rows, err
		}
		if s.i == s.n {
			break
		}
		rl, d := 0, maxDef
		if len(s.reps) > 0 {
			rl = int(s.reps[s.i])
		}
		if len(s.defs) > 0 {
			d = int(s.defs[s.i])
		}
		if rl == 0 {
			if rows == n {
				break
			}
			if err := s.vals.checkRowStart(s.row, s.k); err != nil {
				return rows, err
			}
			rows++
			s.row++
			if len(s.out) >= 4096 {
				if _, err := cw.WriteRowValues(s.out); err != nil {
					return rows, err
				}
				s.out = s.out[:0]
			}
		}
		s.i++
		var nv parquet.Value
		switch {
		case d < slotDef:
			nv = parquet.NullValue().Level(rl, d, s.outLeaf)
		case s.k+s.per > total:
			return rows, fmt.Errorf("the values hold %d floats, the column needs more", total)
		case flba:
			if d < maxDef {
				nv = parquet.NullValue().Level(rl, d, s.outLeaf)
			} else {
				nv = parquet.FixedLenByteArrayValue(s.raw[s.k*4:(s.k+s.per)*4]).Level(rl, maxDef, s.outLeaf)
			}
			s.k += s.per
		case f32 != nil:
			x := f32[s.k]
			if d < maxDef && x != x {
				nv = parquet.NullValue().Level(rl, d, s.outLeaf)
			} else {
				nv = s.w.value32(x)
				nv.SetRepetitionLevel(rl)
				nv.SetDefinitionLevel(maxDef)
				nv.SetColumnIndex(s.outLeaf)
			}
			s.k++
		default:
			x := f64[s.k]
			if d < maxDef && math.IsNaN(x) {
				nv = parquet.NullValue().Level(rl, d, s.outLeaf)
			} else {
				nv = parquet.DoubleValue(x)
				nv.SetRepetitionLevel(rl)
				nv.SetDefinitionLevel(maxDef)
				nv.SetColumnIndex(s.outLeaf)
			}
			s.k++
		}
		s.out = append(s.out, nv)
	}
	return rows, nil
}

func (s *genStream) flushTail(cw *parquet.ColumnWriter) error {
	if len(s.out) > 0 {
		if _, err := cw.WriteRowValues(s.out); err != nil {
			return err
		}
	}
	s.out = s.out[:0]
	return nil
}

// setSegment makes vals (raw: its bytes for a FIXED_LEN_BYTE_ARRAY
// column) the values of the next rows, once the previous segment's are all
// used.
func (s *genStream) setSegment(vals ValueChunk, raw []byte) error {
	if s.k != s.vals.Values.Len() {
		return fmt.Errorf("the values hold %d floats, the column has %d", s.vals.Values.Len(), s.k)
	}
	if s.fromSeg {
		if s.i < s.n || s.segLv.left > 0 {
			return fmt.Errorf("the values have %d rows, the column has more", s.row)
		}
		l := s.w.segLevelsOf(s.rg, vals)
		if l == nil {
			return fmt.Errorf("the values of rows %d.. carry no levels of the input, the first rows' did", s.row)
		}
		s.segLv.reset(l)
		s.i, s.n, s.eof = 0, 0, false
	}
	s.vals, s.raw, s.k, s.row = vals, raw, 0, 0
	s.per = 1
	if s.w.m.packed() {
		s.per = s.w.m.flbaLen / 4
	}
	return nil
}

// detach copies the FIXED_LEN_BYTE_ARRAY values still held for the next
// batch off the segment's storage, which the caller may reuse once
// WriteSegment returns (float values are held by value).
func (s *genStream) detach() {
	if s.raw == nil {
		return
	}
	for i := range s.out {
		s.out[i] = s.out[i].Clone()
	}
}

func (s *genStream) done() (bool, error) {
	if err := s.fill(); err != nil {
		return false, err
	}
	if s.i == s.n && s.k != s.vals.Values.Len() {
		return false, fmt.Errorf("the values hold %d floats, the column has %d", s.vals.Values.Len(), s.k)
	}
	return s.i == s.n, nil
}

func (s *genStream) close() {
	if s.page != nil {
		parquet.Release(s.page)
		s.page = nil
	}
	if s.pages != nil {
		s.pages.Close()
	}
}

// openStreams starts writing input row group g.rg column by column.
func (w *Writer) openStreams(g *openGroup) {
	in := w.in
	cws := w.pw.ColumnWriters()
	replace := w.opts.OutputColumn == ""
	chunks := in.pf.RowGroups()[g.rg].ColumnChunks()
	if len(w.vbufs) < len(cws) {
		w.vbufs = make([][]parquet.Value, len(cws))
		w.outs = make([][]parquet.Value, len(cws))
		for i := range w.vbufs {
			w.vbufs[i] = make([]parquet.Value, 512)
		}
	}
	g.streams = make([]colStream, len(cws))
	g.names = make([]string, len(cws))
	for leaf := range cws {
		gen := (replace && leaf == w.inLeaf) || (!replace && leaf == w.outLeaf)
		if gen {
			g.gen = &genStream{w: w, rg: g.rg, chunk: chunks[w.inLeaf], outLeaf: leaf, out: w.outs[leaf][:0]}
			g.streams[leaf] = g.gen
			g.names[leaf] = w.valueName()
		} else {
			cs := newCopyStream(chunks[leaf], w.vbufs[leaf])
			cs.out = w.outs[leaf][:0]
			g.streams[leaf] = cs
			g.names[leaf] = fmt.Sprint(in.pf.Schema().Columns()[leaf])
		}
	}
}

// writeStreamRows writes the rows of vals, the next of row group g, column
// by column, cutting output row groups every RowGroupRows rows (counted
// across input row groups). Values go to parquet-go in batches cut only at
// output row groups, input row group ends and input pages, never at
// segment ends, so its pages do not depend on the segments either.
func (w *Writer) writeStreamRows(g *openGroup, vals ValueChunk) error {
	cws := w.pw.ColumnWriters()
	if !g.gen.chosen {
		g.gen.chooseLevels(vals, g.want)
	}
	if err := g.gen.setSegment(vals, w.flbaBytes(vals)); err != nil {
		return w.streamError(g, w.outLeaf, err)
	}
	for remaining := int64(vals.Rows); remaining > 0; {
		n := remaining
		if w.opts.RowGroupRows > 0 {
			n = min(n, int64(w.opts.RowGroupRows)-w.pending)
		}
		cut := w.opts.RowGroupRows > 0 && w.pending+n == int64(w.opts.RowGroupRows)
		for leaf, s := range g.streams {
			got, err := s.write(cws[leaf], n)
			if err == nil && got != n {
				err = fmt.Errorf("%d rows, the row group has %d: %w", g.rows+int64(vals.Rows)-remaining+got, g.want, parquet.ErrCorrupted)
			}
			if err == nil && cut {
				err = s.flushTail(cws[leaf])
			}
			if err != nil {
				return w.streamError(g, leaf, err)
			}
		}
		remaining -= n
		w.pending += n
		if cut {
			if err := w.pw.Flush(); err != nil {
				return fmt.Errorf("writing output of %s: row group %d: %w", w.in.path, g.rg, err)
			}
			w.pending = 0
		}
	}
	g.gen.detach()
	return nil
}

// streamError names the file, row group and output column a stream failed in.
func (w *Writer) streamError(g *openGroup, leaf int, err error) error {
	return fmt.Errorf("writing output of %s: row group %d, column %q: %w", w.in.path, g.rg, g.names[leaf], err)
}

// endStreams finishes row group g: the batches still held are written and
// every column must be exhausted.
func (w *Writer) endStreams(g *openGroup) error {
	in := w.in
	cws := w.pw.ColumnWriters()
	defer func() {
		for leaf, s := range g.streams {
			switch s := s.(type) { // keep the grown write buffers for the next row group
			case *copyStream:
				w.outs[leaf] = s.out[:0]
			case *genStream:
				w.outs[leaf] = s.out[:0]
			}
		}
		g.close()
	}()
	fail := func(leaf int, err error) error {
		return fmt.Errorf("writing output of %s: row group %d, column %q: %w", in.path, g.rg, g.names[leaf], err)
	}
	for leaf, s := range g.streams {
		if err := s.flushTail(cws[leaf]); err != nil {
			return fail(leaf, err)
		}
		done, err := s.done()
		if err != nil {
			return fail(leaf, err)
		}
		if !done {
			return fail(leaf, fmt.Errorf("more rows than the row group's %d: %w", g.want, parquet.ErrCorrupted))
		}
	}
	if w.opts.RowGroupRows == 0 {
		if err := w.pw.Flush(); err != nil {
			return fmt.Errorf("writing output of %s: row group %d: %w", in.path, g.rg, err)
		}
		w.pending = 0
	}
	w.rowsDone += g.want
	return nil
}

// checkRowStart checks that row r's values start at slab index k, so
// values are never shifted between rows when the chunk's Offsets (or D)
// do not match the input's layout.
func (c ValueChunk) checkRowStart(r, k int) error {
	if r > c.Rows {
		return fmt.Errorf("the values have %d rows, the column has more", c.Rows)
	}
	want := int64(r) * int64(c.D)
	if c.Offsets != nil {
		if r >= len(c.Offsets) {
			return fmt.Errorf("the values have %d offsets, the column has more rows", len(c.Offsets))
		}
		want = c.Offsets[r] * int64(c.D)
	}
	if int64(k) != want {
		return fmt.Errorf("row %d starts at value %d of the column, at value %d of the values (Offsets or D do not match the input)", r, k, want)
	}
	return nil
}

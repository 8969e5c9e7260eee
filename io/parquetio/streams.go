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
	// write writes the next n rows to cw and returns how many it found.
	write(cw *parquet.ColumnWriter, n int64) (int64, error)
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
	if len(s.out) > 0 {
		if _, err := cw.WriteRowValues(s.out); err != nil {
			return rows, err
		}
	}
	s.out, s.last = s.out[:0], 0
	return rows, nil
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
// levels.
type genStream struct {
	w       *Writer
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
}

func (s *genStream) fill() error {
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
	if len(s.out) > 0 {
		if _, err := cw.WriteRowValues(s.out); err != nil {
			return rows, err
		}
	}
	s.out = s.out[:0]
	return rows, nil
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
	s.pages.Close()
}

// writeStreams writes input row group rg column by column, cutting output
// row groups every RowGroupRows rows (counted across input row groups), or
// at the end of the input row group when RowGroupRows is 0.
func (w *Writer) writeStreams(rg int, vals ValueChunk, raw []byte, per int) error {
	in := w.in
	cws := w.pw.ColumnWriters()
	want := in.RowGroupRows(rg)
	replace := w.opts.OutputColumn == ""
	chunks := in.pf.RowGroups()[rg].ColumnChunks()
	if len(w.vbufs) < len(cws) {
		w.vbufs = make([][]parquet.Value, len(cws))
		w.outs = make([][]parquet.Value, len(cws))
		for i := range w.vbufs {
			w.vbufs[i] = make([]parquet.Value, 512)
		}
	}
	streams := make([]colStream, len(cws))
	names := make([]string, len(cws))
	for leaf := range cws {
		gen := (replace && leaf == w.inLeaf) || (!replace && leaf == w.outLeaf)
		if gen {
			streams[leaf] = &genStream{w: w, pages: chunks[w.inLeaf].Pages(), outLeaf: leaf, vals: vals, raw: raw, per: per, out: w.outs[leaf][:0]}
			names[leaf] = w.m.info.Name
			if !replace {
				names[leaf] = w.opts.OutputColumn
			}
		} else {
			cs := newCopyStream(chunks[leaf], w.vbufs[leaf])
			cs.out = w.outs[leaf][:0]
			streams[leaf] = cs
			names[leaf] = fmt.Sprint(in.pf.Schema().Columns()[leaf])
		}
	}
	defer func() {
		for leaf, s := range streams {
			switch s := s.(type) { // keep the grown write buffers for the next row group
			case *copyStream:
				w.outs[leaf] = s.out[:0]
			case *genStream:
				w.outs[leaf] = s.out[:0]
			}
			s.close()
		}
	}()
	fail := func(leaf int, err error) error {
		return fmt.Errorf("writing output of %s: row group %d, column %q: %w", in.path, rg, names[leaf], err)
	}
	for remaining := want; remaining > 0 || want == 0; {
		n := remaining
		if w.opts.RowGroupRows > 0 {
			n = min(n, int64(w.opts.RowGroupRows)-w.pending)
		}
		for leaf, s := range streams {
			got, err := s.write(cws[leaf], n)
			if err != nil {
				return fail(leaf, err)
			}
			if got != n {
				return fail(leaf, fmt.Errorf("%d rows, the row group has %d: %w", want-remaining+got, want, parquet.ErrCorrupted))
			}
		}
		remaining -= n
		w.pending += n
		if w.opts.RowGroupRows > 0 && w.pending == int64(w.opts.RowGroupRows) {
			if err := w.pw.Flush(); err != nil {
				return fmt.Errorf("writing output of %s: row group %d: %w", in.path, rg, err)
			}
			w.pending = 0
		}
		if remaining == 0 {
			break
		}
	}
	for leaf, s := range streams {
		done, err := s.done()
		if err != nil {
			return fail(leaf, err)
		}
		if !done {
			return fail(leaf, fmt.Errorf("more rows than the row group's %d: %w", want, parquet.ErrCorrupted))
		}
	}
	if w.opts.RowGroupRows == 0 {
		if err := w.pw.Flush(); err != nil {
			return fmt.Errorf("writing output of %s: row group %d: %w", in.path, rg, err)
		}
		w.pending = 0
	}
	w.rowsDone += want
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

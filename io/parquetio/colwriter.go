package parquetio

import (
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
)

// rowBatcher feeds a ColumnWriter whole rows of values: WriteRowValues
// must never see a row cut in two (a data page v1 may end mid-row).
type rowBatcher struct {
	cw    *parquet.ColumnWriter
	buf   []parquet.Value
	last  int // index in buf of the last row start
	rows  int64
	batch int
}

func (b *rowBatcher) reset(cw *parquet.ColumnWriter) {
	b.cw, b.buf, b.last, b.rows = cw, b.buf[:0], 0, 0
}

func (b *rowBatcher) add(v parquet.Value) error {
	if v.RepetitionLevel() == 0 {
		b.rows++
		if len(b.buf) >= b.batch && len(b.buf) > 0 {
			if _, err := b.cw.WriteRowValues(b.buf); err != nil {
				return err
			}
			b.buf = b.buf[:0]
		}
		b.last = len(b.buf)
	}
	b.buf = append(b.buf, v)
	return nil
}

// flushComplete writes every complete row and keeps the last (possibly
// incomplete) one, cloning its values so they outlive the current page.
func (b *rowBatcher) flushComplete() error {
	if b.last > 0 {
		if _, err := b.cw.WriteRowValues(b.buf[:b.last]); err != nil {
			return err
		}
		n := copy(b.buf, b.buf[b.last:])
		b.buf = b.buf[:n]
		b.last = 0
	}
	for i := range b.buf {
		b.buf[i] = b.buf[i].Clone()
	}
	return nil
}

func (b *rowBatcher) flush() error {
	if len(b.buf) > 0 {
		if _, err := b.cw.WriteRowValues(b.buf); err != nil {
			return err
		}
	}
	b.buf, b.last = b.buf[:0], 0
	return nil
}

// copyColumn passes a column chunk's values through to cw.
func (w *Writer) copyColumn(rg, leaf int, cw *parquet.ColumnWriter) (int64, error) {
	chunk := w.in.pf.RowGroups()[rg].ColumnChunks()[leaf]
	pages := chunk.Pages()
	defer pages.Close()
	b := &w.batcher
	b.reset(cw)
	vbuf := w.vbuf
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(vbuf)
			for _, v := range vbuf[:n] {
				if e := b.add(v); e != nil {
					parquet.Release(p)
					return 0, e
				}
			}
			if err == io.EOF || (err == nil && n == 0) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return 0, err
			}
		}
		err = b.flushComplete()
		parquet.Release(p)
		if err != nil {
			return 0, err
		}
	}
	return b.rows, b.flush()
}

// genColumn writes the new float values to cw with the levels of the input
// value column.
func (w *Writer) genColumn(rg int, cw *parquet.ColumnWriter, outLeaf int, vals ValueChunk, raw []byte, per int) (int64, error) {
	chunk := w.in.pf.RowGroups()[rg].ColumnChunks()[w.inLeaf]
	pages := chunk.Pages()
	defer pages.Close()
	b := &w.batcher
	b.reset(cw)
	f32, f64 := vals.Values.F32, vals.Values.F64
	total := vals.Values.Len()
	flba := raw != nil || w.m.kind == parquet.FixedLenByteArray
	maxDef := w.m.maxDef
	slotDef := w.slotDef
	k := 0
	row := 0
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		reps, defs := p.RepetitionLevels(), p.DefinitionLevels()
		n := len(defs)
		if len(reps) > n {
			n = len(reps)
		}
		if n == 0 {
			n = int(p.NumValues())
		}
		for i := 0; i < n; i++ {
			rl, d := 0, maxDef
			if len(reps) > 0 {
				rl = int(reps[i])
			}
			if len(defs) > 0 {
				d = int(defs[i])
			}
			if rl == 0 {
				if err := vals.checkRowStart(row, k); err != nil {
					parquet.Release(p)
					return 0, err
				}
				row++
			}
			var nv parquet.Value
			switch {
			case d < slotDef:
				nv = parquet.NullValue().Level(rl, d, outLeaf)
			case k+per > total:
				parquet.Release(p)
				return 0, fmt.Errorf("the values hold %d floats, the column needs more", total)
			case flba:
				if d < maxDef {
					nv = parquet.NullValue().Level(rl, d, outLeaf)
				} else {
					nv = parquet.FixedLenByteArrayValue(raw[k*4:(k+per)*4]).Level(rl, maxDef, outLeaf)
				}
				k += per
			case f32 != nil:
				x := f32[k]
				if d < maxDef && x != x {
					nv = parquet.NullValue().Level(rl, d, outLeaf)
				} else {
					nv = parquet.FloatValue(x)
					nv.SetRepetitionLevel(rl)
					nv.SetDefinitionLevel(maxDef)
					nv.SetColumnIndex(outLeaf)
				}
				k++
			default:
				x := f64[k]
				if d < maxDef && math.IsNaN(x) {
					nv = parquet.NullValue().Level(rl, d, outLeaf)
				} else {
					nv = parquet.DoubleValue(x)
					nv.SetRepetitionLevel(rl)
					nv.SetDefinitionLevel(maxDef)
					nv.SetColumnIndex(outLeaf)
				}
				k++
			}
			if err := b.add(nv); err != nil {
				parquet.Release(p)
				return 0, err
			}
		}
		parquet.Release(p)
	}
	if k != total {
		return 0, fmt.Errorf("the values hold %d floats, the column has %d", total, k)
	}
	return b.rows, b.flush()
}

// writeColumns writes input row group rg column by column (the fast path,
// used when output row groups map one to one to input row groups).
func (w *Writer) writeColumns(rg int, vals ValueChunk, raw []byte, per int) error {
	in := w.in
	cws := w.pw.ColumnWriters()
	want := in.RowGroupRows(rg)
	replace := w.opts.OutputColumn == ""
	if w.vbuf == nil {
		w.vbuf = make([]parquet.Value, 1024)
		w.batcher.batch = 4096
	}
	for leaf := 0; leaf < in.numLeaf; leaf++ {
		var rows int64
		var err error
		if replace && leaf == w.inLeaf {
			rows, err = w.genColumn(rg, cws[leaf], leaf, vals, raw, per)
		} else {
			rows, err = w.copyColumn(rg, leaf, cws[leaf])
		}
		if err != nil {
			return fmt.Errorf("writing output of %s: row group %d, column %q: %w", in.path, rg, fmt.Sprint(in.pf.Schema().Columns()[leaf]), err)
		}
		if rows != want {
			return fmt.Errorf("writing output of %s: row group %d, column %q: %d rows, the row group has %d: %w",
				in.path, rg, fmt.Sprint(in.pf.Schema().Columns()[leaf]), rows, want, parquet.ErrCorrupted)
		}
	}
	if !replace {
		rows, err := w.genColumn(rg, cws[w.outLeaf], w.outLeaf, vals, raw, per)
		if err != nil {
			return fmt.Errorf("writing output of %s: row group %d, column %q: %w", in.path, rg, w.opts.OutputColumn, err)
		}
		if rows != want {
			return fmt.Errorf("writing output of %s: row group %d: %d rows, the row group has %d: %w", in.path, rg, rows, want, parquet.ErrCorrupted)
		}
	}
	if err := w.pw.Flush(); err != nil {
		return fmt.Errorf("writing output of %s: row group %d: %w", in.path, rg, err)
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

package parquetio

import (
	"fmt"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// An output row group is written in three steps, so that its value column
// is encoded page by page as its rows are computed instead of being held
// whole:
//
//	BeginRowGroup(rg)        the columns before the value column, copied
//	WriteSegment(chunk) ...  the next rows' values, in row order
//	EndRowGroup()            the last page, then the columns after it
//
// WriteRowGroup is the three with a single segment; the output bytes do not
// depend on how the rows are split into segments.

// openGroup is the input row group being written.
type openGroup struct {
	rg   int
	rows int64 // rows received so far
	want int64 // rows of the input row group
	// fast writer
	cols []format.ColumnChunk
	vp   *valuePages
	// stream writer
	streams []colStream
	names   []string
	gen     *genStream
}

// genLeaf is the output leaf the values go to: the value column's, or the
// added column's (the last).
func (w *Writer) genLeaf() int {
	if w.opts.OutputColumn == "" {
		return w.inLeaf
	}
	return w.in.numLeaf
}

// valueName is the output value column's name, for messages.
func (w *Writer) valueName() string {
	if w.opts.OutputColumn != "" {
		return w.opts.OutputColumn
	}
	return w.m.info.Name
}

// BeginRowGroup starts the output of input row group rg: output row groups
// follow the input's (or are cut every WriterOptions.RowGroupRows rows).
// The columns before the value column are copied now; rows then come with
// WriteSegment, and EndRowGroup finishes it.
func (w *Writer) BeginRowGroup(rg int) (err error) {
	in := w.in
	switch {
	case w.closed:
		return fmt.Errorf("writing %s: writer is closed", in.path)
	case w.open != nil:
		return fmt.Errorf("writing output of %s: row group %d begun while row group %d is open", in.path, rg, w.open.rg)
	case rowPath:
		return fmt.Errorf("writing output of %s: the row-by-row reference writer takes whole row groups (WriteRowGroup)", in.path)
	}
	if err := in.checkRowGroup(rg); err != nil {
		return err
	}
	defer w.recoverWrite(rg, &err)
	in.prefetch(rg, w.readLeaves()...)
	for leaf := 0; leaf < in.numLeaf; leaf++ {
		// the value chunk is checked by whoever decodes it: the reader
		// that made the segments, and valuePages before it reads the
		// input's levels
		if leaf == w.inLeaf && w.opts.OutputColumn == "" {
			continue
		}
		if err := in.checkChunk(rg, leaf); err != nil {
			return err
		}
	}
	g := &openGroup{rg: rg, want: in.RowGroupRows(rg)}
	if w.fast != nil {
		for leaf := 0; leaf < w.genLeaf(); leaf++ {
			cc, err := w.copyChunk(rg, leaf)
			if err != nil {
				return fmt.Errorf("writing output of %s: %w", in.path, err)
			}
			g.cols = append(g.cols, cc)
		}
		w.startVerify(rg + 1) // while this one is written
		if g.vp, err = w.beginPages(rg); err != nil {
			return fmt.Errorf("writing output of %s: row group %d, column %q: %w", in.path, rg, w.valueName(), err)
		}
	} else {
		for leaf := 0; leaf < in.numLeaf; leaf++ { // parquet-go decodes them page by page
			if err := in.chunkDecodesWhole(rg, leaf); err != nil {
				return err
			}
		}
		w.openStreams(g)
	}
	w.open = g
	return nil
}

// WriteSegment writes the next rows of the open row group: whole rows, in
// input row order, with the value column's float values replaced by
// vals (the layout a SegmentReader produced: D, Offsets from 0 and type).
// A slot that was null in the input (read as NaN) stays null when its new
// value is NaN. The writer keeps no reference to vals' storage once it
// returns.
func (w *Writer) WriteSegment(vals ValueChunk) (err error) {
	in, g := w.in, w.open
	if g == nil {
		return fmt.Errorf("writing output of %s: a segment with no row group begun", in.path)
	}
	defer w.recoverWrite(g.rg, &err)
	if err := w.checkValues(g.rg, vals); err != nil {
		return err
	}
	if g.rows+int64(vals.Rows) > g.want {
		return fmt.Errorf("writing output of %s: row group %d has %d rows, the values have %d or more", in.path, g.rg, g.want, g.rows+int64(vals.Rows))
	}
	if w.fast == nil {
		if err := w.writeStreamRows(g, vals); err != nil {
			return err
		}
	} else if err := g.vp.add(vals); err != nil {
		return fmt.Errorf("writing output of %s: row group %d, column %q: %w", in.path, g.rg, w.valueName(), err)
	}
	g.rows += int64(vals.Rows)
	return nil
}

// EndRowGroup finishes the open row group: its last value page, then the
// columns after the value column.
func (w *Writer) EndRowGroup() (err error) {
	in, g := w.in, w.open
	if g == nil {
		return fmt.Errorf("writing output of %s: no row group begun", in.path)
	}
	w.open = nil
	defer w.recoverWrite(g.rg, &err)
	if g.rows != g.want {
		g.close()
		return fmt.Errorf("writing output of %s: row group %d has %d rows, the values have %d", in.path, g.rg, g.want, g.rows)
	}
	if w.fast == nil {
		return w.endStreams(g)
	}
	cc, err := g.vp.finish()
	if err != nil {
		return fmt.Errorf("writing output of %s: row group %d, column %q: %w", in.path, g.rg, w.valueName(), err)
	}
	cols := append(g.cols, cc)
	numLeaf := in.numLeaf
	if w.opts.OutputColumn != "" {
		numLeaf++
	}
	for leaf := w.genLeaf() + 1; leaf < numLeaf; leaf++ {
		cc, err := w.copyChunk(g.rg, leaf)
		if err != nil {
			return fmt.Errorf("writing output of %s: %w", in.path, err)
		}
		cols = append(cols, cc)
	}
	w.fast.addRowGroup(cols, g.want)
	w.rowsDone += g.want
	return nil
}

// close releases what an abandoned row group holds.
func (g *openGroup) close() {
	if g.vp != nil {
		g.vp.close()
	}
	for _, s := range g.streams {
		s.close()
	}
	g.streams = nil
}

// recoverWrite turns a panic in the decoders of the input's pages into a
// CorruptError.
func (w *Writer) recoverWrite(rg int, err *error) {
	if r := recover(); r != nil {
		*err = &CorruptError{Err: fmt.Errorf("writing output of %s: row group %d: %w", w.in.path, rg, errDecoder)}
	}
}

// checkValues checks that vals fit the output column: float type, vector
// width of a FIXED_LEN_BYTE_ARRAY column, float16 range.
func (w *Writer) checkValues(rg int, vals ValueChunk) error {
	in := w.in
	f32, f64 := vals.Values.F32, vals.Values.F64
	switch {
	case (w.m.kind == parquet.Float || w.m.kind == parquet.FixedLenByteArray) && (vals.Type == Float64 || (f64 != nil && f32 == nil)):
		return fmt.Errorf("writing output of %s: column %q holds float32, the values are float64", in.path, w.m.info.Name)
	case w.m.kind == parquet.Double && (vals.Type == Float32 || (f32 != nil && f64 == nil)):
		return fmt.Errorf("writing output of %s: column %q holds float64, the values are float32", in.path, w.m.info.Name)
	}
	if err := w.checkFloat16Range(rg, vals); err != nil {
		return err
	}
	if w.m.packed() {
		if per := w.m.flbaLen / 4; per == 0 || vals.D != per {
			return fmt.Errorf("writing output of %s: column %q holds vectors of %d float32, the values have d=%d", in.path, w.m.info.Name, per, vals.D)
		}
	}
	return nil
}

// flbaBytes is the byte view of a FIXED_LEN_BYTE_ARRAY column's float32
// values (nil for other columns).
func (w *Writer) flbaBytes(vals ValueChunk) []byte {
	if !w.m.packed() || len(vals.Values.F32) == 0 {
		return nil
	}
	f32 := vals.Values.F32
	return unsafe.Slice((*byte)(unsafe.Pointer(&f32[0])), len(f32)*4)
}

// addRowGroup records a written row group's column chunks for the footer.
func (fw *fastWriter) addRowGroup(cols []format.ColumnChunk, rows int64) {
	var total, totalComp int64
	firstOff := int64(-1)
	for _, cc := range cols {
		if firstOff < 0 {
			firstOff = cc.FileOffset
		}
		total += cc.MetaData.TotalUncompressedSize
		totalComp += cc.MetaData.TotalCompressedSize
	}
	fw.rowGroups = append(fw.rowGroups, format.RowGroup{
		Columns:             cols,
		TotalByteSize:       total,
		NumRows:             rows,
		FileOffset:          max(firstOff, 0),
		TotalCompressedSize: totalComp,
		Ordinal:             int16(len(fw.rowGroups)),
	})
}

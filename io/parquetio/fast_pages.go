package parquetio

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// valuePages encodes the value column of one output row group (fast
// writer) page by page, as segments of its rows arrive in row order. A page
// is cut where its rows reach fastPageBytes of values (or maxPageLevels
// levels), wherever the segments end: the output bytes depend only on the
// rows, never on how they were split. The values of a page that spans
// segments are copied into fastWriter.vals when its first segment ends.
type valuePages struct {
	w          *Writer
	rg         int
	uniform    bool // every row holds lpr levels, all values: no input levels needed
	lpr        int  // uniform: levels per row
	rowsPerPg  int  // uniform: rows per full page
	per        int  // floats per value (FLBA vectors: d)
	esize      int  // bytes per slab float
	pageFloats int
	hasReps    bool
	hasDefs    bool
	wantRows   int64
	chunkStart int64
	chosen     bool // the first segment chose uniform or not

	numValues, nullCount, uncompTotal, compTotal int64

	ps            pageState
	row           int  // rows of the row group started
	cachedRows    int  // uniform: rows fw.reps and fw.defs hold levels for
	levelsEncoded bool // fw.repBuf and fw.defBuf encode fw.reps and fw.defs

	// the segment being written
	seg   ValueChunk
	slab  []byte
	total int // floats in seg
	k     int // next float of seg
	segHi int // the row group's row at which seg ends

	// not uniform: the input value column's levels, a window at a time,
	// from each segment (fromSeg) or else read from the input's pages
	fromSeg    bool
	segLv      segLevelReader
	levels     *levelPages
	reps, defs []byte
	li, ln     int  // level position in page
	bulk       bool // every level of page holds a value
	eof        bool
}

// pageState accumulates one output data page of the value column.
type pageState struct {
	levels int // levels in the page
	nulls  int
	rows   int
	// values: the slab range [vlo, vhi) (in floats) while contiguous,
	// else the bytes in fastWriter.vals
	vlo, vhi   int
	contiguous bool
}

// beginPages starts the value column chunk of row group rg at the current
// end of the output.
func (w *Writer) beginPages(rg int) (*valuePages, error) {
	fw := w.fast
	if fw.off == 0 {
		if err := fw.write(nil); err != nil {
			return nil, err
		}
	}
	m := w.m
	vp := &valuePages{w: w, rg: rg, per: 1, esize: 4, wantRows: w.in.RowGroupRows(rg), chunkStart: fw.off,
		hasReps: fw.maxRep > 0, hasDefs: m.maxDef > 0, ps: pageState{contiguous: true}}
	if m.packed() {
		vp.per = m.flbaLen / 4
	}
	if m.kind == parquet.Double {
		vp.esize = 8
	}
	vp.pageFloats = max(fastPageBytes/vp.esize, vp.per)
	fw.reps, fw.defs, fw.vals = fw.reps[:0], fw.defs[:0], fw.vals[:0]
	return vp, nil
}

// choose decides, at the first segment, whether the levels are known
// without the input's: a required flat column (one value per row, no
// levels); one vector per row (a list of d > 1 floats, or a
// FIXED_LEN_BYTE_ARRAY vector), where the reader refuses null vectors,
// nulls inside vectors and ragged ones, so every row is d defined levels;
// or a chunk the reader saw with every level defined. Otherwise the
// input's levels (nulls and empty lists) come with each segment, as the
// segment reader walked them; only values that carry none (not read by a
// SegmentReader of this input) make it read the input's pages again.
func (vp *valuePages) choose(seg ValueChunk) error {
	vp.chosen = true
	w, in := vp.w, vp.w.in
	switch reg, ok := in.regularOf(vp.rg, w.inLeaf); {
	case w.m.maxDef == 0 && w.fast.maxRep == 0:
		vp.uniform, vp.lpr = true, 1
	case noRegular:
	case seg.Offsets == nil && w.m.packed() && seg.Rows > 0:
		vp.uniform, vp.lpr = true, 1
	case seg.Offsets == nil && w.fast.maxRep == 1 && seg.D > 1 && seg.Rows > 0:
		vp.uniform, vp.lpr = true, seg.D
	case ok && seg.Offsets == nil && seg.D == reg.d && reg.rows == vp.wantRows:
		vp.uniform, vp.lpr = true, reg.levelsPerRow
	}
	if vp.uniform {
		vp.rowsPerPg = pageRows(vp.pageFloats, vp.lpr*vp.per, vp.lpr)
		return nil
	}
	if !pageLevels && w.segLevelsOf(vp.rg, seg) != nil {
		vp.fromSeg = true
		return nil
	}
	var err error
	vp.levels, err = in.newLevelPages(vp.rg, w.inLeaf, w.fast.maxRep, w.m.maxDef)
	return err
}

// segLevelsOf returns the levels seg carries when they are those of the
// input value column of row group rg (nil otherwise).
func (w *Writer) segLevelsOf(rg int, seg ValueChunk) *segLevels {
	l := seg.levels
	if l == nil || l.f != w.in || l.rg != rg || l.leaf != w.inLeaf {
		return nil
	}
	return l
}

// add encodes the rows of seg, the next rows of the row group.
func (vp *valuePages) add(seg ValueChunk) error {
	if !vp.chosen {
		if err := vp.choose(seg); err != nil {
			return err
		}
	}
	vp.seg, vp.total, vp.k = seg, seg.Values.Len(), 0
	vp.slab = slabBytes(seg.Values)
	vp.segHi = vp.row + seg.Rows
	if int64(vp.segHi) > vp.wantRows {
		return fmt.Errorf("the values have %d rows, the row group has %d", vp.segHi, vp.wantRows)
	}
	var err error
	switch {
	case vp.uniform:
		err = vp.addUniform()
	case vp.fromSeg:
		err = vp.addSegLevels()
	default:
		err = vp.addLevels()
	}
	if err != nil {
		return err
	}
	if vp.k != vp.total {
		return fmt.Errorf("the values hold %d floats, the column has %d", vp.total, vp.k)
	}
	// The row group's last rows: its last page is written now, from the
	// segment, as finish would write it, instead of being copied out of
	// the segment first (a row group read as one segment, DuckDB's 122,880
	// rows, had every value copied once more).
	if int64(vp.row) == vp.wantRows {
		if err := vp.flush(); err != nil {
			return err
		}
	}
	// a page still open keeps its values: copy them out of the segment
	if vp.ps.contiguous && vp.ps.vhi > vp.ps.vlo {
		fw := vp.w.fast
		fw.vals = append(fw.vals[:0], vp.slab[vp.ps.vlo*vp.esize:vp.ps.vhi*vp.esize]...)
		vp.ps.contiguous = false
	}
	vp.seg, vp.slab = ValueChunk{}, nil
	return nil
}

// addUniform takes whole rows of lpr*per floats, cutting a page every
// rowsPerPg rows.
func (vp *valuePages) addUniform() error {
	seg, rowFloats := vp.seg, vp.lpr*vp.per
	if vp.total != seg.Rows*rowFloats {
		return fmt.Errorf("the values hold %d floats, the column has %d", vp.total, seg.Rows*rowFloats)
	}
	// Without Offsets row r starts at r*D: every row starts where it
	// should when rows 0 and 1 do (the first that would not), so only
	// Offsets are checked row by row.
	last := seg.Rows
	if seg.Offsets == nil {
		last = min(seg.Rows, 1)
	}
	for r := 0; r <= last; r++ {
		if err := seg.checkRowStart(r, r*rowFloats); err != nil {
			return err
		}
	}
	for r := 0; r < seg.Rows; {
		n := min(vp.rowsPerPg-vp.ps.rows, seg.Rows-r)
		vp.take(r*rowFloats, n*rowFloats)
		vp.ps.rows += n
		vp.ps.levels += n * vp.lpr
		r += n
		if vp.ps.rows == vp.rowsPerPg {
			if err := vp.flush(); err != nil {
				return err
			}
		}
	}
	vp.row = vp.segHi
	vp.k = vp.total
	return nil
}

// uniformLevels fills fw.reps and fw.defs for a page of rows uniform rows.
func (vp *valuePages) uniformLevels(rows int) {
	fw := vp.w.fast
	if rows == vp.cachedRows && vp.cachedRows > 0 {
		return
	}
	fw.reps, fw.defs = fw.reps[:0], fw.defs[:0]
	if vp.hasReps {
		for i := 0; i < rows; i++ {
			fw.reps = append(fw.reps, 0)
			for j := 1; j < vp.lpr; j++ {
				fw.reps = append(fw.reps, 1)
			}
		}
	}
	if vp.hasDefs {
		fw.defs = slices.Grow(fw.defs, rows*vp.lpr)[:rows*vp.lpr]
		if len(fw.defs) > 0 { // filled by doubling copies, not a byte at a time
			fw.defs[0] = byte(vp.w.m.maxDef)
			for c := 1; c < len(fw.defs); c *= 2 {
				copy(fw.defs[c:], fw.defs[:c])
			}
		}
	}
	vp.cachedRows = rows
	vp.levelsEncoded = false
}

// addSegLevels walks the levels the segment carries: exactly its rows'.
func (vp *valuePages) addSegLevels() error {
	l := vp.w.segLevelsOf(vp.rg, vp.seg)
	if l == nil {
		return fmt.Errorf("the values of rows %d.. carry no levels of the input, the first rows' did", vp.row)
	}
	vp.segLv.reset(l)
	vp.li, vp.ln, vp.eof = 0, 0, false
	if err := vp.addLevels(); err != nil {
		return err
	}
	return vp.levelsEnd()
}

// levelsEnd checks that no level is left after the rows written.
func (vp *valuePages) levelsEnd() error {
	for vp.li == vp.ln && !vp.eof {
		if err := vp.nextPage(); err != nil {
			return err
		}
	}
	if vp.li < vp.ln {
		return fmt.Errorf("the values have %d rows, the column has more", vp.row)
	}
	return nil
}

// nextPage moves to the next window of the input value column's levels.
func (vp *valuePages) nextPage() error {
	var reps, defs []byte
	var n int
	var err error
	if vp.fromSeg {
		reps, defs, n, err = vp.segLv.read()
	} else {
		reps, defs, n, err = vp.levels.read()
	}
	if err == io.EOF {
		vp.eof = true
		vp.li, vp.ln = 0, 0
		return nil
	}
	if err != nil {
		return asInput(err) // the input's levels
	}
	maxDef := vp.w.m.maxDef
	vp.bulk = (len(reps) == n || (!vp.hasReps && len(defs) == n)) && (len(defs) == 0 || allEqual(defs, byte(maxDef))) && maxDef >= vp.w.slotDef
	vp.reps, vp.defs, vp.li, vp.ln = reps, defs, 0, n
	return nil
}

// addLevels walks the input's levels until the row after the segment
// starts (or the column ends), taking the segment's floats.
func (vp *valuePages) addLevels() error {
	for {
		if vp.li == vp.ln {
			if vp.eof {
				break
			}
			if err := vp.nextPage(); err != nil {
				return err
			}
			continue
		}
		rl := 0
		if len(vp.reps) > 0 {
			rl = int(vp.reps[vp.li])
		}
		if rl == 0 && vp.row == vp.segHi {
			break // the next segment's row
		}
		var err error
		if vp.bulk {
			err = vp.bulkRow(rl)
		} else {
			err = vp.level(rl)
		}
		if err != nil {
			return err
		}
	}
	if vp.row != vp.segHi {
		return fmt.Errorf("%d rows, the values have %d more: %w", vp.row, vp.segHi-vp.row, parquet.ErrCorrupted)
	}
	return nil
}

// startRow handles a level that starts a row: it cuts the page when full.
func (vp *valuePages) startRow() error {
	if vp.ps.rows > 0 && vp.pageFull() {
		if err := vp.flush(); err != nil {
			return err
		}
	}
	if err := vp.seg.checkRowStart(vp.row-(vp.segHi-vp.seg.Rows), vp.k); err != nil {
		return err
	}
	vp.row++
	vp.ps.rows++
	return nil
}

// bulkRow takes the levels from li to the next row start of a page whose
// levels all hold values: copied, and their floats taken at once.
func (vp *valuePages) bulkRow(rl int) error {
	fw := vp.w.fast
	i := vp.li
	if rl == 0 {
		if err := vp.startRow(); err != nil {
			return err
		}
	} else if vp.row == 0 {
		return fmt.Errorf("the first value continues a row: %w", parquet.ErrCorrupted)
	}
	j := i + 1
	if vp.hasReps {
		if next := bytes.IndexByte(vp.reps[j:vp.ln], 0); next >= 0 {
			j += next
		} else {
			j = vp.ln
		}
	}
	cnt := j - i
	if vp.k+cnt*vp.per > vp.total {
		return fmt.Errorf("the values hold %d floats, the column needs more", vp.total)
	}
	if vp.hasReps {
		fw.reps = append(fw.reps, vp.reps[i:j]...)
	}
	if len(vp.defs) > 0 {
		fw.defs = append(fw.defs, vp.defs[i:j]...)
	}
	vp.take(vp.k, cnt*vp.per)
	vp.k += cnt * vp.per
	vp.ps.levels += cnt
	vp.li = j
	return nil
}

// level takes one level of a page that has nulls or empty lists.
func (vp *valuePages) level(rl int) error {
	fw := vp.w.fast
	maxDef, slotDef := vp.w.m.maxDef, vp.w.slotDef
	d := maxDef
	if len(vp.defs) > 0 {
		d = int(vp.defs[vp.li])
	}
	if rl == 0 {
		if err := vp.startRow(); err != nil {
			return err
		}
	} else if vp.row == 0 {
		return fmt.Errorf("the first value continues a row: %w", parquet.ErrCorrupted)
	}
	vp.li++
	vp.ps.levels++
	if vp.hasReps {
		fw.reps = append(fw.reps, byte(rl))
	}
	f32, f64 := vp.seg.Values.F32, vp.seg.Values.F64
	od := maxDef
	switch {
	case d < slotDef:
		od = d
	case vp.k+vp.per > vp.total:
		return fmt.Errorf("the values hold %d floats, the column needs more", vp.total)
	case vp.w.m.packed():
		if d < maxDef {
			od = d
		} else {
			vp.take(vp.k, vp.per)
		}
		vp.k += vp.per
	case f32 != nil:
		if x := f32[vp.k]; d < maxDef && x != x {
			od = d
		} else {
			vp.take(vp.k, 1)
		}
		vp.k++
	default:
		if x := f64[vp.k]; d < maxDef && x != x {
			od = d
		} else {
			vp.take(vp.k, 1)
		}
		vp.k++
	}
	if od < maxDef {
		vp.ps.nulls++
	}
	if vp.hasDefs {
		fw.defs = append(fw.defs, byte(od))
	}
	return nil
}

// take adds floats [k, k+n) of the segment to the page.
func (vp *valuePages) take(k, n int) {
	ps, fw, es := &vp.ps, vp.w.fast, vp.esize
	if ps.contiguous {
		if ps.vlo == ps.vhi {
			ps.vlo, ps.vhi = k, k+n
			return
		}
		if ps.vhi == k {
			ps.vhi += n
			return
		}
		fw.vals = append(fw.vals[:0], vp.slab[ps.vlo*es:ps.vhi*es]...)
		ps.contiguous = false
	}
	fw.vals = append(fw.vals, vp.slab[k*es:(k+n)*es]...)
}

func (vp *valuePages) pageFull() bool {
	n := vp.ps.vhi - vp.ps.vlo
	if !vp.ps.contiguous {
		n = len(vp.w.fast.vals) / vp.esize
	}
	return n >= vp.pageFloats || vp.ps.levels >= maxPageLevels
}

// flush writes the page being built.
func (vp *valuePages) flush() error {
	ps, fw, w := &vp.ps, vp.w.fast, vp.w
	if ps.levels == 0 {
		return nil
	}
	if vp.uniform {
		vp.uniformLevels(ps.rows)
	}
	var vb []byte
	if ps.contiguous {
		vb = vp.slab[ps.vlo*vp.esize : ps.vhi*vp.esize]
	} else {
		vb = fw.vals
	}
	switch {
	case fw.conv:
		fw.cvals = outBytes(fw.cvals[:0], vb, w.outType)
		vb = fw.cvals
	case !littleEndian:
		vb = toLittleEndian(vb, vp.esize)
	}
	var err error
	if !vp.uniform || !vp.levelsEncoded {
		fw.repBuf, fw.defBuf = fw.repBuf[:0], fw.defBuf[:0]
		if vp.hasReps {
			if fw.repBuf, err = fw.repRLE.EncodeLevels(fw.repBuf, fw.reps); err != nil {
				return err
			}
		}
		if vp.hasDefs {
			if fw.defBuf, err = fw.defRLE.EncodeLevels(fw.defBuf, fw.defs); err != nil {
				return err
			}
		}
		vp.levelsEncoded = true
	}
	repLen, defLen := len(fw.repBuf), len(fw.defBuf)
	cb := vb
	raw := false // cb is stored as raw zstd blocks, framed while written
	if zc, ok := fw.codec.(*zstdCodec); ok && zc.takeRaw(len(vb)) {
		raw = true
	} else if fw.compress {
		fw.zbuf, err = fw.codec.Encode(fw.zbuf[:0], vb)
		if err != nil {
			return fmt.Errorf("compressing a data page: %w", err)
		}
		cb = fw.zbuf
	}
	uncomp := repLen + defLen + len(vb)
	comp := repLen + defLen + len(cb)
	if raw {
		comp = repLen + defLen + rawFrameLen(len(vb))
	}
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(uncomp),
		CompressedPageSize:   int32(comp),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues:                  int32(ps.levels),
			NumNulls:                   int32(ps.nulls),
			NumRows:                    int32(ps.rows),
			Encoding:                   format.Plain,
			DefinitionLevelsByteLength: int32(defLen),
			RepetitionLevelsByteLength: int32(repLen),
			IsCompressed:               thrift.New(fw.compress),
		}),
	}
	hb, err := thrift.Marshal(&fw.proto, &h)
	if err != nil {
		return err
	}
	for _, b := range [...][]byte{hb, fw.repBuf, fw.defBuf} {
		if err := fw.write(b); err != nil {
			return err
		}
	}
	if raw {
		err = writeRawFrame(fw.write, cb)
	} else {
		err = fw.write(cb)
	}
	if err != nil {
		return err
	}
	vp.numValues += int64(ps.levels)
	vp.nullCount += int64(ps.nulls)
	vp.uncompTotal += int64(len(hb) + uncomp)
	vp.compTotal += int64(len(hb) + comp)
	*ps = pageState{contiguous: true}
	if !vp.uniform {
		fw.reps, fw.defs = fw.reps[:0], fw.defs[:0]
	}
	fw.vals = fw.vals[:0]
	return nil
}

// finish writes the last page and returns the column chunk's metadata.
func (vp *valuePages) finish() (format.ColumnChunk, error) {
	defer vp.close()
	if !vp.chosen {
		if err := vp.choose(ValueChunk{}); err != nil {
			return format.ColumnChunk{}, err
		}
	}
	if !vp.uniform && !vp.fromSeg {
		if err := vp.levelsEnd(); err != nil {
			return format.ColumnChunk{}, err
		}
	}
	if err := vp.flush(); err != nil {
		return format.ColumnChunk{}, err
	}
	if int64(vp.row) != vp.wantRows {
		return format.ColumnChunk{}, fmt.Errorf("%d rows, the row group has %d: %w", vp.row, vp.wantRows, parquet.ErrCorrupted)
	}
	fw := vp.w.fast
	encs := []format.Encoding{format.Plain}
	if vp.hasReps || vp.hasDefs {
		encs = append(encs, format.RLE)
	}
	return format.ColumnChunk{
		FileOffset: vp.chunkStart,
		MetaData: format.ColumnMetaData{
			Type:                  fw.leafType,
			Encoding:              encs,
			PathInSchema:          slices.Clone(fw.outPath),
			Codec:                 fw.codec.CompressionCodec(),
			NumValues:             vp.numValues,
			TotalUncompressedSize: vp.uncompTotal,
			TotalCompressedSize:   vp.compTotal,
			DataPageOffset:        vp.chunkStart,
			Statistics:            format.Statistics{NullCount: vp.nullCount},
		},
	}, nil
}

// close releases the input pages read for their levels.
func (vp *valuePages) close() {
	if vp.levels != nil {
		vp.levels.close()
		vp.levels = nil
	}
}

// slabBytes views a slab's floats as bytes.
func slabBytes(f Floats) []byte {
	switch {
	case len(f.F64) > 0:
		return unsafe.Slice((*byte)(unsafe.Pointer(&f.F64[0])), len(f.F64)*8)
	case len(f.F32) > 0:
		return unsafe.Slice((*byte)(unsafe.Pointer(&f.F32[0])), len(f.F32)*4)
	}
	return nil
}

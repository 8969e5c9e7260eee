package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The fast writer is used when output row groups map one to one to input
// row groups (WriterOptions.RowGroupRows == 0). It writes the file itself:
// every passthrough column chunk is copied byte for byte from the input
// (dictionary and data pages as they are, still compressed), the value
// column's pages are encoded straight from the slab (data pages v2, PLAIN,
// the input's levels), and the footer is the input's schema and column
// metadata with the file offsets moved.

// streamPath forces the column-stream writer (parquet-go) even for one to
// one row groups: the reference the tests compare the fast writer with.
var streamPath = false

// noRegular makes the fast writer read the input's levels even where
// ReadValues found them all defined (tests compare both ways).
var noRegular = false

// fastPageBytes is the target size of a value data page before compression.
var fastPageBytes = 1 << 20

// fastWriter is the state of the fast path.
type fastWriter struct {
	out       io.Writer
	off       int64 // bytes written
	codec     compress.Codec
	compress  bool // codec is not UNCOMPRESSED
	rowGroups []format.RowGroup
	schema    []format.SchemaElement
	kv        []format.KeyValue
	orders    []format.ColumnOrder
	outPath   []string // path of the generated leaf
	leafType  format.Type
	maxRep    int
	repRLE    rle.Encoding
	defRLE    rle.Encoding
	proto     thrift.CompactProtocol

	// reused buffers
	raw    []byte // passthrough chunk bytes
	reps   []byte // levels of the page being built
	defs   []byte
	vals   []byte // scratch values of the page being built (when not a slab view)
	repBuf []byte // encoded levels
	defBuf []byte
	zbuf   []byte // compressed values
	trans  []byte // a recompressed passthrough chunk
	plain  []byte // a decompressed page
	conv   bool   // slab floats are converted to the output type (float16, widened)
	cvals  []byte // converted values of the page being written
}

// newFastWriter prepares the footer parts that do not depend on the data.
func (w *Writer) newFastWriter(out io.Writer, codec compress.Codec, meta map[string]string) error {
	in := w.in
	md := in.pf.Metadata()
	fw := &fastWriter{out: out, codec: codec, compress: codec.CompressionCodec() != format.Uncompressed}
	fw.schema = slices.Clone(md.Schema)
	leaves := in.pf.Schema().Columns()
	fw.outPath = slices.Clone(leaves[w.inLeaf])
	if w.opts.OutputColumn != "" {
		lo, hi, ok := topSubtree(md.Schema, w.m.info.Name)
		if !ok {
			return fmt.Errorf("creating parquet writer for %s: column %q not found in the schema elements", in.path, w.m.info.Name)
		}
		sub := slices.Clone(md.Schema[lo:hi])
		sub[0].Name = w.opts.OutputColumn
		fw.schema[0].NumChildren = thrift.New(fw.schema[0].NumChildren.V + 1)
		fw.schema = append(fw.schema, sub...)
		fw.outPath[0] = w.opts.OutputColumn
	}
	fw.leafType = format.Type(w.m.leaf.Type().Kind())
	if w.retyped() {
		leaf := w.inLeaf
		if w.opts.OutputColumn != "" {
			leaf = in.numLeaf
		}
		i := leafElement(fw.schema, leaf)
		if i < 0 {
			return fmt.Errorf("creating parquet writer for %s: leaf %d not found in the schema elements", in.path, leaf)
		}
		retypeElement(&fw.schema[i], w.outType)
		fw.leafType = fw.schema[i].Type.V
		fw.conv = true
	}
	if w.outType == Float16 {
		fw.conv = true
	}
	fw.maxRep = w.m.leaf.MaxRepetitionLevel()
	fw.repRLE.BitWidth = bits.Len(uint(fw.maxRep))
	fw.defRLE.BitWidth = bits.Len(uint(w.m.maxDef))
	for _, k := range sortedKeys(meta) {
		fw.kv = append(fw.kv, format.KeyValue{Key: k, Value: meta[k]})
	}
	// Column orders as parquet-go writes them: each leaf type's order.
	for i := range leaves {
		fw.orders = append(fw.orders, leafOrder(in, i))
	}
	if w.opts.OutputColumn != "" {
		fw.orders = append(fw.orders, leafOrder(in, w.inLeaf))
	}
	for _, o := range fw.orders {
		if o.Value == nil {
			fw.orders = nil
			break
		}
	}
	w.fast = fw
	return nil
}

// leafTypeLength is the FIXED_LEN_BYTE_ARRAY length of a leaf (0 for
// other types).
func leafTypeLength(in *File, leaf int) int {
	lc, ok := in.pf.Schema().Lookup(in.pf.Schema().Columns()[leaf]...)
	if !ok {
		return 0
	}
	return lc.Node.Type().Length()
}

func leafOrder(in *File, leaf int) format.ColumnOrder {
	lc, ok := in.pf.Schema().Lookup(in.pf.Schema().Columns()[leaf]...)
	if !ok {
		return format.ColumnOrder{}
	}
	if o := lc.Node.Type().ColumnOrder(); o != nil {
		return *o
	}
	return format.ColumnOrder{}
}

// topSubtree returns the range of schema elements of the first top-level
// field named name (the field and all its descendants).
func topSubtree(el []format.SchemaElement, name string) (lo, hi int, ok bool) {
	if len(el) == 0 {
		return 0, 0, false
	}
	var skip func(i int) int // index after the subtree rooted at i
	skip = func(i int) int {
		n := int(el[i].NumChildren.V)
		i++
		for c := 0; c < n && i < len(el); c++ {
			i = skip(i)
		}
		return i
	}
	i := 1
	for c := 0; c < int(el[0].NumChildren.V) && i < len(el); c++ {
		j := skip(i)
		if el[i].Name == name {
			return i, j, true
		}
		i = j
	}
	return 0, 0, false
}

func (fw *fastWriter) write(b []byte) error {
	if fw.off == 0 {
		n, err := fw.out.Write([]byte("PAR1"))
		fw.off += int64(n)
		if err != nil {
			return err
		}
	}
	n, err := fw.out.Write(b)
	fw.off += int64(n)
	return err
}

// copyChunk copies column chunk leaf of input row group rg to the output
// and returns its metadata with the offsets moved. Passthrough chunks are
// verified first (verifyChunk): a corrupt one fails the file instead of
// being copied into an output readers cannot open.
func (w *Writer) copyChunk(rg, leaf int) (format.ColumnChunk, error) {
	fw := w.fast
	in := w.in
	cc := in.pf.Metadata().RowGroups[rg].Columns[leaf]
	cm := &cc.MetaData
	start := cm.DataPageOffset
	if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < start {
		start = cm.DictionaryPageOffset
	}
	size := cm.TotalCompressedSize
	if verifyPassthrough && leaf != w.inLeaf { // ReadValues decoded the value column
		if err := in.verifyChunk(rg, leaf); err != nil {
			return cc, err
		}
	}
	if int64(cap(fw.raw)) < size {
		fw.raw = make([]byte, size)
	}
	b := fw.raw[:size]
	if _, err := in.osf.ReadAt(b, start); err != nil {
		return cc, fmt.Errorf("reading %s: row group %d: %w", in.path, rg, err)
	}
	if fw.off == 0 {
		if err := fw.write(nil); err != nil {
			return cc, err
		}
	}
	newStart := fw.off
	if cm.Codec != fw.codec.CompressionCodec() {
		// another codec: recompress page by page (encodings, levels and
		// values stay as they are)
		moved, uncomp, err := fw.transcode(b, start, cm.Codec)
		if err != nil {
			return cc, fmt.Errorf("reading %s: row group %d, column %q: %w", in.path, rg, strings.Join(cm.PathInSchema, "."), err)
		}
		if err := fw.write(fw.trans); err != nil {
			return cc, err
		}
		move := func(off int64) int64 {
			if o, ok := moved[off]; ok {
				return o + newStart
			}
			return 0
		}
		cm.DataPageOffset = move(cm.DataPageOffset)
		if cm.DictionaryPageOffset > 0 {
			cm.DictionaryPageOffset = move(cm.DictionaryPageOffset)
		}
		if cm.IndexPageOffset > 0 {
			cm.IndexPageOffset = move(cm.IndexPageOffset)
		}
		cm.Codec = fw.codec.CompressionCodec()
		cm.TotalCompressedSize = int64(len(fw.trans))
		cm.TotalUncompressedSize = uncomp
	} else {
		if err := fw.write(b); err != nil {
			return cc, err
		}
		delta := newStart - start
		cm.DataPageOffset += delta
		if cm.DictionaryPageOffset > 0 {
			cm.DictionaryPageOffset += delta
		}
		if cm.IndexPageOffset > 0 {
			if cm.IndexPageOffset >= start && cm.IndexPageOffset < start+size {
				cm.IndexPageOffset += delta
			} else {
				cm.IndexPageOffset = 0
			}
		}
	}
	cm.BloomFilterOffset, cm.BloomFilterLength = 0, 0
	if !statsFit(&cm.Statistics, cm.Type, leafTypeLength(in, leaf)) {
		cm.Statistics = format.Statistics{} // corrupt statistics are dropped: the values are what count
	}
	cm.Encoding = slices.Clone(cm.Encoding)
	cm.PathInSchema = slices.Clone(cm.PathInSchema)
	cm.EncodingStats = slices.Clone(cm.EncodingStats)
	cc.FilePath = ""
	cc.FileOffset = newStart
	cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0
	cc.ColumnIndexOffset, cc.ColumnIndexLength = 0, 0
	cc.CryptoMetadata = format.ColumnCryptoMetaData{}
	cc.EncryptedColumnMetadata = nil
	return cc, nil
}

// writeFast writes input row group rg: passthrough chunks copied, the
// value chunk generated.
func (w *Writer) writeFast(rg int, vals ValueChunk, raw []byte, per int) error {
	fw := w.fast
	in := w.in
	replace := w.opts.OutputColumn == ""
	numLeaf := in.numLeaf
	if !replace {
		numLeaf++
	}
	cols := make([]format.ColumnChunk, 0, numLeaf)
	var total, totalComp int64
	firstOff := int64(-1)
	for leaf := 0; leaf < numLeaf; leaf++ {
		var cc format.ColumnChunk
		var err error
		if (replace && leaf == w.inLeaf) || (!replace && leaf == in.numLeaf) {
			cc, err = w.genChunk(rg, vals, raw, per)
			if err != nil {
				name := w.m.info.Name
				if !replace {
					name = w.opts.OutputColumn
				}
				return fmt.Errorf("writing output of %s: row group %d, column %q: %w", in.path, rg, name, err)
			}
		} else {
			cc, err = w.copyChunk(rg, leaf)
			if err != nil {
				return fmt.Errorf("writing output of %s: %w", in.path, err)
			}
		}
		if firstOff < 0 {
			firstOff = cc.FileOffset
		}
		total += cc.MetaData.TotalUncompressedSize
		totalComp += cc.MetaData.TotalCompressedSize
		cols = append(cols, cc)
	}
	fw.rowGroups = append(fw.rowGroups, format.RowGroup{
		Columns:             cols,
		TotalByteSize:       total,
		NumRows:             in.RowGroupRows(rg),
		FileOffset:          max(firstOff, 0),
		TotalCompressedSize: totalComp,
		Ordinal:             int16(len(fw.rowGroups)),
	})
	w.rowsDone += in.RowGroupRows(rg)
	return nil
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

// genChunk encodes the value column of row group rg from vals with the
// input value column's levels and writes it.
func (w *Writer) genChunk(rg int, vals ValueChunk, raw []byte, per int) (format.ColumnChunk, error) {
	fw := w.fast
	in := w.in
	m := w.m
	maxDef, slotDef := m.maxDef, w.slotDef
	f32, f64 := vals.Values.F32, vals.Values.F64
	total := vals.Values.Len()
	flba := m.packed()
	esize := 4 // bytes per slab float
	if f64 != nil || (f32 == nil && m.kind == parquet.Double) {
		esize = 8
	}
	var slab []byte
	if total > 0 {
		if f64 != nil {
			slab = unsafe.Slice((*byte)(unsafe.Pointer(&f64[0])), total*8)
		} else {
			slab = unsafe.Slice((*byte)(unsafe.Pointer(&f32[0])), total*4)
		}
	}
	_ = raw
	if fw.off == 0 {
		if err := fw.write(nil); err != nil {
			return format.ColumnChunk{}, err
		}
	}
	chunkStart := fw.off
	var numValues, nullCount, uncompTotal, compTotal int64
	pageFloats := max(fastPageBytes/esize, per)

	ps := pageState{contiguous: true}
	fw.reps, fw.defs, fw.vals = fw.reps[:0], fw.defs[:0], fw.vals[:0]
	hasReps, hasDefs := fw.maxRep > 0, maxDef > 0
	keepLevels := false    // flush keeps the level buffers (the regular path reuses them)
	levelsEncoded := false // repBuf and defBuf hold the encoding of reps and defs

	flush := func() error {
		if ps.levels == 0 {
			return nil
		}
		var vb []byte
		if ps.contiguous {
			vb = slab[ps.vlo*esize : ps.vhi*esize]
		} else {
			vb = fw.vals
		}
		switch {
		case fw.conv:
			fw.cvals = outBytes(fw.cvals[:0], vb, w.outType)
			vb = fw.cvals
		case !littleEndian:
			vb = toLittleEndian(vb, esize)
		}
		var err error
		var repLen, defLen int
		if keepLevels && levelsEncoded {
			repLen, defLen = len(fw.repBuf), len(fw.defBuf)
			goto encoded
		}
		fw.repBuf, fw.defBuf = fw.repBuf[:0], fw.defBuf[:0]
		if hasReps {
			if fw.repBuf, err = fw.repRLE.EncodeLevels(fw.repBuf, fw.reps); err != nil {
				return err
			}
			repLen = len(fw.repBuf)
		}
		if hasDefs {
			if fw.defBuf, err = fw.defRLE.EncodeLevels(fw.defBuf, fw.defs); err != nil {
				return err
			}
			defLen = len(fw.defBuf)
		}
		levelsEncoded = true
	encoded:
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
		numValues += int64(ps.levels)
		nullCount += int64(ps.nulls)
		uncompTotal += int64(len(hb) + uncomp)
		compTotal += int64(len(hb) + comp)
		ps = pageState{contiguous: true}
		if !keepLevels {
			fw.reps, fw.defs = fw.reps[:0], fw.defs[:0]
		}
		fw.vals = fw.vals[:0]
		return nil
	}
	pageFull := func() bool {
		n := ps.vhi - ps.vlo
		if !ps.contiguous {
			n = len(fw.vals) / esize
		}
		return n >= pageFloats || ps.levels >= maxPageLevels
	}
	take := func(k, n int) {
		if ps.contiguous {
			if ps.vlo == ps.vhi {
				ps.vlo, ps.vhi = k, k+n
				return
			}
			if ps.vhi == k {
				ps.vhi += n
				return
			}
			fw.vals = append(fw.vals[:0], slab[ps.vlo*esize:ps.vhi*esize]...)
			ps.contiguous = false
		}
		fw.vals = append(fw.vals, slab[k*esize:(k+n)*esize]...)
	}

	k := 0   // next slab index
	row := 0 // rows started
	wantRows := in.RowGroupRows(rg)
	if maxDef == 0 && fw.maxRep == 0 {
		// required flat column: one value of per floats per row, no levels
		if int64(total) != wantRows*int64(per) {
			return format.ColumnChunk{}, fmt.Errorf("the values hold %d floats, the column has %d", total, wantRows*int64(per))
		}
		rowsPerPage := pageRows(pageFloats, per, 1)
		for r := 0; r <= int(wantRows); r++ {
			if err := vals.checkRowStart(r, r*per); err != nil {
				return format.ColumnChunk{}, err
			}
		}
		for r := 0; r < int(wantRows); r += rowsPerPage {
			n := min(rowsPerPage, int(wantRows)-r)
			ps.levels, ps.rows = n, n
			ps.vlo, ps.vhi = r*per, (r+n)*per
			if err := flush(); err != nil {
				return format.ColumnChunk{}, err
			}
		}
		row = int(wantRows)
		k = total
	} else if reg, ok := in.regularOf(rg, w.inLeaf); ok && !noRegular && vals.Offsets == nil && int64(vals.Rows) == reg.rows && vals.D == reg.d &&
		int64(total) == reg.rows*int64(reg.levelsPerRow*per) && reg.rows == wantRows {
		// ReadValues saw every level of this chunk defined: the levels are
		// known without reading the input pages again; every row starts
		// where vals says (rows of D floats)
		lpr := reg.levelsPerRow
		keepLevels = true
		rowsPerPage := pageRows(pageFloats, lpr*per, lpr)
		var cachedRows int
		for r := 0; r < int(wantRows); r += rowsPerPage {
			n := min(rowsPerPage, int(wantRows)-r)
			if n != cachedRows {
				fw.reps, fw.defs = fw.reps[:0], fw.defs[:0]
				for i := 0; i < n; i++ {
					if hasReps {
						fw.reps = append(fw.reps, 0)
						for j := 1; j < lpr; j++ {
							fw.reps = append(fw.reps, 1)
						}
					}
				}
				if hasDefs {
					fw.defs = slices.Grow(fw.defs, n*lpr)[:n*lpr]
					for i := range fw.defs {
						fw.defs[i] = byte(maxDef)
					}
				}
				cachedRows = n
				levelsEncoded = false
			}
			ps.levels, ps.rows = n*lpr, n
			ps.vlo, ps.vhi = r*lpr*per, (r+n)*lpr*per
			if err := flush(); err != nil {
				return format.ColumnChunk{}, err
			}
		}
		row = int(wantRows)
		k = total
	} else {
		pages := in.pf.RowGroups()[rg].ColumnChunks()[w.inLeaf].Pages()
		defer pages.Close()
		for {
			p, err := pages.ReadPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				return format.ColumnChunk{}, asInput(err) // the input's levels
			}
			reps, defs := p.RepetitionLevels(), p.DefinitionLevels()
			n := max(len(reps), len(defs))
			if n == 0 {
				n = int(p.NumValues())
			}
			if (len(reps) == n || (!hasReps && len(defs) == n)) && (len(defs) == 0 || allEqual(defs, byte(maxDef))) && maxDef >= slotDef {
				// every level is a value: copy the levels, take the floats in bulk
				if err := w.bulkLevels(&ps, reps, defs, n, per, total, &k, &row, vals, pageFull, flush, take); err != nil {
					parquet.Release(p)
					return format.ColumnChunk{}, err
				}
				parquet.Release(p)
				continue
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
					if ps.rows > 0 && pageFull() {
						if err := flush(); err != nil {
							parquet.Release(p)
							return format.ColumnChunk{}, err
						}
					}
					if err := vals.checkRowStart(row, k); err != nil {
						parquet.Release(p)
						return format.ColumnChunk{}, err
					}
					row++
					ps.rows++
				} else if row == 0 {
					parquet.Release(p)
					return format.ColumnChunk{}, fmt.Errorf("the first value continues a row: %w", parquet.ErrCorrupted)
				}
				ps.levels++
				if hasReps {
					fw.reps = append(fw.reps, byte(rl))
				}
				od := maxDef
				switch {
				case d < slotDef:
					od = d
				case k+per > total:
					parquet.Release(p)
					return format.ColumnChunk{}, fmt.Errorf("the values hold %d floats, the column needs more", total)
				case flba:
					if d < maxDef {
						od = d
					} else {
						take(k, per)
					}
					k += per
				case f32 != nil:
					if x := f32[k]; d < maxDef && x != x {
						od = d
					} else {
						take(k, 1)
					}
					k++
				default:
					if x := f64[k]; d < maxDef && x != x {
						od = d
					} else {
						take(k, 1)
					}
					k++
				}
				if od < maxDef {
					ps.nulls++
				}
				if hasDefs {
					fw.defs = append(fw.defs, byte(od))
				}
			}
			parquet.Release(p)
		}
		if err := flush(); err != nil {
			return format.ColumnChunk{}, err
		}
	}
	if int64(row) != wantRows {
		return format.ColumnChunk{}, fmt.Errorf("%d rows, the row group has %d: %w", row, wantRows, parquet.ErrCorrupted)
	}
	if k != total {
		return format.ColumnChunk{}, fmt.Errorf("the values hold %d floats, the column has %d", total, k)
	}
	encs := []format.Encoding{format.Plain}
	if hasReps || hasDefs {
		encs = append(encs, format.RLE)
	}
	cc := format.ColumnChunk{
		FileOffset: chunkStart,
		MetaData: format.ColumnMetaData{
			Type:                  fw.leafType,
			Encoding:              encs,
			PathInSchema:          slices.Clone(fw.outPath),
			Codec:                 fw.codec.CompressionCodec(),
			NumValues:             numValues,
			TotalUncompressedSize: uncompTotal,
			TotalCompressedSize:   compTotal,
			DataPageOffset:        chunkStart,
			Statistics:            format.Statistics{NullCount: nullCount},
		},
	}
	return cc, nil
}

// toLittleEndian returns b's size-byte words in little-endian order (on a
// big-endian host).
func toLittleEndian(b []byte, size int) []byte {
	out := make([]byte, len(b))
	for i := 0; i+size <= len(b); i += size {
		if size == 8 {
			binary.LittleEndian.PutUint64(out[i:], binary.NativeEndian.Uint64(b[i:]))
		} else {
			binary.LittleEndian.PutUint32(out[i:], binary.NativeEndian.Uint32(b[i:]))
		}
	}
	return out
}

// closeFast writes the footer.
func (w *Writer) closeFast() error {
	fw := w.fast
	if fw.off == 0 {
		if err := fw.write(nil); err != nil {
			return err
		}
	}
	var numRows int64
	for _, rg := range fw.rowGroups {
		numRows += rg.NumRows
	}
	md := format.FileMetaData{
		Version:          2,
		Schema:           fw.schema,
		NumRows:          numRows,
		RowGroups:        fw.rowGroups,
		KeyValueMetadata: fw.kv,
		CreatedBy:        parquet.DefaultWriterConfig().CreatedBy,
		ColumnOrders:     fw.orders,
	}
	fb, err := thrift.Marshal(&fw.proto, &md)
	if err != nil {
		return err
	}
	if uint64(len(fb)) > math.MaxUint32 {
		return fmt.Errorf("footer of %d bytes is too large", len(fb))
	}
	fb = binary.LittleEndian.AppendUint32(fb, uint32(len(fb)))
	fb = append(fb, "PAR1"...)
	return fw.write(fb)
}

// bulkLevels handles an input page whose levels all hold values (no null
// or empty-list level): levels are copied and floats taken row by row, not
// level by level.
func (w *Writer) bulkLevels(ps *pageState, reps, defs []byte, n, per, total int, k, row *int, vals ValueChunk,
	pageFull func() bool, flush func() error, take func(k, n int)) error {
	fw := w.fast
	hasReps := fw.maxRep > 0
	for i := 0; i < n; {
		j := i + 1
		if !hasReps || reps[i] == 0 {
			if ps.rows > 0 && pageFull() {
				if err := flush(); err != nil {
					return err
				}
			}
			if err := vals.checkRowStart(*row, *k); err != nil {
				return err
			}
			*row++
			ps.rows++
		} else if *row == 0 {
			return fmt.Errorf("the first value continues a row: %w", parquet.ErrCorrupted)
		}
		if hasReps {
			if next := bytes.IndexByte(reps[j:n], 0); next >= 0 {
				j += next
			} else {
				j = n
			}
		}
		cnt := j - i
		if *k+cnt*per > total {
			return fmt.Errorf("the values hold %d floats, the column needs more", total)
		}
		if hasReps {
			fw.reps = append(fw.reps, reps[i:j]...)
		}
		if len(defs) > 0 {
			fw.defs = append(fw.defs, defs[i:j]...)
		}
		take(*k, cnt*per)
		*k += cnt * per
		ps.levels += cnt
		i = j
	}
	return nil
}

// allEqual reports whether every byte of b is v.
func allEqual(b []byte, v byte) bool {
	pat := uint64(v) * 0x0101010101010101
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != pat {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] != v {
			return false
		}
	}
	return true
}

// transcode recompresses the pages of column chunk b (which starts at file
// offset start, compressed with codec from) with the writer's codec into
// fw.trans. It returns where each page moved (input file offset -> offset
// in fw.trans) and the chunk's uncompressed size.
func (fw *fastWriter) transcode(b []byte, start int64, from format.CompressionCodec) (map[int64]int64, int64, error) {
	decompress := from != format.Uncompressed
	moved := map[int64]int64{}
	out := fw.trans[:0]
	var uncompTotal int64
	for pos := 0; pos < len(b); {
		var h format.PageHeader
		r := bytes.NewReader(b[pos:])
		if err := thrift.NewDecoder(fw.proto.NewReader(r)).Decode(&h); err != nil {
			return nil, 0, fmt.Errorf("page header at offset %d: %w", start+int64(pos), err)
		}
		hlen := len(b) - pos - r.Len()
		comp := int(h.CompressedPageSize)
		if comp < 0 || comp > len(b)-pos-hlen {
			return nil, 0, fmt.Errorf("page at offset %d: compressed size %d exceeds the column chunk: %w", start+int64(pos), comp, parquet.ErrCorrupted)
		}
		body := b[pos+hlen : pos+hlen+comp]
		moved[start+int64(pos)] = int64(len(out))
		pos += hlen + comp
		var prefix []byte // v2 levels, never compressed
		if h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid {
			v := h.DataPageHeaderV2.V
			n := int(v.RepetitionLevelsByteLength) + int(v.DefinitionLevelsByteLength)
			if n < 0 || n > len(body) {
				return nil, 0, fmt.Errorf("inconsistent data page v2 header: %w", parquet.ErrCorrupted)
			}
			prefix, body = body[:n], body[n:]
			if v.IsCompressed.Valid && !v.IsCompressed.V {
				decompress = false
			}
			h.DataPageHeaderV2.V.IsCompressed = thrift.New(fw.compress)
		}
		plain := body
		if decompress {
			var err error
			plain, err = decompressPage(from, fw.plain, body, int(h.UncompressedPageSize)-len(prefix))
			if err != nil {
				return nil, 0, fmt.Errorf("page at offset %d: %w", start+int64(pos), err)
			}
			fw.plain = plain[:0]
		}
		decompress = from != format.Uncompressed
		packed := plain
		if fw.compress {
			var err error
			fw.zbuf, err = fw.codec.Encode(fw.zbuf[:0], plain)
			if err != nil {
				return nil, 0, fmt.Errorf("compressing a page: %w", err)
			}
			packed = fw.zbuf
		}
		h.CompressedPageSize = int32(len(prefix) + len(packed))
		h.CRC = 0
		hb, err := thrift.Marshal(&fw.proto, &h)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, hb...)
		out = append(out, prefix...)
		out = append(out, packed...)
		uncompTotal += int64(len(hb)) + int64(h.UncompressedPageSize)
	}
	fw.trans = out
	return moved, uncompTotal, nil
}

// maxPageLevels caps the levels of a value data page (pages of nulls).
const maxPageLevels = 1 << 22

// pageRows is the number of rows of a full value page when every row holds
// rowFloats floats in rowLevels levels: the first row count that reaches
// pageFloats floats or maxPageLevels levels (as pageFull decides).
func pageRows(pageFloats, rowFloats, rowLevels int) int {
	return max(min((pageFloats+rowFloats-1)/rowFloats, (maxPageLevels+rowLevels-1)/rowLevels), 1)
}

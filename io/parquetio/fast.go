package parquetio

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strings"

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

// pageLevels makes the writer read the input's levels from its pages even
// when the segments carry them (tests compare both ways).
var pageLevels = false

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
	raw    []byte // a piece of a passthrough chunk
	page   []byte // a passthrough page being recompressed
	reps   []byte // levels of the page being built
	defs   []byte
	vals   []byte // scratch values of the page being built (when not a slab view)
	repBuf []byte // encoded levels
	defBuf []byte
	zbuf   []byte // compressed values
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
		if err := w.verified(rg, leaf); err != nil {
			return cc, err
		}
	}
	if fw.off == 0 {
		if err := fw.write(nil); err != nil {
			return cc, err
		}
	}
	newStart := fw.off
	inputErr := func(err error) error {
		if we, ok := err.(writeError); ok {
			return we.error
		}
		return fmt.Errorf("reading %s: row group %d, column %q: %w", in.path, rg, strings.Join(cm.PathInSchema, "."), err)
	}
	if cm.Codec != fw.codec.CompressionCodec() && !keptCodec(cm.Codec) {
		// a codec --compression does not offer (legacy LZ4, brotli, LZO):
		// recompress page by page (encodings, levels and values stay as
		// they are)
		moved, comp, uncomp, err := fw.transcode(in.osf, start, size, cm.Codec)
		if err != nil {
			return cc, inputErr(err)
		}
		move := func(off int64) int64 {
			if o, ok := moved[off]; ok {
				return o
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
		cm.TotalCompressedSize = comp
		cm.TotalUncompressedSize = uncomp
	} else {
		if err := fw.copyVerbatim(in.osf, start, size); err != nil {
			return cc, inputErr(err)
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

// keptCodec reports whether a passthrough chunk compressed with c is
// copied verbatim, keeping its codec, whatever --compression says: c is
// one the tool itself writes (none, snappy, gzip, zstd, LZ4_RAW), so every
// reader of the tool's outputs reads it. --compression names the codec of
// the columns the tool computes. Copying verbatim costs no CPU and holds no
// page; recompressing DuckDB's snappy key columns to zstd was most of the
// writer goroutine's CPU on its files (BENCHMARKS.md).
func keptCodec(c format.CompressionCodec) bool {
	switch c {
	case format.Uncompressed, format.Snappy, format.Gzip, format.Zstd, format.Lz4Raw:
		return true
	}
	return false
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

// maxPageLevels caps the levels of a value data page (pages of nulls).
const maxPageLevels = 1 << 22

// pageRows is the number of rows of a full value page when every row holds
// rowFloats floats in rowLevels levels: the first row count that reaches
// pageFloats floats or maxPageLevels levels (as pageFull decides).
func pageRows(pageFloats, rowFloats, rowLevels int) int {
	return max(min((pageFloats+rowFloats-1)/rowFloats, (maxPageLevels+rowLevels-1)/rowLevels), 1)
}

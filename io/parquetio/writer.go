package parquetio

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// WriterOptions configures a Writer.
type WriterOptions struct {
	// Compression is "zstd" (default), "snappy", "gzip", "lz4" or "none".
	Compression string
	// RowGroupRows caps the rows per output row group; 0 writes one output
	// row group per input row group.
	RowGroupRows int
	// ValueColumn is the input column whose values are replaced.
	ValueColumn string
	// OutputColumn, when set, adds a new column with that name at the end,
	// of the value column's type and shape, and leaves the value column
	// unchanged. When empty the value column is replaced in place.
	OutputColumn string
	// Metadata is extra key-value metadata (e.g. "contextualize.fingerprint").
	Metadata map[string]string
	// OutputType, when set, widens the output column's float type (float16
	// to float32 or float64, float32 to float64); Unknown keeps the input's
	// type. See OutputType for what is refused.
	OutputType ElemType
	// KeyColumns names the flat columns the caller reads whole in every
	// row group with this package's key readers (ReadRuns, ColumnWindows,
	// ReadColumn, ReadInt64s): those verify their chunks as they decode
	// them, so the writer leaves them to them instead of verifying them
	// ahead (keyverify.go). A chunk a key reader did not verify is
	// verified before it is copied, as every other passthrough chunk.
	KeyColumns []string
}

// Writer writes a copy of an input file with the value column's floats
// replaced, passing every other column through with its exact schema and
// the input's row order. A Writer is not safe for concurrent use.
type Writer struct {
	in       *File
	m        *colMeta
	opts     WriterOptions
	pw       *parquet.Writer
	inLeaf   int
	outLeaf  int
	slotDef  int // definition level from which a value-leaf level is an element slot
	buf      []parquet.Row
	closed   bool
	rowsDone int64
	open     *openGroup        // the row group between BeginRowGroup and EndRowGroup
	vbufs    [][]parquet.Value // per output column: read buffers of the column streams
	outs     [][]parquet.Value // per output column: write buffers
	pending  int64             // rows in the current output row group (RowGroupRows > 0)
	fast     *fastWriter       // the fast path (one to one row groups), nil otherwise
	outType  ElemType          // the output column's float type
	// passthrough chunks verified on another goroutine (verifyahead.go):
	// the row group ahead of the writer and the one it writes
	ahead, behind *verifying
	keyLeaves     map[int]bool // the leaves of opts.KeyColumns (keyverify.go)
}

// rowPath selects the row-by-row writer, a slower reference
// implementation that tests compare the column streams with.
var rowPath = false

// codecOf maps a compression name to a parquet-go codec (a new one per
// writer for zstd, which counts the writer's raw pages; its encoders are
// the process's, see zstdEncoders).
func codecOf(name string) (compress.Codec, error) {
	switch strings.ToLower(name) {
	case "", "zstd":
		return new(zstdCodec), nil
	case "snappy":
		return &parquet.Snappy, nil
	case "gzip":
		return &parquet.Gzip, nil
	case "lz4", "lz4_raw":
		return &parquet.Lz4Raw, nil
	case "none", "uncompressed":
		return &parquet.Uncompressed, nil
	}
	return nil, fmt.Errorf("unknown compression %q (want zstd, snappy, gzip, lz4 or none)", name)
}

// NewWriter starts writing the output for input file in to w.
func NewWriter(w io.Writer, in *File, opts WriterOptions) (*Writer, error) {
	codec, err := codecOf(opts.Compression)
	if err != nil {
		return nil, fmt.Errorf("creating parquet writer for %s: %w", in.path, err)
	}
	if opts.RowGroupRows < 0 {
		return nil, fmt.Errorf("creating parquet writer for %s: negative row group size %d", in.path, opts.RowGroupRows)
	}
	m, err := in.lookup(opts.ValueColumn)
	if err != nil {
		return nil, err
	}
	if m.info.Kind == Other || !m.info.Elem.IsFloat() {
		return nil, &DataError{File: in.path, RowGroup: -1, Row: -1, Column: m.info.Name, Expected: floatValues, Found: m.info.PhysicalType}
	}
	outType, err := OutputType(m.info, opts.OutputType)
	if err != nil {
		return nil, fmt.Errorf("creating parquet writer for %s: %w", in.path, err)
	}
	wr := &Writer{in: in, m: m, opts: opts, inLeaf: m.info.Leaf, outLeaf: m.info.Leaf, outType: outType,
		keyLeaves: keyColumnLeaves(in, opts.KeyColumns)}
	if len(m.repDefs) > 0 {
		wr.slotDef = m.repDefs[len(m.repDefs)-1]
	}

	// Output schema: the input's fields, in file order, with the input's
	// encodings and compression stripped (dictionary kept for passthrough
	// leaves) and the value leaf written PLAIN.
	var fields []parquet.Field
	var outLeafType parquet.Type // the retyped output leaf's type, nil when not retyped
	if wr.retyped() {
		outLeafType = wr.outLeafType()
	}
	for _, c := range in.pf.Root().Columns() {
		if opts.OutputColumn == "" && c == m.top {
			fields = append(fields, wrapColumn(c, c.Name(), m.leaf, outLeafType, in.f16))
			continue
		}
		fields = append(fields, wrapColumn(c, c.Name(), m.leaf, nil, in.f16))
	}
	meta := make(map[string]string, len(in.meta)+len(opts.Metadata))
	for k, v := range in.meta {
		meta[k] = v
	}
	if in.badArrowSchema {
		delete(meta, "ARROW:schema") // Arrow readers would fail on it
	}
	if opts.OutputColumn != "" {
		if _, exists := in.byName[opts.OutputColumn]; exists {
			return nil, &DataError{File: in.path, RowGroup: -1, Row: -1, Column: opts.OutputColumn,
				Expected: "an output column name not already in the input", Found: fmt.Sprintf("a column named %q", opts.OutputColumn)}
		}
		fields = append(fields, wrapColumn(m.top, opts.OutputColumn, m.leaf, outLeafType, in.f16))
		wr.outLeaf = in.numLeaf
		if s, ok := meta["ARROW:schema"]; ok {
			if ns, err := addArrowField(s, m.info.Name, opts.OutputColumn); err == nil {
				meta["ARROW:schema"] = ns
			} else {
				delete(meta, "ARROW:schema") // stale otherwise; readers fall back to the Parquet schema
			}
		}
	}
	if s, ok := meta["ARROW:schema"]; ok && wr.retyped() {
		name := opts.OutputColumn
		if name == "" {
			name = m.info.Name
		}
		if ns, err := retypeArrowField(s, name, outType); err == nil {
			meta["ARROW:schema"] = ns
		} else {
			delete(meta, "ARROW:schema")
		}
	}
	for k, v := range opts.Metadata {
		meta[k] = v
	}
	if opts.RowGroupRows == 0 && !rowPath && !streamPath {
		if err := wr.newFastWriter(w, codec, meta); err != nil {
			return nil, err
		}
		wr.startVerify(0)
		return wr, nil
	}
	schema := parquet.NewSchema(in.pf.Schema().Name(), &rootNode{fields: fields})
	wopts := []parquet.WriterOption{schema, parquet.Compression(codec), parquet.DataPageStatistics(false)}
	if opts.RowGroupRows > 0 {
		wopts = append(wopts, parquet.MaxRowsPerRowGroup(int64(opts.RowGroupRows)))
	}
	// Min/max bounds of embedding components prune nothing: skip them.
	valuePath := m.leaf.Path()
	wopts = append(wopts, parquet.SkipPageBounds(valuePath...))
	if opts.OutputColumn != "" {
		outPath := append([]string{opts.OutputColumn}, valuePath[1:]...)
		wopts = append(wopts, parquet.SkipPageBounds(outPath...))
	}
	for _, k := range sortedKeys(meta) {
		wopts = append(wopts, parquet.KeyValueMetadata(k, meta[k]))
	}
	if err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the output schema cannot be written: %w", errDecoder)
			}
		}()
		wr.pw = parquet.NewWriter(w, wopts...)
		return nil
	}(); err != nil {
		return nil, fmt.Errorf("creating parquet writer for %s: %w", in.path, err)
	}
	wr.buf = make([]parquet.Row, 64)
	return wr, nil
}

// WriteRowGroup writes every row of input row group rg, all columns passed
// through, with the value column's float values replaced by vals (the
// layout ReadValues produced: same Rows, D, Offsets and type). A slot that
// was null in the input (read as NaN) stays null when its new value is NaN.
func (w *Writer) WriteRowGroup(rg int, vals ValueChunk) (err error) {
	in := w.in
	if w.closed {
		return fmt.Errorf("writing %s: writer is closed", in.path)
	}
	if err := in.checkRowGroup(rg); err != nil {
		return err
	}
	wantRows := in.RowGroupRows(rg)
	if int64(vals.Rows) != wantRows {
		return fmt.Errorf("writing output of %s: row group %d has %d rows, the values have %d", in.path, rg, wantRows, vals.Rows)
	}
	if !rowPath {
		if err := w.BeginRowGroup(rg); err != nil {
			return err
		}
		if err := w.WriteSegment(vals); err != nil {
			w.open.close()
			w.open = nil
			return err
		}
		return w.EndRowGroup()
	}
	if err := w.checkValues(rg, vals); err != nil {
		return err
	}
	f32, f64 := vals.Values.F32, vals.Values.F64
	flba := w.m.packed()
	total := vals.Values.Len()
	per := 1
	raw := w.flbaBytes(vals)
	if flba {
		per = w.m.flbaLen / 4
	}
	defer w.recoverWrite(rg, &err)
	in.prefetch(rg, w.readLeaves()...)
	if err := in.checkChunks(rg); err != nil {
		return err
	}
	for leaf := 0; leaf < in.numLeaf; leaf++ { // parquet-go decodes them page by page
		if err := in.chunkDecodesWhole(rg, leaf); err != nil {
			return err
		}
	}
	rows := in.pf.RowGroups()[rg].Rows()
	defer rows.Close()
	k := 0 // next slab index
	maxDef := w.m.maxDef
	replace := w.opts.OutputColumn == ""
	var done int64
	rowIdx := 0
	for {
		n, rerr := rows.ReadRows(w.buf)
		for j := range w.buf[:n] {
			if err := vals.checkRowStart(rowIdx, k); err != nil {
				return fmt.Errorf("writing output of %s: row group %d: %w", in.path, rg, err)
			}
			rowIdx++
			row := w.buf[j]
			start := 0
			for start < len(row) && row[start].Column() < w.inLeaf {
				start++
			}
			end := start
			for end < len(row) && row[end].Column() == w.inLeaf {
				end++
			}
			for i := start; i < end; i++ {
				v := row[i]
				d, rl := v.DefinitionLevel(), v.RepetitionLevel()
				var nv parquet.Value
				if d < w.slotDef {
					nv = v.Level(rl, d, w.outLeaf) // null or empty list marker
				} else {
					if k+per > total {
						return fmt.Errorf("writing output of %s: row group %d: the values hold %d floats, the column needs more", in.path, rg, total)
					}
					switch {
					case flba:
						if d < maxDef {
							nv = v.Level(rl, d, w.outLeaf)
						} else {
							nv = parquet.FixedLenByteArrayValue(raw[k*4:(k+per)*4]).Level(rl, maxDef, w.outLeaf)
						}
					case f32 != nil:
						x := f32[k]
						if d < maxDef && x != x {
							nv = v.Level(rl, d, w.outLeaf)
						} else {
							nv = w.value32(x).Level(rl, maxDef, w.outLeaf)
						}
					default:
						x := f64[k]
						if d < maxDef && math.IsNaN(x) {
							nv = v.Level(rl, d, w.outLeaf)
						} else {
							nv = parquet.DoubleValue(x).Level(rl, maxDef, w.outLeaf)
						}
					}
					k += per
				}
				if replace {
					row[i] = nv
				} else {
					row = append(row, nv)
				}
			}
			w.buf[j] = row
		}
		if n > 0 {
			if _, err := w.pw.WriteRows(w.buf[:n]); err != nil {
				return fmt.Errorf("writing output of %s: row group %d: %w", in.path, rg, err)
			}
			done += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("writing output of %s: reading row group %d: %w", in.path, rg, rerr)
		}
		if n == 0 {
			return fmt.Errorf("writing output of %s: reading row group %d: %w", in.path, rg, io.ErrNoProgress)
		}
	}
	if done != wantRows {
		return fmt.Errorf("writing output of %s: row group %d: read %d rows, want %d: %w", in.path, rg, done, wantRows, parquet.ErrCorrupted)
	}
	if k != total {
		return fmt.Errorf("writing output of %s: row group %d: the values hold %d floats, the column has %d", in.path, rg, total, k)
	}
	w.rowsDone += done
	if w.opts.RowGroupRows == 0 {
		if err := w.pw.Flush(); err != nil {
			return fmt.Errorf("writing output of %s: row group %d: %w", in.path, rg, err)
		}
	}
	return nil
}

// Close writes the footer: the input's key-value metadata (ARROW:schema
// extended when OutputColumn adds a column) plus the options' Metadata. It
// does not close the underlying io.Writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.waitVerify()
	if g := w.open; g != nil {
		g.close()
		w.open = nil
		return fmt.Errorf("writing output of %s: closing: row group %d was begun and not ended", w.in.path, g.rg)
	}
	if w.fast != nil {
		if err := w.closeFast(); err != nil {
			return fmt.Errorf("writing output of %s: closing: %w", w.in.path, err)
		}
		return nil
	}
	if err := w.pw.Close(); err != nil {
		return fmt.Errorf("writing output of %s: closing: %w", w.in.path, err)
	}
	return nil
}

// addArrowField returns the base64 ARROW:schema with a copy of field src
// appended under the name dst.
func addArrowField(b64, src, dst string) (string, error) {
	s, i, err := arrowSchemaField(b64, src)
	if err != nil {
		return "", err
	}
	fl := s.Field(i)
	fl.Name = dst
	fl.Metadata = arrow.Metadata{} // drop PARQUET:field_id and the like
	fields := append(append([]arrow.Field(nil), s.Fields()...), fl)
	md := s.Metadata()
	ns := arrow.NewSchema(fields, &md)
	return encodeArrowSchema(ns)
}

// arrowSchemaField decodes the base64 ARROW:schema (checked before arrow-go
// reads it) and finds the index of the field called name.
func arrowSchemaField(b64, name string) (*arrow.Schema, int, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, 0, err
	}
	s, err := decodeArrowSchema(raw)
	if err != nil {
		return nil, 0, err
	}
	idx := s.FieldIndices(name)
	if len(idx) == 0 {
		return nil, 0, fmt.Errorf("field %q not in ARROW:schema", name)
	}
	return s, idx[0], nil
}

// encodeArrowSchema serializes s as an IPC schema message, base64-encoded,
// as Arrow writers store it in ARROW:schema.
func encodeArrowSchema(s *arrow.Schema) (string, error) {
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(s))
	if err := iw.Close(); err != nil {
		return "", fmt.Errorf("encoding ARROW:schema: %w", err)
	}
	b := buf.Bytes()
	// Drop the end-of-stream marker: the value is the schema message alone.
	if n := len(b); n >= 8 && bytes.Equal(b[n-8:], []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}) {
		b = b[:n-8]
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// outNode wraps an input schema node for the output schema: renamed,
// compression left to the writer, encoding chosen here.
type outNode struct {
	parquet.Node
	name   string
	fields []parquet.Field
	enc    encoding.Encoding
	typ    parquet.Type // replaces the input leaf's type when set
}

func (n *outNode) Type() parquet.Type {
	if n.typ != nil {
		return n.typ
	}
	return n.Node.Type()
}

func (n *outNode) Name() string                           { return n.name }
func (n *outNode) Value(base reflect.Value) reflect.Value { return reflect.Value{} }
func (n *outNode) Fields() []parquet.Field                { return n.fields }
func (n *outNode) Encoding() encoding.Encoding            { return n.enc }
func (n *outNode) Compression() compress.Codec            { return nil }

// wrapColumn wraps input column c (and its children) as output field name;
// the value leaf is written PLAIN, as type leafType when that is not nil.
// Leaves in f16 keep their FLOAT16 annotation.
func wrapColumn(c *parquet.Column, name string, valueLeaf *parquet.Column, leafType parquet.Type, f16 map[int]bool) parquet.Field {
	n := &outNode{Node: c, name: name}
	if c.Leaf() {
		if f16[c.Index()] {
			n.typ = float16Type{c.Type()}
		}
		switch {
		case c == valueLeaf:
			n.enc = &parquet.Plain
			if leafType != nil {
				n.typ = leafType
			}
		case c.Encoding() != nil && (c.Encoding().Encoding() == parquet.RLEDictionary.Encoding() || c.Encoding().Encoding() == parquet.PlainDictionary.Encoding()):
			if c.Type().Kind() != parquet.Boolean {
				n.enc = &parquet.RLEDictionary
			}
		}
		return n
	}
	for _, ch := range c.Columns() {
		n.fields = append(n.fields, wrapColumn(ch, ch.Name(), valueLeaf, leafType, f16))
	}
	return n
}

// rootNode is an order-preserving group (parquet.Group sorts by name).
type rootNode struct{ fields []parquet.Field }

func (r *rootNode) ID() int                     { return 0 }
func (r *rootNode) String() string              { return "message" }
func (r *rootNode) Type() parquet.Type          { return parquet.Group{}.Type() }
func (r *rootNode) Optional() bool              { return false }
func (r *rootNode) Repeated() bool              { return false }
func (r *rootNode) Required() bool              { return true }
func (r *rootNode) Leaf() bool                  { return false }
func (r *rootNode) Fields() []parquet.Field     { return r.fields }
func (r *rootNode) Encoding() encoding.Encoding { return nil }
func (r *rootNode) Compression() compress.Codec { return nil }
func (r *rootNode) GoType() reflect.Type        { return reflect.TypeOf(struct{}{}) }

package parquetio

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// Kind is the shape of a top-level column.
type Kind int

// Column shapes.
const (
	// Scalar is a flat, non-repeated leaf column.
	Scalar Kind = iota
	// List has one level of repetition: list, large_list, fixed_size_list
	// stored as LIST, a legacy 2-level repeated field, or a
	// FIXED_LEN_BYTE_ARRAY of 4*d bytes holding little-endian float32s.
	List
	// ListOfList has two levels of repetition (list<list<scalar>>).
	ListOfList
	// Other covers structs, maps and deeper nesting.
	Other
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Scalar:
		return "scalar"
	case List:
		return "list"
	case ListOfList:
		return "list<list>"
	case Other:
		return "other"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ElemType is the logical type of a column's leaf values.
type ElemType int

// Element types.
const (
	Unknown ElemType = iota
	Float32
	Float64
	Int32
	Int64
	Bool
	String
	Binary
	Timestamp
	Date
	FixedBytes
	// Key column types (sequence ids and order columns).
	Uint32  // INT32 annotated INT(32, unsigned)
	Uint64  // INT64 annotated INT(64, unsigned)
	Decimal // DECIMAL on INT32, INT64, FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY: see Precision, Scale
	Time    // TIME(ms) on INT32, TIME(us|ns) on INT64: see TimeUnit
	UUID    // FIXED_LEN_BYTE_ARRAY(16) annotated UUID
	// Float16 is IEEE 754 binary16: Parquet FIXED_LEN_BYTE_ARRAY(2) with the
	// FLOAT16 logical type. Such values are read into float32 slabs.
	Float16
)

// String returns the element type's name (Arrow spelling).
func (e ElemType) String() string {
	switch e {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int32:
		return "int32"
	case Int64:
		return "int64"
	case Bool:
		return "bool"
	case String:
		return "string"
	case Binary:
		return "binary"
	case Timestamp:
		return "timestamp"
	case Date:
		return "date32"
	case FixedBytes:
		return "fixed_size_binary"
	case Uint32:
		return "uint32"
	case Uint64:
		return "uint64"
	case Decimal:
		return "decimal"
	case Time:
		return "time"
	case UUID:
		return "uuid"
	case Float16:
		return "float16"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("ElemType(%d)", int(e))
}

// IsFloat reports whether e is a float type that value columns may hold.
func (e ElemType) IsFloat() bool { return e == Float16 || e == Float32 || e == Float64 }

// SlabType is the float type values of type e are read into and computed
// in: Float32 for float16 columns, else e.
func (e ElemType) SlabType() ElemType {
	if e == Float16 {
		return Float32
	}
	return e
}

// ColumnInfo describes a top-level column.
type ColumnInfo struct {
	Name string
	Kind Kind
	Elem ElemType
	// ListFlavor is "list", "large_list", "fixed_size_list", "legacy", "flba",
	// or "" for scalars and others. It comes from the ARROW:schema metadata
	// when present, else from the Parquet schema. For ListOfList it describes
	// the outer list.
	ListFlavor string
	// FixedSize is the vector dimension d when known (fixed_size_list from
	// ARROW:schema — the inner list for ListOfList — or FLBA length/4), else 0.
	FixedSize int
	// TimeUnit is "ns", "us", "ms" or "s" for timestamps and times, ""
	// otherwise.
	TimeUnit string
	// UTC reports a timestamp or time adjusted to UTC (a time zone in
	// Arrow's terms; INT96 counts as UTC).
	UTC bool
	// Precision and Scale describe a Decimal: Scale digits after the point.
	Precision, Scale int
	// Optional reports whether the top-level field is optional (nullable).
	Optional bool
	// Leaf is the Parquet leaf column index (the first leaf for Other).
	Leaf int
	// PhysicalType is the Parquet physical type of the leaf, e.g. "FLOAT",
	// "DOUBLE", "INT64", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY(1536)".
	PhysicalType string
}

// colMeta is the reader's internal view of a top-level column.
type colMeta struct {
	info    ColumnInfo
	top     *parquet.Column
	leaf    *parquet.Column
	repDefs []int // definition level of each repeated node on the path to the leaf
	maxDef  int
	kind    parquet.Kind // physical kind of the leaf
	flbaLen int          // FIXED_LEN_BYTE_ARRAY length of the leaf
}

// File is an open Parquet file. Its read methods are safe for concurrent
// use on different (or the same) row groups.
type File struct {
	path string
	osf  io.ReaderAt // the input: an *os.File or a storage.Reader
	pf   *parquet.File
	size int64
	// warnings are problems that did not stop reading (Warnings).
	warnings []string
	// badArrowSchema: the ARROW:schema metadata did not decode; the
	// Writer drops it.
	badArrowSchema bool
	// pageLimit is OpenOptions.MemoryLimit: the largest page accepted.
	pageLimit int64
	firstRow  []int64
	cols      []*colMeta
	byName    map[string]*colMeta
	meta      map[string]string
	numLeaf   int
	f16       map[int]bool // leaves annotated FLOAT16 (see float16Leaves)

	checkedMu sync.Mutex
	checked   map[int]bool // column chunks whose page headers and runs were validated
	regular   map[int]regularChunk
	pages     map[int][]pageLoc // column chunks whose page headers were validated, with their pages
	bufs      []pageBufs        // page buffers free for the next page reader (under checkedMu)

	// column chunks a key reader verified as verifyChunk would, and the
	// leaves of those (under checkedMu; keyverify.go)
	keyVerified, keyLeaves map[int]bool
}

// regularChunk records that ReadValues found a value column chunk with
// no null or empty level: every row is levelsPerRow levels, all defined
// (a vector of d values, or one scalar / FLBA value). The fast writer
// then writes the levels without reading the input's pages again.
type regularChunk struct {
	rows         int64
	d            int
	levelsPerRow int
}

func (f *File) noteRegular(rg, leaf int, r regularChunk) {
	f.checkedMu.Lock()
	if f.regular == nil {
		f.regular = map[int]regularChunk{}
	}
	f.regular[rg*f.numLeaf+leaf] = r
	f.checkedMu.Unlock()
}

func (f *File) regularOf(rg, leaf int) (regularChunk, bool) {
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	r, ok := f.regular[rg*f.numLeaf+leaf]
	return r, ok
}

// Open opens a local Parquet file for reading. Garbage or truncated files
// return an error naming the file; Open never panics on bad input.
func Open(path string) (*File, error) { return OpenWith(path, OpenOptions{}) }

// OpenWith is Open with options.
func OpenWith(path string, o OpenOptions) (*File, error) {
	osf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening parquet file: %w", err)
	}
	st, err := osf.Stat()
	if err != nil {
		osf.Close()
		return nil, fmt.Errorf("opening parquet file %s: %w", path, err)
	}
	return OpenReaderAtWith(path, osf, st.Size(), o)
}

// OpenOptions tune OpenWith and OpenReaderAtWith.
type OpenOptions struct {
	// MemoryLimit, when > 0, is the run's --memory-limit in bytes: a footer
	// or a page whose header declares more bytes than that is bad input
	// (a *DataError), refused before anything is allocated for it.
	MemoryLimit int64
}

// OpenReaderAt opens a Parquet file of the given size read through r with
// ranged reads only (the footer first, then the column chunks asked for),
// as io/storage serves local files and objects alike. path names it in
// errors. The File owns r: Close closes it when it is an io.Closer, and so
// does a failed OpenReaderAt.
func OpenReaderAt(path string, r io.ReaderAt, size int64) (*File, error) {
	return OpenReaderAtWith(path, r, size, OpenOptions{})
}

// OpenReaderAtWith is OpenReaderAt with options.
func OpenReaderAtWith(path string, r io.ReaderAt, size int64, o OpenOptions) (*File, error) {
	f, err := openFile(path, r, size, o.MemoryLimit)
	if err != nil {
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
		return nil, asInput(err)
	}
	return f, nil
}

func openFile(path string, osf io.ReaderAt, size, limit int64) (f *File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f = nil
			err = fmt.Errorf("opening parquet file %s: not a valid Parquet file: %w", path, errDecoder)
		}
	}()
	if size < 12 {
		return nil, fmt.Errorf("opening parquet file %s: not a valid Parquet file: %d bytes is too short", path, size)
	}
	// Check the footer length before parquet-go allocates it.
	var tail [8]byte
	if _, err := osf.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("opening parquet file %s: %w", path, err)
	}
	if m := string(tail[4:]); m != "PAR1" {
		if m == "PARE" {
			return nil, fmt.Errorf("opening parquet file %s: encrypted Parquet files are not supported", path)
		}
		return nil, fmt.Errorf("opening parquet file %s: not a valid Parquet file: no PAR1 magic at the end (truncated or not Parquet)", path)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n+12 > size {
		return nil, fmt.Errorf("opening parquet file %s: not a valid Parquet file: footer of %d bytes in a %d-byte file (truncated?)", path, n, size)
	}
	if limit > 0 && n > limit {
		return nil, &DataError{File: path, RowGroup: -1, Row: -1, Expected: fmt.Sprintf("a footer that fits in --memory-limit (%d bytes)", limit), Found: fmt.Sprintf("a footer of %d bytes", n)}
	}
	if err := checkFooter(osf, size, n); err != nil {
		return nil, fmt.Errorf("opening parquet file %s: not a valid Parquet file: %w", path, err)
	}
	pf, err := parquet.OpenFile(osf, size, parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
	if err != nil {
		return nil, fmt.Errorf("opening parquet file %s: not a valid Parquet file: %w", path, err)
	}
	if err := checkFooterEnums(pf.Metadata()); err != nil {
		return nil, fmt.Errorf("opening parquet file %s: %w", path, err)
	}
	for i, el := range pf.Metadata().Schema {
		if !utf8.ValidString(el.Name) {
			return nil, fmt.Errorf("opening parquet file %s: schema element %d: the name %q is not valid UTF-8", path, i, el.Name)
		}
	}
	f = &File{path: path, osf: osf, pf: pf, size: size, pageLimit: limit, byName: map[string]*colMeta{}, meta: map[string]string{}, checked: map[int]bool{}}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		f.meta[kv.Key] = kv.Value
	}
	rgs := pf.RowGroups()
	f.firstRow = make([]int64, len(rgs)+1)
	for i, rg := range rgs {
		n := rg.NumRows()
		if n < 0 {
			return nil, fmt.Errorf("opening parquet file %s: row group %d has a negative row count: %w", path, i, parquet.ErrCorrupted)
		}
		f.firstRow[i+1] = f.firstRow[i] + n
		if len(rg.ColumnChunks()) != len(pf.Schema().Columns()) {
			return nil, fmt.Errorf("opening parquet file %s: row group %d has %d column chunks, the schema has %d leaf columns: %w",
				path, i, len(rg.ColumnChunks()), len(pf.Schema().Columns()), parquet.ErrCorrupted)
		}
	}
	f.numLeaf = len(pf.Schema().Columns())
	arrowFields, err := arrowSchemaFields(f.meta["ARROW:schema"])
	if err != nil {
		f.badArrowSchema = true
		f.warnings = append(f.warnings, fmt.Sprintf("%s: ignoring its ARROW:schema metadata (%v): list types come from the Parquet schema, and outputs are written without it", path, err))
	}
	f.f16 = float16Leaves(pf.Metadata())
	for _, top := range pf.Root().Columns() {
		m := classify(top)
		if f.f16[m.info.Leaf] {
			m.markFloat16()
		}
		if af, ok := arrowFields[m.info.Name]; ok {
			applyArrowField(m, af)
		}
		f.cols = append(f.cols, m)
		if _, dup := f.byName[m.info.Name]; !dup {
			f.byName[m.info.Name] = m
		}
	}
	return f, nil
}

// Close closes the underlying file (the reader, when it is an io.Closer).
func (f *File) Close() error {
	c, ok := f.osf.(io.Closer)
	if !ok {
		return nil
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", f.path, err)
	}
	return nil
}

// Warnings returns what was wrong with the file without stopping it from
// being read, such as ARROW:schema metadata that does not decode, one
// sentence each naming the file. Callers log them.
func (f *File) Warnings() []string { return f.warnings }

// Path returns the path the file was opened with.
func (f *File) Path() string { return f.path }

// NumRows returns the total number of rows.
func (f *File) NumRows() int64 { return f.firstRow[len(f.firstRow)-1] }

// NumRowGroups returns the number of row groups.
func (f *File) NumRowGroups() int { return len(f.firstRow) - 1 }

// RowGroupRows returns the number of rows of row group rg.
func (f *File) RowGroupRows(rg int) int64 { return f.firstRow[rg+1] - f.firstRow[rg] }

// RowGroupFirstRow returns the file row index of row group rg's first row.
func (f *File) RowGroupFirstRow(rg int) int64 { return f.firstRow[rg] }

// Metadata returns the file's key-value metadata. The map must not be modified.
func (f *File) Metadata() map[string]string { return f.meta }

// CreatedBy returns the writer's created_by string.
func (f *File) CreatedBy() string { return f.pf.Metadata().CreatedBy }

// Columns returns the top-level columns in file order.
func (f *File) Columns() []ColumnInfo {
	out := make([]ColumnInfo, len(f.cols))
	for i, c := range f.cols {
		out[i] = c.info
	}
	return out
}

// Column returns the top-level column with the given name.
func (f *File) Column(name string) (ColumnInfo, bool) {
	c, ok := f.byName[name]
	if !ok {
		return ColumnInfo{}, false
	}
	return c.info, true
}

// Schema returns the file's Parquet schema.
func (f *File) Schema() *parquet.Schema { return f.pf.Schema() }

// lookup returns the column or a DataError naming the columns present.
func (f *File) lookup(name string) (*colMeta, error) {
	if c, ok := f.byName[name]; ok {
		return c, nil
	}
	names := make([]string, len(f.cols))
	for i, c := range f.cols {
		names[i] = c.info.Name
	}
	return nil, &DataError{File: f.path, RowGroup: -1, Row: -1, Column: name,
		Expected: fmt.Sprintf("a column named %q", name),
		Found:    "columns " + strings.Join(names, ", ")}
}

func (f *File) checkRowGroup(rg int) error {
	if rg < 0 || rg >= f.NumRowGroups() {
		return fmt.Errorf("reading %s: row group %d out of range [0, %d)", f.path, rg, f.NumRowGroups())
	}
	return nil
}

// classify derives the shape of a top-level column from the Parquet schema.
func classify(top *parquet.Column) *colMeta {
	m := &colMeta{top: top}
	m.info.Name = top.Name()
	m.info.Optional = top.Optional()
	n := top
	def := 0
	other := false
	for {
		if n.Optional() {
			def++
		} else if n.Repeated() {
			def++
			m.repDefs = append(m.repDefs, def)
		}
		if n.Leaf() {
			break
		}
		children := n.Columns()
		if len(children) != 1 {
			other = true
			break
		}
		if !n.Repeated() && !children[0].Repeated() {
			other = true // a struct
			break
		}
		if n.Repeated() && len(m.repDefs) > 0 && !children[0].Leaf() && !isListGroup(children[0]) {
			// repeated group whose single child is a group that is not a list: list of structs
			other = true
			break
		}
		if n.Repeated() && (n.Name() == "array" || strings.HasSuffix(n.Name(), "_tuple")) && !children[0].Leaf() {
			other = true
			break
		}
		n = children[0]
	}
	// first leaf
	leaf := top
	for !leaf.Leaf() {
		cs := leaf.Columns()
		if len(cs) == 0 {
			break
		}
		leaf = cs[0]
	}
	m.leaf = leaf
	m.info.Leaf = leaf.Index()
	m.maxDef = leaf.MaxDefinitionLevel()
	if leaf.Leaf() {
		t := leaf.Type()
		m.kind = t.Kind()
		m.flbaLen = t.Length()
		m.info.PhysicalType = t.Kind().String()
		if m.kind == parquet.FixedLenByteArray {
			m.info.PhysicalType = fmt.Sprintf("FIXED_LEN_BYTE_ARRAY(%d)", t.Length())
		}
		m.info.Elem, m.info.TimeUnit = elemTypeOf(t)
		m.info.UTC, m.info.Precision, m.info.Scale = logicalDetails(t)
	}
	switch {
	case other || !leaf.Leaf():
		m.info.Kind = Other
	case len(m.repDefs) == 0:
		m.info.Kind = Scalar
		if m.kind == parquet.FixedLenByteArray && m.info.Elem == FixedBytes && t0(leaf) {
			m.info.Kind = List
			m.info.Elem = Float32
			m.info.ListFlavor = "flba"
			if m.flbaLen%4 == 0 {
				m.info.FixedSize = m.flbaLen / 4
			}
		}
	case len(m.repDefs) == 1:
		m.info.Kind = List
		if leaf.Repeated() {
			m.info.ListFlavor = "legacy"
		} else {
			m.info.ListFlavor = "list"
		}
	case len(m.repDefs) == 2:
		m.info.Kind = ListOfList
		m.info.ListFlavor = "list"
	default:
		m.info.Kind = Other
	}
	if m.info.Kind == Other {
		m.info.ListFlavor = ""
	}
	return m
}

// t0 reports whether a FIXED_LEN_BYTE_ARRAY leaf carries no logical type
// (so it may hold packed float32 vectors).
func t0(leaf *parquet.Column) bool {
	t := leaf.Type()
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		return false
	}
	if ct := t.ConvertedType(); ct != nil {
		return false
	}
	return true
}

func isListGroup(c *parquet.Column) bool {
	if c.Leaf() {
		return false
	}
	cs := c.Columns()
	return len(cs) == 1 && cs[0].Repeated()
}

func elemTypeOf(t parquet.Type) (ElemType, string) {
	lt := t.LogicalType()
	var lv format.LogicalTypeValue
	if lt != nil {
		lv = lt.Value
	}
	var ct deprecated.ConvertedType = -1
	if c := t.ConvertedType(); c != nil {
		ct = *c
	}
	if _, ok := lv.(*format.DecimalType); ok {
		switch t.Kind() {
		case parquet.Int32, parquet.Int64, parquet.FixedLenByteArray, parquet.ByteArray:
			return Decimal, ""
		}
		return Unknown, ""
	}
	if ct == deprecated.Decimal {
		return Unknown, "" // scale unknown without the logical type
	}
	switch t.Kind() {
	case parquet.Boolean:
		return Bool, ""
	case parquet.Int32:
		if _, ok := lv.(*format.DateType); ok || ct == deprecated.Date {
			return Date, ""
		}
		if tt, ok := lv.(*format.TimeType); ok {
			if _, ms := tt.Unit.Value.(*format.MilliSeconds); ms {
				return Time, "ms"
			}
			return Unknown, ""
		}
		if ct == deprecated.TimeMillis {
			return Time, "ms"
		}
		if it, ok := lv.(*format.IntType); ok && !it.IsSigned && it.BitWidth == 32 {
			return Uint32, ""
		}
		return Int32, ""
	case parquet.Int64:
		if ts, ok := lv.(*format.TimestampType); ok {
			switch ts.Unit.Value.(type) {
			case *format.MilliSeconds:
				return Timestamp, "ms"
			case *format.MicroSeconds:
				return Timestamp, "us"
			case *format.NanoSeconds:
				return Timestamp, "ns"
			}
			return Unknown, ""
		}
		switch ct {
		case deprecated.TimestampMillis:
			return Timestamp, "ms"
		case deprecated.TimestampMicros:
			return Timestamp, "us"
		case deprecated.TimeMicros:
			return Time, "us"
		}
		if tt, ok := lv.(*format.TimeType); ok {
			switch tt.Unit.Value.(type) {
			case *format.MicroSeconds:
				return Time, "us"
			case *format.NanoSeconds:
				return Time, "ns"
			}
			return Unknown, ""
		}
		if it, ok := lv.(*format.IntType); ok && !it.IsSigned {
			return Uint64, ""
		}
		return Int64, ""
	case parquet.Int96:
		return Timestamp, "ns"
	case parquet.Float:
		return Float32, ""
	case parquet.Double:
		return Float64, ""
	case parquet.ByteArray:
		switch lv.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return String, ""
		}
		if ct == deprecated.UTF8 || ct == deprecated.Enum || ct == deprecated.Json {
			return String, ""
		}
		if lv != nil {
			return Unknown, ""
		}
		return Binary, ""
	case parquet.FixedLenByteArray:
		if _, ok := lv.(*format.UUIDType); ok && t.Length() == 16 {
			return UUID, ""
		}
		if lv != nil {
			return Unknown, ""
		}
		return FixedBytes, ""
	}
	return Unknown, ""
}

// logicalDetails reads what the element type leaves out: whether a
// timestamp or time is adjusted to UTC, and a decimal's precision and scale.
func logicalDetails(t parquet.Type) (utc bool, precision, scale int) {
	if t.Kind() == parquet.Int96 {
		return true, 0, 0
	}
	lt := t.LogicalType()
	if lt == nil {
		if ct := t.ConvertedType(); ct != nil && (*ct == deprecated.TimestampMillis || *ct == deprecated.TimestampMicros) {
			return true, 0, 0 // the converted types are UTC-adjusted by definition
		}
		return false, 0, 0
	}
	switch v := lt.Value.(type) {
	case *format.TimestampType:
		return v.IsAdjustedToUTC, 0, 0
	case *format.TimeType:
		return v.IsAdjustedToUTC, 0, 0
	case *format.DecimalType:
		return false, int(v.Precision), int(v.Scale)
	}
	return false, 0, 0
}

// arrowSchemaFields decodes the base64 ARROW:schema metadata value into
// its top-level fields by name: nil when absent, an error when it does not
// decode (the metadata is advisory: the caller warns and uses the Parquet
// schema).
func arrowSchemaFields(v string) (out map[string]arrow.Field, err error) {
	if v == "" {
		return nil, nil
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errors.New("decoding ARROW:schema: arrow-go could not decode it")
		}
	}()
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(v)
		if err != nil {
			return nil, errors.New("decoding ARROW:schema: not base64")
		}
	}
	s, err := decodeArrowSchema(raw)
	if err != nil {
		return nil, err
	}
	out = make(map[string]arrow.Field, s.NumFields())
	for _, fl := range s.Fields() {
		if _, dup := out[fl.Name]; !dup {
			out[fl.Name] = fl
		}
	}
	return out, nil
}

// decodeArrowSchema decodes an IPC schema message with arrow-go, after
// verifyArrowSchema found it well formed.
func decodeArrowSchema(raw []byte) (*arrow.Schema, error) {
	if err := verifyArrowSchema(raw); err != nil {
		return nil, err
	}
	r, err := ipc.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decoding ARROW:schema: %w", err)
	}
	defer r.Release()
	s := r.Schema()
	if s == nil {
		return nil, errors.New("decoding ARROW:schema: no schema")
	}
	return s, nil
}

func applyArrowField(m *colMeta, af arrow.Field) {
	if m.info.Kind != List && m.info.Kind != ListOfList {
		return
	}
	if m.info.ListFlavor == "flba" {
		return
	}
	flavor, inner, ok := arrowListFlavor(af.Type)
	if !ok {
		return
	}
	m.info.ListFlavor = flavor
	switch m.info.Kind {
	case List:
		if t, ok := af.Type.(*arrow.FixedSizeListType); ok {
			m.info.FixedSize = int(t.Len())
		}
	case ListOfList:
		if t, ok := inner.(*arrow.FixedSizeListType); ok {
			m.info.FixedSize = int(t.Len())
		}
	}
}

func arrowListFlavor(t arrow.DataType) (flavor string, elem arrow.DataType, ok bool) {
	switch t := t.(type) {
	case *arrow.ListType:
		return "list", t.Elem(), true
	case *arrow.LargeListType:
		return "large_list", t.Elem(), true
	case *arrow.FixedSizeListType:
		return "fixed_size_list", t.Elem(), true
	}
	return "", nil, false
}

// sortedKeys returns the keys of m in sorted order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

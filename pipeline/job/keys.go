package job

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

// This file decodes key columns of the types schemas.Usable accepts.
//
// A sequence id becomes a string: the key the job groups rows by, and the
// id in messages and side outputs. The text is canonical for the column's
// type, so equal ids give equal keys and distinct ids distinct keys:
// integers and decimals in base 10 (decimals with their scale's digits),
// strings and binary as they are, UUIDs as 8-4-4-4-12 lowercase hex, dates
// as 2006-01-02, timestamps as 2006-01-02T15:04:05.999999999 (with a Z when
// adjusted to UTC).
//
// An order value becomes an int64 that sorts like the value: integers,
// dates, times and timestamps in their own units, decimals unscaled,
// uint64 through schemas.Uint64Key and floats through schemas.FloatKey.

// ratherRuns reports whether parquetio.ReadRuns gives the canonical text
// of c's ids (it formats strings, binary and signed integers as we do).
func ratherRuns(c parquetio.ColumnInfo) bool {
	if c.Kind != parquetio.Scalar {
		return false
	}
	switch c.Elem {
	case parquetio.String, parquetio.Binary, parquetio.Int32, parquetio.Int64:
		return true
	}
	return false
}

// idRuns finds where the id changes in a column read by ReadColumn: the
// rows where runs start and their ids. nullRow is the first null id (-1
// without), at which it stops. Values are compared as they are stored and
// turned into text only where a run starts, each distinct value once (see
// idTexts).
func idRuns(a arrow.Array, c parquetio.ColumnInfo) (starts []int, keys []string, nullRow int) {
	same := sameAs(a)
	if c.Elem == parquetio.Decimal && a.DataType().ID() == arrow.BINARY {
		// Variable-width decimals may spell one value in several ways.
		same = func(i, j int) bool {
			return signedBig(a.(*array.Binary).Value(i)).Cmp(signedBig(a.(*array.Binary).Value(j))) == 0
		}
	}
	texts := idTexts{a: a, c: c}
	for row := 0; row < a.Len(); row++ {
		if a.IsNull(row) {
			return starts, keys, row
		}
		if row > 0 && same(row-1, row) {
			continue
		}
		k := texts.text(row)
		starts = append(starts, row)
		keys = append(keys, k)
	}
	return starts, keys, -1
}

// sameAs returns an equality test on two (non-null) rows of a.
func sameAs(a arrow.Array) func(i, j int) bool {
	switch v := a.(type) {
	case *array.Uint32:
		return func(i, j int) bool { return v.Value(i) == v.Value(j) }
	case *array.Uint64:
		return func(i, j int) bool { return v.Value(i) == v.Value(j) }
	case *array.Int32:
		return func(i, j int) bool { return v.Value(i) == v.Value(j) }
	case *array.Int64:
		return func(i, j int) bool { return v.Value(i) == v.Value(j) }
	case *array.Date32:
		return func(i, j int) bool { return v.Value(i) == v.Value(j) }
	case *array.Timestamp:
		return func(i, j int) bool { return v.Value(i) == v.Value(j) }
	case *array.FixedSizeBinary:
		return func(i, j int) bool { return bytes.Equal(v.Value(i), v.Value(j)) }
	case *array.Binary:
		return func(i, j int) bool { return bytes.Equal(v.Value(i), v.Value(j)) }
	case *array.String:
		return func(i, j int) bool { return v.Value(i) == v.Value(j) }
	}
	return func(i, j int) bool { return a.ValueStr(i) == a.ValueStr(j) }
}

// idTexts gives the canonical text of a's (non-null) ids, made once per
// distinct stored value: ids that change on every row (series interleaved
// in time order) would otherwise cost a formatted string per row (a UUID's
// hex, a timestamp's layout).
type idTexts struct {
	a       arrow.Array
	c       parquetio.ColumnInfo
	byNum   map[uint64]string
	byBytes map[string]string
}

// text is the canonical text of row i's id.
func (t *idTexts) text(i int) string {
	var num uint64
	var raw []byte
	switch v := t.a.(type) {
	case *array.Int32:
		num = uint64(v.Value(i))
	case *array.Int64:
		num = uint64(v.Value(i))
	case *array.Uint32:
		num = uint64(v.Value(i))
	case *array.Uint64:
		num = v.Value(i)
	case *array.Date32:
		num = uint64(v.Value(i))
	case *array.Timestamp:
		num = uint64(v.Value(i))
	case *array.FixedSizeBinary:
		raw = v.Value(i)
	case *array.Binary:
		raw = v.Value(i)
	case *array.String:
		return t.bytes(v.Value(i), i) // the lookup does not copy
	default:
		k, _ := idText(t.a, i, t.c)
		return k
	}
	if raw != nil {
		return t.bytes(unsafe.String(unsafe.SliceData(raw), len(raw)), i)
	}
	if k, ok := t.byNum[num]; ok {
		return k
	}
	if t.byNum == nil {
		t.byNum = map[uint64]string{}
	}
	k, _ := idText(t.a, i, t.c)
	t.byNum[num] = k
	return k
}

// bytes is the text of row i, whose stored value is raw (which may alias
// the array: it is copied when kept).
func (t *idTexts) bytes(raw string, i int) string {
	if k, ok := t.byBytes[raw]; ok {
		return k
	}
	if t.byBytes == nil {
		t.byBytes = map[string]string{}
	}
	k, _ := idText(t.a, i, t.c)
	t.byBytes[strings.Clone(raw)] = k
	return k
}

// idText is the id of row i as canonical text; ok is false for a null.
func idText(a arrow.Array, i int, c parquetio.ColumnInfo) (string, bool) {
	if a.IsNull(i) {
		return "", false
	}
	switch v := a.(type) {
	case *array.String:
		return strings.Clone(v.Value(i)), true
	case *array.LargeString:
		return strings.Clone(v.Value(i)), true
	case *array.Binary:
		if c.Elem == parquetio.Decimal {
			return decimalText(signedBig(v.Value(i)), c.Scale), true
		}
		return string(v.Value(i)), true
	case *array.FixedSizeBinary:
		switch c.Elem {
		case parquetio.UUID:
			return uuidText(v.Value(i)), true
		case parquetio.Decimal:
			return decimalText(signedBig(v.Value(i)), c.Scale), true
		}
		return string(v.Value(i)), true
	case *array.Int64:
		return intText(v.Value(i), c), true
	case *array.Int32:
		return intText(int64(v.Value(i)), c), true
	case *array.Uint32:
		return strconv.FormatUint(uint64(v.Value(i)), 10), true
	case *array.Uint64:
		return strconv.FormatUint(v.Value(i), 10), true
	case *array.Date32:
		return v.Value(i).ToTime().Format(time.DateOnly), true
	case *array.Timestamp:
		return timestampText(int64(v.Value(i)), c), true
	}
	return a.ValueStr(i), true
}

func intText(v int64, c parquetio.ColumnInfo) string {
	if c.Elem == parquetio.Decimal {
		return decimalText(big.NewInt(v), c.Scale)
	}
	return strconv.FormatInt(v, 10)
}

// signedBig reads a big-endian two's complement integer.
func signedBig(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// decimalText writes an unscaled integer with scale digits after the point.
func decimalText(n *big.Int, scale int) string {
	s := n.String()
	if scale <= 0 {
		return s + strings.Repeat("0", -scale)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		s = "-" + s
	}
	return s
}

func uuidText(b []byte) string {
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func timestampText(v int64, c parquetio.ColumnInfo) string {
	var t time.Time
	switch c.TimeUnit {
	case "s":
		t = time.Unix(v, 0)
	case "ms":
		t = time.UnixMilli(v)
	case "us":
		t = time.UnixMicro(v)
	default:
		t = time.Unix(0, v)
	}
	s := t.UTC().Format("2006-01-02T15:04:05.999999999")
	if c.UTC {
		s += "Z"
	}
	return s
}

// badValue is an order value that is not one: its row and what it is.
type badValue struct {
	row   int // -1: none
	found string
}

// orderKeys converts an order column read by ReadColumn to int64 keys (see
// the top of the file), into buf's storage when it holds enough. A null, a
// NaN, a non-finite float when the values are times (finite), or a decimal
// wider than int64 stops it at that row (and gives no keys).
func orderKeys(a arrow.Array, finite bool, buf []int64) ([]int64, badValue) {
	if a.NullN() == 0 {
		switch c := a.(type) {
		case *array.Int64:
			// The values are a Go slice the reader made for this array
			// alone (no allocator frees it), so they are taken, not copied.
			return c.Int64Values(), badValue{row: -1}
		case *array.Timestamp:
			vals := c.TimestampValues()
			out := int64s(buf, len(vals))
			for i, v := range vals {
				out[i] = int64(v)
			}
			return out, badValue{row: -1}
		case *array.Uint32:
			out := int64s(buf, a.Len())
			for i, v := range c.Uint32Values() {
				out[i] = int64(v)
			}
			return out, badValue{row: -1}
		case *array.Int32:
			out := int64s(buf, a.Len())
			for i, v := range c.Int32Values() {
				out[i] = int64(v)
			}
			return out, badValue{row: -1}
		}
	}
	out := int64s(buf, a.Len())
	for i := range out {
		if a.IsNull(i) {
			return nil, badValue{i, "null"}
		}
		var ok bool
		out[i], ok = orderKey(a, i)
		if !ok {
			return nil, badValue{i, notOrder(a, i)}
		}
		if finite {
			if f, isFloat := floatAt(a, i); isFloat && (math.IsInf(f, 0) || math.IsNaN(f)) {
				return nil, badValue{i, a.ValueStr(i) + " (a time must be finite)"}
			}
		}
	}
	return out, badValue{row: -1}
}

// int64s is buf[:n] when buf holds n, else a new slice.
func int64s(buf []int64, n int) []int64 {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]int64, n)
}

// orderKey is the key of row i (not null); ok is false for a NaN or a
// decimal beyond int64.
func orderKey(a arrow.Array, i int) (int64, bool) {
	switch c := a.(type) {
	case *array.Int64:
		return c.Value(i), true
	case *array.Int32:
		return int64(c.Value(i)), true
	case *array.Uint32:
		return int64(c.Value(i)), true
	case *array.Uint64:
		return schemas.Uint64Key(c.Value(i)), true
	case *array.Timestamp:
		return int64(c.Value(i)), true
	case *array.Date32:
		return int64(c.Value(i)), true
	case *array.Time32:
		return int64(c.Value(i)), true
	case *array.Time64:
		return int64(c.Value(i)), true
	case *array.Float64:
		return floatKey(c.Value(i))
	case *array.Float32:
		return floatKey(float64(c.Value(i)))
	case *array.FixedSizeBinary:
		return decimalKey(c.Value(i))
	case *array.Binary:
		return decimalKey(c.Value(i))
	}
	return 0, false
}

// notOrder says what row i holds when orderKey refuses it: a NaN, or a
// decimal too wide for an int64.
func notOrder(a arrow.Array, i int) string {
	var b []byte
	switch c := a.(type) {
	case *array.FixedSizeBinary:
		b = c.Value(i)
	case *array.Binary:
		b = c.Value(i)
	default:
		return a.ValueStr(i)
	}
	return "the unscaled decimal " + signedBig(b).String() + ", beyond the int64 range of order values"
}

func floatAt(a arrow.Array, i int) (float64, bool) {
	switch c := a.(type) {
	case *array.Float64:
		return c.Value(i), true
	case *array.Float32:
		return float64(c.Value(i)), true
	}
	return 0, false
}

func floatKey(f float64) (int64, bool) {
	if math.IsNaN(f) {
		return 0, false
	}
	return schemas.FloatKey(f), true
}

// decimalKey reads an unscaled big-endian decimal that fits in an int64.
func decimalKey(b []byte) (int64, bool) {
	n := signedBig(b)
	if !n.IsInt64() {
		return 0, false
	}
	return n.Int64(), true
}

// timeKeys converts, in place, the raw values ReadListInt64 gives for a
// nested time column of type c to order keys. It returns the index of the
// first value that is not a time (NaN, or ±Inf when finite) and its text,
// or -1.
func timeKeys(vals []int64, c parquetio.ColumnInfo, finite bool) (int, string) {
	switch c.Elem {
	case parquetio.Uint64:
		for i, v := range vals {
			vals[i] = schemas.Uint64Key(uint64(v))
		}
	case parquetio.Float32, parquetio.Float64:
		for i, v := range vals {
			f := math.Float64frombits(uint64(v))
			if math.IsNaN(f) || (finite && math.IsInf(f, 0)) {
				return i, strconv.FormatFloat(f, 'g', -1, 64)
			}
			vals[i] = schemas.FloatKey(f)
		}
	}
	return -1, ""
}

// FloatTimes decodes the order values a Computer receives for a float
// order column (schemas.FloatOrder) into dst.
func FloatTimes(dst []float64, t []int64) []float64 {
	dst = dst[:0]
	for _, k := range t {
		dst = append(dst, schemas.KeyFloat(k))
	}
	return dst
}

// keyColumns are the flat key columns a run reads whole in every row
// group, the long layout's sequence id and order column: the writer
// leaves their verification to the key readers (parquetio.WriterOptions).
// The nested layout reads its row ids only for an observer (plots), so
// the writer verifies them ahead as any other passthrough column.
func keyColumns(det schemas.Detected) []string {
	if det.Layout != schemas.Long {
		return nil
	}
	var names []string
	for _, c := range []*parquetio.ColumnInfo{det.Sequence, det.Order} {
		if c != nil {
			names = append(names, c.Name)
		}
	}
	return names
}

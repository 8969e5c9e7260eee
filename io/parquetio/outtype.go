package parquetio

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/contextualize/contextualize/io/half"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// packed reports whether the column holds packed float32 vectors in a
// FIXED_LEN_BYTE_ARRAY of 4·d bytes (the "flba" flavour), as opposed to a
// float16 FIXED_LEN_BYTE_ARRAY(2) element or a FLOAT/DOUBLE leaf.
func (m *colMeta) packed() bool {
	return m.kind == parquet.FixedLenByteArray && m.info.ListFlavor == "flba"
}

// ParseFloatType reads an output type: "" (keep the input's), float16,
// float32 or float64.
func ParseFloatType(s string) (ElemType, error) {
	switch s {
	case "":
		return Unknown, nil
	case "float16":
		return Float16, nil
	case "float32":
		return Float32, nil
	case "float64":
		return Float64, nil
	}
	return Unknown, fmt.Errorf("expected float32 or float64, found %q", s)
}

// floatRank orders the float types by width.
func floatRank(e ElemType) int {
	switch e {
	case Float16:
		return 1
	case Float32:
		return 2
	case Float64:
		return 3
	}
	return 0
}

// OutputType returns the element type the output column of a value column
// of type in gets when the user asks for want (Unknown: keep in). It
// widens and never narrows: a narrower want is an error, as is a change of
// a packed FIXED_LEN_BYTE_ARRAY vector column (which holds float32 only).
func OutputType(c ColumnInfo, want ElemType) (ElemType, error) {
	if want == Unknown || want == c.Elem {
		return c.Elem, nil
	}
	if floatRank(want) == 0 || floatRank(c.Elem) == 0 {
		return 0, fmt.Errorf("output type %s for a %s column: expected float16, float32 or float64", want, c.Elem)
	}
	if floatRank(want) < floatRank(c.Elem) {
		return 0, fmt.Errorf("%s values, which output type %s would narrow", c.Elem, want)
	}
	if c.ListFlavor == "flba" {
		return 0, fmt.Errorf("output type %s: column %q holds packed float32 vectors in %s, which keep their type", want, c.Name, c.PhysicalType)
	}
	return want, nil
}

// retyped reports whether the output leaf's physical type differs from the
// input's.
func (w *Writer) retyped() bool { return w.outType != w.m.info.Elem }

// value32 is the output value of a float32 slab value.
func (w *Writer) value32(x float32) parquet.Value {
	switch w.outType {
	case Float16:
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], half.FromFloat32(x))
		return parquet.FixedLenByteArrayValue(b[:])
	case Float64:
		return parquet.DoubleValue(float64(x))
	}
	return parquet.FloatValue(x)
}

// float16Overflow is where a finite result rounds to a float16 infinity.
const float16Overflow = 65520

// checkFloat16Range refuses finite results that float16 cannot hold (they
// would be written as infinities): a *DataError naming the row, so the
// user can widen with --output-type.
func (w *Writer) checkFloat16Range(rg int, vals ValueChunk) error {
	if w.outType != Float16 {
		return nil
	}
	for k, x := range vals.Values.F32 {
		if ax := math.Abs(float64(x)); ax < float16Overflow || math.IsInf(ax, 0) || ax != ax {
			continue
		}
		row := int64(k)
		if vals.D > 0 {
			row = int64(k / vals.D)
		}
		if vals.Offsets != nil { // the row whose elements hold k
			e := row
			row = int64(sort.Search(len(vals.Offsets)-1, func(r int) bool { return vals.Offsets[r+1] > e }))
		}
		return &DataError{File: w.in.path, RowGroup: rg, Row: vals.FirstRow + row, Column: w.m.info.Name,
			Expected: "results within the float16 range (|x| <= 65504) to write a float16 column",
			Found:    fmt.Sprintf("%g (give --output-type float32 to keep it)", x)}
	}
	return nil
}

// outLeafType is the parquet-go leaf type of a retyped output column.
func (w *Writer) outLeafType() parquet.Type {
	if w.outType == Float64 {
		return parquet.DoubleType
	}
	return parquet.FloatType
}

// retypeElement makes a schema element a plain FLOAT or DOUBLE leaf for the
// output type t.
func retypeElement(el *format.SchemaElement, t ElemType) {
	el.Type.V, el.Type.Valid = format.Float, true
	if t == Float64 {
		el.Type.V = format.Double
	}
	el.TypeLength.Valid, el.ConvertedType.Valid = false, false
	el.TypeLength.V = 0
	el.LogicalType = format.LogicalType{}
}

// leafElement returns the index of the n-th leaf (0-based) among schema
// elements el (el[0] being the root), or -1.
func leafElement(el []format.SchemaElement, n int) int {
	for i := 1; i < len(el); i++ {
		if !el[i].NumChildren.Valid || el[i].NumChildren.V == 0 {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}

// outBytes converts a page's slab floats (native float32s) to the output
// type's little-endian bytes, appended to dst.
func outBytes(dst, vb []byte, t ElemType) []byte {
	n := len(vb) / 4
	src := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(vb))), n)
	switch t {
	case Float16:
		for _, x := range src {
			dst = binary.LittleEndian.AppendUint16(dst, half.FromFloat32(x))
		}
	case Float64:
		for _, x := range src {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(float64(x)))
		}
	default:
		for _, x := range src {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
		}
	}
	return dst
}

// retypeArrowField returns the base64 ARROW:schema with the float leaf of
// field name (inside any lists) changed to type t.
func retypeArrowField(b64, name string, t ElemType) (string, error) {
	s, i, err := arrowSchemaField(b64, name)
	if err != nil {
		return "", err
	}
	to := arrow.DataType(arrow.PrimitiveTypes.Float32)
	if t == Float64 {
		to = arrow.PrimitiveTypes.Float64
	}
	fields := append([]arrow.Field(nil), s.Fields()...)
	nt, ok := retypeLeaf(fields[i].Type, to)
	if !ok {
		return "", fmt.Errorf("field %q of ARROW:schema is %s, not a float or a list of floats", name, fields[i].Type)
	}
	fields[i].Type = nt
	md := s.Metadata()
	return encodeArrowSchema(arrow.NewSchema(fields, &md))
}

// retypeLeaf replaces the float leaf of t (inside any lists) with to.
func retypeLeaf(t, to arrow.DataType) (arrow.DataType, bool) {
	switch t := t.(type) {
	case *arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type:
		return to, true
	case *arrow.ListType:
		f := t.ElemField()
		var ok bool
		if f.Type, ok = retypeLeaf(f.Type, to); ok {
			return arrow.ListOfField(f), true
		}
	case *arrow.LargeListType:
		f := t.ElemField()
		var ok bool
		if f.Type, ok = retypeLeaf(f.Type, to); ok {
			return arrow.LargeListOfField(f), true
		}
	case *arrow.FixedSizeListType:
		f := t.ElemField()
		var ok bool
		if f.Type, ok = retypeLeaf(f.Type, to); ok {
			return arrow.FixedSizeListOfField(t.Len(), f), true
		}
	}
	return nil, false
}

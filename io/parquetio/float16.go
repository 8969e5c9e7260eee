package parquetio

import (
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go v0.32 has no FLOAT16 type: a FIXED_LEN_BYTE_ARRAY(2) leaf
// annotated FLOAT16 comes back from its schema as plain fixed bytes, and it
// would write it back without the annotation. The annotation is therefore
// taken from the footer's schema elements here, and put back on the leaves
// of the output schema by float16Type.

// float16Leaves returns the leaf indexes (in column order) whose schema
// element is FIXED_LEN_BYTE_ARRAY(2) with the FLOAT16 logical type.
func float16Leaves(md *format.FileMetaData) map[int]bool {
	var out map[int]bool
	leaf := 0
	for i := 1; i < len(md.Schema); i++ {
		el := &md.Schema[i]
		if el.NumChildren.Valid && el.NumChildren.V > 0 {
			continue
		}
		if _, ok := el.LogicalType.Value.(*format.Float16Type); ok &&
			el.Type.Valid && el.Type.V == format.FixedLenByteArray && el.TypeLength.Valid && el.TypeLength.V == 2 {
			if out == nil {
				out = map[int]bool{}
			}
			out[leaf] = true
		}
		leaf++
	}
	return out
}

// markFloat16 makes a column whose leaf is FLOAT16 a float16 scalar, list
// or list of lists (classify took the unannotated FIXED_LEN_BYTE_ARRAY(2)
// for fixed bytes, or for packed float32 vectors when it is a scalar).
func (m *colMeta) markFloat16() {
	if m.info.Kind == Other {
		return
	}
	m.info.Elem = Float16
	if m.info.ListFlavor == "flba" {
		m.info.Kind, m.info.ListFlavor, m.info.FixedSize = Scalar, "", 0
	}
}

// float16Type is a FIXED_LEN_BYTE_ARRAY(2) leaf type that carries the
// FLOAT16 logical type, for the output schema.
type float16Type struct{ parquet.Type }

func (float16Type) LogicalType() *format.LogicalType {
	return &format.LogicalType{Value: &format.Float16Type{}}
}

func (t float16Type) String() string { return "FLOAT16" }

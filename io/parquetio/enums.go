package parquetio

import (
	"fmt"

	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/parquet-go/parquet-go/format"
)

// parquet-go decodes enum fields of any value, while other readers (DuckDB
// among them) refuse a file with one outside its enum: an output that kept
// it would be unreadable. These checks run on the footer at Open and on
// every page header before the file is read.

func validType(t format.Type) bool { return t >= format.Boolean && t <= format.FixedLenByteArray }

func validEncoding(e format.Encoding) bool {
	return e == format.Plain || (e >= format.PlainDictionary && e <= format.ByteStreamSplit)
}

func validCodec(c format.CompressionCodec) bool {
	return c >= format.Uncompressed && c <= format.Lz4Raw
}

// checkFooterEnums checks every enum of the footer: schema element types,
// repetitions and converted types, and column chunk types, codecs and
// encodings.
func checkFooterEnums(md *format.FileMetaData) error {
	for i, el := range md.Schema {
		switch {
		case el.Type.Valid && !validType(el.Type.V):
			return fmt.Errorf("schema element %d (%q): physical type %d", i, el.Name, el.Type.V)
		case el.RepetitionType.Valid && (el.RepetitionType.V < format.Required || el.RepetitionType.V > format.Repeated):
			return fmt.Errorf("schema element %d (%q): repetition %d", i, el.Name, el.RepetitionType.V)
		case el.ConvertedType.Valid && (el.ConvertedType.V < 0 || el.ConvertedType.V > 21):
			return fmt.Errorf("schema element %d (%q): converted type %d", i, el.Name, el.ConvertedType.V)
		}
		if el.Type.Valid && el.ConvertedType.Valid && !convertedFits(el.ConvertedType.V, el.Type.V) {
			return fmt.Errorf("schema element %d (%q): converted type %v on a %v column", i, el.Name, el.ConvertedType.V, el.Type.V)
		}
		if err := checkLogicalType(el.LogicalType.Value); err != nil {
			return fmt.Errorf("schema element %d (%q): logical type %v", i, el.Name, err)
		}
	}
	for rg := range md.RowGroups {
		for c := range md.RowGroups[rg].Columns {
			cm := &md.RowGroups[rg].Columns[c].MetaData
			bad := func(what string, v any) error {
				return fmt.Errorf("row group %d, column chunk %d: %s %v", rg, c, what, v)
			}
			if !validType(cm.Type) {
				return bad("physical type", int32(cm.Type))
			}
			if !validCodec(cm.Codec) {
				return bad("compression codec", int32(cm.Codec))
			}
			for _, e := range cm.Encoding {
				if !validEncoding(e) {
					return bad("encoding", int32(e))
				}
			}
			for _, s := range cm.EncodingStats {
				if !validEncoding(s.Encoding) || s.PageType < format.DataPage || s.PageType > format.DataPageV2 {
					return bad("encoding statistics", fmt.Sprintf("%d/%d", s.PageType, s.Encoding))
				}
			}
		}
	}
	return nil
}

// checkPageEnums checks a page header's type and encodings.
func checkPageEnums(h *format.PageHeader) error {
	if h.Type < format.DataPage || h.Type > format.DataPageV2 {
		return fmt.Errorf("page type %d", h.Type)
	}
	var encs []format.Encoding
	switch {
	case h.DataPageHeader.Valid:
		v := h.DataPageHeader.V
		encs = []format.Encoding{v.Encoding, v.DefinitionLevelEncoding, v.RepetitionLevelEncoding}
	case h.DataPageHeaderV2.Valid:
		encs = []format.Encoding{h.DataPageHeaderV2.V.Encoding}
	case h.DictionaryPageHeader.Valid:
		encs = []format.Encoding{h.DictionaryPageHeader.V.Encoding}
	}
	for _, e := range encs {
		if !validEncoding(e) {
			return fmt.Errorf("encoding %d", e)
		}
	}
	return nil
}

// checkLogicalType checks the parts of a logical type other readers
// require: a time unit for TIME and TIMESTAMP, a valid INT bit width.
func checkLogicalType(lt format.LogicalTypeValue) error {
	switch t := lt.(type) {
	case *format.TimestampType:
		if t.Unit.Value == nil {
			return fmt.Errorf("TIMESTAMP without a unit")
		}
	case *format.TimeType:
		if t.Unit.Value == nil {
			return fmt.Errorf("TIME without a unit")
		}
	case *format.IntType:
		switch t.BitWidth {
		case 8, 16, 32, 64:
		default:
			return fmt.Errorf("INT of %d bits", t.BitWidth)
		}
	}
	return nil
}

// statsFit reports whether the statistics' values have the size of the
// column's physical type (fixed-width types only; readers such as DuckDB
// refuse a file otherwise).
func statsFit(st *format.Statistics, t format.Type, typeLength int) bool {
	size := 0
	switch t {
	case format.Int32, format.Float:
		size = 4
	case format.Int64, format.Double:
		size = 8
	case format.Int96:
		size = 12
	case format.FixedLenByteArray:
		size = typeLength
	default:
		return true
	}
	for _, v := range [][]byte{st.Min, st.Max, st.MinValue, st.MaxValue} {
		if len(v) != 0 && len(v) != size {
			return false
		}
	}
	return true
}

// convertedFits reports whether a leaf's converted type may annotate its
// physical type (the Parquet format's table; readers such as DuckDB refuse
// a file otherwise).
func convertedFits(ct deprecated.ConvertedType, t format.Type) bool {
	switch ct {
	case deprecated.UTF8, deprecated.Enum, deprecated.Json, deprecated.Bson:
		return t == format.ByteArray
	case deprecated.Date, deprecated.TimeMillis, deprecated.Int8, deprecated.Int16, deprecated.Int32,
		deprecated.Uint8, deprecated.Uint16, deprecated.Uint32:
		return t == format.Int32
	case deprecated.TimeMicros, deprecated.TimestampMillis, deprecated.TimestampMicros, deprecated.Int64, deprecated.Uint64:
		return t == format.Int64
	case deprecated.Decimal:
		return t == format.Int32 || t == format.Int64 || t == format.ByteArray || t == format.FixedLenByteArray
	case deprecated.Interval:
		return t == format.FixedLenByteArray
	case deprecated.List, deprecated.Map, deprecated.MapKeyValue:
		return false // group annotations on a leaf
	}
	return true
}

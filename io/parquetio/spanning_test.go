package parquetio

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// rleLevels encodes levels with the RLE/bit-packing hybrid (one RLE run per
// level), prefixed with its 4-byte length as data page v1 stores them.
func rleLevels(levels []byte) []byte {
	var runs []byte
	for _, l := range levels {
		runs = append(runs, 2, l) // varint(1<<1), value in one byte
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(runs)))
	return append(out, runs...)
}

// writeSpanningFile hand-writes a file whose column
// `optional group embedding (LIST) { repeated group list { required float element } }`
// holds rows of d values in data pages v1 cut at the given value counts, so
// rows start on one page and end on the next (parquet-go's writer never
// does that, other writers do).
func writeSpanningFile(t *testing.T, path string, lens []int, cuts []int) {
	t.Helper()
	rows := len(lens)
	var vals []float32
	var reps, defs []byte
	for i := 0; i < rows; i++ {
		for j := 0; j < lens[i]; j++ {
			vals = append(vals, float32(val(i, j)))
			if j == 0 {
				reps = append(reps, 0)
			} else {
				reps = append(reps, 1)
			}
			defs = append(defs, 2)
		}
	}
	proto := new(thrift.CompactProtocol)
	var file bytes.Buffer
	file.WriteString("PAR1")
	dataOffset := int64(file.Len())
	start := 0
	for _, end := range append(cuts, len(vals)) {
		var page []byte
		page = append(page, rleLevels(reps[start:end])...)
		page = append(page, rleLevels(defs[start:end])...)
		for _, v := range vals[start:end] {
			page = binary.LittleEndian.AppendUint32(page, math.Float32bits(v))
		}
		h := format.PageHeader{Type: format.DataPage, UncompressedPageSize: int32(len(page)), CompressedPageSize: int32(len(page)),
			DataPageHeader: thrift.New(format.DataPageHeader{NumValues: int32(end - start), Encoding: format.Plain,
				DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.RLE})}
		hb, err := thrift.Marshal(proto, &h)
		if err != nil {
			t.Fatal(err)
		}
		file.Write(hb)
		file.Write(page)
		start = end
	}
	chunkSize := int64(file.Len()) - dataOffset
	meta := format.FileMetaData{
		Version: 1,
		Schema: []format.SchemaElement{
			{Name: "schema", NumChildren: thrift.New(int32(1))},
			{Name: "embedding", RepetitionType: thrift.New(format.Optional), NumChildren: thrift.New(int32(1)),
				ConvertedType: thrift.New(deprecated.List), LogicalType: format.LogicalType{Value: &format.ListType{}}},
			{Name: "list", RepetitionType: thrift.New(format.Repeated), NumChildren: thrift.New(int32(1))},
			{Name: "element", RepetitionType: thrift.New(format.Required), Type: thrift.New(format.Float)},
		},
		NumRows: int64(rows),
		RowGroups: []format.RowGroup{{
			Columns: []format.ColumnChunk{{FileOffset: dataOffset, MetaData: format.ColumnMetaData{
				Type: format.Float, Encoding: []format.Encoding{format.Plain, format.RLE}, PathInSchema: []string{"embedding", "list", "element"},
				Codec: format.Uncompressed, NumValues: int64(len(vals)), TotalUncompressedSize: chunkSize, TotalCompressedSize: chunkSize,
				DataPageOffset: dataOffset}}},
			TotalByteSize: chunkSize, NumRows: int64(rows),
		}},
		CreatedBy: "hand-written test file",
	}
	fb, err := thrift.Marshal(proto, &meta)
	if err != nil {
		t.Fatal(err)
	}
	file.Write(fb)
	file.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(fb))))
	file.WriteString("PAR1")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRowsSpanningPages(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "span.parquet")
	const rows, d = 7, 4
	lens := []int{d, d, d, d, d, d, d}
	writeSpanningFile(t, path, lens, []int{6, 13, 14, 22})
	var want [][]float64
	for i := 0; i < rows; i++ {
		var r []float64
		for j := 0; j < d; j++ {
			r = append(r, float64(float32(val(i, j))))
		}
		want = append(want, r)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// the pages really start mid-row
	pages := f.pf.RowGroups()[0].ColumnChunks()[0].Pages()
	var firstReps []byte
	for {
		p, err := pages.ReadPage()
		if err != nil {
			break
		}
		firstReps = append(firstReps, p.RepetitionLevels()[0])
	}
	pages.Close()
	if !bytes.Equal(firstReps, []byte{0, 1, 1, 1, 1}) {
		t.Fatalf("first repetition level of each page: %v", firstReps)
	}
	ci, _ := f.Column("embedding")
	if ci.Kind != List || ci.Elem != Float32 || !ci.Optional {
		t.Fatalf("%+v", ci)
	}
	got, _ := readAll(t, f, ReadSpec{Column: "embedding"})
	equalRows(t, got, want)

	// and the writer passes the rows through intact
	out := rewrite(t, path, ReadSpec{Column: "embedding"}, WriterOptions{}, transform)
	fo, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fo.Close()
	got, _ = readAll(t, fo, ReadSpec{Column: "embedding"})
	equalRows(t, got, transformRows(want, Float32))

	// a ragged row across a page boundary is caught with its row number
	ragged := filepath.Join(dir, "ragged.parquet")
	writeSpanningFile(t, ragged, []int{d, d, d + 1, d}, []int{10})
	fr, err := Open(ragged)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	_, err = fr.ReadValues(0, ReadSpec{Column: "embedding"}, nil)
	wantDataError(t, err, ragged, 0, 2, "embedding", "expected a vector of 4 float32 values, found 5")
}

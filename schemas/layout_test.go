package schemas

import (
	"errors"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/io/parquetio"
)

func col(name string, kind parquetio.Kind, elem parquetio.ElemType, flavor string, size int) parquetio.ColumnInfo {
	return parquetio.ColumnInfo{Name: name, Kind: kind, Elem: elem, ListFlavor: flavor, FixedSize: size}
}

var (
	seqID     = col("sequence_id", parquetio.Scalar, parquetio.String, "", 0)
	seriesID  = col("series_id", parquetio.Scalar, parquetio.String, "", 0)
	position  = col("position", parquetio.Scalar, parquetio.Int32, "", 0)
	timestamp = col("timestamp", parquetio.Scalar, parquetio.Timestamp, "", 0)
	timeList  = col("timestamp", parquetio.List, parquetio.Timestamp, "list", 0)
	embList   = col("embedding", parquetio.List, parquetio.Float32, "list", 0)
	embFixed  = col("embedding", parquetio.List, parquetio.Float32, "fixed_size_list", 8)
	embFLBA   = col("embedding", parquetio.List, parquetio.Float32, "flba", 4)
	embNested = col("embedding", parquetio.ListOfList, parquetio.Float32, "list", 0)
	valScalar = col("value", parquetio.Scalar, parquetio.Float64, "", 0)
	valList   = col("value", parquetio.List, parquetio.Float64, "list", 0)
	intValue  = col("value", parquetio.Scalar, parquetio.Int64, "", 0)
	smoothDef = []string{"value", "embedding"}
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name              string
		cols              []parquetio.ColumnInfo
		opt               Options
		layout            Layout
		value, seq, order string
		time              string
		d                 int
	}{
		{"scalar series is long", []parquetio.ColumnInfo{seriesID, timestamp, valScalar}, Options{DefaultColumns: smoothDef}, Long, "value", "series_id", "timestamp", "", 1},
		{"vectors with position are long", []parquetio.ColumnInfo{seqID, position, embList}, Options{DefaultColumns: []string{"embedding"}}, Long, "embedding", "sequence_id", "position", "", 0},
		{"list without order column is nested", []parquetio.ColumnInfo{seriesID, valList}, Options{DefaultColumns: smoothDef}, Nested, "value", "series_id", "", "", 1},
		{"nested series with time list", []parquetio.ColumnInfo{seriesID, timeList, valList}, Options{DefaultColumns: smoothDef}, Nested, "value", "series_id", "", "timestamp", 1},
		{"list of lists is nested", []parquetio.ColumnInfo{seqID, embNested}, Options{DefaultColumns: []string{"embedding"}}, Nested, "embedding", "sequence_id", "", "", 0},
		{"fixed size list is long without order", []parquetio.ColumnInfo{embFixed}, Options{DefaultColumns: []string{"embedding"}}, Long, "embedding", "", "", "", 8},
		{"flba is long", []parquetio.ColumnInfo{seqID, embFLBA}, Options{DefaultColumns: []string{"embedding"}}, Long, "embedding", "sequence_id", "", "", 4},
		{"layout flag forces long", []parquetio.ColumnInfo{seqID, embList}, Options{Layout: Long, DefaultColumns: []string{"embedding"}}, Long, "embedding", "sequence_id", "", "", 0},
		{"layout flag forces nested", []parquetio.ColumnInfo{seqID, position, valList}, Options{Layout: Nested, DefaultColumns: smoothDef}, Nested, "value", "sequence_id", "", "", 1},
		{"smooth falls back to embedding", []parquetio.ColumnInfo{seqID, position, embList}, Options{DefaultColumns: smoothDef}, Long, "embedding", "sequence_id", "position", "", 0},
		{"explicit columns", []parquetio.ColumnInfo{col("doc", parquetio.Scalar, parquetio.Int64, "", 0), col("t", parquetio.Scalar, parquetio.Int64, "", 0), col("x", parquetio.Scalar, parquetio.Float32, "", 0)},
			Options{Column: "x", SequenceColumn: "doc", OrderColumn: "t"}, Long, "x", "doc", "t", "", 1},
		{"position preferred over timestamp", []parquetio.ColumnInfo{seriesID, timestamp, position, valScalar}, Options{DefaultColumns: smoothDef}, Long, "value", "series_id", "position", "", 1},
		{"sequence_id preferred over series_id", []parquetio.ColumnInfo{seriesID, seqID, valScalar}, Options{DefaultColumns: smoothDef}, Long, "value", "sequence_id", "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			det, err := Detect("f.parquet", tt.cols, tt.opt)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if det.Layout != tt.layout || det.Value.Name != tt.value || det.D != tt.d {
				t.Errorf("got layout %s value %s d %d, want %s %s %d", det.Layout, det.Value.Name, det.D, tt.layout, tt.value, tt.d)
			}
			if got := name(det.Sequence); got != tt.seq {
				t.Errorf("sequence column %q, want %q", got, tt.seq)
			}
			if got := name(det.Order); got != tt.order {
				t.Errorf("order column %q, want %q", got, tt.order)
			}
			if got := name(det.Time); got != tt.time {
				t.Errorf("time column %q, want %q", got, tt.time)
			}
			if det.Reason == "" {
				t.Error("no reason given")
			}
		})
	}
}

func name(c *parquetio.ColumnInfo) string {
	if c == nil {
		return ""
	}
	return c.Name
}

func TestDetectErrors(t *testing.T) {
	tests := []struct {
		name string
		cols []parquetio.ColumnInfo
		opt  Options
		want []string // substrings of the message
	}{
		{"missing value column", []parquetio.ColumnInfo{seqID, position}, Options{DefaultColumns: []string{"embedding"}},
			[]string{"f.parquet", `"embedding"`, `"sequence_id", "position"`}},
		{"missing explicit column", []parquetio.ColumnInfo{seqID, embList}, Options{Column: "vec"}, []string{`"vec"`, "found columns"}},
		{"integer values", []parquetio.ColumnInfo{intValue}, Options{DefaultColumns: smoothDef}, []string{`column "value"`, "float32 or float64", "int64"}},
		{"scalar forced nested", []parquetio.ColumnInfo{valScalar}, Options{Layout: Nested, DefaultColumns: smoothDef}, []string{"--layout nested"}},
		{"list of lists forced long", []parquetio.ColumnInfo{embNested}, Options{Layout: Long, DefaultColumns: []string{"embedding"}}, []string{"--layout long"}},
		{"missing sequence column", []parquetio.ColumnInfo{valScalar}, Options{DefaultColumns: smoothDef, SequenceColumn: "doc"}, []string{`column "doc"`, "no such column"}},
		{"order column of strings", []parquetio.ColumnInfo{valScalar, seqID}, Options{DefaultColumns: smoothDef, OrderColumn: "sequence_id"}, []string{`column "sequence_id"`, "order column", "string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Detect("f.parquet", tt.cols, tt.opt)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want *schemas.Error, got %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
		})
	}
}

func TestParseLayout(t *testing.T) {
	for in, want := range map[string]Layout{"": Auto, "auto": Auto, "long": Long, "nested": Nested} {
		if got, err := ParseLayout(in); err != nil || got != want {
			t.Errorf("ParseLayout(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseLayout("wide"); err == nil {
		t.Error("ParseLayout(wide) accepted")
	}
}

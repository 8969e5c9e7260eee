package schemas

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/io/parquetio"
)

func scalar(name string, e parquetio.ElemType) parquetio.ColumnInfo {
	return parquetio.ColumnInfo{Name: name, Kind: parquetio.Scalar, Elem: e}
}

func TestUsable(t *testing.T) {
	all := []parquetio.ElemType{parquetio.Float32, parquetio.Float64, parquetio.Int32, parquetio.Int64, parquetio.Bool,
		parquetio.String, parquetio.Binary, parquetio.Timestamp, parquetio.Date, parquetio.FixedBytes,
		parquetio.Uint32, parquetio.Uint64, parquetio.Decimal, parquetio.Time, parquetio.UUID, parquetio.Unknown}
	ids := []parquetio.ElemType{parquetio.Int32, parquetio.Int64, parquetio.Uint32, parquetio.Uint64, parquetio.Decimal,
		parquetio.String, parquetio.Binary, parquetio.FixedBytes, parquetio.UUID, parquetio.Date, parquetio.Timestamp}
	orders := []parquetio.ElemType{parquetio.Int32, parquetio.Int64, parquetio.Uint32, parquetio.Uint64, parquetio.Decimal,
		parquetio.Float32, parquetio.Float64, parquetio.Date, parquetio.Time, parquetio.Timestamp}
	for _, e := range all {
		c := scalar("k", e)
		if got, want := Usable(c, RoleSequence), slices.Contains(ids, e); got != want {
			t.Errorf("%s as a sequence id: %v, want %v", e, got, want)
		}
		if got, want := Usable(c, RoleOrder), slices.Contains(orders, e); got != want {
			t.Errorf("%s as an order column: %v, want %v", e, got, want)
		}
		if Usable(c, RoleTime) {
			t.Errorf("scalar %s as a time list: usable", e)
		}
		l := parquetio.ColumnInfo{Name: "k", Kind: parquetio.List, Elem: e, ListFlavor: "list", PhysicalType: "INT64"}
		if got, want := Usable(l, RoleTime), slices.Contains(orders, e); got != want {
			t.Errorf("list<%s> as a time list: %v, want %v", e, got, want)
		}
		if Usable(l, RoleSequence) || Usable(l, RoleOrder) {
			t.Errorf("list<%s> usable as a scalar key", e)
		}
	}
	wide := parquetio.ColumnInfo{Name: "k", Kind: parquetio.List, Elem: parquetio.Decimal, ListFlavor: "list", PhysicalType: "FIXED_LEN_BYTE_ARRAY(16)"}
	if Usable(wide, RoleTime) {
		t.Error("a list of wide decimals is usable as times")
	}
}

// TestUnusableKeysAreErrors: a key-named or flag-named column that cannot
// play its role fails the file (an input error), and an order column of
// any type keeps a list value column long.
func TestUnusableKeysAreErrors(t *testing.T) {
	boolPos := scalar("position", parquetio.Bool)
	strTS := scalar("timestamp", parquetio.String)
	floatID := scalar("sequence_id", parquetio.Float64)
	tests := []struct {
		name string
		cols []parquetio.ColumnInfo
		opt  Options
		want []string
	}{
		{"bool position next to a list", []parquetio.ColumnInfo{seqID, boolPos, valList}, Options{DefaultColumns: smoothDef}, []string{`"position"`, "bool", "order column"}},
		{"string timestamp", []parquetio.ColumnInfo{seriesID, strTS, valScalar}, Options{DefaultColumns: smoothDef}, []string{`"timestamp"`, "string"}},
		{"float id", []parquetio.ColumnInfo{floatID, valScalar}, Options{DefaultColumns: smoothDef}, []string{`"sequence_id"`, "float64", "sequence id"}},
		{"flag-named bool", []parquetio.ColumnInfo{seqID, boolPos, valScalar}, Options{DefaultColumns: smoothDef, OrderColumn: "position"}, []string{"--order-column", "bool"}},
		{"flag-named missing", []parquetio.ColumnInfo{seqID, valList}, Options{DefaultColumns: smoothDef, OrderColumn: "t"}, []string{`"t"`, "no such column"}},
		{"order flag on a nested file", []parquetio.ColumnInfo{seqID, position, embNested}, Options{DefaultColumns: []string{"embedding"}, OrderColumn: "position"}, []string{"--order-column", "nested file"}},
		{"time flag on a long file", []parquetio.ColumnInfo{seqID, timeList, valScalar}, Options{DefaultColumns: smoothDef, TimeColumn: "timestamp"}, []string{"--time-column", "long file"}},
		{"nested list of strings as times", []parquetio.ColumnInfo{seqID, col("timestamps", parquetio.List, parquetio.String, "list", 0), valList}, Options{DefaultColumns: smoothDef}, []string{`"timestamps"`, "list<string>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			det, err := Detect("f.parquet", tt.cols, tt.opt)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want a *schemas.Error, got %v (layout %s)", err, det.Layout)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
		})
	}
	// Every usable order type keeps a list value column long.
	for _, e := range []parquetio.ElemType{parquetio.Uint32, parquetio.Uint64, parquetio.Float64, parquetio.Decimal, parquetio.Time} {
		det, err := Detect("f.parquet", []parquetio.ColumnInfo{seqID, scalar("position", e), valList}, Options{DefaultColumns: smoothDef})
		if err != nil || det.Layout != Long || det.Order == nil {
			t.Errorf("%s position next to a list: layout %s, order %v, err %v", e, det.Layout, det.Order, err)
		}
	}
	// A scalar named timestamp in a nested file is a per-row value.
	det, err := Detect("f.parquet", []parquetio.ColumnInfo{seqID, scalar("timestamp", parquetio.String), embNested}, Options{DefaultColumns: []string{"embedding"}})
	if err != nil || det.Time != nil {
		t.Errorf("nested with a scalar timestamp: time %v, err %v", det.Time, err)
	}
}

func TestFloatKeyOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1e300, -2.5, -1, -math.SmallestNonzeroFloat64, math.Copysign(0, -1), 0,
		math.SmallestNonzeroFloat64, 1e-300, 0.25, 1, 3, 1e300, math.MaxFloat64, math.Inf(1)}
	for i, v := range vals {
		k := FloatKey(v)
		if back := KeyFloat(k); math.Float64bits(back) != math.Float64bits(v) {
			t.Errorf("KeyFloat(FloatKey(%v)) = %v", v, back)
		}
		if i > 0 && FloatKey(vals[i-1]) >= k {
			t.Errorf("FloatKey(%v) = %d is not above FloatKey(%v) = %d", v, k, vals[i-1], FloatKey(vals[i-1]))
		}
	}
	us := []uint64{0, 1, 1<<63 - 1, 1 << 63, 1<<63 + 5, math.MaxUint64}
	for i := 1; i < len(us); i++ {
		a, b := Uint64Key(us[i-1]), Uint64Key(us[i])
		if a >= b || uint64(b-a) != us[i]-us[i-1] {
			t.Errorf("Uint64Key(%d), Uint64Key(%d) = %d, %d: order or difference lost", us[i-1], us[i], a, b)
		}
	}
}

func TestBandwidth(t *testing.T) {
	ts := func(unit string) *parquetio.ColumnInfo {
		c := scalar("t", parquetio.Timestamp)
		c.TimeUnit = unit
		return &c
	}
	dec := scalar("t", parquetio.Decimal)
	dec.Precision, dec.Scale = 9, 2
	tm := scalar("t", parquetio.Time)
	tm.TimeUnit = "us"
	day := scalar("t", parquetio.Date)
	f64 := scalar("t", parquetio.Float64)
	u64 := scalar("t", parquetio.Uint64)
	tests := []struct {
		col      *parquetio.ColumnInfo
		duration bool
		nanos    int64
		number   string
		want     float64
	}{
		{ts("ms"), true, 300e9, "", 300e3},
		{ts("us"), true, 300e9, "", 300e6},
		{ts("ns"), true, 90e9, "", 90e9},
		{&tm, true, 3e9, "", 3e6},
		{&day, true, 72 * 3600e9, "", 3},
		{&dec, false, 0, "0.03", 3},
		{&dec, false, 0, "1e-2", 1},
		{&f64, false, 0, "0.75", 0.75},
		{&u64, false, 0, "3", 3},
	}
	for _, tt := range tests {
		det := Detected{File: "f", Layout: Long, Order: tt.col}
		got, err := Bandwidth(det, tt.duration, tt.nanos, tt.number)
		if err != nil || got != tt.want {
			t.Errorf("%s %v %d %q: %v, %v; want %v", TypeName(*tt.col), tt.duration, tt.nanos, tt.number, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		col      *parquetio.ColumnInfo
		duration bool
	}{{&f64, true}, {&dec, true}, {ts("us"), false}, {&day, false}} {
		_, err := Bandwidth(Detected{File: "f", Layout: Long, Order: bad.col}, bad.duration, 1e9, "1")
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("%s with duration=%v: %v, want a *schemas.Error", TypeName(*bad.col), bad.duration, err)
		}
	}
}

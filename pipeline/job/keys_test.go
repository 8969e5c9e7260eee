package job

import (
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

func TestIDText(t *testing.T) {
	mem := memory.DefaultAllocator
	info := func(e parquetio.ElemType) parquetio.ColumnInfo {
		return parquetio.ColumnInfo{Kind: parquetio.Scalar, Elem: e}
	}
	dec := func(scale int) parquetio.ColumnInfo {
		c := info(parquetio.Decimal)
		c.Scale = scale
		return c
	}
	ts := func(unit string, utc bool) parquetio.ColumnInfo {
		c := info(parquetio.Timestamp)
		c.TimeUnit, c.UTC = unit, utc
		return c
	}
	build := func(b array.Builder, add func()) arrow.Array { // builders are reused: NewArray resets them
		add()
		b.AppendNull()
		return b.NewArray()
	}
	u32 := array.NewUint32Builder(mem)
	u64 := array.NewUint64Builder(mem)
	i64 := array.NewInt64Builder(mem)
	i32 := array.NewInt32Builder(mem)
	fsb := array.NewFixedSizeBinaryBuilder(mem, &arrow.FixedSizeBinaryType{ByteWidth: 16})
	bin := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	d32 := array.NewDate32Builder(mem)
	tsb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond})
	tsn := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Nanosecond})
	uuid := []byte{0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x46, 0x97, 0x88, 0x99, 0, 0, 0, 0, 0, 3}
	negWide := make([]byte, 16) // -12345 as 16-byte two's complement
	for i := range negWide {
		negWide[i] = 0xff
	}
	negWide[14], negWide[15] = 0xcf, 0xc7
	tests := []struct {
		name string
		a    arrow.Array
		c    parquetio.ColumnInfo
		want string
	}{
		{"uint32 above int32", build(u32, func() { u32.Append(4000000003) }), info(parquetio.Uint32), "4000000003"},
		{"uint64 above int64", build(u64, func() { u64.Append(18000000000000000003) }), info(parquetio.Uint64), "18000000000000000003"},
		{"int64", build(i64, func() { i64.Append(-42) }), info(parquetio.Int64), "-42"},
		{"decimal(18,3)", build(i64, func() { i64.Append(-1250) }), dec(3), "-1.250"},
		{"decimal(9,2) small", build(i32, func() { i32.Append(5) }), dec(2), "0.05"},
		{"decimal(38,4) wide", build(fsb, func() { fsb.Append(negWide) }), dec(4), "-1.2345"},
		{"decimal bytes", build(bin, func() { bin.Append([]byte{0x01, 0x00}) }), dec(1), "25.6"},
		{"uuid", build(fsb, func() { fsb.Append(uuid) }), info(parquetio.UUID), "f0e1d2c3-b4a5-4697-8899-000000000003"},
		{"binary", build(bin, func() { bin.Append([]byte("b3")) }), info(parquetio.Binary), "b3"},
		{"date", build(d32, func() { d32.Append(19782) }), info(parquetio.Date), "2024-02-29"},
		{"naive timestamp ms", build(tsb, func() { tsb.Append(1709251200123) }), ts("ms", false), "2024-03-01T00:00:00.123"},
		{"UTC timestamp ns", build(tsn, func() { tsn.Append(1709251200000000001) }), ts("ns", true), "2024-03-01T00:00:00.000000001Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer tt.a.Release()
			got, ok := idText(tt.a, 0, tt.c)
			if !ok || got != tt.want {
				t.Errorf("idText = %q, %v; want %q", got, ok, tt.want)
			}
			if _, ok := idText(tt.a, 1, tt.c); ok {
				t.Error("a null id has text")
			}
		})
	}
}

func TestIDRuns(t *testing.T) {
	b := array.NewUint64Builder(memory.DefaultAllocator)
	b.AppendValues([]uint64{1 << 63, 1 << 63, 7, 7, 7, 1 << 63}, nil)
	a := b.NewArray()
	defer a.Release()
	starts, keys, null := idRuns(a, parquetio.ColumnInfo{Elem: parquetio.Uint64})
	if null != -1 || len(starts) != 3 || starts[1] != 2 || starts[2] != 5 || strings.Join(keys, ",") != "9223372036854775808,7,9223372036854775808" {
		t.Errorf("runs %v %v, null %d", starts, keys, null)
	}
	b.AppendValues([]uint64{1, 1}, []bool{true, false})
	a2 := b.NewArray()
	defer a2.Release()
	if _, _, null := idRuns(a2, parquetio.ColumnInfo{Elem: parquetio.Uint64}); null != 1 {
		t.Errorf("null at %d, want 1", null)
	}
}

func TestOrderKeys(t *testing.T) {
	mem := memory.DefaultAllocator
	f := array.NewFloat64Builder(mem)
	f.AppendValues([]float64{2.5, -1, 0.25}, nil)
	fa := f.NewArray()
	defer fa.Release()
	keys, bad := orderKeys(fa, true, nil)
	if bad.row != -1 || schemas.KeyFloat(keys[0]) != 2.5 || !(keys[1] < keys[2] && keys[2] < keys[0]) {
		t.Errorf("float keys %v, bad %+v", keys, bad)
	}
	tests := []struct {
		name   string
		vals   []float64
		valid  []bool
		finite bool
		row    int
		found  string
	}{
		{"null", []float64{1, 2, 3}, []bool{true, false, true}, false, 1, "null"},
		{"NaN", []float64{1, math.NaN()}, nil, false, 1, "NaN"},
		{"Inf as a position", []float64{1, math.Inf(1)}, nil, false, -1, ""},
		{"Inf as a time", []float64{1, math.Inf(1)}, nil, true, 1, "+Inf (a time must be finite)"},
	}
	for _, tt := range tests {
		f.AppendValues(tt.vals, tt.valid)
		a := f.NewArray()
		_, bad := orderKeys(a, tt.finite, nil)
		a.Release()
		if bad.row != tt.row || bad.found != tt.found {
			t.Errorf("%s: bad %+v, want row %d found %q", tt.name, bad, tt.row, tt.found)
		}
	}
	wide := array.NewFixedSizeBinaryBuilder(mem, &arrow.FixedSizeBinaryType{ByteWidth: 16})
	small, big := make([]byte, 16), make([]byte, 16)
	small[15], big[0] = 9, 1
	wide.AppendValues([][]byte{small, big}, nil)
	wa := wide.NewArray()
	defer wa.Release()
	if _, bad := orderKeys(wa, false, nil); bad.row != 1 || !strings.Contains(bad.found, "1329227995784915872903807060280344576, beyond the int64 range") {
		t.Errorf("a decimal beyond int64: bad %+v, want row 1", bad)
	}
	u := array.NewUint32Builder(mem)
	u.AppendValues([]uint32{4000000000, 1}, nil)
	ua := u.NewArray()
	defer ua.Release()
	if keys, bad := orderKeys(ua, false, nil); bad.row != -1 || keys[0] != 4000000000 || keys[1] != 1 {
		t.Errorf("uint32 keys %v", keys)
	}
}

// TestIDRunsInterleaved: ids that change on every row give a run per row,
// with the canonical text made once per distinct id (equal keys share
// their bytes), for UUIDs, unsigned integers and timestamps.
func TestIDRunsInterleaved(t *testing.T) {
	fb := array.NewFixedSizeBinaryBuilder(memory.DefaultAllocator, &arrow.FixedSizeBinaryType{ByteWidth: 16})
	ub := array.NewUint64Builder(memory.DefaultAllocator)
	tb := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: arrow.Microsecond})
	for i := range 300 {
		g := i % 3
		u := make([]byte, 16)
		u[15] = byte(g)
		fb.Append(u)
		ub.Append(uint64(g) << 62)
		tb.Append(arrow.Timestamp(g * 1_000_000))
	}
	for _, tc := range []struct {
		a    arrow.Array
		c    parquetio.ColumnInfo
		want string // the key of id 1
	}{
		{fb.NewArray(), parquetio.ColumnInfo{Elem: parquetio.UUID}, "00000000-0000-0000-0000-000000000001"},
		{ub.NewArray(), parquetio.ColumnInfo{Elem: parquetio.Uint64}, "4611686018427387904"},
		{tb.NewArray(), parquetio.ColumnInfo{Elem: parquetio.Timestamp, TimeUnit: "us", UTC: true}, "1970-01-01T00:00:01Z"},
	} {
		starts, keys, null := idRuns(tc.a, tc.c)
		tc.a.Release()
		if null != -1 || len(starts) != 300 || keys[1] != tc.want || keys[4] != tc.want {
			t.Fatalf("%v: %d runs, keys %q, null %d", tc.c.Elem, len(starts), keys[:6], null)
		}
		made := map[string]*byte{}
		for _, k := range keys {
			if p, ok := made[k]; ok && p != unsafe.StringData(k) {
				t.Fatalf("%v: key %q made more than once", tc.c.Elem, k)
			}
			made[k] = unsafe.StringData(k)
		}
	}
}

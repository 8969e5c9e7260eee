package parquetio

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// sameDirect reads every row group of path with this package's page
// reader and with parquet-go's page decoding and requires the same chunks,
// bit for bit, or an error from both. It reports whether any chunk was
// read.
func sameDirect(t *testing.T, path string, spec ReadSpec) bool {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	read := false
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		a, errA := f.ReadValues(rg, spec, nil)
		directReads = false
		b, errB := f.ReadValues(rg, spec, nil)
		directReads = true
		if (errA == nil) != (errB == nil) {
			t.Fatalf("%s rg %d: direct error %v, pages error %v", path, rg, errA, errB)
		}
		if errA != nil {
			continue
		}
		read = true
		if a.Rows != b.Rows || a.D != b.D || a.Nulls != b.Nulls || a.Type != b.Type ||
			!slices.Equal(a.Offsets, b.Offsets) || a.Values.Len() != b.Values.Len() {
			t.Fatalf("%s rg %d: chunks differ: %d rows d=%d nulls %d, pages %d rows d=%d nulls %d", path, rg, a.Rows, a.D, a.Nulls, b.Rows, b.D, b.Nulls)
		}
		for i := 0; i < a.Values.Len(); i++ {
			var x, y uint64
			if a.Values.F32 != nil {
				x, y = uint64(math.Float32bits(a.Values.F32[i])), uint64(math.Float32bits(b.Values.F32[i]))
			} else {
				x, y = math.Float64bits(a.Values.F64[i]), math.Float64bits(b.Values.F64[i])
			}
			if x != y {
				t.Fatalf("%s rg %d value %d: direct %#x, pages %#x", path, rg, i, x, y)
			}
		}
	}
	return read
}

// TestDirectReadMatchesPages: on every generated case and variant
// (compressions, page versions, encodings, nulls) and every interop
// fixture, the direct reader gives what parquet-go's pages give, and it is
// used for the data page v2 files among them.
func TestDirectReadMatchesPages(t *testing.T) {
	direct := 0
	for _, tc := range readCases() {
		for _, vopts := range variants() {
			in := tc.write(t, t.TempDir(), vopts...)
			if sameDirect(t, in, tc.spec) {
				direct++
			}
		}
	}
	for _, e := range interopFiles(t) {
		if sameDirect(t, filepath.Join(interopDir, e.File), e.spec()) {
			direct++
		}
	}
	if direct < 5 {
		t.Fatalf("only %d files were read directly: the test does not exercise readDirect", direct)
	}
	t.Logf("%d files read directly", direct)
}

// TestDirectReadSpecialValues: NaN payloads, infinities, signed zeros and
// denormals come through the direct reader bit for bit, with every codec
// it handles, in float32 vectors and in optional float64 scalars (nulls
// read as NaN).
func TestDirectReadSpecialValues(t *testing.T) {
	f32 := []float32{float32(math.NaN()), math.Float32frombits(0x7fc00123), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.Copysign(0, -1)), 0, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, 1e-40}
	f64 := []float64{math.NaN(), math.Float64frombits(0x7ff8000000000abc), math.Inf(1), math.Inf(-1), math.Copysign(0, -1),
		math.SmallestNonzeroFloat64, 4e-320, -math.MaxFloat64}
	var lists []rowListF32
	for i := 0; i < 700; i++ {
		v := make([]float32, 5)
		for j := range v {
			v[j] = f32[(i*5+j)%len(f32)]
		}
		lists = append(lists, rowListF32{ID: fmt.Sprint(i / 7), Embedding: v})
	}
	var scalars []rowScalarF64Opt
	for i := 0; i < 900; i++ {
		r := rowScalarF64Opt{ID: fmt.Sprint(i / 11)}
		if i%13 != 5 {
			x := f64[i%len(f64)]
			r.Value = &x
		}
		scalars = append(scalars, r)
	}
	direct := 0
	for _, codec := range []compress.Codec{&parquet.Zstd, &parquet.Snappy, &parquet.Uncompressed} {
		dir := t.TempDir()
		opts := []parquet.WriterOption{parquet.Compression(codec), parquet.PageBufferSize(512), parquet.MaxRowsPerRowGroup(300)}
		if sameDirect(t, writeFile(t, dir, "l.parquet", lists, opts...), ReadSpec{Column: "embedding"}) {
			direct++
		}
		if sameDirect(t, writeFile(t, dir, "s.parquet", scalars, opts...), ReadSpec{Column: "value"}) {
			direct++
		}
	}
	if direct != 6 {
		t.Fatalf("%d of 6 files went through the direct reader", direct)
	}
}

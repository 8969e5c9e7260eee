package parquetio

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// sameDirect reads every row group of path with readDirect and with
// parquet-go's page decoding and requires the same chunks, bit for bit,
// or an error from both. It reports whether any chunk went direct.
func sameDirect(t *testing.T, path string, spec ReadSpec) bool {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
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
		if a.Rows != b.Rows || a.D != b.D || a.Nulls != b.Nulls || a.Type != b.Type ||
			!equalInt64s(a.Offsets, b.Offsets) || a.Values.Len() != b.Values.Len() {
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
	f.checkedMu.Lock()
	defer f.checkedMu.Unlock()
	return len(f.direct) > 0
}

func equalInt64s(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
	raw, err := os.ReadFile(filepath.Join(interopDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Files []interopEntry `json:"files"`
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	for _, e := range man.Files {
		spec := ReadSpec{Column: e.ValueColumn}
		if e.Layout == "nested" {
			spec.Nesting = 1
		}
		if sameDirect(t, filepath.Join(interopDir, e.File), spec) {
			direct++
		}
	}
	if direct < 5 {
		t.Fatalf("only %d files were read directly: the test does not exercise readDirect", direct)
	}
	t.Logf("%d files read directly", direct)
}

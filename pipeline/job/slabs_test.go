package job

import (
	"testing"
	"unsafe"

	"github.com/contextualize/contextualize/io/parquetio"
)

// drainSlabs empties the process pool so a test sees only its own slabs.
func drainSlabs(t *testing.T) {
	t.Helper()
	slabs.Lock()
	saved, idle, used, limit := slabs.free, slabs.idle, slabs.used, slabs.idleCap
	slabs.free, slabs.idle, slabs.used = nil, 0, 0
	slabs.Unlock()
	t.Cleanup(func() {
		slabs.Lock()
		slabs.free, slabs.idle, slabs.used, slabs.idleCap = saved, idle, used, limit
		slabs.Unlock()
	})
}

func TestSlabViews(t *testing.T) {
	drainSlabs(t)
	for _, tc := range []struct {
		name string
		typ  parquetio.ElemType
		n    int
	}{
		{"f32 even", parquetio.Float32, 4096},
		{"f32 odd", parquetio.Float32, 4097},
		{"f32 one", parquetio.Float32, 1},
		{"f64", parquetio.Float64, 1000},
		{"empty", parquetio.Float64, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := getSlab(tc.typ, tc.n)
			if f.Len() != tc.n {
				t.Fatalf("len %d, want %d", f.Len(), tc.n)
			}
			if (tc.typ == parquetio.Float32) != (f.F32 != nil || tc.n == 0 && f.F64 == nil) {
				t.Fatalf("wrong element type: %+v", f)
			}
			// Every value is writable and reads back (the mapping is real).
			for i := 0; i < tc.n; i++ {
				if f.F32 != nil {
					f.F32[i] = float32(i)
				} else {
					f.F64[i] = float64(i)
				}
			}
			for i := 0; i < tc.n; i++ {
				if f.F32 != nil && f.F32[i] != float32(i) || f.F64 != nil && f.F64[i] != float64(i) {
					t.Fatalf("value %d lost", i)
				}
			}
			putSlab(f)
		})
	}
}

func TestSlabPoolReusesSmallestFit(t *testing.T) {
	drainSlabs(t)
	small, big := getSlab(parquetio.Float64, 1000), getSlab(parquetio.Float64, 100000)
	putSlab(big)
	putSlab(small)
	got := getSlab(parquetio.Float64, 900)
	if !sameSlab(got, small) {
		t.Fatal("a request for 900 values did not get the 1000-value slab")
	}
	// A float32 request reuses float64 storage: 2 values per word.
	got32 := getSlab(parquetio.Float32, 150000)
	if unsafe.Pointer(&got32.F32[0]) != unsafe.Pointer(&big.F64[0]) {
		t.Fatal("a request for 150,000 float32 did not reuse the 100,000-float64 slab")
	}
	putSlab(got)
	putSlab(got32)
	slabs.Lock()
	n := len(slabs.free)
	slabs.Unlock()
	if n != 2 {
		t.Fatalf("pool holds %d slabs, want 2", n)
	}
}

func TestSameSlab(t *testing.T) {
	a := parquetio.Floats{F64: make([]float64, 8)}
	for _, tc := range []struct {
		name string
		b    parquetio.Floats
		want bool
	}{
		{"same", parquetio.Floats{F64: a.F64[:3]}, true},
		{"other", parquetio.Floats{F64: make([]float64, 8)}, false},
		{"empty", parquetio.Floats{}, false},
		{"other type", parquetio.Floats{F32: make([]float32, 8)}, false},
	} {
		if got := sameSlab(a, tc.b); got != tc.want {
			t.Errorf("%s: sameSlab = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSlabPoolBoundsIdleBytes: idle slabs beyond the cap are released,
// oldest first, and the pool's byte count stays exact.
func TestSlabPoolBoundsIdleBytes(t *testing.T) {
	drainSlabs(t)
	setIdleCap(3 << 20)
	var held []parquetio.Floats
	for i := 0; i < 6; i++ {
		held = append(held, getSlab(parquetio.Float64, (1<<20)/8)) // 1 MiB each
	}
	first := held[0]
	for _, f := range held {
		putSlab(f)
	}
	slabs.Lock()
	idle, used, n := slabs.idle, slabs.used, len(slabs.free)
	var sum int64
	for _, s := range slabs.free {
		sum += int64(cap(s)) * 8
	}
	kept := false
	for _, s := range slabs.free {
		if sameSlab(parquetio.Floats{F64: s}, first) {
			kept = true
		}
	}
	slabs.Unlock()
	if idle != sum || idle > 3<<20 || n == 0 || used != 0 {
		t.Fatalf("idle %d bytes in %d slabs (sum %d), cap %d", idle, n, sum, 3<<20)
	}
	if kept {
		t.Fatal("the oldest slab was kept, a newer one released")
	}
}

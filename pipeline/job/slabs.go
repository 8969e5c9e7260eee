package job

import (
	"sync"
	"unsafe"

	"github.com/contextualize/contextualize/io/parquetio"
)

// Value slabs live outside the Go heap when the platform allows it (see
// newSlab) and are recycled for the whole process: across the row groups
// of a file and across files.
//
// On the heap, every new row-group slab (12 MB for 8,192 rows of 384
// float32) started a collection while the heap grew, and the collector,
// unable to stop a goroutine busy clearing or filling fresh pages, spun for
// 100+ ms per cycle on this VM. Off the heap a slab is never cleared (fresh
// mappings are zero), never scanned, and counts toward no GC goal. The
// memory budget still bounds how many are in flight; the pool keeps what
// the busiest moment needed, as long as the slabs mapped (in use and idle)
// stay within idleCap bytes: beyond that (inputs whose row groups grow from
// file to file) the oldest idle slabs are unmapped.
var slabs struct {
	sync.Mutex
	free    [][]float64
	idle    int64 // bytes in free
	used    int64 // bytes handed out and not yet given back
	idleCap int64 // most bytes mapped while some are idle (0: defaultIdleCap)
	out     int   // slabs handed out and not yet given back (for tests)
}

// defaultIdleCap bounds idle slabs when no memory budget says otherwise.
const defaultIdleCap = 1 << 30

// setIdleCap bounds the idle slabs to the run's memory budget (bytes; <= 0
// keeps the default).
func setIdleCap(bytes int64) {
	slabs.Lock()
	defer slabs.Unlock()
	if bytes > 0 {
		slabs.idleCap = bytes
	}
}

// getSlab returns a slab of n values of type t, a free one large enough if
// there is one. Its contents are arbitrary: every value is written before
// it is read.
func getSlab(t parquetio.ElemType, n int) parquetio.Floats {
	words := n
	if t == parquetio.Float32 {
		words = (n + 1) / 2
	}
	if words == 0 { // nothing to pool (putSlab ignores empty slabs)
		return view(t, []float64{}, 0)
	}
	slabs.Lock()
	best := -1
	for i, s := range slabs.free {
		if cap(s) >= words && (best < 0 || cap(s) < cap(slabs.free[best])) {
			best = i
		}
	}
	var s []float64
	if best >= 0 {
		s = slabs.free[best]
		slabs.free = append(slabs.free[:best], slabs.free[best+1:]...)
		slabs.idle -= int64(cap(s)) * 8
	}
	slabs.out++
	slabs.Unlock()
	if s == nil {
		s = newSlab(words)
	}
	slabs.Lock()
	slabs.used += int64(cap(s)) * 8
	slabs.Unlock()
	return view(t, s, n)
}

// putSlab gives a slab back to the pool. The caller must hold no view of it.
func putSlab(f parquetio.Floats) {
	var s []float64
	switch {
	case cap(f.F64) > 0:
		s = f.F64[:0]
	case cap(f.F32) >= 2:
		s = unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(f.F32))), cap(f.F32)/2)[:0]
	default:
		return
	}
	slabs.Lock()
	slabs.free = append(slabs.free, s)
	slabs.idle += int64(cap(s)) * 8
	slabs.used -= int64(cap(s)) * 8
	slabs.out--
	limit := slabs.idleCap
	if limit <= 0 {
		limit = defaultIdleCap
	}
	var evicted [][]float64
	for slabs.idle+slabs.used > limit && len(slabs.free) > 1 {
		old := slabs.free[0]
		slabs.free = slabs.free[1:]
		slabs.idle -= int64(cap(old)) * 8
		evicted = append(evicted, old)
	}
	slabs.Unlock()
	for _, old := range evicted {
		freeSlab(old)
	}
}

// getInt64s returns n int64s from the pool (a slab viewed as integers);
// their contents are arbitrary.
func getInt64s(n int) []int64 {
	f := getSlab(parquetio.Float64, n)
	return unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(f.F64[:cap(f.F64)]))), cap(f.F64))[:n]
}

// putInt64s gives back a slice from getInt64s.
func putInt64s(v []int64) {
	if cap(v) == 0 {
		return
	}
	putSlab(parquetio.Floats{F64: unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(v[:cap(v)]))), cap(v))})
}

// view is the first n values of type t of slab s.
func view(t parquetio.ElemType, s []float64, n int) parquetio.Floats {
	if t == parquetio.Float32 && cap(s) == 0 {
		return parquetio.Floats{F32: []float32{}}
	}
	if t == parquetio.Float32 {
		f := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s[:cap(s)]))), 2*cap(s))
		return parquetio.Floats{F32: f[:n]}
	}
	return parquetio.Floats{F64: s[:n:cap(s)]}
}

// sameSlab reports whether b is a view of slab a's storage.
func sameSlab(a, b parquetio.Floats) bool {
	if a.F64 != nil || b.F64 != nil {
		return cap(a.F64) > 0 && cap(b.F64) > 0 && unsafe.SliceData(a.F64[:1]) == unsafe.SliceData(b.F64[:1])
	}
	return cap(a.F32) > 0 && cap(b.F32) > 0 && unsafe.SliceData(a.F32[:1]) == unsafe.SliceData(b.F32[:1])
}

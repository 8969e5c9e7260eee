package job

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mappings holds the mapping behind each mapped slab (keyed by its first
// element), for freeSlab.
var mappings struct {
	sync.Mutex
	m map[*float64][]byte
}

// hugePage is the size of a transparent huge page on amd64 and arm64.
const hugePage = 2 << 20

// newSlab maps words zeroed float64s outside the Go heap, for the pool to
// reuse (freeSlab unmaps the ones it evicts).
//
// A slab of 2 MiB or more is placed on 2 MiB boundaries and advised
// into transparent huge pages (the kernel's "madvise" mode, the default
// on many distributions, gives them only to regions that ask). First
// touching fresh memory is the dearest thing a run does on a VM: 140 ms
// per 100 MB in 4 KiB pages here, even after populating them, against
// 6 ms in huge pages. Where huge pages are off or unavailable the advice
// is ignored and the pages come small.
func newSlab(words int) []float64 {
	if words == 0 {
		return make([]float64, 0)
	}
	page := unix.Getpagesize()
	size := roundUp(words*8, page)
	var b []byte
	if size >= hugePage {
		size = roundUp(size, hugePage)
		m, err := unix.Mmap(-1, 0, size+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
		if err != nil {
			return make([]float64, words) // the heap is the fallback
		}
		off := roundUp(int(uintptr(unsafe.Pointer(unsafe.SliceData(m)))), hugePage) - int(uintptr(unsafe.Pointer(unsafe.SliceData(m))))
		b = m[off : off+size]
		_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
		// Not populated: huge pages fault in cheaply as they are written,
		// and a slab sized from a lying footer then costs address space,
		// not memory.
		return mapped(m, b, words)
	}
	m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return make([]float64, words)
	}
	// Under 2 MiB: populate the small pages now, in one call, which halves
	// their first-touch cost (kernels before 5.14 refuse the advice).
	_ = unix.Madvise(m, unix.MADV_POPULATE_WRITE)
	return mapped(m, m, words)
}

// mapped records mapping m and returns words float64s over b (inside m).
func mapped(m, b []byte, words int) []float64 {
	s := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)[:words]
	mappings.Lock()
	if mappings.m == nil {
		mappings.m = map[*float64][]byte{}
	}
	mappings.m[&s[:1][0]] = m
	mappings.Unlock()
	offHeapMapped(int64(len(m)))
	return s
}

// freeSlab unmaps a slab that newSlab mapped (a heap slab is left to the
// GC). Nothing may refer to it any more.
func freeSlab(s []float64) {
	if cap(s) == 0 {
		return
	}
	key := &s[:1][0]
	mappings.Lock()
	m, ok := mappings.m[key]
	delete(mappings.m, key)
	mappings.Unlock()
	if ok {
		_ = unix.Munmap(m)
		offHeapMapped(-int64(len(m)))
	}
}

func roundUp(n, to int) int { return (n + to - 1) / to * to }

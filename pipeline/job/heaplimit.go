package job

import (
	"runtime/debug"
	"sync"

	"github.com/contextualize/contextualize/io/storage"
)

// The process's memory is bounded as a whole: --memory-limit plus a
// headroom for the runtime, the binary and the writer. The Go runtime's
// soft limit (debug.SetMemoryLimit) covers only the memory the runtime
// maps itself; three things it cannot see share the bound:
//
//   - the value slabs mapped outside the heap (slabs_linux.go), charged to
//     the budget like the heap-held data of the grouped path;
//   - the read-ahead buffers of inputs in object storage, mapped outside
//     the heap by io/storage (storage.MappedBytes; up to the read-ahead
//     window, --memory-limit/8 or 32 MiB);
//   - the binary's resident pages (file-backed, about 48 MiB of the text
//     and tables of this binary on Linux 6.x, which maps page-cache folios
//     whole).
//
// Left at the whole bound, the heap could grow to it while the slabs and
// the binary's pages came on top: an interleaved 200 x 20,000 file spilling
// under a 64 MiB limit peaked at 119-150 MiB RSS, the heap alone at 75 MiB
// (twice its live data: the soft limit never bound it). So the runtime's
// limit is what the bound leaves once the slabs and read-ahead buffers
// mapped and the resident file pages are taken out, and it is set again
// whenever a slab or a read-ahead buffer is mapped or unmapped and when a
// file starts.
var processLimit struct {
	sync.Mutex
	total   int64 // the whole process's bound; 0: not governed (GOMEMLIMIT or never set)
	offHeap int64 // bytes of slabs mapped outside the Go heap
	floor   int64 // the least the runtime gets (raised for an oversized row group)
	set     int64 // the runtime's limit as last set
}

// io/storage tells of every read-ahead buffer it maps or unmaps (with its
// lock held; retuneHeapLimit does not call into it).
func init() { storage.OnMappedChange(retuneHeapLimit) }

// softLimitMargin is kept below the bound for what the runtime's soft
// limit lets through: the collector runs after the heap crosses it, the
// scavenger returns freed pages late, and the binary's resident pages grow
// between two retunes. At the whole bound, cmd's peak-RSS tests
// (interleaved spills, a 20 M-row one-row-group series) went 3-12 MiB over
// it on a loaded host.
const softLimitMargin = 12 << 20

// minHeapLimit is the least the Go runtime's limit is set to, however
// little the bound leaves: below it the collector would run without pause.
const minHeapLimit = 16 << 20

// ProcessOverhead is the memory the process holds beside its data: the
// binary's resident file-backed pages as measured now, plus what they
// still grow by (residentGrowth), the least the runtime's limit is set to
// (minHeapLimit: the runtime, goroutine stacks, the writers' buffers and
// codecs) and the soft limit's margin.
func ProcessOverhead() int64 {
	return residentFileBytes() + residentGrowth + minHeapLimit + softLimitMargin
}

// residentGrowth is what the binary's resident pages grow by once a run
// has started, as the decoders, kernels and writers first run: by then
// the runtime's init and the reading of the inputs' footers have faulted
// in 35-45 MiB of this 97 MB binary (Linux 6.x maps page-cache folios
// whole), and the peak was 4-7 MiB more (smooth on a 20 M-row series,
// smooth and attend on the samples, 2026-11-30). The data budget is made
// once, before any file starts, so the growth is counted then; the
// runtime's limit follows the pages as they are (retuneLocked).
const residentGrowth = 8 << 20

// DataBudget is what a --memory-limit of limit bytes leaves for data when
// the process is bounded to limit + headroom (SetProcessMemoryLimit): the
// process's overhead beyond the headroom is taken from the data, so that
// a budget full of off-heap slabs still leaves the runtime its floor and
// the runtime's limit never has to be raised above what the bound leaves.
// It never takes more than half of limit: below about 32 MiB the process
// alone outgrows the headroom, and the bound cannot be kept whatever the
// budget. limit <= 0 (no budget) is returned as is.
func DataBudget(limit, headroom int64) int64 {
	if limit <= 0 {
		return limit
	}
	over := max(ProcessOverhead()-headroom, 0)
	return max(limit-over, limit/2)
}

// SetProcessMemoryLimit bounds the whole process's memory to total bytes:
// the Go runtime's soft limit is kept at what the off-heap slabs and
// read-ahead buffers and the binary's resident pages leave of it. total <= 0 leaves the runtime's
// limit alone (for example when GOMEMLIMIT sets it).
func SetProcessMemoryLimit(total int64) {
	processLimit.Lock()
	defer processLimit.Unlock()
	processLimit.total = max(total, 0)
	retuneLocked()
}

// offHeapMapped records that bytes of slab memory were mapped (or, when
// negative, unmapped) outside the Go heap, and leaves the runtime the rest.
func offHeapMapped(bytes int64) {
	processLimit.Lock()
	defer processLimit.Unlock()
	processLimit.offHeap += bytes
	retuneLocked()
}

// retuneHeapLimit sets the runtime's limit again (the binary's resident
// pages grow as more of its code runs): at the start of every file.
func retuneHeapLimit() {
	processLimit.Lock()
	defer processLimit.Unlock()
	retuneLocked()
}

// raiseHeapLimit makes the runtime's limit at least n bytes, whatever the
// bound: an oversized row group is held whole, and a heap held above the
// soft limit makes the collector run without pause.
func raiseHeapLimit(n int64) {
	processLimit.Lock()
	defer processLimit.Unlock()
	processLimit.floor = max(processLimit.floor, n)
	if processLimit.total == 0 {
		if cur := debug.SetMemoryLimit(-1); cur < n {
			debug.SetMemoryLimit(n)
		}
		return
	}
	retuneLocked()
}

// retuneLocked sets the runtime's limit from the bound; processLimit is
// locked.
func retuneLocked() {
	p := &processLimit
	if p.total == 0 {
		return
	}
	n := p.total - softLimitMargin - p.offHeap - storage.MappedBytes() - residentFileBytes()
	n = max(n, minHeapLimit, p.floor)
	if n == p.set {
		return
	}
	p.set = n
	debug.SetMemoryLimit(n)
}

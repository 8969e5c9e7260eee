package job

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/contextualize/contextualize/io/storage"
)

// TestProcessMemoryLimit: the Go runtime's limit is the process bound less
// the slabs mapped outside the heap, the resident file pages and the
// soft limit's margin, follows
// slabs as they are mapped and unmapped (newSlab and freeSlab), never goes
// below minHeapLimit or an oversized row group's floor, and is left alone
// when no bound is set.
func TestProcessMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer func() {
		processLimit.Lock()
		processLimit.total, processLimit.floor, processLimit.set = 0, 0, 0
		processLimit.Unlock()
		debug.SetMemoryLimit(prev)
	}()
	const total = 1 << 30
	SetProcessMemoryLimit(total)
	base := debug.SetMemoryLimit(-1)
	file := residentFileBytes()
	if base > total-softLimitMargin || base < total-softLimitMargin-file-processLimit.offHeap-(8<<20) {
		t.Fatalf("runtime limit %d, want about %d - %d margin - %d resident file bytes - %d off heap", base, total, softLimitMargin, file, processLimit.offHeap)
	}

	s := newSlab(4 << 20) // 32 MiB
	mapped := debug.SetMemoryLimit(-1)
	if d := base - mapped; d < 32<<20 || d > 40<<20 {
		t.Errorf("mapping a 32 MiB slab lowered the runtime limit by %d", d)
	}
	freeSlab(s)
	if got := debug.SetMemoryLimit(-1); got < base-(4<<20) || got > base+(4<<20) {
		t.Errorf("after unmapping it the runtime limit is %d, was %d", got, base)
	}

	SetProcessMemoryLimit(1 << 20) // less than the binary's pages
	if got := debug.SetMemoryLimit(-1); got != minHeapLimit {
		t.Errorf("a tiny bound gives %d, want the floor %d", got, minHeapLimit)
	}
	raiseHeapLimit(300 << 20)
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("an oversized row group gives %d, want %d", got, 300<<20)
	}

	processLimit.Lock()
	processLimit.total, processLimit.floor = 0, 0
	processLimit.Unlock()
	debug.SetMemoryLimit(123 << 20)
	SetProcessMemoryLimit(0)
	offHeapMapped(1 << 20)
	offHeapMapped(-1 << 20)
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Errorf("without a bound the runtime limit moved to %d", got)
	}
}

// TestDataBudgetLeavesTheRuntimeItsFloor: the process's overhead beyond
// the headroom (here the test binary's resident pages, well over the
// headroom's share) is taken from the data budget, so that a budget full
// of off-heap slabs still leaves the runtime's limit at or above its floor
// without the floor having to be raised (the way a 64MiB run used to end
// over its bound), nor the resident pages' growth after the budget is
// made; the budget never goes below half the limit, and a run
// without a budget keeps none.
func TestDataBudgetLeavesTheRuntimeItsFloor(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer func() {
		processLimit.Lock()
		processLimit.total, processLimit.floor, processLimit.set, processLimit.offHeap = 0, 0, 0, 0
		processLimit.Unlock()
		debug.SetMemoryLimit(prev)
	}()
	const headroom = 64 << 20
	t.Logf("resident file pages %d MiB, process overhead %d MiB", residentFileBytes()>>20, ProcessOverhead()>>20)
	if over := ProcessOverhead() - headroom; over <= 0 {
		t.Skipf("the process's overhead %d fits in the headroom here: the budget is not cut", ProcessOverhead())
	}
	for _, limit := range []int64{64 << 20, 256 << 20, 1 << 30} {
		budget := DataBudget(limit, headroom)
		if budget >= limit || budget < limit/2 {
			t.Fatalf("limit %d: data budget %d, want less than the limit and at least half of it", limit, budget)
		}
		SetProcessMemoryLimit(limit + headroom)
		offHeapMapped(budget) // the whole budget in slabs
		processLimit.Lock()
		unfloored := processLimit.total - softLimitMargin - processLimit.offHeap - residentFileBytes()
		processLimit.Unlock()
		offHeapMapped(-budget)
		// room for the floor and the pages still to grow (less a MiB the
		// pages may have grown by since DataBudget measured them)
		if want := int64(minHeapLimit + residentGrowth - 1<<20); unfloored < want {
			t.Errorf("limit %d: a full budget of %d leaves the runtime %d, want at least %d (its floor and the resident pages' growth)", limit, budget, unfloored, want)
		}
	}
	if got := DataBudget(8<<20, headroom); got != 4<<20 {
		t.Errorf("an 8 MiB limit gives a data budget of %d, want half of it", got)
	}
	if got := DataBudget(0, headroom); got != 0 {
		t.Errorf("no limit gives a data budget of %d", got)
	}
}

// TestProcessMemoryLimitCountsReadAhead: the read-ahead buffers io/storage
// maps outside the Go heap for an input in object storage (here a file://
// URL, read through the same read-ahead) lower the runtime's limit by
// their size as they are mapped, like the slabs.
func TestProcessMemoryLimitCountsReadAhead(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer func() {
		processLimit.Lock()
		processLimit.total, processLimit.floor, processLimit.set = 0, 0, 0
		processLimit.Unlock()
		debug.SetMemoryLimit(prev)
	}()
	data := make([]byte, 24<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	SetProcessMemoryLimit(1 << 30)
	base, mapped := debug.SetMemoryLimit(-1), storage.MappedBytes()

	b := storage.NewBlob()
	defer b.Store().Close()
	r, err := b.Open(context.Background(), "file://"+filepath.ToSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.(storage.Prefetcher).Prefetch([]storage.Range{{Off: 0, Len: int64(len(data))}}, 16<<20)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < int64(len(data)); off += int64(len(buf)) {
		if _, err := r.ReadAt(buf, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, data[off:off+int64(len(buf))]) {
			t.Fatalf("bytes at %d differ", off)
		}
	}
	grown := storage.MappedBytes() - mapped
	if grown < 4<<20 {
		t.Fatalf("reading 24 MiB ahead in a 16 MiB window mapped %d bytes of buffers", grown)
	}
	// The resident file pages may grow by a few MiB as more code runs.
	if d := base - debug.SetMemoryLimit(-1); d < grown || d > grown+(4<<20) {
		t.Errorf("%d bytes of read-ahead buffers mapped lowered the runtime limit by %d", grown, d)
	}
}

package main

import (
	"fmt"
	"sort"

	"github.com/contextualize/contextualize/attention"
)

// fixedMemory is what a run holds whatever its data: per worker (a
// smoothing kernel's padded lines) and once. It is charged to
// --memory-limit before any data: a run whose fixed memory does not fit is
// refused up front (exit 2), saying what would fit. (Attention weights from
// a file are held through batchRun.heldBytes.)
type fixedMemory struct {
	perWorker int64
	once      int64
	// what names the cause and fits describes the largest setting that
	// would fit in a budget of n bytes for w workers.
	what string
	fits func(n int64, w int) string
}

// total is the fixed memory of w workers.
func (m fixedMemory) total(w int) int64 { return m.once + int64(w)*m.perWorker }

// check refuses a run whose fixed memory exceeds limit, and returns the
// budget left for data.
func (m fixedMemory) check(limit int64, workers int) (int64, error) {
	if limit <= 0 || m.total(workers) == 0 {
		return limit, nil
	}
	if need := m.total(workers); need >= limit {
		return 0, usageError(fmt.Errorf("%s needs %s with %d workers, more than --memory-limit %s: %s",
			m.what, mib(need), workers, mib(limit), m.fits(limit, workers)))
	}
	return limit - m.total(workers), nil
}

// smoothMemory is the fixed memory of positional smoothing with radius r
// on vectors of width d (1 before a file says: the least it can be).
func smoothMemory(r, d int, flag string) fixedMemory {
	return fixedMemory{
		perWorker: attention.SmoothScratchBytes(r, 0, d),
		what:      fmt.Sprintf("%s (a kernel radius of %d samples)", flag, r),
		fits: func(n int64, w int) string {
			rmax := sort.Search(1<<30, func(r int) bool { return int64(w)*attention.SmoothScratchBytes(r, 0, d) >= n/2 }) - 1
			return fmt.Sprintf("a radius of at most %d fits in half of it (lower --sigma, --truncate or --radius, use fewer --workers, or raise --memory-limit)", max(rmax, 0))
		},
	}
}

// maxFittingD is the largest d whose attention weights fit in n bytes.
func maxFittingD(n int64) int {
	return sort.Search(1<<20, func(d int) bool { return attention.MHABytes(d) > n }) - 1
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

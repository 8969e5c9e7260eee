//go:build !linux

package job

// newSlab allocates words zeroed float64s on the Go heap.
func newSlab(words int) []float64 { return make([]float64, words) }

// freeSlab drops a slab: the GC reclaims it.
func freeSlab([]float64) {}

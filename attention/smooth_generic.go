//go:build !amd64 || purego

package attention

// correlateBlocks has no vector kernel on this platform: the Go loops do
// all the work.
func correlateBlocks(out, ext, w []float64, n int, odd bool) int { return 0 }

// correlateInterleaved has no vector kernel on this platform.
func correlateInterleaved(sc *scratch, out, ext, w []float64, n int, odd bool) int { return 0 }

//go:build !purego

package attention

import "golang.org/x/sys/cpu"

// Assembly blocks of the Gaussian correlation (smooth_amd64.s).
//
//go:noescape
func corrBlocksAVX2(out, ext, w *float64, r, blocks int, odd bool)

//go:noescape
func corrBlocksAVX512(out, ext, w *float64, r, blocks int, odd bool)

var (
	smoothAVX2   = cpu.X86.HasAVX2
	smoothAVX512 = cpu.X86.HasAVX512F
)

// correlateBlocks computes as many leading outputs of the line as the
// vector kernels cover and returns how many it wrote; the caller finishes
// the rest in Go. The results are bit-identical to the Go loops.
func correlateBlocks(out, ext, w []float64, n int, odd bool) int {
	r := len(w) - 1
	switch {
	case smoothAVX512 && n >= 64:
		b := n / 64
		_ = ext[b*64+2*r-1]
		_ = out[b*64-1]
		corrBlocksAVX512(&out[0], &ext[0], &w[0], r, b, odd)
		return b * 64
	case smoothAVX2 && n >= 16:
		b := n / 16
		_ = ext[b*16+2*r-1]
		_ = out[b*16-1]
		corrBlocksAVX2(&out[0], &ext[0], &w[0], r, b, odd)
		return b * 16
	}
	return 0
}

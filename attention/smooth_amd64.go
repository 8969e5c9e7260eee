//go:build !purego

package attention

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

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

//go:noescape
func corrRowsRotAVX512(out, ext, w *float64, r, blocks, stride int, odd bool)

//go:noescape
func interleave8AVX512(dst, src *float64, stride, blocks int)

// interleaveMinRadius is the radius from which correlateInterleaved pays
// for its transposition.
var interleaveMinRadius = 5

// interleaveChunkRows bounds the rows of one interleaved chunk, so that its
// input rows stay in L2 on long series.
var interleaveChunkRows = 1024

// correlateInterleaved computes the leading outputs chunk by chunk, each
// chunk as 8 segments of m outputs (m a multiple of 8) interleaved lane by
// lane, so that every vector load of the kernel is one aligned cache line
// (the plain kernel's shifted loads straddle two lines 7 times in 8) and
// consecutive taps of 8 consecutive output rows share 7 of their 8 input
// rows, which the kernel keeps in registers. Same operations per output,
// so bit-identical. Returns how many outputs it wrote; 0 when not worth it.
func correlateInterleaved(sc *scratch, out, ext, w []float64, n int, odd bool) int {
	r := len(w) - 1
	if !smoothAVX512 || r < interleaveMinRadius || n < 8*64 {
		return 0
	}
	done := 0
	for {
		m := min(((n-done)/8)&^7, interleaveChunkRows)
		if m < 64 {
			return done
		}
		interleaveChunk(sc, out[done:], ext[done:], w, m, odd)
		done += 8 * m
	}
}

// interleaveChunk computes out[0 : 8m] from ext[0 : 8m+2r]: lane l of the
// chunk is outputs [l*m, (l+1)*m). The kernel writes each lane's outputs
// in place, so only the input is transposed here.
func interleaveChunk(sc *scratch, out, ext, w []float64, m int, odd bool) {
	r := len(w) - 1
	rows := m + 2*r
	_ = ext[8*m+2*r-1]
	_ = out[8*m-1]
	t := alignedBuffer(&sc.rows, rows*8)
	full := rows &^ 7
	interleave8AVX512(&t[0], &ext[0], m, full/8)
	for q := full; q < rows; q++ {
		row := t[q*8 : q*8+8 : q*8+8]
		for l := range row {
			row[l] = ext[l*m+q]
		}
	}
	corrRowsRotAVX512(&out[0], &t[0], &w[0], r, m/8, m, odd)
}

// alignedBuffer returns n float64s from *b starting on a 64-byte boundary.
func alignedBuffer(b *[]float64, n int) []float64 {
	*b = grow(*b, n+8)
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(*b)))%64) / 8
	if off != 0 {
		off = 8 - off
	}
	return (*b)[off : off+n]
}

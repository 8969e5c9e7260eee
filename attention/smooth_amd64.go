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
func corrRowsAVX512(out, ext, w *float64, r, blocks int, odd bool)

// interleaveMinRadius is the radius from which correlateInterleaved pays
// for its two transpositions.
var interleaveMinRadius = 24

// interleaveChunkRows bounds the rows of one interleaved chunk, so that its
// input and output rows stay in L2 on long series.
var interleaveChunkRows = 1024

// correlateInterleaved computes the leading outputs chunk by chunk, each
// chunk as 8 segments of m outputs (m a multiple of 8) interleaved lane by
// lane, so that every vector load of the kernel is one aligned cache line
// (the plain kernel's shifted loads straddle two lines 7 times in 8, which
// dominates at large radii). Same operations per output, so bit-identical.
// Returns how many outputs it wrote; 0 when not worth it.
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

// interleaveChunk computes out[0 : 8m] from ext[0 : 8m+2r].
func interleaveChunk(sc *scratch, out, ext, w []float64, m int, odd bool) {
	r := len(w) - 1
	rows := m + 2*r
	t := alignedBuffer(&sc.rows, rows*8)
	e0, e1, e2, e3 := ext[0*m:0*m+rows], ext[1*m:1*m+rows], ext[2*m:2*m+rows], ext[3*m:3*m+rows]
	e4, e5, e6, e7 := ext[4*m:4*m+rows], ext[5*m:5*m+rows], ext[6*m:6*m+rows], ext[7*m:7*m+rows]
	for q := 0; q < rows; q++ {
		row := t[q*8 : q*8+8 : q*8+8]
		row[0], row[1], row[2], row[3] = e0[q], e1[q], e2[q], e3[q]
		row[4], row[5], row[6], row[7] = e4[q], e5[q], e6[q], e7[q]
	}
	o := alignedBuffer(&sc.rowsOut, m*8)
	corrRowsAVX512(&o[0], &t[0], &w[0], r, m/8, odd)
	o0, o1, o2, o3 := out[0*m:1*m], out[1*m:2*m], out[2*m:3*m], out[3*m:4*m]
	o4, o5, o6, o7 := out[4*m:5*m], out[5*m:6*m], out[6*m:7*m], out[7*m:8*m]
	for q := 0; q < m; q++ {
		row := o[q*8 : q*8+8 : q*8+8]
		o0[q], o1[q], o2[q], o3[q] = row[0], row[1], row[2], row[3]
		o4[q], o5[q], o6[q], o7[q] = row[4], row[5], row[6], row[7]
	}
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

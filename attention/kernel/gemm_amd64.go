//go:build !purego

package kernel

//go:generate go run gen_amd64.go

import (
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX512 selects the AVX-512 kernels (AVX512F is all they use; x/sys/cpu
// reports it only when the OS saves the zmm state).
var hasAVX512 = cpu.X86.HasAVX512F

// hasAVX2 selects the AVX2+FMA kernels when AVX-512 is absent.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func sgemm(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if k > 0 && m*n*k >= smallGemm {
		if hasAVX512 {
			sgemmAVX512.run(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
			return
		}
		if hasAVX2 {
			sgemmAVX2.run(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
			return
		}
	}
	gemmGo(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

func dgemm(transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool) {
	if k > 0 && m*n*k >= smallGemm {
		if hasAVX512 {
			dgemmAVX512.run(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
			return
		}
		if hasAVX2 {
			dgemmAVX2.run(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
			return
		}
	}
	gemmGo(transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

func expF32(dst, src []float32) {
	f := expF32AVX512
	switch {
	case hasAVX512:
	case hasAVX2:
		f = expF32AVX2
	default:
		expF32Go(dst, src)
		return
	}
	// The assembly handles a partial last vector with masked loads and
	// stores. Masked-out lanes past the end of a slice can sit on a page
	// the process never touched, and the CPU then takes a slow microcode
	// assist to suppress the fault; so the tail goes through a buffer.
	n := len(src)
	body := n &^ 15
	if body > 0 {
		f(&dst[0], &src[0], body)
	}
	if body < n {
		var buf [16]float32
		copy(buf[:], src[body:])
		f(&buf[0], &buf[0], n-body)
		copy(dst[body:n], buf[:n-body])
	}
}

func expShiftSumF32(dst, src []float32, shift float32) float32 {
	if !hasAVX512 {
		if !hasAVX2 {
			return expShiftSumF32Go(dst, src, shift)
		}
		dst = dst[:len(src)]
		for i, x := range src {
			dst[i] = x - shift
		}
		expF32(dst, dst)
		return sumF32Go(dst)
	}
	// Whole vectors in place; a partial last vector through a buffer (see
	// expF32 for why the assembly does not use masked accesses here),
	// summing only its real lanes.
	n := len(src)
	body := n &^ 15
	var sum float32
	if body > 0 {
		sum = expShiftSumF32AVX512(&dst[0], &src[0], body, shift)
	}
	if body < n {
		var buf [16]float32
		copy(buf[:], src[body:])
		expShiftSumF32AVX512(&buf[0], &buf[0], 16, shift)
		for _, v := range buf[:n-body] {
			sum += v
		}
		copy(dst[body:n], buf[:n-body])
	}
	return sum
}

func maxF32(s []float32) float32 {
	n := len(s)
	body := n &^ 15
	if !hasAVX512 || body == 0 {
		return maxF32Go(s)
	}
	m := maxF32AVX512(&s[0], body)
	for _, v := range s[body:] {
		if v > m {
			m = v
		}
	}
	return m
}

// Impl reports which implementation the kernels use.
func Impl() string {
	switch {
	case hasAVX512:
		return "avx512"
	case hasAVX2:
		return "avx2"
	}
	return "go"
}

// smallGemm is the m·n·k below which the pure-Go loop is used (packing
// overhead dominates there).
const smallGemm = 512

// packedGemm is a GotoBLAS/BLIS-style blocked GEMM around assembly
// micro-kernels: for each nc-column block and kc-deep slice, B is packed into
// kc×nr micro-panels (zero-padded to nr columns), then for each mc-row block
// A is packed into kc×mr micro-panels and every (mr, nr) tile of C is updated
// by one micro-kernel call. The B micro-panel (kc·nr elements) stays in L1
// across the row tiles, the packed A block (mc·kc) in L2.
type packedGemm[T float32 | float64] struct {
	mr, nr, kc, mc, nc int
	kern               [15]func(kc int, a, b, c *T, ldc int, acc bool, mask uint32)
	// kernRowA are the kernels reading A in place (row i at a + i·lda), for
	// products whose A is read once: nil where there are none.
	kernRowA *[15]func(kc int, a, b, c *T, ldc int, acc bool, mask uint32, lda int)
	// Assembly packers (nil: pack in Go). copy packs rows of B (not
	// transposed); trans packs up to transRows rows k-major (A panels and
	// transposed B) through an in-register transpose, zero-filling the
	// lanes past rows.
	copy      func(kc int, src *T, srcStride int, mask uint32, dst *T)
	trans     func(kc int, src *T, ld, rows int, smask uint32, dst *T, dstStride int)
	transRows int // 16 (float32) or 8 (float64): lanes of a zmm
	cache     scratchCache[T]
}

// scratchCache keeps packing buffers for reuse across calls. It is a small
// bounded free list rather than a sync.Pool: a Pool is emptied by every
// other GC, and re-allocating a ~1-2 MB buffer means first-touch page faults
// on this VM (about 12 µs per 4 KiB page, i.e. milliseconds per call: more
// than a whole 256×1152×384 GEMM). At most cacheSize buffers of at most
// (nc+mc)·kc elements are kept.
type scratchCache[T float32 | float64] struct {
	once sync.Once
	ch   chan *gemmScratch[T]
}

func (c *scratchCache[T]) get() *gemmScratch[T] {
	c.once.Do(c.init)
	select {
	case s := <-c.ch:
		return s
	default:
		return new(gemmScratch[T])
	}
}

func (c *scratchCache[T]) put(s *gemmScratch[T]) {
	select {
	case c.ch <- s:
	default: // full: let the GC have it
	}
}

func (c *scratchCache[T]) init() { c.ch = make(chan *gemmScratch[T], max(4, 2*runtime.GOMAXPROCS(0))) }

type gemmScratch[T float32 | float64] struct {
	a, b []T
	tile [16 * 32]T // one C tile, for tiles at the very end of C
}

var sgemmAVX512 = &packedGemm[float32]{
	mr: 14, nr: 32, kc: 256, mc: 14 * 12, nc: 2048,
	kern: sgemmKernels, kernRowA: &sgemmKernelsRowA, copy: scopyPack, trans: stransPack, transRows: 16,
}

var dgemmAVX512 = &packedGemm[float64]{
	mr: 14, nr: 16, kc: 256, mc: 14 * 6, nc: 2048,
	kern: dgemmKernels, copy: dcopyPack, trans: dtransPack, transRows: 8,
}

// The AVX2 path packs in Go (the register transposes use AVX-512 masks).
var sgemmAVX2 = &packedGemm[float32]{
	mr: 6, nr: 16, kc: 256, mc: 6 * 24, nc: 4096,
	kern: sgemmKernelsAVX2,
}

var dgemmAVX2 = &packedGemm[float64]{
	mr: 6, nr: 8, kc: 256, mc: 6 * 12, nc: 2048,
	kern: dgemmKernelsAVX2,
}

func lowMask(w int) uint32 { return uint32(uint64(1)<<uint(w) - 1) }

func (g *packedGemm[T]) run(transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	nr := g.nr
	kcMax := min(k, g.kc)
	ncMax := min((n+nr-1)/nr*nr, g.nc)

	s := g.scratch(m, kcMax)
	if len(s.b) < ncMax*kcMax {
		s.b = make([]T, ncMax*kcMax)
	}

	for jc := 0; jc < n; jc += g.nc {
		ncur := min(g.nc, n-jc)
		for pc := 0; pc < k; pc += g.kc {
			kcur := min(g.kc, k-pc)
			// Pack B[pc:pc+kcur, jc:jc+ncur] as kcur×nr micro-panels.
			g.packB(transB, kcur, ncur, b, ldb, jc, pc, s.b, size)
			g.macro(s, m, ncur, kcur, a, lda, pc, s.b, nr*kcur, c, ldc, jc, acc || pc > 0, size, false)
		}
	}
	g.cache.put(s)
}

// scratch returns packing buffers with room for an mc×kc block of A.
func (g *packedGemm[T]) scratch(m, kcMax int) *gemmScratch[T] {
	mcMax := min((m+g.mr-1)/g.mr*g.mr, g.mc)
	s := g.cache.get()
	if len(s.a) < mcMax*kcMax {
		s.a = make([]T, mcMax*kcMax)
	}
	return s
}

// packB packs op(B)[pc:pc+kcur, jc:jc+ncur] into kcur×nr micro-panels at
// dst (panel jr/nr at dst[jr*kcur:]), zero-padding the last panel's columns.
func (g *packedGemm[T]) packB(transB bool, kcur, ncur int, b []T, ldb, jc, pc int, dst []T, size int) {
	nr := g.nr
	for jr := 0; jr < ncur; jr += nr {
		w := min(nr, ncur-jr)
		bp := dst[jr*kcur : (jr+nr)*kcur]
		switch {
		case !bPackInside(transB, len(b), jc+jr, pc, kcur, ldb, w):
			packBGo(transB, kcur, b[bOff(transB, jc+jr, pc, ldb):], ldb, w, nr, bp)
		case transB && g.trans != nil:
			for h := 0; h < nr; h += g.transRows {
				rows := min(max(w-h, 0), g.transRows)
				src := &b[(jc+jr)*ldb+pc] // not read when rows == 0
				if rows > 0 {
					src = &b[(jc+jr+h)*ldb+pc]
				}
				g.trans(kcur, src, ldb*size, rows, lowMask(g.transRows), &bp[h], nr*size)
			}
		case !transB && g.copy != nil:
			g.copy(kcur, &b[pc*ldb+jc+jr], ldb*size, lowMask(w), &bp[0])
		default:
			packBGo(transB, kcur, b[bOff(transB, jc+jr, pc, ldb):], ldb, w, nr, bp)
		}
	}
}

// macro multiplies A[:, pc:pc+kcur] (m rows) by one packed kcur×ncur block
// of B into C[:, jc:jc+ncur]: bp holds the B micro-panels, panel i (columns
// i·nr..) at bp[i·panel:], kcur×nr each. For each mc-row block, A is packed
// into kcur×mr micro-panels and every (mr, nr) tile of C is updated by one
// micro-kernel call. With rowA the kernels read A where it is instead
// (g.kernRowA; the same FMAs in the same order, so the same C).
func (g *packedGemm[T]) macro(s *gemmScratch[T], m, ncur, kcur int, a []T, lda, pc int, bp []T, panel int, c []T, ldc, jc int, accBlk bool, size int, rowA bool) {
	mr, nr := g.mr, g.nr
	for ic := 0; ic < m; ic += g.mc {
		mcur := min(g.mc, m-ic)
		// Pack A[ic:ic+mcur, pc:pc+kcur] as kcur×h micro-panels.
		for ir := 0; ir < mcur && !rowA; ir += mr {
			h := min(mr, mcur-ir)
			ap := s.a[ir*kcur : ir*kcur+h*kcur]
			if g.trans == nil || (ic+ir+h-1)*lda+pc+(kcur+15)&^15 > len(a) {
				packAGo(kcur, a[(ic+ir)*lda+pc:], lda, h, ap)
				continue
			}
			for r0 := 0; r0 < h; r0 += g.transRows {
				rows := min(g.transRows, h-r0)
				g.trans(kcur, &a[(ic+ir+r0)*lda+pc], lda*size, rows, lowMask(rows), &ap[r0], h*size)
			}
		}
		for jr := 0; jr < ncur; jr += nr {
			mask := lowMask(min(nr, ncur-jr))
			b := &bp[jr/nr*panel]
			for ir := 0; ir < mcur; ir += mr {
				h := min(mr, mcur-ir)
				off := (ic+ir)*ldc + jc + jr
				kern := func(c *T, ldc int, acc bool) {
					if rowA {
						g.kernRowA[h](kcur, &a[(ic+ir)*lda+pc], b, c, ldc, acc, mask, lda)
					} else {
						g.kern[h](kcur, &s.a[ir*kcur], b, c, ldc, acc, mask)
					}
				}
				if off+(h-1)*ldc+nr > len(c) {
					// The masked-out columns of the last row would
					// reach past the end of C (see expF32): use a tile.
					kern(&s.tile[0], nr, false)
					w := min(nr, ncur-jr)
					for i := 0; i < h; i++ {
						ci := c[off+i*ldc : off+i*ldc+w]
						ti := s.tile[i*nr : i*nr+w]
						if accBlk {
							for j := range ci {
								ci[j] += ti[j]
							}
						} else {
							copy(ci, ti)
						}
					}
					continue
				}
				kern(&c[off], ldc, accBlk)
			}
		}
	}
}

// bPackInside reports whether the assembly packers' vector loads for a B
// panel (whole 16-element vectors, masked) stay inside b; see expF32.
func bPackInside(transB bool, lb, j, p, kc, ldb, w int) bool {
	if transB {
		return (j+w-1)*ldb+p+(kc+15)&^15 <= lb
	}
	return (p+kc-1)*ldb+j+32 <= lb
}

func bOff(transB bool, j, p, ldb int) int {
	if transB {
		return j*ldb + p
	}
	return p*ldb + j
}

// packAGo packs h rows of A (row stride lda, from a[0]) k-major: dst[p*h+i] = A[i, p].
func packAGo[T float32 | float64](kc int, a []T, lda, h int, dst []T) {
	for i := 0; i < h; i++ {
		row := a[i*lda : i*lda+kc]
		for p, v := range row {
			dst[p*h+i] = v
		}
	}
}

// packBGo packs w (<= nr) columns of op(B) from b[0], kc deep, into
// dst[p*nr+j], zero-padding columns w..nr.
func packBGo[T float32 | float64](transB bool, kc int, b []T, ldb, w, nr int, dst []T) {
	if transB {
		for j := 0; j < w; j++ {
			row := b[j*ldb : j*ldb+kc]
			for p, v := range row {
				dst[p*nr+j] = v
			}
		}
		if w < nr {
			for p := 0; p < kc; p++ {
				clear(dst[p*nr+w : p*nr+nr])
			}
		}
		return
	}
	for p := 0; p < kc; p++ {
		d := dst[p*nr : p*nr+nr]
		copy(d, b[p*ldb:p*ldb+w])
		clear(d[w:])
	}
}

// packFast packs op(B) in the AVX-512 micro-panel layout (see packedStore);
// other CPUs keep it plain (false).
func packFast(st *packedStore, transB bool, b []float32, ldb int) bool {
	if !hasAVX512 {
		return false
	}
	g := sgemmAVX512
	k, n := st.k, st.n
	npad := (n + g.nr - 1) / g.nr * g.nr
	st.nr, st.kc = g.nr, g.kc
	st.data = grow(st.data, k*npad)
	for pc := 0; pc < k; pc += g.kc {
		kb := min(g.kc, k-pc)
		g.packB(transB, kb, n, b, ldb, 0, pc, st.data[pc*npad:], 4)
	}
	return true
}

// sgemmPackedFast is SgemmPacked on the AVX-512 layout: the loops of run
// with the B panels taken from the store; with rowA, A is read in place.
func sgemmPackedFast(m int, a []float32, lda int, pb *PackedB, c []float32, ldc int, acc, rowA bool) {
	g := sgemmAVX512
	st := pb.st
	nr, kc := st.nr, st.kc
	npad := (st.n + nr - 1) / nr * nr
	n, k := pb.n, pb.k
	s := g.scratch(m, min(k, kc))
	for jc := 0; jc < n; jc += g.nc {
		ncur := min(g.nc, n-jc)
		for p := pb.p0; p < pb.p0+k; {
			bstart := p / kc * kc
			kb := min(kc, st.k-bstart)
			pend := min(bstart+kb, pb.p0+k)
			off := bstart*npad + (pb.j0+jc)*kb + (p-bstart)*nr
			g.macro(s, m, ncur, pend-p, a, lda, p-pb.p0, st.data[off:], nr*kb, c, ldc, jc, acc || p > pb.p0, 4, rowA)
			p = pend
		}
	}
	g.cache.put(s)
}

package kernel

// PackAlign is the column alignment of PackedB views: Sub's first column
// must be a multiple of it (a whole number of micro-panels on every path).
const PackAlign = 64

// PackedB is a B operand of Sgemm packed once for repeated products: model
// weights, or the keys and values of one attention head multiplied by many
// query blocks. SgemmPacked with a PackedB skips the per-call packing of B
// that Sgemm does.
//
// It holds op(B), k×n (k the depth of the product, n the columns of C). On
// AVX-512 the layout is the micro-kernel's (kc-deep blocks of 32-column
// panels, zero-padded to 32 columns); elsewhere it is a plain row-major copy
// of op(B). Sub gives views of a row (depth) and column range without
// copying. A PackedB is safe for concurrent use by SgemmPacked; Pack must
// not run concurrently with products that use it or its views.
type PackedB struct {
	st           *packedStore
	p0, k, j0, n int // the view: op(B)[p0:p0+k, j0:j0+n]
}

type packedStore struct {
	k, n int // the stored op(B) is k×n
	// nr == 0: data is op(B) row-major with row stride n. Otherwise data is
	// blocked for the packed GEMM: depth blocks of kc rows (block b at
	// data[b·kc·npad:]), each npad/nr column panels of kb×nr (kb the block's
	// depth; panel of column j at offset j·kb in the block), npad = n
	// rounded up to nr.
	nr, kc int
	data   []float32
}

// PackB packs op(B) for SgemmPacked: B is n×k (ldb >= k) when transB, as
// PyTorch weights ([out, in]) and attention keys are, else k×n (ldb >= n);
// op(B) is k×n. It panics if b is too short.
func PackB(transB bool, n, k int, b []float32, ldb int) *PackedB {
	pb := new(PackedB)
	pb.Pack(transB, n, k, b, ldb)
	return pb
}

// Pack is PackB into pb, reusing its memory when large enough (views from
// Sub taken earlier see the new contents). pb becomes the whole matrix.
func (pb *PackedB) Pack(transB bool, n, k int, b []float32, ldb int) {
	if n < 0 || k < 0 || ldb < 0 {
		panic("kernel: PackB: negative n, k or ldb")
	}
	if n > 0 && k > 0 {
		if transB {
			if (n-1)*ldb+k > len(b) {
				panic("kernel: PackB: B too short for n, k, ldb (transB)")
			}
		} else if (k-1)*ldb+n > len(b) {
			panic("kernel: PackB: B too short for k, n, ldb")
		}
	}
	if pb.st == nil {
		pb.st = new(packedStore)
	}
	st := pb.st
	st.k, st.n = k, n
	*pb = PackedB{st: st, k: k, n: n}
	if n == 0 || k == 0 {
		st.nr, st.kc = 0, 0
		return
	}
	if packFast(st, transB, b, ldb) {
		return
	}
	st.nr, st.kc = 0, 0
	st.data = grow(st.data, k*n)
	for p := 0; p < k; p++ {
		row := st.data[p*n : (p+1)*n]
		if transB {
			for j := range row {
				row[j] = b[j*ldb+p]
			}
		} else {
			copy(row, b[p*ldb:p*ldb+n])
		}
	}
}

// grow returns s resliced to n elements, reallocated if its capacity is
// smaller (contents not kept).
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// K returns the depth (rows of op(B)) of the view.
func (pb *PackedB) K() int { return pb.k }

// N returns the columns of the view.
func (pb *PackedB) N() int { return pb.n }

// Sub returns the view op(B)[p0:p1, j0:j1] of pb (indices relative to pb).
// j0 must be a multiple of PackAlign, unless the range is empty.
func (pb *PackedB) Sub(p0, p1, j0, j1 int) PackedB {
	if p0 < 0 || p1 < p0 || p1 > pb.k || j0 < 0 || j1 < j0 || j1 > pb.n {
		panic("kernel: PackedB.Sub: range out of bounds")
	}
	if j0%PackAlign != 0 && j1 > j0 {
		panic("kernel: PackedB.Sub: first column not a multiple of PackAlign")
	}
	return PackedB{st: pb.st, p0: pb.p0 + p0, k: p1 - p0, j0: pb.j0 + j0, n: j1 - j0}
}

// SgemmPacked computes C = A·op(B), or C += A·op(B) when acc, in float32,
// for a packed op(B) (k×n, k = pb.K(), n = pb.N()): Sgemm(transB, m, n, k,
// a, lda, b, ldb, c, ldc, acc) without packing B. A is m×k (lda >= k), C
// m×n (ldc >= n), row-major. Same accuracy and special values as Sgemm; it
// panics if a slice is too short.
func SgemmPacked(m int, a []float32, lda int, pb *PackedB, c []float32, ldc int, acc bool) {
	sgemmPacked(m, a, lda, pb, c, ldc, acc, false)
}

// SgemmPackedRowA is SgemmPacked reading A's rows where they are instead of
// packing them first: for an A used once, whose products have few column
// panels (attention's P·V, 64 columns; its scores, one head's queries). The
// results are bit for bit SgemmPacked's.
func SgemmPackedRowA(m int, a []float32, lda int, pb *PackedB, c []float32, ldc int, acc bool) {
	sgemmPacked(m, a, lda, pb, c, ldc, acc, true)
}

func sgemmPacked(m int, a []float32, lda int, pb *PackedB, c []float32, ldc int, acc, rowA bool) {
	n, k := pb.n, pb.k
	if m <= 0 || n <= 0 {
		return
	}
	checkGemm(false, m, n, k, len(a), lda, (k-1)*n+n, n, len(c), ldc)
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	st := pb.st
	if st.nr == 0 {
		sgemm(false, m, n, k, a, lda, st.data[pb.p0*st.n+pb.j0:], st.n, c, ldc, acc)
		return
	}
	sgemmPackedFast(m, a, lda, pb, c, ldc, acc, rowA)
}

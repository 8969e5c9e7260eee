package attention

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/contextualize/contextualize/attention/kernel"
)

// MHAParams are the options of multi-head attention.
type MHAParams struct {
	// Heads is the number of heads H; d must be divisible by H.
	Heads int
	// Causal restricts element i to keys j <= i.
	Causal bool
	// Window, when >= 0, restricts element i to keys with |i-j| <= Window;
	// -1 means no window.
	Window int
	// Scale multiplies q·k; 0 means 1/sqrt(d/H), PyTorch's choice.
	Scale float64
}

// Tile sizes of the flash-style loop are chosen per call by blockSizes:
// query rows per block and keys per block. Key blocks start at multiples of
// kernel.PackAlign (the packed keys are sliced there).
const (
	mhaKeyAlign = kernel.PackAlign
	// mhaKeepScratch is the largest scratch (bytes) kept for reuse after a
	// call; larger ones are left to the GC.
	mhaKeepScratch = 256 << 20
	// mhaRowChunk is the rows of one projection task. It is a multiple of
	// every GEMM micro-kernel's row count (14 on AVX-512, 6 on AVX2, 2 in
	// Go), so a chunk is tiled exactly as the same rows of a whole-sequence
	// product would be.
	mhaRowChunk = 504
	// mhaParallelFlops is the work (FLOPs, masks ignored) from which a call
	// asks idle helper goroutines to share it.
	mhaParallelFlops = 1 << 24
)

// mhaGroupAll is the largest n·3d (elements) for which Q, K and V of all
// heads are projected at once; longer sequences project one head at a time,
// so the projections take n·3d/H elements instead of n·3d. (A variable
// only so that tests can reach the one-head path with short sequences.)
var mhaGroupAll = 1 << 20

// blockSizes returns the query and key block sizes for a sequence of n
// tokens with head width dh, in elements of size bytes. Up to 512 tokens
// the keys are one block (no online rescaling at all) and the queries one
// block up to 256 (one GEMM per head for the scores). Longer sequences use 512-key blocks and the
// largest query blocks, in whole 14-row micro-kernel tiles, for which the
// score tile (qb×kb) and the key and value blocks (kb×dh each) stay within
// 768 KiB of the 1 MiB L2 of each core: every query block streams all keys
// and values of its head, so larger query blocks mean less traffic.
func blockSizes(n, dh, size int) (qb, kb int) {
	if n <= 512 {
		kb = (n + mhaKeyAlign - 1) / mhaKeyAlign * mhaKeyAlign
		qb = min(n, 256)
		if n > 256 {
			qb = (n + 1) / 2
		}
		return qb, kb
	}
	const tile = 14 // rows of the AVX-512 micro-kernel
	kb = 512
	qb = (768<<10/size - 2*kb*dh) / (kb + dh) / tile * tile
	return min(max(qb, 2*tile), 18*tile), kb
}

// MHA is a multi-head self-attention layer with fixed weights and options,
// computing the same function as PyTorch nn.MultiheadAttention (eval mode,
// batch_first, query = key = value = x) with an optional causal mask and
// band window.
//
// Forward32 and Forward64 never materialise the n×n attention matrix: each
// head is processed in query blocks against key blocks with an online
// softmax, so the memory of a call is O(n·d) (the projected Q, K, V and the
// head outputs) plus a fixed tile per thread. Key blocks that the mask
// hides entirely are not computed. A long sequence is shared with idle
// helper goroutines (row chunks of the projections, query blocks of a
// head); the split depends only on the sequence, so the output does not
// depend on the number of threads. An MHA is safe for concurrent use;
// per-call scratch comes from a small free list.
type MHA struct {
	d, heads, dh int
	causal       bool
	window       int
	scale        float64
	// qScaled: the scale is a power of two and is folded into Wq and bq
	// (exactly: no weight leaves the normal range), so Q needs no pass.
	qScaled bool
	p32     mhaPlan[float32]
	p64     mhaPlan[float64] // made by plan64 from w64 at the first float64 call
	once64  sync.Once
	w64     MHAWeights // private float64 weights (InProj and InBias scaled when qScaled)
	// w32 holds InProj and OutProj as float32 instead of w64 when every
	// weight is a float32 value (weights read from F32, F16 or BF16
	// tensors): plan64 widens them exactly, and float32-only runs never
	// hold a float64 copy.
	w32in, w32inBias, w32out, w32outBias []float32
}

// mhaPlan is the weights of an MHA in one element type, with the kernels
// of that type and a free list of per-call scratch.
//
// The input projection is kept head-major: rows Wq_h; Wk_h; Wv_h of head 0,
// then of head 1, ..., so that the heads [h0, h0+g) project with one
// product into rows q_h0 | k_h0 | v_h0 | q_h0+1 | ... of 3·dh·g values.
type mhaPlan[T float] struct {
	w3 []T // float64 only: [3d, d], Wq; Wk; Wv (the order of Weights)
	b3 []T // float64 only: [3d] or nil
	bh []T // [3d] head-major input bias, or nil
	bo []T // [d] or nil
	// projIn sets dst = x·Wᵀ (rows of partWidth(part, dh, g) values) for
	// the rows of W that part selects: q|k|v of the heads [h0, h0+g) (g = 1
	// or all), or k|v or q of head h0 alone (g = 1); projOut sets dst
	// (rows×d) = o·Woᵀ (nil without an output projection).
	projIn  func(h0, g, part, rows int, x, dst []T)
	projOut func(rows int, o, dst []T)
	newKV   func() headKV[T]
	// kvInPlace: the headKV reads keys and values from the projections
	// (float64), so a head's queries must not be projected over them.
	kvInPlace bool
	sm        *softmaxKernels[T]
	// free is a small bounded free list of scratch, not a sync.Pool: a
	// Pool is emptied by the GC, and re-faulting megabytes of fresh pages
	// costs about 12 µs per 4 KiB page on this VM (see kernel/README.md).
	free chan *mhaScratch[T]
}

// headKV holds the keys and values of one head in the form its products
// need: packed once per head (float32) or read in place (float64).
// scores and accum may run concurrently; load must not run concurrently
// with them.
type headKV[T float] interface {
	// load takes head keys K (part 0: rows qkv[j·ld+koff:][:dh]) or values
	// V (part 1: rows qkv[j·ld+voff:][:dh]) of the n tokens; the two parts
	// may be loaded concurrently.
	load(part int, qkv []T, n, ld, koff, voff, dh int)
	// scores sets s (qb×(j1-j0), row stride lds) = q·K[j0:j1]ᵀ.
	scores(qb int, q []T, ldq, j0, j1 int, s []T, lds int)
	// accum sets acc (qb×dh), or adds to it when add, p·V[j0:j1].
	accum(qb int, p []T, ldp, j0, j1 int, acc []T, ldacc int, add bool)
}

// packedKV is headKV for float32: K and V packed once per head, so the
// products with every query block skip packing them; the probabilities,
// and the queries of a head projected alone, are read where they are
// (SgemmPackedRowA), not packed.
type packedKV struct {
	k, v kernel.PackedB
	dh   int
}

func (kv *packedKV) load(part int, qkv []float32, n, ld, koff, voff, dh int) {
	if part == 0 {
		kv.dh = dh
		kv.k.Pack(true, n, dh, qkv[koff:], ld)
	} else {
		kv.v.Pack(false, dh, n, qkv[voff:], ld)
	}
}

func (kv *packedKV) scores(qb int, q []float32, ldq, j0, j1 int, s []float32, lds int) {
	k := kv.k.Sub(0, kv.dh, j0, j1)
	if ldq == kv.dh { // one head's queries, rows adjacent: read in place
		kernel.SgemmPackedRowA(qb, q, ldq, &k, s, lds, false)
		return
	}
	// Queries strided through every head's projections (3·d values a
	// row): packing them once per 168 rows was measured faster (4.1 vs
	// 4.2-4.4 ms of CPU per 256 × 256 × 384 sequence).
	kernel.SgemmPacked(qb, q, ldq, &k, s, lds, false)
}

func (kv *packedKV) accum(qb int, p []float32, ldp, j0, j1 int, acc []float32, ldacc int, add bool) {
	v := kv.v.Sub(j0, j1, 0, kv.dh)
	kernel.SgemmPackedRowA(qb, p, ldp, &v, acc, ldacc, add)
}

// rawKV is headKV for float64: products straight from qkv with Dgemm.
type rawKV struct {
	qkv                []float64
	ld, koff, voff, dh int
}

func (kv *rawKV) load(part int, qkv []float64, n, ld, koff, voff, dh int) {
	if part == 0 {
		*kv = rawKV{qkv: qkv, ld: ld, koff: koff, voff: voff, dh: dh}
	}
}

func (kv *rawKV) scores(qb int, q []float64, ldq, j0, j1 int, s []float64, lds int) {
	kernel.Dgemm(true, qb, j1-j0, kv.dh, q, ldq, kv.qkv[j0*kv.ld+kv.koff:], kv.ld, s, lds, false)
}

func (kv *rawKV) accum(qb int, p []float64, ldp, j0, j1 int, acc []float64, ldacc int, add bool) {
	kernel.Dgemm(false, qb, kv.dh, j1-j0, p, ldp, kv.qkv[j0*kv.ld+kv.voff:], kv.ld, acc, ldacc, add)
}

// NewMHA checks the weights and options and prepares the layer: weights are
// copied (w is not retained) and converted to float32 once. Errors wrap ErrInvalidParams and say
// what was expected and what was found.
func NewMHA(w MHAWeights, p MHAParams) (*MHA, error) {
	bad := func(format string, args ...any) (*MHA, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidParams, fmt.Sprintf(format, args...))
	}
	d := w.D
	switch {
	case d < 1:
		return bad("model dimension d: expected >= 1, found %d", d)
	case p.Heads < 1:
		return bad("heads: expected >= 1, found %d", p.Heads)
	case d%p.Heads != 0:
		return bad("heads: d = %d is not divisible by %d heads", d, p.Heads)
	case p.Window < -1:
		return bad("window: expected >= 0 (or -1 for none), found %d", p.Window)
	case p.Scale < 0 || math.IsNaN(p.Scale) || math.IsInf(p.Scale, 0):
		return bad("scale: expected a finite value > 0 (or 0 for 1/sqrt(d/H)), found %v", p.Scale)
	case len(w.InProj) != 3*d*d:
		return bad("input projection: expected [3d, d] = [%d, %d] (%d values), found %d values", 3*d, d, 3*d*d, len(w.InProj))
	case w.InBias != nil && len(w.InBias) != 3*d:
		return bad("input bias: expected %d values, found %d", 3*d, len(w.InBias))
	case w.OutProj != nil && len(w.OutProj) != d*d:
		return bad("output projection: expected [d, d] = [%d, %d] (%d values), found %d values", d, d, d*d, len(w.OutProj))
	case w.OutBias != nil && len(w.OutBias) != d:
		return bad("output bias: expected %d values, found %d", d, len(w.OutBias))
	}
	for _, t := range []struct {
		name string
		v    []float64
	}{{"input projection", w.InProj}, {"input bias", w.InBias}, {"output projection", w.OutProj}, {"output bias", w.OutBias}} {
		for i, x := range t.v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return bad("%s: value %d is %v, expected a finite number", t.name, i, x)
			}
		}
	}
	m := &MHA{d: d, heads: p.Heads, dh: d / p.Heads, causal: p.Causal, window: p.Window, scale: p.Scale}
	if m.scale == 0 {
		m.scale = 1 / math.Sqrt(float64(m.dh))
	}
	if fr, _ := math.Frexp(m.scale); fr == 0.5 && foldable(w.InProj[:d*d], m.scale) && (w.InBias == nil || foldable(w.InBias[:d], m.scale)) {
		// (x·Wᵀ + b)·s == x·(s·W)ᵀ + s·b bit for bit when s = 2^e and no
		// product leaves the normal range.
		w.InProj = append([]float64(nil), w.InProj...)
		for i := range w.InProj[:d*d] {
			w.InProj[i] *= m.scale
		}
		if w.InBias != nil {
			w.InBias = append([]float64(nil), w.InBias...)
			for i := range w.InBias[:d] {
				w.InBias[i] *= m.scale
			}
		}
		m.qScaled = true
	}
	heads, dh := m.heads, m.dh
	m.p32 = mhaPlan[float32]{bh: convert[float32](headMajor(w.InBias, 1, d, dh)),
		bo: convert[float32](w.OutBias), sm: &softmax32,
		newKV: func() headKV[float32] { return new(packedKV) }}
	// float32: the weights are packed once here for the GEMM micro-kernels,
	// for all heads at once and for each head alone.
	wh := convert[float32](headMajor(w.InProj, d, d, dh))
	all := kernel.PackB(true, 3*d, d, wh, d)
	// view returns the rows [r0, r1) of the head-major projection, a view
	// of all when r0 is aligned, else packed alone.
	view := func(r0, r1 int) *kernel.PackedB {
		if r0%kernel.PackAlign == 0 {
			sub := all.Sub(0, d, r0, r1)
			return &sub
		}
		return kernel.PackB(true, r1-r0, d, wh[r0*d:], d)
	}
	// A head projected alone takes its queries, keys and values one at a
	// time (partQ, partK, partV: the rows of a view are dh values).
	var one [partV + 1][]*kernel.PackedB
	for part := partQ; part <= partV; part++ {
		one[part] = make([]*kernel.PackedB, heads)
		for h := range heads {
			r0 := partRow(part, h, dh)
			one[part][h] = view(r0, r0+dh)
		}
	}
	m.p32.projIn = func(h0, g, part, rows int, x, dst []float32) {
		pb := all
		switch part {
		case partQ, partK, partV:
			pb = one[part][h0]
		case partKV:
			panic("attention: float32 keys and values are projected one at a time")
		}
		kernel.SgemmPacked(rows, x, d, pb, dst, partWidth(part, dh, g), false)
	}
	if w.OutProj != nil {
		pwo := kernel.PackB(true, d, d, convert[float32](w.OutProj), d)
		m.p32.projOut = func(rows int, o, dst []float32) { kernel.SgemmPacked(rows, o, d, pwo, dst, d, false) }
	}
	m.p32.free = make(chan *mhaScratch[float32], max(2, runtime.GOMAXPROCS(0)))
	// The float64 plan is made at its first use from private copies: the
	// scaled InProj and InBias above already are. Weights that are all
	// float32 values are kept as float32 (half the memory) and widened then.
	if allFloat32(w.InProj, w.InBias, w.OutProj, w.OutBias) {
		m.w32in, m.w32inBias = convert[float32](w.InProj), convert[float32](w.InBias)
		m.w32out, m.w32outBias = convert[float32](w.OutProj), convert[float32](w.OutBias)
		m.w64 = MHAWeights{D: d}
		return m, nil
	}
	if !m.qScaled {
		w.InProj, w.InBias = slices.Clone(w.InProj), slices.Clone(w.InBias)
	}
	w.OutProj, w.OutBias = slices.Clone(w.OutProj), slices.Clone(w.OutBias)
	m.w64 = w
	return m, nil
}

// allFloat32 reports whether every value is exactly a float32.
func allFloat32(vs ...[]float64) bool {
	for _, v := range vs {
		for _, x := range v {
			if float64(float32(x)) != x {
				return false
			}
		}
	}
	return true
}

// widen copies v into a new float64 slice; nil stays nil.
func widen(v []float32) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// WeightBytes returns at most the memory the layer holds for its weights,
// for memory budgets: the packed float32 projections plus the float64
// weights of float64 inputs (until the first float64 call, weights that are
// all float32 values are kept as float32, half that).
func (m *MHA) WeightBytes() int64 { return MHAWeightBytes(m.d) }

// MHAWeightBytes is MHA.WeightBytes for a layer of width d, known before
// the weights are read.
func MHAWeightBytes(d int) int64 {
	n := 4*int64(d)*int64(d) + 4*int64(d)
	return 4*n + 8*n
}

// plan64 is the float64 plan, made at the first float64 call over the
// private float64 weights NewMHA kept.
func (m *MHA) plan64() *mhaPlan[float64] {
	m.once64.Do(func() {
		w, d := m.w64, m.d
		if m.w32in != nil {
			w = MHAWeights{D: d, InProj: widen(m.w32in), InBias: widen(m.w32inBias), OutProj: widen(m.w32out), OutBias: widen(m.w32outBias)}
			m.w32in, m.w32inBias, m.w32out, m.w32outBias = nil, nil, nil, nil
		}
		p := &m.p64
		*p = mhaPlan[float64]{w3: w.InProj, b3: w.InBias, bh: headMajor(w.InBias, 1, d, m.dh), bo: w.OutBias,
			sm: &softmax64, newKV: func() headKV[float64] { return new(rawKV) }, kvInPlace: true}
		wh, dh := headMajor(w.InProj, d, d, m.dh), m.dh
		p.projIn = func(h0, g, part, rows int, x, dst []float64) {
			w := partWidth(part, dh, g)
			r0 := partRow(part, h0, dh)
			kernel.Dgemm(true, rows, w, d, x, d, wh[r0*d:], d, dst, w, false)
		}
		if wo := w.OutProj; wo != nil {
			p.projOut = func(rows int, o, dst []float64) {
				kernel.Dgemm(true, rows, d, d, o, d, wo, d, dst, d, false)
			}
		}
		p.free = make(chan *mhaScratch[float64], max(2, runtime.GOMAXPROCS(0)))
		m.w64 = MHAWeights{}
	})
	return &m.p64
}

// headMajor reorders the 3d rows (of width w) of an input projection or
// bias from Wq; Wk; Wv to head-major order: Wq_0; Wk_0; Wv_0; Wq_1; ...
// (head h's rows of Wq are h·dh..(h+1)·dh-1). nil stays nil.
func headMajor(v []float64, w, d, dh int) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, 0, len(v))
	for h := 0; h < d/dh; h++ {
		for part := 0; part < 3; part++ {
			r := part*d + h*dh
			out = append(out, v[r*w:(r+dh)*w]...)
		}
	}
	return out
}

// foldable reports whether every nonzero v·s stays a normal float32 (and
// so a normal float64): then scaling by a power of two s is exact in both.
func foldable(v []float64, s float64) bool {
	const minNormal32 = 0x1p-126
	for _, x := range v {
		if y := math.Abs(x * s); y != 0 && (y < minNormal32 || y > math.MaxFloat32) {
			return false
		}
		if y := math.Abs(x); y != 0 && y < minNormal32 {
			return false
		}
	}
	return true
}

// convert copies v into a new slice of T; nil stays nil.
func convert[T float](v []float64) []T {
	if v == nil {
		return nil
	}
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// D returns the model dimension d: the length of each input and output
// vector.
func (m *MHA) D() int { return m.d }

// Heads returns the number of heads.
func (m *MHA) Heads() int { return m.heads }

// Forward32 computes the attention output of the sequence x (n×d, row
// major) into dst (n×d) with float32 arithmetic (float32 GEMMs and
// exponentials; softmax sums in float64). dst may be x itself, but must not
// otherwise overlap it. It panics if x or dst is shorter than n·d.
func (m *MHA) Forward32(dst, x []float32, n int) { forward(m, &m.p32, dst, x, n) }

// Forward64 is Forward32 in float64 arithmetic.
func (m *MHA) Forward64(dst, x []float64, n int) { forward(m, m.plan64(), dst, x, n) }

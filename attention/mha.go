package attention

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"

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
)

// blockSizes returns the query and key block sizes for a sequence of n
// tokens with head width dh. Up to 512 tokens the keys are one block (no
// online rescaling at all) and the queries one block up to 256 (one GEMM
// per head for the scores). Longer sequences use 512-key blocks and query
// blocks sized so that the score tile (qb×kb) and the key and value blocks
// (kb×dh each) stay within the 1 MiB L2: every query block streams all
// keys and values of its head, so larger query blocks mean less traffic.
func blockSizes(n, dh int) (qb, kb int) {
	if n <= 512 {
		kb = (n + mhaKeyAlign - 1) / mhaKeyAlign * mhaKeyAlign
		qb = min(n, 256)
		if n > 256 {
			qb = (n + 1) / 2
		}
		return qb, kb
	}
	kb = 512
	qb = 256
	for qb > 32 && 4*(qb*kb+2*kb*dh+qb*dh) > 768<<10 {
		qb /= 2
	}
	return qb, kb
}

// MHA is a multi-head self-attention layer with fixed weights and options,
// computing the same function as PyTorch nn.MultiheadAttention (eval mode,
// batch_first, query = key = value = x) with an optional causal mask and
// band window.
//
// Forward32 and Forward64 never materialise the n×n attention matrix: each
// head is processed in query blocks against key blocks with an online
// softmax, so the memory of a call is O(n·d) (the projected Q, K, V and the
// head outputs) plus a fixed tile. Key blocks that the mask hides entirely
// are not computed. An MHA is safe for concurrent use; per-call scratch
// comes from a small free list.
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
}

// mhaPlan is the weights of an MHA in one element type, with the kernels
// of that type and a free list of per-call scratch.
type mhaPlan[T float] struct {
	w3 []T // [3d, d]: Wq; Wk; Wv
	b3 []T // [3d] or nil
	wo []T // [d, d] or nil
	bo []T // [d] or nil
	// projIn sets qkv (n×3d) = x·[Wq;Wk;Wv]ᵀ, projOut dst (n×d) = o·Woᵀ.
	projIn, projOut func(n int, x, dst []T)
	newKV           func() headKV[T]
	sm              *softmaxKernels[T]
	// free is a small bounded free list of scratch, not a sync.Pool: a
	// Pool is emptied by the GC, and re-faulting megabytes of fresh pages
	// costs about 12 µs per 4 KiB page on this VM (see kernel/README.md).
	free chan *mhaScratch[T]
}

// headKV holds the keys and values of one head in the form its products
// need: packed once per head (float32) or read in place (float64).
type headKV[T float] interface {
	// load takes head keys K (rows qkv[j·d3+koff:][:dh]) and values V
	// (rows qkv[j·d3+voff:][:dh]) of the n tokens.
	load(qkv []T, n, d3, koff, voff, dh int)
	// scores sets s (qb×(j1-j0), row stride lds) = q·K[j0:j1]ᵀ.
	scores(qb int, q []T, ldq, j0, j1 int, s []T, lds int)
	// accum sets acc (qb×dh), or adds to it when add, p·V[j0:j1].
	accum(qb int, p []T, ldp, j0, j1 int, acc []T, ldacc int, add bool)
}

// packedKV is headKV for float32: K and V packed once per head, so the
// products with every query block skip packing them.
type packedKV struct {
	k, v kernel.PackedB
	dh   int
}

func (kv *packedKV) load(qkv []float32, n, d3, koff, voff, dh int) {
	kv.dh = dh
	kv.k.Pack(true, n, dh, qkv[koff:], d3)
	kv.v.Pack(false, dh, n, qkv[voff:], d3)
}

func (kv *packedKV) scores(qb int, q []float32, ldq, j0, j1 int, s []float32, lds int) {
	k := kv.k.Sub(0, kv.dh, j0, j1)
	kernel.SgemmPacked(qb, q, ldq, &k, s, lds, false)
}

func (kv *packedKV) accum(qb int, p []float32, ldp, j0, j1 int, acc []float32, ldacc int, add bool) {
	v := kv.v.Sub(j0, j1, 0, kv.dh)
	kernel.SgemmPacked(qb, p, ldp, &v, acc, ldacc, add)
}

// rawKV is headKV for float64: products straight from qkv with Dgemm.
type rawKV struct {
	qkv                []float64
	d3, koff, voff, dh int
}

func (kv *rawKV) load(qkv []float64, n, d3, koff, voff, dh int) {
	*kv = rawKV{qkv: qkv, d3: d3, koff: koff, voff: voff, dh: dh}
}

func (kv *rawKV) scores(qb int, q []float64, ldq, j0, j1 int, s []float64, lds int) {
	kernel.Dgemm(true, qb, j1-j0, kv.dh, q, ldq, kv.qkv[j0*kv.d3+kv.koff:], kv.d3, s, lds, false)
}

func (kv *rawKV) accum(qb int, p []float64, ldp, j0, j1 int, acc []float64, ldacc int, add bool) {
	kernel.Dgemm(false, qb, kv.dh, j1-j0, p, ldp, kv.qkv[j0*kv.d3+kv.voff:], kv.d3, acc, ldacc, add)
}

// mhaScratch is the memory of one call.
type mhaScratch[T float] struct {
	qkv []T       // n×3d projections, row i = q_i | k_i | v_i
	o   []T       // n×d concatenated head outputs (only with an output projection)
	s   []T       // score / probability tile, qb×kb
	acc []T       // output accumulator tile, qb×dh
	m   []T       // running max per query row
	l   []float64 // running sum per query row
	kv  headKV[T]
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
	m.p32 = mhaPlan[float32]{w3: convert[float32](w.InProj), b3: convert[float32](w.InBias),
		wo: convert[float32](w.OutProj), bo: convert[float32](w.OutBias), sm: &softmax32,
		newKV: func() headKV[float32] { return new(packedKV) }}
	// float32: the weights are packed once here for the GEMM micro-kernels.
	pw3 := kernel.PackB(true, 3*d, d, m.p32.w3, d)
	m.p32.projIn = func(n int, x, qkv []float32) { kernel.SgemmPacked(n, x, d, pw3, qkv, 3*d, false) }
	if w.OutProj != nil {
		pwo := kernel.PackB(true, d, d, m.p32.wo, d)
		m.p32.projOut = func(n int, o, dst []float32) { kernel.SgemmPacked(n, o, d, pwo, dst, d, false) }
	}
	m.p32.w3, m.p32.wo = nil, nil // only the packed form is used
	m.p32.free = make(chan *mhaScratch[float32], max(2, runtime.GOMAXPROCS(0)))
	// The float64 plan is made at its first use from private copies: the
	// scaled InProj and InBias above already are.
	if !m.qScaled {
		w.InProj, w.InBias = slices.Clone(w.InProj), slices.Clone(w.InBias)
	}
	w.OutProj, w.OutBias = slices.Clone(w.OutProj), slices.Clone(w.OutBias)
	m.w64 = w
	return m, nil
}

// plan64 is the float64 plan, made at the first float64 call over the
// private float64 weights NewMHA kept.
func (m *MHA) plan64() *mhaPlan[float64] {
	m.once64.Do(func() {
		w, d := m.w64, m.d
		p := &m.p64
		*p = mhaPlan[float64]{w3: w.InProj, b3: w.InBias, wo: w.OutProj, bo: w.OutBias, sm: &softmax64,
			newKV: func() headKV[float64] { return new(rawKV) }}
		p.projIn = func(n int, x, qkv []float64) {
			kernel.Dgemm(true, n, 3*d, d, x, d, p.w3, d, qkv, 3*d, false)
		}
		if w.OutProj != nil {
			p.projOut = func(n int, o, dst []float64) {
				kernel.Dgemm(true, n, d, d, o, d, p.wo, d, dst, d, false)
			}
		}
		p.free = make(chan *mhaScratch[float64], max(2, runtime.GOMAXPROCS(0)))
		m.w64 = MHAWeights{}
	})
	return &m.p64
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

// scratch returns the memory of one call, from the free list when
// possible; only what is too small is reallocated, and nothing is cleared
// (every buffer is fully written before it is read).
func (p *mhaPlan[T]) scratch(n, d, dh, qb, kb int) *mhaScratch[T] {
	var sc *mhaScratch[T]
	select {
	case sc = <-p.free:
	default:
		sc = &mhaScratch[T]{kv: p.newKV()}
	}
	if cap(sc.qkv) < 3*n*d {
		sc.qkv = make([]T, 3*n*d)
	}
	if p.projOut != nil && cap(sc.o) < n*d {
		sc.o = make([]T, n*d)
	}
	if cap(sc.s) < qb*kb {
		sc.s = make([]T, qb*kb)
	}
	if cap(sc.acc) < qb*dh {
		sc.acc = make([]T, qb*dh)
	}
	if cap(sc.m) < qb {
		sc.m = make([]T, qb)
		sc.l = make([]float64, qb)
	}
	return sc
}

// release returns sc to the free list unless the list is full or sc is
// too large to keep.
func (p *mhaPlan[T]) release(sc *mhaScratch[T]) {
	var zero T
	size := int(unsafe.Sizeof(zero)) * (cap(sc.qkv) + cap(sc.o) + cap(sc.s))
	if size > mhaKeepScratch {
		return
	}
	select {
	case p.free <- sc:
	default:
	}
}

func forward[T float](m *MHA, p *mhaPlan[T], dst, x []T, n int) {
	if n <= 0 {
		return
	}
	d, d3, dh := m.d, 3*m.d, m.dh
	if len(x) < n*d || len(dst) < n*d {
		panic(fmt.Sprintf("attention: MHA forward: n = %d, d = %d needs %d values, x has %d, dst has %d", n, d, n*d, len(x), len(dst)))
	}
	qb, kb := blockSizes(n, dh)
	sc := p.scratch(n, d, dh, qb, kb)
	defer p.release(sc)

	// One GEMM for Q, K and V: qkv = x·[Wq;Wk;Wv]ᵀ, then biases, and the
	// scale applied to Q (unless NewMHA folded it into Wq and bq).
	qkv := sc.qkv[:n*d3]
	p.projIn(n, x, qkv)
	if p.b3 != nil || !m.qScaled {
		scale := T(m.scale)
		for i := 0; i < n; i++ {
			row := qkv[i*d3 : (i+1)*d3]
			if p.b3 != nil {
				row := row[:len(p.b3)]
				for c, b := range p.b3 {
					row[c] += b
				}
			}
			if !m.qScaled {
				q := row[:d]
				for c := range q {
					q[c] *= scale
				}
			}
		}
	}

	out := dst
	if p.projOut != nil {
		out = sc.o[:n*d]
	}
	for h := 0; h < m.heads; h++ {
		sc.kv.load(qkv, n, d3, d+h*dh, 2*d+h*dh, dh)
		for i0 := 0; i0 < n; i0 += qb {
			attendBlock(m, p, sc, qkv, out, n, h, i0, min(i0+qb, n), kb)
		}
	}

	if p.projOut != nil {
		p.projOut(n, out, dst)
	}
	if p.bo != nil {
		for i := 0; i < n; i++ {
			row := dst[i*d : (i+1)*d]
			for c, b := range p.bo {
				row[c] += b
			}
		}
	}
}

// keyRange returns the keys [lo, hi) that query i may attend to.
func (m *MHA) keyRange(i, n int) (lo, hi int) {
	lo, hi = 0, n
	if m.causal {
		hi = min(hi, i+1)
	}
	if m.window >= 0 && m.window < n { // a wider window hides nothing (and i+window could overflow)
		lo = max(lo, i-m.window)
		hi = min(hi, i+m.window+1)
	}
	return lo, hi
}

// attendBlock computes head h of query rows [i0, i1) into out, streaming
// over the key blocks (kb keys, starting at multiples of mhaKeyAlign) that
// the mask leaves visible; sc.kv holds the head's keys and values.
func attendBlock[T float](m *MHA, p *mhaPlan[T], sc *mhaScratch[T], qkv, out []T, n, h, i0, i1, kb int) {
	d, d3, dh := m.d, 3*m.d, m.dh
	qb := i1 - i0
	// Keys visible to any row of the block.
	jlo, _ := m.keyRange(i0, n)
	_, jhi := m.keyRange(i1-1, n)
	jlo = jlo / mhaKeyAlign * mhaKeyAlign

	acc := sc.acc[:qb*dh]
	ms := sc.m[:qb]
	ls := sc.l[:qb]
	negInf := T(math.Inf(-1))
	for r := range ms {
		ms[r] = negInf
		ls[r] = 0
	}
	q := qkv[i0*d3+h*dh:]
	for j0 := jlo; j0 < jhi; j0 += kb {
		j1 := min(j0+kb, jhi)
		kn := j1 - j0
		s := sc.s[:qb*kn]
		sc.kv.scores(qb, q, d3, j0, j1, s, kn)
		for r := 0; r < qb; r++ {
			lo, hi := m.keyRange(i0+r, n)
			lo = max(lo, j0) - j0
			hi = min(hi, j1) - j0
			onlineSoftmaxRow(s[r*kn:(r+1)*kn], lo, hi, &ms[r], &ls[r], acc[r*dh:(r+1)*dh], p.sm)
		}
		// The first block writes acc (no clearing needed: the softmax
		// state was empty, so acc was not read above).
		sc.kv.accum(qb, s, kn, j0, j1, acc, dh, j0 > jlo)
	}
	for r := 0; r < qb; r++ {
		o := out[(i0+r)*d+h*dh : (i0+r)*d+(h+1)*dh]
		a := acc[r*dh : (r+1)*dh]
		if ls[r] == 0 { // nothing to attend to: 0, not NaN
			clear(o)
			continue
		}
		inv := T(1 / ls[r])
		for c := range o {
			o[c] = a[c] * inv
		}
	}
}

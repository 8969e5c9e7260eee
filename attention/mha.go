package attention

import (
	"fmt"
	"math"
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

// Tile sizes of the flash-style loop: query rows per block and keys per
// block. The score tile is mhaQueryBlock×mhaKeyBlock floats (64 KiB in
// float32), which stays in L2 with the value rows it multiplies.
const (
	mhaQueryBlock = 64
	mhaKeyBlock   = 256
)

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
// comes from a pool.
type MHA struct {
	d, heads, dh int
	causal       bool
	window       int
	scale        float64
	p32          mhaPlan[float32]
	p64          mhaPlan[float64]
}

// mhaPlan is the weights of an MHA in one element type, packed once, with
// the kernels of that type and a pool of per-call scratch.
type mhaPlan[T float] struct {
	w3   []T // [3d, d]: Wq; Wk; Wv
	b3   []T // [3d] or nil
	wo   []T // [d, d] or nil
	bo   []T // [d] or nil
	gemm func(transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool)
	sm   *softmaxKernels[T]
	pool sync.Pool // of *mhaScratch[T]
}

// mhaScratch is the memory of one call.
type mhaScratch[T float] struct {
	qkv []T       // n×3d projections, row i = q_i | k_i | v_i
	o   []T       // n×d concatenated head outputs (only with an output projection)
	s   []T       // score / probability tile, mhaQueryBlock×mhaKeyBlock
	acc []T       // output accumulator tile, mhaQueryBlock×dh
	m   []T       // running max per query row
	l   []float64 // running sum per query row
}

// NewMHA checks the weights and options and prepares the layer: weights are
// copied and converted to float32 once. Errors wrap ErrInvalidParams and say
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
	m.p32 = mhaPlan[float32]{w3: convert[float32](w.InProj), b3: convert[float32](w.InBias),
		wo: convert[float32](w.OutProj), bo: convert[float32](w.OutBias), gemm: kernel.Sgemm, sm: &softmax32}
	m.p64 = mhaPlan[float64]{w3: convert[float64](w.InProj), b3: convert[float64](w.InBias),
		wo: convert[float64](w.OutProj), bo: convert[float64](w.OutBias), gemm: kernel.Dgemm, sm: &softmax64}
	return m, nil
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
func (m *MHA) Forward64(dst, x []float64, n int) { forward(m, &m.p64, dst, x, n) }

func (p *mhaPlan[T]) scratch(n, d, dh int) *mhaScratch[T] {
	sc, _ := p.pool.Get().(*mhaScratch[T])
	if sc == nil {
		sc = &mhaScratch[T]{
			s:   make([]T, mhaQueryBlock*mhaKeyBlock),
			acc: make([]T, mhaQueryBlock*dh),
			m:   make([]T, mhaQueryBlock),
			l:   make([]float64, mhaQueryBlock),
		}
	}
	if cap(sc.qkv) < 3*n*d {
		sc.qkv = make([]T, 3*n*d)
	}
	if p.wo != nil && cap(sc.o) < n*d {
		sc.o = make([]T, n*d)
	}
	return sc
}

func forward[T float](m *MHA, p *mhaPlan[T], dst, x []T, n int) {
	if n <= 0 {
		return
	}
	d, d3 := m.d, 3*m.d
	if len(x) < n*d || len(dst) < n*d {
		panic(fmt.Sprintf("attention: MHA forward: n = %d, d = %d needs %d values, x has %d, dst has %d", n, d, n*d, len(x), len(dst)))
	}
	sc := p.scratch(n, d, m.dh)
	defer p.pool.Put(sc)

	// One GEMM for Q, K and V: qkv = x·[Wq;Wk;Wv]ᵀ, then biases, and the
	// scale folded into Q.
	qkv := sc.qkv[:n*d3]
	p.gemm(true, n, d3, d, x, d, p.w3, d, qkv, d3, false)
	scale := T(m.scale)
	for i := 0; i < n; i++ {
		row := qkv[i*d3 : (i+1)*d3]
		if p.b3 != nil {
			for c, b := range p.b3 {
				row[c] += b
			}
		}
		for c := range row[:d] {
			row[c] *= scale
		}
	}

	out := dst
	if p.wo != nil {
		out = sc.o[:n*d]
	}
	for h := 0; h < m.heads; h++ {
		for i0 := 0; i0 < n; i0 += mhaQueryBlock {
			attendBlock(m, p, sc, qkv, out, n, h, i0, min(i0+mhaQueryBlock, n))
		}
	}

	if p.wo != nil {
		p.gemm(true, n, d, d, out, d, p.wo, d, dst, d, false)
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
// over the key blocks that the mask leaves visible.
func attendBlock[T float](m *MHA, p *mhaPlan[T], sc *mhaScratch[T], qkv, out []T, n, h, i0, i1 int) {
	d, d3, dh := m.d, 3*m.d, m.dh
	qb := i1 - i0
	// Keys visible to any row of the block.
	jlo, _ := m.keyRange(i0, n)
	_, jhi := m.keyRange(i1-1, n)

	acc := sc.acc[:qb*dh]
	clear(acc)
	ms := sc.m[:qb]
	ls := sc.l[:qb]
	negInf := T(math.Inf(-1))
	for r := range ms {
		ms[r] = negInf
		ls[r] = 0
	}
	q := qkv[i0*d3+h*dh:]
	for j0 := jlo; j0 < jhi; j0 += mhaKeyBlock {
		j1 := min(j0+mhaKeyBlock, jhi)
		kn := j1 - j0
		s := sc.s[:qb*mhaKeyBlock]
		p.gemm(true, qb, kn, dh, q, d3, qkv[j0*d3+d+h*dh:], d3, s, mhaKeyBlock, false)
		for r := 0; r < qb; r++ {
			lo, hi := m.keyRange(i0+r, n)
			lo = max(lo, j0) - j0
			hi = min(hi, j1) - j0
			onlineSoftmaxRow(s[r*mhaKeyBlock:r*mhaKeyBlock+kn], lo, hi, &ms[r], &ls[r], acc[r*dh:(r+1)*dh], p.sm)
		}
		p.gemm(false, qb, dh, kn, s, mhaKeyBlock, qkv[j0*d3+2*d+h*dh:], d3, acc, dh, true)
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

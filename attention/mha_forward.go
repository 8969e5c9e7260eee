package attention

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// The forward pass runs in phases, each a set of independent tasks (see
// phase): the input projection in row chunks, the keys and values of a
// head, the query blocks of a head, the output projection in row chunks.
const (
	stageProj   = iota // task i: rows of chunk i of the heads [h0, h0+g)
	stageLoad          // task i: part i (0 keys, 1 values) of head h into the shared headKV
	stageAttend        // task i: query block i of head h (perHead) or of every head
	stageOut           // task i: rows of chunk i through the output projection and bias
)

// The parts of the input projection that one projection phase computes.
// Heads projected together take q|k|v of each. A head projected alone
// (perHead) takes its keys, which are packed, then its values into the
// same rows, packed, then its queries into them: the projections take
// n·dh values. When the headKV reads the keys and values in place
// (float64), it takes k|v, then its queries after them.
const (
	partQKV = iota // q_h | k_h | v_h for each head h of [h0, h0+g)
	partQ          // q_h0
	partK          // k_h0
	partV          // v_h0
	partKV         // k_h0 | v_h0
)

// partWidth returns the values per row of a projection part.
func partWidth(part, dh, g int) int {
	switch part {
	case partKV:
		return 2 * dh
	case partQ, partK, partV:
		return dh
	}
	return 3 * dh * g
}

// partRow returns the first row of part in the head-major input
// projection (and its bias).
func partRow(part, h0, dh int) int {
	switch part {
	case partK, partKV:
		return h0*3*dh + dh
	case partV:
		return h0*3*dh + 2*dh
	}
	return h0 * 3 * dh
}

// mhaScratch is the memory of one call, and its state for the tasks.
type mhaScratch[T float] struct {
	qkv []T // projections of the current heads: n rows of partWidth(part) values
	// qOff is where a head projected alone (perHead) gets its queries in
	// qkv: 0 (over its keys and values, once they are packed) or after
	// them when the plan's headKV reads them in place.
	qOff  int
	o     []T // concatenated head outputs (with an output projection, or dst aliasing x), row stride ldo
	ldo   int // row stride of out: d, or d-dh when parked
	kv    headKV[T]
	tiles []*mhaTile[T] // per worker
	ph    phase

	// The call: set by forward, read by the tasks.
	m            *MHA
	p            *mhaPlan[T]
	x, dst, out  []T
	n, g, qb, kb int
	h0, h, stage int
	part         int     // what stageProj projects (partQKV, ...)
	sp           rowSpan // the rows computed (all n for a whole-sequence call)
	// perHead: the heads are projected one at a time (g = 1) and their
	// keys and values loaded into the shared kv; else all heads are
	// projected at once and each worker loads the heads it needs.
	perHead bool
	// parked: a whole call with dst aliasing x, heads one at a time: the
	// outputs of all heads but the last wait in o (d-dh values a row)
	// while x is still needed; the last head, projected last, writes dst.
	parked bool
}

// mhaTile is one worker's tile memory.
type mhaTile[T float] struct {
	s   []T       // score / probability tile, qb×kb
	acc []T       // output accumulator tile, qb×dh
	row []T       // a range call's output projection of a chunk that dst holds in part
	m   []T       // running max per query row
	l   []float64 // running sum per query row
	// kv holds head kvHead's keys and values when all heads are projected
	// at once (not perHead): each worker loads the heads of its own tasks.
	kv     headKV[T]
	kvHead int
}

// scratch returns the memory of one call, from the free list when
// possible; only what is too small is reallocated, and nothing is cleared
// (every buffer is fully written before it is read).
func (p *mhaPlan[T]) scratch(n, d, dh, g, qb, kb, workers int, perHead bool, oSize int) *mhaScratch[T] {
	var sc *mhaScratch[T]
	select {
	case sc = <-p.free:
	default:
		sc = &mhaScratch[T]{kv: p.newKV()}
	}
	width := 3 * dh * g
	sc.qOff = 0
	if perHead && !p.kvInPlace { // k, v, then q over them
		width = dh
	} else if perHead {
		sc.qOff = n * 2 * dh
	}
	if cap(sc.qkv) < n*width {
		sc.qkv = make([]T, n*width)
	}
	if cap(sc.o) < oSize {
		sc.o = make([]T, oSize)
	}
	for len(sc.tiles) < workers {
		sc.tiles = append(sc.tiles, &mhaTile[T]{kv: p.newKV()})
	}
	for _, t := range sc.tiles[:workers] {
		if cap(t.s) < qb*kb {
			t.s = make([]T, qb*kb)
		}
		if cap(t.acc) < qb*dh {
			t.acc = make([]T, qb*dh)
		}
		if cap(t.m) < qb {
			t.m = make([]T, qb)
			t.l = make([]float64, qb)
		}
		t.kvHead = -1
	}
	return sc
}

// release returns sc to the free list unless the list is full or sc is
// too large to keep.
func (p *mhaPlan[T]) release(sc *mhaScratch[T]) {
	sc.m, sc.p, sc.x, sc.dst, sc.out = nil, nil, nil, nil, nil
	var zero T
	size := cap(sc.qkv) + cap(sc.o)
	for _, t := range sc.tiles {
		size += cap(t.s)
	}
	if size*int(unsafe.Sizeof(zero)) > mhaKeepScratch {
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
	d := m.d
	if len(x) < n*d || len(dst) < n*d {
		panic(fmt.Sprintf("attention: MHA forward: n = %d, d = %d needs %d values, x has %d, dst has %d", n, d, n*d, len(x), len(dst)))
	}
	forwardSpan(m, p, dst, x, n, wholeSpan(n))
}

// forwardSpan computes the rows [sp.lo, sp.hi) of a sequence of n rows into
// dst from its input rows [sp.xlo, sp.xhi) in x.
func forwardSpan[T float](m *MHA, p *mhaPlan[T], dst, x []T, n int, sp rowSpan) {
	d, dh, heads := m.d, m.dh, m.heads
	helpers.busy.Add(1)
	defer helpers.busy.Add(-1)
	whole := sp == wholeSpan(n)

	// Heads project together when their Q, K, V are small, else one at a
	// time (memory n·3·dh instead of n·3d).
	perHead := n*3*d > mhaGroupAll
	g := heads
	if perHead {
		g = 1
	}
	// The heads write dst directly, and the output projection then runs in
	// place, chunk by chunk through a worker's row buffer; short sequences,
	// whose o is small, go through o instead to save that copy. When dst is
	// x and the heads project one at a time, all heads but the last wait in
	// o (parked). A range call always goes through o: its query blocks and
	// output chunks cover more rows than dst holds.
	parked := whole && perHead && &dst[0] == &x[0]
	needO := p.projOut != nil && !perHead || parked && heads > 1 || !whole
	ldo := d
	if parked {
		ldo = d - dh
	}
	rows := sp.xhi - sp.xlo
	workers := 1
	if flops := 8*float64(rows)*float64(d)*float64(d) + 4*float64(rows)*float64(min(n, rows))*float64(d); flops >= mhaParallelFlops {
		workers = runtime.GOMAXPROCS(0)
	}
	qb, kb := blockSizes(n, dh, sizeOf[T]())
	oSize := 0
	if needO {
		oSize = (sp.q1 - sp.q0) * ldo
	}
	sc := p.scratch(rows, d, dh, g, qb, kb, workers, perHead, oSize)
	defer p.release(sc)
	sc.m, sc.p, sc.x, sc.dst, sc.out, sc.ldo = m, p, x, dst, dst, d
	if needO {
		sc.out, sc.ldo = sc.o[:oSize], ldo
	}
	sc.n, sc.g, sc.qb, sc.kb, sc.perHead, sc.parked, sc.sp = n, g, qb, kb, perHead, parked, sp

	chunks := (rows + mhaRowChunk - 1) / mhaRowChunk
	blocks := (sp.q1 - sp.q0 + qb - 1) / qb
	for h0 := 0; h0 < heads; h0 += g {
		sc.h0 = h0
		if !perHead {
			sc.part = partQKV
			sc.run(stageProj, chunks, workers)
			sc.run(stageAttend, heads*blocks, workers)
			continue
		}
		sc.h = h0
		if p.kvInPlace {
			sc.part = partKV
			sc.run(stageProj, chunks, workers)
			sc.run(stageLoad, 2, workers)
		} else {
			for _, part := range []int{partK, partV} {
				sc.part = part
				sc.run(stageProj, chunks, workers)
				sc.run(stageLoad, 1, workers)
			}
		}
		sc.part = partQ
		sc.run(stageProj, chunks, workers)
		sc.run(stageAttend, blocks, workers)
	}
	if needO || p.projOut != nil || p.bo != nil {
		sc.run(stageOut, (sp.c1-sp.c0+mhaRowChunk-1)/mhaRowChunk, workers)
	}
}

// sizeOf returns the size of a T in bytes.
func sizeOf[T float]() int {
	var zero T
	return int(unsafe.Sizeof(zero))
}

// run runs one phase of the call.
func (sc *mhaScratch[T]) run(stage, tasks, workers int) {
	sc.stage = stage
	sc.ph.run(sc, tasks, workers)
}

// task runs task i of the current stage on worker w.
func (sc *mhaScratch[T]) task(w, i int) {
	m, p := sc.m, sc.p
	d, dh, ld := m.d, m.dh, partWidth(sc.part, m.dh, sc.g)
	sp := sc.sp
	switch sc.stage {
	case stageProj:
		r0, r1 := sp.xlo+i*mhaRowChunk, min(sp.xlo+(i+1)*mhaRowChunk, sp.xhi)
		qkv := sc.qkv
		if sc.part == partQ {
			qkv = qkv[sc.qOff:]
		}
		qkv = qkv[(r0-sp.xlo)*ld : (r1-sp.xlo)*ld]
		p.projIn(sc.h0, sc.g, sc.part, r1-r0, sc.x[(r0-sp.xlo)*d:], qkv)
		biasScale(m, p, qkv, ld, sc.h0, sc.part)
	case stageLoad: // task i loads part i of k|v (partKV), or the part projected
		voff := dh
		switch sc.part {
		case partV:
			i, voff = 1, 0
		case partK:
			i = 0
		}
		sc.kv.load(i, sc.qkv[(sp.kpack-sp.xlo)*ld:], sp.xhi-sp.kpack, ld, 0, voff, dh)
	case stageAttend:
		blocks := (sp.q1 - sp.q0 + sc.qb - 1) / sc.qb
		h, b := sc.h, i
		kv, qkv, qoff := sc.kv, sc.qkv[sc.qOff:], 0 // perHead: part = partQ
		t := sc.tiles[w]
		if !sc.perHead {
			h, b = i/blocks, i%blocks
			if t.kvHead != h {
				off := h * 3 * dh
				keys := sc.qkv[(sp.kpack-sp.xlo)*ld:]
				t.kv.load(0, keys, sp.xhi-sp.kpack, ld, off+dh, off+2*dh, dh)
				t.kv.load(1, keys, sp.xhi-sp.kpack, ld, off+dh, off+2*dh, dh)
				t.kvHead = h
			}
			kv, qkv, qoff = t.kv, sc.qkv, (h-sc.h0)*3*dh
		}
		if m.causal { // the last blocks see the most keys: hand them out first
			b = blocks - 1 - b
		}
		i0 := sp.q0 + b*sc.qb
		out, ldo := sc.out, sc.ldo
		if sc.parked && h == m.heads-1 { // x is no longer needed
			out, ldo = sc.dst, d
		}
		attendBlock(m, p, t, kv, qkv, ld, qoff, out, ldo, sc.n, h, i0, min(i0+sc.qb, sc.n), sc.kb, sp)
	case stageOut:
		r0, r1 := sp.c0+i*mhaRowChunk, min(sp.c0+(i+1)*mhaRowChunk, sp.c1)
		w0, w1 := max(r0, sp.lo), min(r1, sp.hi) // the rows dst holds
		if w0 >= w1 {
			return
		}
		dst := sc.dst[(w0-sp.lo)*d : (w1-sp.lo)*d]
		var o []T
		if sc.parked { // a whole call: w0, w1 = r0, r1
			if lp := d - m.dh; lp > 0 {
				for r := r0; r < r1; r++ {
					copy(sc.dst[r*d:r*d+lp], sc.out[r*lp:(r+1)*lp])
				}
			}
			o = dst
		} else {
			o = sc.out[(r0-sp.q0)*d : (r1-sp.q0)*d]
		}
		switch {
		case p.projOut != nil && w0 == r0 && w1 == r1 && &o[0] != &dst[0]:
			p.projOut(r1-r0, o, dst)
		case p.projOut != nil:
			// The whole chunk goes through the product, as in a
			// whole-sequence call (its rows tile the same way), into the
			// row buffer: dst holds only part of the chunk, or is o itself.
			t := sc.tiles[w]
			if cap(t.row) < mhaRowChunk*d {
				t.row = make([]T, mhaRowChunk*d)
			}
			p.projOut(r1-r0, o, t.row)
			copy(dst, t.row[(w0-r0)*d:(w1-r0)*d])
		case &o[0] != &dst[0]:
			copy(dst, o[(w0-r0)*d:(w1-r0)*d])
		}
		if p.bo != nil {
			for r := 0; r < w1-w0; r++ {
				row := dst[r*d : (r+1)*d]
				for c, b := range p.bo {
					row[c] += b
				}
			}
		}
	}
}

// biasScale adds the input bias of part (of the heads from h0) to the
// projected rows qkv (row stride ld) and scales their queries, unless
// NewMHA folded the scale into Wq and bq.
func biasScale[T float](m *MHA, p *mhaPlan[T], qkv []T, ld, h0, part int) {
	scaleQ := !m.qScaled && (part == partQKV || part == partQ)
	if p.bh == nil && !scaleQ {
		return
	}
	dh := m.dh
	var bias []T
	if p.bh != nil {
		bias = p.bh[partRow(part, h0, dh):][:ld]
	}
	scale := T(m.scale)
	for i := 0; i+ld <= len(qkv); i += ld {
		row := qkv[i : i+ld]
		for c, b := range bias {
			row[c] += b
		}
		if scaleQ {
			for off := 0; off < ld; off += 3 * dh {
				q := row[off : off+dh]
				for c := range q {
					q[c] *= scale
				}
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

// attendBlock computes head h of query rows [i0, i1) into out (row stride ldo, columns
// h·dh..), streaming over the key blocks (kb keys, starting at multiples
// of mhaKeyAlign) that the mask leaves visible. kv holds the head's keys
// and values; its queries are qkv[i·ld+qoff:][:dh]. t is the worker's tile.
//
// sp places the rows: qkv holds rows from sp.xlo, kv the keys from
// sp.kpack, out the rows from sp.q0.
func attendBlock[T float](m *MHA, p *mhaPlan[T], t *mhaTile[T], kv headKV[T], qkv []T, ld, qoff int, out []T, ldo, n, h, i0, i1, kb int, sp rowSpan) {
	dh := m.dh
	qb := i1 - i0
	// Keys visible to any row of the block.
	jlo, _ := m.keyRange(i0, n)
	_, jhi := m.keyRange(i1-1, n)
	jlo = jlo / mhaKeyAlign * mhaKeyAlign

	acc := t.acc[:qb*dh]
	ms := t.m[:qb]
	ls := t.l[:qb]
	negInf := T(math.Inf(-1))
	for r := range ms {
		ms[r] = negInf
		ls[r] = 0
	}
	q := qkv[(i0-sp.xlo)*ld+qoff:]
	for j0 := jlo; j0 < jhi; j0 += kb {
		j1 := min(j0+kb, jhi)
		kn := j1 - j0
		s := t.s[:qb*kn]
		kv.scores(qb, q, ld, j0-sp.kpack, j1-sp.kpack, s, kn)
		for r := 0; r < qb; r++ {
			lo, hi := m.keyRange(i0+r, n)
			lo = max(lo, j0) - j0
			hi = min(hi, j1) - j0
			onlineSoftmaxRow(s[r*kn:(r+1)*kn], lo, hi, &ms[r], &ls[r], acc[r*dh:(r+1)*dh], p.sm)
		}
		// The first block writes acc (no clearing needed: the softmax
		// state was empty, so acc was not read above).
		kv.accum(qb, s, kn, j0-sp.kpack, j1-sp.kpack, acc, dh, j0 > jlo)
	}
	for r := 0; r < qb; r++ {
		o := out[(i0+r-sp.q0)*ldo+h*dh : (i0+r-sp.q0)*ldo+(h+1)*dh]
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

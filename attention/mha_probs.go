package attention

import (
	"fmt"

	"github.com/contextualize/contextualize/attention/kernel"
)

// Weights computes the attention probabilities of the sequence x (n×d,
// float64 arithmetic) and calls emit once for every allowed (query, key)
// pair; pairs hidden by the causal mask or the window are not emitted.
//
// With average false, emit receives each head's probabilities (head in
// [0, H)), in order of head, then query, then key. With average true it
// receives their mean over heads with head = -1, in order of query, then
// key; this is PyTorch's need_weights=True, average_attn_weights=True.
//
// This is the inspection path, separate from Forward: it takes O(n²·d)
// time but only O(n·d) memory, one query row at a time.
func (m *MHA) Weights(x []float64, n int, average bool, emit func(head, q, k int, w float64)) {
	if n <= 0 {
		return
	}
	d, dh := m.d, m.dh
	if len(x) < n*d {
		panic(fmt.Sprintf("attention: MHA weights: n = %d, d = %d needs %d values, x has %d", n, d, n*d, len(x)))
	}
	p := m.plan64()
	// Only Q and K are needed: the first 2d rows of the packed projection.
	d2 := 2 * d
	qk := make([]float64, n*d2)
	kernel.Dgemm(true, n, d2, d, x, d, p.w3[:d2*d], d, qk, d2, false)
	for i := 0; i < n; i++ {
		row := qk[i*d2 : (i+1)*d2]
		if p.b3 != nil {
			for c := range row {
				row[c] += p.b3[c]
			}
		}
		if !m.qScaled { // else NewMHA folded the scale into Wq and bq
			for c := range row[:d] {
				row[c] *= m.scale
			}
		}
	}
	row := make([]float64, n)
	// probs fills row[lo:hi] with head h's probabilities for query i.
	probs := func(h, i int) (lo, hi int) {
		lo, hi = m.keyRange(i, n)
		q := qk[i*d2+h*dh : i*d2+(h+1)*dh]
		for j := lo; j < hi; j++ {
			k := qk[j*d2+d+h*dh : j*d2+d+(h+1)*dh]
			var s float64
			for c, v := range q {
				s += v * k[c]
			}
			row[j] = s
		}
		softmaxInPlace(row[lo:hi])
		return lo, hi
	}
	if !average {
		for h := 0; h < m.heads; h++ {
			for i := 0; i < n; i++ {
				lo, hi := probs(h, i)
				for j := lo; j < hi; j++ {
					emit(h, i, j, row[j])
				}
			}
		}
		return
	}
	mean := make([]float64, n)
	inv := 1 / float64(m.heads)
	for i := 0; i < n; i++ {
		lo, hi := m.keyRange(i, n)
		clear(mean[lo:hi])
		for h := 0; h < m.heads; h++ {
			probs(h, i)
			for j := lo; j < hi; j++ {
				mean[j] += row[j]
			}
		}
		for j := lo; j < hi; j++ {
			emit(-1, i, j, mean[j]*inv)
		}
	}
}

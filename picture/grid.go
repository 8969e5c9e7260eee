package picture

import "math"

// Grid collects one head's attention weights of a sequence of n elements,
// queries by keys, pooled to at most maxPoints a side: a cell holds the
// weight a query of its block gives the keys of its block, summed over
// those keys and averaged over those queries, so a pooled row still sums to
// 1. Unpooled (n <= maxPoints) a cell is exactly one weight. Pairs never
// added (hidden by a causal mask or a window) stay NaN.
type Grid struct {
	n, k, side int
	sum        []float64 // side×side, query-major
	seen       []bool
}

// NewGrid makes an empty grid for a sequence of n elements.
func NewGrid(n, maxPoints int) *Grid {
	k := poolFactor(n, maxPoints)
	side := (n + k - 1) / k
	return &Grid{n: n, k: k, side: side, sum: make([]float64, side*side), seen: make([]bool, side*side)}
}

// Add adds the weight query q gives key k (positions in [0, n)).
func (g *Grid) Add(q, k int, w float64) {
	i := (q/g.k)*g.side + k/g.k
	g.sum[i] += w
	g.seen[i] = true
}

// N is the sequence length; Pool how many positions share a cell side.
func (g *Grid) N() int    { return g.n }
func (g *Grid) Pool() int { return g.k }

// Side is the number of cells a side.
func (g *Grid) Side() int { return g.side }

// Cell is the value of query block q and key block k (NaN when no pair
// of them was added).
func (g *Grid) Cell(q, k int) float64 {
	i := q*g.side + k
	if !g.seen[i] {
		return math.NaN()
	}
	queries := min(g.k, g.n-q*g.k)
	return g.sum[i] / float64(queries)
}

// masked reports whether some cell was never added to.
func (g *Grid) masked() bool {
	for _, seen := range g.seen {
		if !seen {
			return true
		}
	}
	return false
}

// mid is the position at the middle of block b.
func (g *Grid) mid(b int) float64 { return float64(b*g.k) + float64(g.k-1)/2 }

// heatGrid is the plotter.GridXYZ of a Grid, queries running down: column
// c is key block c at its position, row r is query block side-1-r, at
// minus its position (the axis labels drop the sign), so gonum's heatmap,
// which wants Y increasing with r, draws query 0 at the top. Z is in the
// colour scale's units.
type heatGrid struct {
	g  *Grid
	sc colourScale
}

func (h heatGrid) Dims() (c, r int)   { return h.g.side, h.g.side }
func (h heatGrid) Z(c, r int) float64 { return h.sc.z(h.g.Cell(h.g.side-1-r, c)) }
func (h heatGrid) X(c int) float64    { return h.g.mid(c) }
func (h heatGrid) Y(r int) float64    { return -h.g.mid(h.g.side - 1 - r) }

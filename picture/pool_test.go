package picture

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestPoolMean(t *testing.T) {
	nan := math.NaN()
	for _, tt := range []struct {
		in   []float64
		k    int
		want []float64
	}{
		{[]float64{1, 2, 3}, 1, []float64{1, 2, 3}},
		{[]float64{1, 3, 5, 7, 9}, 2, []float64{2, 6, 9}},
		{[]float64{1, nan, nan, nan, 4, 6}, 2, []float64{1, nan, 5}},
	} {
		got := poolMean(tt.in, tt.k)
		if !slices.EqualFunc(got, tt.want, func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }) {
			t.Errorf("poolMean(%v, %d) = %v, want %v", tt.in, tt.k, got, tt.want)
		}
	}
}

func TestPoolFactor(t *testing.T) {
	for _, tt := range []struct{ n, max, want int }{{10, 512, 1}, {512, 512, 1}, {513, 512, 2}, {1024, 512, 2}, {1025, 512, 3}, {60, 16, 4}} {
		if got := poolFactor(tt.n, tt.max); got != tt.want {
			t.Errorf("poolFactor(%d, %d) = %d, want %d", tt.n, tt.max, got, tt.want)
		}
	}
}

// TestGridPoolsRowsToDistributions: pooled rows still sum to 1, and an
// unpooled grid holds each weight as it was added.
func TestGridPoolsRowsToDistributions(t *testing.T) {
	const n = 7
	w := func(q, k int) float64 { return float64(k+1) / float64((q+1)*(q+2)/2) } // causal rows summing to 1
	for _, maxPoints := range []int{512, 3, 2} {
		g := NewGrid(n, maxPoints)
		for q := 0; q < n; q++ {
			for k := 0; k <= q; k++ {
				g.Add(q, k, w(q, k))
			}
		}
		if maxPoints >= n {
			for q := 0; q < n; q++ {
				for k := 0; k < n; k++ {
					got := g.Cell(q, k)
					if k > q && !math.IsNaN(got) || k <= q && got != w(q, k) {
						t.Fatalf("cell (%d, %d) = %v, want %v (NaN above the diagonal)", q, k, got, w(q, k))
					}
				}
			}
		}
		for q := 0; q < g.Side(); q++ {
			var sum float64
			for k := 0; k < g.Side(); k++ {
				if v := g.Cell(q, k); !math.IsNaN(v) {
					sum += v
				}
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("max %d: pooled row %d sums to %v", maxPoints, q, sum)
			}
		}
	}
}

func TestSegmentsBreakAtMissingValues(t *testing.T) {
	nan := math.NaN()
	x := []float64{0, 1, 2, 3, 4, 5, 6}
	y := []float64{1, 2, nan, 4, nan, nan, 7}
	segs := segments(x, y)
	if len(segs) != 3 || len(segs[0]) != 2 || len(segs[1]) != 1 || len(segs[2]) != 1 || segs[2][0].X != 6 {
		t.Fatalf("segments = %v, want [(0,1) (1,2)] [(3,4)] [(6,7)]", segs)
	}
}

func TestTimeTicks(t *testing.T) {
	day := float64(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).Unix())
	for _, tt := range []struct {
		lo, hi float64
		first  string
	}{
		{day, day + 6*3600, "00:00"},
		{day + 30, day + 200, "00:00:30"},
		{day, day + 20*86400, "2024-06-06"}, // weeks from the epoch (a Thursday)
		{day + 3600, day + 3*86400, "Jun 1 12:00"},
	} {
		var labels []string
		for _, tk := range (timeTicks{}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if len(labels) < 2 || len(labels) > maxTimeTicks+1 || labels[0] != tt.first {
			t.Errorf("ticks over [%v, %v]: %v, want 2..%d labels starting %q", tt.lo-day, tt.hi-day, labels, maxTimeTicks+1, tt.first)
		}
	}
}

func TestFormatOf(t *testing.T) {
	for _, tt := range []struct {
		path string
		want Format
		ok   bool
	}{{"a.png", PNG, true}, {"dir/B.SVG", SVG, true}, {"x.html", HTML, true}, {"x.htm", HTML, true}, {"x.jpg", "", false}, {"png", "", false}} {
		got, err := FormatOf(tt.path)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("FormatOf(%q) = %q, %v", tt.path, got, err)
		}
	}
}

func TestPositionTicks(t *testing.T) {
	for _, tt := range []struct {
		lo, hi  float64
		negated bool
		want    []string
	}{
		{-0.5, 28, false, []string{"0", "5", "10", "15", "20", "25"}},
		{-39, 0, true, []string{"35", "30", "25", "20", "15", "10", "5", "0"}},
		{0, 3, false, []string{"0", "1", "2", "3"}},
		{100, 1000, false, nil}, // any round step, 2 to 9 labels
	} {
		var labels []string
		for _, tk := range (positionTicks{negated: tt.negated}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if len(tt.want) > 0 && !slices.Equal(labels, tt.want) || len(labels) < 2 || len(labels) > maxTimeTicks+1 {
			t.Errorf("ticks over [%v, %v]: %v, want %v", tt.lo, tt.hi, labels, tt.want)
		}
	}
	if ticks := (positionTicks{}).Ticks(math.NaN(), 1); ticks != nil {
		t.Errorf("ticks over NaN: %v", ticks)
	}
}

func TestPoolExtremes(t *testing.T) {
	nan := math.NaN()
	lo, hi := poolExtremes([]float64{3, 1, 2, nan, nan, 5, -1}, 2)
	same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	if !slices.EqualFunc(lo, []float64{1, 2, 5, -1}, same) || !slices.EqualFunc(hi, []float64{3, 2, 5, -1}, same) {
		t.Errorf("extremes %v %v", lo, hi)
	}
	lo, _ = poolExtremes([]float64{nan, nan, 1}, 2)
	if !math.IsNaN(lo[0]) || lo[1] != 1 {
		t.Errorf("a run of missing values gives %v, want NaN then 1", lo)
	}
}

func TestLogTicks(t *testing.T) {
	var labels []string
	for _, tk := range (logTicks{}).Ticks(math.Log10(0.01), 0) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if want := []string{"0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"}; !slices.Equal(labels, want) {
		t.Errorf("log ticks over [0.01, 1]: %v, want %v", labels, want)
	}
	labels = nil
	for _, tk := range (logTicks{}).Ticks(-6, 0) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if want := []string{"1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1", "1"}; !slices.Equal(labels, want) {
		t.Errorf("log ticks over [1e-6, 1]: %v, want %v", labels, want)
	}
}

func TestColourScale(t *testing.T) {
	grid := func(ws ...float64) *Grid {
		g := NewGrid(len(ws), 512)
		for i, w := range ws {
			g.Add(i, i, w)
		}
		return g
	}
	for _, tt := range []struct {
		name string
		g    *Grid
		want colourScale
	}{
		{"linear", grid(0.2, 0.3, 0.5), colourScale{lo: 0.2, hi: 0.5}},
		{"with zero", grid(0, 0.3, 0.5), colourScale{lo: 0, hi: 0.5}},
		{"log", grid(0.01, 1, 0), colourScale{log: true, lo: -2, hi: 0}},
		{"one value", grid(0.25), colourScale{lo: -0.25, hi: 0.75}},
		{"empty", NewGrid(0, 512), colourScale{lo: 0, hi: 1}},
	} {
		if got := scaleOf([]*Grid{tt.g}); got != tt.want {
			t.Errorf("%s: scale %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

package picture

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Attention is one sequence's attention weights, ready to draw.
type Attention struct {
	Title string
	Notes []string
	// Heads numbers the grids: a head index, or -1 for the mean over heads.
	Heads []int
	Grids []*Grid // one per head, all of the same sequence
	// InNorm and OutNorm are each element's vector norm before and after
	// attention, in sequence order; nil leaves the norm panel out.
	InNorm, OutNorm []float64
	// MaxPoints is the --max-points the grids were made with; the norms
	// are pooled to match.
	MaxPoints int
}

// rasterAbove is the grid side above which a heatmap is drawn as an image
// instead of one rectangle per cell (which would make SVG files huge).
const rasterAbove = 128

// headsPerRow is the number of heatmaps side by side.
const headsPerRow = 4

// Figure lays the heatmaps out in rows, a shared colour scale at the right,
// and the norms underneath.
func (a Attention) Figure() (*Figure, error) {
	if len(a.Grids) == 0 || len(a.Grids) != len(a.Heads) {
		return nil, fmt.Errorf("drawing attention: %d grids for %d heads", len(a.Grids), len(a.Heads))
	}
	f := &Figure{Title: a.Title, Notes: a.Notes}
	g0 := a.Grids[0]
	if g0.Pool() > 1 {
		f.Notes = append(f.Notes, fmt.Sprintf("pooled: %d positions shown as %d×%d cells of %d (a cell sums the weights of its keys and averages over its queries)", g0.N(), g0.side, g0.side, g0.Pool()))
	}
	if g0.masked() {
		f.Notes = append(f.Notes, "grey: pairs the causal mask or the window hides")
	}
	sc := scaleOf(a.Grids)
	if sc.log {
		f.Notes = append(f.Notes, "colour scale: logarithmic (the weights span more than a factor of 20)")
	}
	cmap := palette.Reverse(moreland.BlackBody())
	cmap.SetMax(sc.hi)
	cmap.SetMin(sc.lo)
	pal := cmap.Palette(256)

	perRow := min(len(a.Grids), headsPerRow)
	side := vg.Inch * 3
	if len(a.Grids) == 1 {
		side = vg.Inch * 5
	}
	content := vg.Length(perRow)*side + vg.Inch*1.1
	f.width = max(content, minWidth) + 2*margin
	for lo := 0; lo < len(a.Grids); lo += perRow {
		var plots []*plot.Plot
		var weights []float64
		for i := lo; i < min(lo+perRow, len(a.Grids)); i++ {
			plots = append(plots, a.heatmap(f, i, pal, sc))
			weights = append(weights, float64(side))
		}
		for len(plots) < perRow { // keep cells square on a short last row
			plots = append(plots, blank())
			weights = append(weights, float64(side))
		}
		plots = append(plots, colourBar(cmap, sc, lo == 0))
		weights = append(weights, float64(vg.Inch*1.1))
		if content < minWidth { // keep the cells square on a wider figure
			plots, weights = append(plots, blank()), append(weights, float64(minWidth-content))
		}
		f.addBand(side, plots, weights)
	}
	if a.InNorm != nil {
		f.addBand(vg.Inch*2.2, []*plot.Plot{a.norms(f)}, []float64{1})
	}
	return f, nil
}

// heatmap draws grid i.
func (a Attention) heatmap(f *Figure, i int, pal palette.Palette, sc colourScale) *plot.Plot {
	g := a.Grids[i]
	title := fmt.Sprintf("head %d", a.Heads[i])
	if a.Heads[i] < 0 {
		title = "mean over heads"
	}
	p := newPlot(title, "key position", "query position")
	p.X.Tick.Marker, p.Y.Tick.Marker = positionTicks{}, positionTicks{negated: true}
	h := plotter.NewHeatMap(heatGrid{g, sc}, pal)
	h.Min, h.Max = sc.lo, sc.hi
	h.NaN = missingGap
	h.Underflow = pal.Colors()[0] // weight 0 on a log scale
	h.Rasterized = true
	p.Add(h)
	p.X.Padding, p.Y.Padding = 0, 0
	f.Panels = append(f.Panels, Panel{Title: title, Grid: g})
	return p
}

// logSpan is the ratio of the largest to the smallest positive weight
// above which the colour scale is logarithmic.
const logSpan = 20

// colourScale maps weights to colours: linearly, or by their logarithm
// when they span orders of magnitude (a causal map: 1 in the first row,
// about 1/n in the last). lo and hi are in drawn units (log10 when log).
type colourScale struct {
	log    bool
	lo, hi float64
}

// scaleOf picks the colour scale shared by the grids.
func scaleOf(grids []*Grid) colourScale {
	lo, hi, pos := math.Inf(1), math.Inf(-1), math.Inf(1)
	for _, g := range grids {
		for q := 0; q < g.side; q++ {
			for k := 0; k < g.side; k++ {
				v := g.Cell(q, k)
				if math.IsNaN(v) {
					continue
				}
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				if v > 0 {
					pos = math.Min(pos, v)
				}
			}
		}
	}
	switch {
	case math.IsInf(lo, 0): // nothing drawn
		return colourScale{lo: 0, hi: 1}
	case hi > 0 && hi/pos > logSpan:
		return colourScale{log: true, lo: math.Log10(pos), hi: math.Log10(hi)}
	case lo == hi: // one value: centre it on the scale
		return colourScale{lo: lo - 0.5, hi: lo + 0.5}
	}
	return colourScale{lo: lo, hi: hi}
}

// z is a weight in drawn units.
func (s colourScale) z(w float64) float64 {
	if s.log {
		return math.Log10(w) // 0 gives -Inf: drawn in the lowest colour
	}
	return w
}

// colourBar is the shared scale of the heatmaps; only the first row's is
// labelled and drawn.
func colourBar(cmap palette.ColorMap, sc colourScale, show bool) *plot.Plot {
	if !show {
		return blank()
	}
	p := newPlot("weight", "", "")
	if sc.log {
		p.Y.Tick.Marker = logTicks{}
	}
	p.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	p.HideX()
	p.Y.Padding = 0
	p.Title.TextStyle.Font = withSize(sans, 10)
	return p
}

// blank is an empty cell.
func blank() *plot.Plot {
	p := plot.New()
	p.HideAxes()
	return p
}

// norms draws each element's norm before and after attention.
func (a Attention) norms(f *Figure) *plot.Plot {
	k := poolFactor(len(a.InNorm), a.MaxPoints)
	p := newPlot("vector norms", "position", "‖x‖")
	p.X.Tick.Marker = positionTicks{}
	panel := Panel{Title: "vector norms", Lines: map[string][]plotter.XYs{}}
	in, out := poolMean(a.InNorm, k), poolMean(a.OutNorm, k)
	for _, s := range []struct {
		name  string
		v     []float64
		color color.Color
		width float64
	}{
		{"input", in, normColours[0], 1.2},
		{"output", out, normColours[1], 1.6},
	} {
		segs := addSeries(p, positions(len(s.v), k), s.v, s.color, s.width)
		panel.Lines[s.name] = segs
	}
	f.Key = append(f.Key, KeyEntry{"input norm", normColours[0], 1.2}, KeyEntry{"output norm", normColours[1], 1.6})
	f.Panels = append(f.Panels, panel)
	return p
}

var normColours = [2]color.Color{color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}, color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff}}

// positions are the sequence positions of m pooled points of k elements.
func positions(m, k int) []float64 {
	x := make([]float64, m)
	for i := range x {
		x[i] = float64(i*k) + float64(k-1)/2
	}
	return x
}

package picture

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one sequence before and after smoothing, ready to draw.
type Series struct {
	Title string
	Notes []string
	// X holds the n order values; with Time they are seconds since the
	// Unix epoch, drawn as a time axis.
	X    []float64
	Time bool
	// Clock says the times are times of day (seconds since midnight): the
	// axis shows no date.
	Clock bool
	// Positions says X holds whole numbers (positions, integer order
	// values): ticks fall on whole numbers.
	Positions bool
	XLabel    string
	YLabel    string // default "value"
	// Channels names the channels drawn; Raw and Smoothed hold each one's
	// n values (NaN where a value is missing).
	Channels      []int
	Raw, Smoothed [][]float64
	MaxPoints     int
}

// channelsPerRow is the number of small multiples side by side.
const channelsPerRow = 2

// Figure draws each channel's raw and smoothed values over the order
// column, breaking the lines where values are missing.
func (s Series) Figure() (*Figure, error) {
	if len(s.Channels) == 0 || len(s.Raw) != len(s.Channels) || len(s.Smoothed) != len(s.Channels) {
		return nil, fmt.Errorf("drawing series: %d channels, %d raw, %d smoothed", len(s.Channels), len(s.Raw), len(s.Smoothed))
	}
	n := len(s.X)
	k := poolFactor(n, s.MaxPoints)
	f := &Figure{Title: s.Title, Notes: s.Notes, Key: []KeyEntry{{"raw", rawColour, 1}, {"smoothed", smoothedColour, 2}}}
	if k > 1 {
		f.Notes = append(f.Notes, fmt.Sprintf("pooled: %d points shown as %d, each the mean of %d consecutive values (missing values skipped)", n, (n+k-1)/k, k))
		f.Key = append([]KeyEntry{{"raw min, max", rangeColour, 0.8}}, f.Key...)
	}
	x := poolMean(s.X, k)
	perRow, height := min(len(s.Channels), channelsPerRow), vg.Inch*2.6
	f.width = vg.Inch * 11
	if len(s.Channels) == 1 {
		height = vg.Inch * 4
	}
	for lo := 0; lo < len(s.Channels); lo += perRow {
		var plots []*plot.Plot
		var weights []float64
		for c := lo; c < lo+perRow; c++ {
			if c >= len(s.Channels) {
				plots, weights = append(plots, blank()), append(weights, 1)
				continue
			}
			plots = append(plots, s.channel(f, c, x, k))
			weights = append(weights, 1)
		}
		f.addBand(height, plots, weights)
	}
	return f, nil
}

var (
	rawColour      = color.RGBA{R: 0x9a, G: 0xa5, B: 0xb1, A: 0xff}
	smoothedColour = color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}
	rangeColour    = color.RGBA{R: 0xd5, G: 0xdb, B: 0xe1, A: 0xff}
)

// channel draws channel c (index into s.Channels).
func (s Series) channel(f *Figure, c int, x []float64, k int) *plot.Plot {
	title := ""
	if len(s.Channels) > 1 {
		title = fmt.Sprintf("channel %d", s.Channels[c])
	}
	yLabel := s.YLabel
	if yLabel == "" {
		yLabel = "value"
	}
	p := newPlot(title, s.XLabel, yLabel)
	if !s.Time && s.Positions {
		p.X.Tick.Marker = positionTicks{}
	}
	if s.Time && len(x) > 0 {
		p.X.Tick.Marker = timeTicks{}
		if !s.Clock {
			p.X.Label.Text += " (UTC)"
			if day := timeDay(x[0], x[len(x)-1]); day != "" {
				p.X.Label.Text += ", " + day
			}
		}
	}
	panel := Panel{Title: title, Lines: map[string][]plotter.XYs{}}
	if k > 1 { // the means hide the raw values' spread: draw its extremes too
		lo, hi := poolExtremes(s.Raw[c], k)
		panel.Lines["raw min"] = addSeries(p, x, lo, rangeColour, 0.8)
		panel.Lines["raw max"] = addSeries(p, x, hi, rangeColour, 0.8)
	}
	panel.Lines["raw"] = addSeries(p, x, poolMean(s.Raw[c], k), rawColour, 1)
	panel.Lines["smoothed"] = addSeries(p, x, poolMean(s.Smoothed[c], k), smoothedColour, 2)
	f.Panels = append(f.Panels, panel)
	return p
}

// addSeries draws y over x as lines broken where y is NaN (a point with no
// neighbour becomes a dot) and returns the segments it handed to gonum.
func addSeries(p *plot.Plot, x, y []float64, c color.Color, width float64) []plotter.XYs {
	segs := segments(x, y)
	for _, seg := range segs {
		if len(seg) == 1 {
			sc, err := plotter.NewScatter(seg)
			if err != nil {
				continue // segments hold finite values only
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(width + 0.5), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			continue
		}
		l, err := plotter.NewLine(seg)
		if err != nil {
			continue
		}
		l.LineStyle.Color, l.LineStyle.Width = c, vg.Points(width)
		p.Add(l)
	}
	return segs
}

// segments cuts the points into runs with finite x and y.
func segments(x, y []float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range y {
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) || math.IsNaN(x[i]) {
			if len(cur) > 0 {
				out, cur = append(out, cur), nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: x[i], Y: y[i]})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

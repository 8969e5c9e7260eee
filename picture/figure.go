package picture

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
	"strings"

	"git.sr.ht/~sbinet/gg"
	xdraw "golang.org/x/image/draw"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is one picture: a title, lines of notes under it, and bands of
// plots stacked top to bottom, each band a row of plots side by side.
type Figure struct {
	Title string
	Notes []string
	// Panels are the values each plot was handed, in drawing order: what
	// the picture shows, for tests and captions.
	Panels []Panel
	// Key explains the lines, at the top right.
	Key   []KeyEntry
	bands []band
	width vg.Length
}

// Panel records what one plot shows.
type Panel struct {
	Title string
	// Lines are the point sets handed to gonum by name ("raw", "smoothed",
	// "input", "output"): each a list of unbroken segments.
	Lines map[string][]plotter.XYs
	// Grid is the heatmap's grid, for attention panels.
	Grid *Grid
}

// KeyEntry is one line style of a figure's key.
type KeyEntry struct {
	Name  string
	Color color.Color
	Width float64 // points
}

// band is a row of plots with a height; each cell has a relative width.
type band struct {
	height vg.Length
	cells  []cell
}

type cell struct {
	p      *plot.Plot
	weight float64
}

// addBand appends a row of plots of the given height; weights are their
// relative widths.
func (f *Figure) addBand(height vg.Length, plots []*plot.Plot, weights []float64) {
	b := band{height: height}
	for i, p := range plots {
		b.cells = append(b.cells, cell{p: p, weight: weights[i]})
	}
	f.bands = append(f.bands, b)
}

var (
	sans       = font.Font{Typeface: "Liberation", Variant: "Sans"}
	titleSize  = vg.Points(15)
	noteSize   = vg.Points(10)
	margin     = vg.Points(10)
	lineGap    = vg.Points(4)
	missingGap = color.RGBA{R: 0xcc, G: 0xd3, B: 0xde, A: 0xff}
	// minWidth leaves room for the title, the key and the notes.
	minWidth = vg.Inch * 10
)

// headerHeight is the room the title and notes take.
func (f *Figure) headerHeight() vg.Length {
	return margin + titleSize + lineGap + vg.Length(len(f.noteLines()))*(noteSize+lineGap) + margin
}

// noteLines are the notes wrapped at spaces to the figure's width.
func (f *Figure) noteLines() []string {
	sty := textStyle(noteSize)
	limit := f.width - 2*margin
	var lines []string
	for _, n := range f.Notes {
		line := ""
		for _, word := range strings.SplitAfter(n, " ") {
			if line != "" && sty.Width(line+strings.TrimRight(word, " ")) > limit {
				lines, line = append(lines, strings.TrimRight(line, " ")), ""
			}
			line += word
		}
		lines = append(lines, strings.TrimRight(line, " "))
	}
	return lines
}

// Size is the figure's width and height.
func (f *Figure) Size() (w, h vg.Length) {
	h = f.headerHeight()
	for _, b := range f.bands {
		h += b.height
	}
	return f.width, h + margin
}

// draw paints the figure on a canvas of its size.
func (f *Figure) draw(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	top := dc.Max.Y - margin
	sty := textStyle(titleSize)
	sty.YAlign = draw.YTop
	dc.FillText(sty, vg.Point{X: dc.Min.X + margin, Y: top}, f.Title)
	top -= titleSize + lineGap
	note := textStyle(noteSize)
	note.YAlign = draw.YTop
	note.Color = color.Gray{Y: 0x40}
	for _, n := range f.noteLines() {
		dc.FillText(note, vg.Point{X: dc.Min.X + margin, Y: top}, n)
		top -= noteSize + lineGap
	}
	f.drawKey(dc)
	top -= margin
	for _, b := range f.bands {
		var total float64
		for _, c := range b.cells {
			total += c.weight
		}
		x := dc.Min.X + margin
		width := dc.Max.X - dc.Min.X - 2*margin
		for _, c := range b.cells {
			w := width * vg.Length(c.weight/total)
			sub := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: top - b.height},
				Max: vg.Point{X: x + w, Y: top},
			}}
			c.p.Draw(sub)
			x += w
		}
		top -= b.height
	}
}

// drawKey draws the key's entries right-aligned on the title line.
func (f *Figure) drawKey(dc draw.Canvas) {
	sty := textStyle(noteSize + 1)
	sty.YAlign = draw.YCenter
	sty.XAlign = draw.XRight
	x, y := dc.Max.X-margin, dc.Max.Y-margin-titleSize/2
	for i := len(f.Key) - 1; i >= 0; i-- {
		e := f.Key[i]
		dc.FillText(sty, vg.Point{X: x, Y: y}, e.Name)
		x -= sty.Width(e.Name) + vg.Points(4)
		ls := draw.LineStyle{Color: e.Color, Width: vg.Points(e.Width)}
		dc.StrokeLine2(ls, x-vg.Points(22), y, x, y)
		x -= vg.Points(22 + 14)
	}
}

// textStyle is plain sans text of the given size.
func textStyle(size vg.Length) text.Style {
	f := sans
	f.Size = size
	return text.Style{Color: color.Black, Font: f, Handler: plot.DefaultTextHandler}
}

// newPlot is a plot with sans text throughout.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	p.Title.TextStyle.Font = withSize(sans, 12)
	p.X.Label.TextStyle.Font = withSize(sans, 11)
	p.Y.Label.TextStyle.Font = withSize(sans, 11)
	p.X.Tick.Label.Font = withSize(sans, 9)
	p.Y.Tick.Label.Font = withSize(sans, 9)
	p.Legend.TextStyle.Font = withSize(sans, 10)
	p.Title.Padding = vg.Points(4)
	return p
}

func withSize(f font.Font, size float64) font.Font {
	f.Size = vg.Points(size)
	return f
}

// Format is an output format of a figure.
type Format string

// The formats a figure is written in.
const (
	PNG  Format = "png"
	SVG  Format = "svg"
	HTML Format = "html"
)

// FormatOf names the format of a file by its extension.
func FormatOf(path string) (Format, error) {
	i := strings.LastIndex(path, ".")
	if i >= 0 {
		switch f := Format(strings.ToLower(path[i+1:])); f {
		case PNG, SVG, HTML:
			return f, nil
		case "htm":
			return HTML, nil
		}
	}
	return "", fmt.Errorf("expected a file name ending in .png, .svg or .html, found %q", path)
}

// dpi is the resolution of PNG output.
const dpi = 96

// WritePNG writes the figure as a PNG image.
func (f *Figure) WritePNG(w io.Writer) error {
	width, height := f.Size()
	px := func(l vg.Length) int { return int(l.Dots(dpi) + 0.5) }
	img := image.NewRGBA(image.Rect(0, 0, px(width), px(height)))
	// gonum's own context, set up as vgimg sets it up, but scaling images
	// (the heatmaps' cells) without blurring them.
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	ctx.SetInterpolator(xdraw.NearestNeighbor)
	c := vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi))
	f.draw(draw.New(c))
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
		return fmt.Errorf("writing PNG: %w", err)
	}
	return nil
}

// WriteSVG writes the figure as an SVG document.
func (f *Figure) WriteSVG(w io.Writer) error {
	width, height := f.Size()
	c := vgsvg.New(width, height)
	f.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("writing SVG: %w", err)
	}
	if _, err := io.WriteString(w, pixelated(buf.String())); err != nil {
		return fmt.Errorf("writing SVG: %w", err)
	}
	return nil
}

// pixelatedStyle asks viewers to scale the heatmaps' images without
// blurring their cells.
const pixelatedStyle = "<style>image { image-rendering: pixelated; }</style>\n"

// pixelated puts pixelatedStyle first inside the svg element, lets images
// fill their rectangles (SVG keeps their aspect ratio by default, which
// would shrink a colour bar to a line), and names their data PNG (gonum
// encodes PNG but labels it image/jpg).
func pixelated(svg string) string {
	svg = strings.ReplaceAll(svg, "<image ", `<image preserveAspectRatio="none" `)
	svg = strings.ReplaceAll(svg, `xlink:href="data:image/jpg;base64,`, `xlink:href="data:image/png;base64,`)
	i := strings.Index(svg, "<svg")
	if i < 0 {
		return svg
	}
	j := strings.Index(svg[i:], ">")
	if j < 0 {
		return svg
	}
	at := i + j + 1
	if at < len(svg) && svg[at] == '\n' {
		at++
	}
	return svg[:at] + pixelatedStyle + svg[at:]
}

// inlineSVG is the figure's SVG element for an HTML page (no XML prolog).
func (f *Figure) inlineSVG() (string, error) {
	var buf bytes.Buffer
	if err := f.WriteSVG(&buf); err != nil {
		return "", err
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s, nil
}

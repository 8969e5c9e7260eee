package picture

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
)

// testAttention is a causal attention of n elements and the given heads,
// each row a softmax that favours the diagonal.
func testAttention(n, heads, maxPoints int) Attention {
	a := Attention{Title: "attend: test", Notes: []string{"heads=4"}, MaxPoints: maxPoints}
	for h := 0; h < heads; h++ {
		g := NewGrid(n, maxPoints)
		for q := 0; q < n; q++ {
			var z float64
			for k := 0; k <= q; k++ {
				z += math.Exp(-float64((q-k)*(h+1)) / 3)
			}
			for k := 0; k <= q; k++ {
				g.Add(q, k, math.Exp(-float64((q-k)*(h+1))/3)/z)
			}
		}
		a.Heads, a.Grids = append(a.Heads, h), append(a.Grids, g)
	}
	for i := 0; i < n; i++ {
		a.InNorm = append(a.InNorm, 1+0.1*math.Sin(float64(i)))
		a.OutNorm = append(a.OutNorm, 0.5+0.05*math.Cos(float64(i)))
	}
	return a
}

// testSeries is a noisy sine with missing values, d channels.
func testSeries(n, d int) Series {
	s := Series{Title: "smooth: test", MaxPoints: 512, XLabel: "position"}
	for i := 0; i < n; i++ {
		s.X = append(s.X, float64(i))
	}
	for c := 0; c < d; c++ {
		raw, sm := make([]float64, n), make([]float64, n)
		for i := range raw {
			raw[i] = math.Sin(float64(i)/10+float64(c)) + 0.2*math.Sin(float64(i*i))
			sm[i] = math.Sin(float64(i)/10 + float64(c))
		}
		raw[n/3], raw[n/2], raw[n/2+1] = math.NaN(), math.NaN(), math.NaN()
		s.Channels, s.Raw, s.Smoothed = append(s.Channels, c), append(s.Raw, raw), append(s.Smoothed, sm)
	}
	return s
}

func mustFigure(t *testing.T, draw func() (*Figure, error)) *Figure {
	t.Helper()
	f, err := draw()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// colours counts the distinct colours of an image.
func colours(img image.Image) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	return len(seen)
}

func TestPNGSizeAndColours(t *testing.T) {
	for _, tt := range []struct {
		name       string
		fig        func() (*Figure, error)
		minColours int
	}{
		{"attention, 4 heads", testAttention(40, 4, 512).Figure, 200},
		{"attention, pooled", testAttention(300, 1, 64).Figure, 200},
		{"series, 1 channel", testSeries(200, 1).Figure, 40},
		{"series, 3 channels", testSeries(200, 3).Figure, 40},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFigure(t, tt.fig)
			var buf bytes.Buffer
			if err := f.WritePNG(&buf); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			w, h := f.Size()
			wantW, wantH := int(w.Dots(dpi)+0.5), int(h.Dots(dpi)+0.5)
			if got := img.Bounds().Size(); got.X != wantW || got.Y != wantH || wantW < 600 || wantH < 300 {
				t.Errorf("PNG is %v, want %dx%d (at least 600x300)", got, wantW, wantH)
			}
			if n := colours(img); n < tt.minColours {
				t.Errorf("PNG has %d colours, want at least %d", n, tt.minColours)
			}
		})
	}
}

// svgCounts parses an SVG document and counts its elements by name.
func svgCounts(t *testing.T, r io.Reader) (map[string]int, []string) {
	t.Helper()
	dec := xml.NewDecoder(r)
	counts := map[string]int{}
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			counts[tk.Name.Local]++
			inText = tk.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, strings.TrimSpace(string(tk)))
			}
		case xml.EndElement:
			inText = false
		}
	}
	return counts, texts
}

func TestSVGStructure(t *testing.T) {
	f := mustFigure(t, testAttention(30, 4, 512).Figure)
	var buf bytes.Buffer
	if err := f.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	counts, texts := svgCounts(t, strings.NewReader(s))
	if counts["svg"] != 1 || counts["image"] != 4+1 { // four heatmaps and the colour bar
		t.Errorf("svg elements %d, images %d; want 1 and 5", counts["svg"], counts["image"])
	}
	if counts["path"] < 50 || counts["style"] != 1 {
		t.Errorf("%d paths, %d style elements; want axes and lines, one style", counts["path"], counts["style"])
	}
	joined := strings.Join(texts, "|")
	for _, want := range []string{"attend: test", "head 0", "head 3", "key position", "query position", "weight", "vector norms", "input norm", "output norm"} {
		if !strings.Contains(joined, want) {
			t.Errorf("SVG text lacks %q: %s", want, joined)
		}
	}
	if n := strings.Count(s, `<image preserveAspectRatio="none" `); n != 5 || strings.Count(s, `xlink:href="data:image/png;base64,`) != 5 {
		t.Errorf("%d of 5 images fill their rectangles as PNG data", n)
	}
	if !regexp.MustCompile(`<svg[^>]*>\n<style>image \{ image-rendering: pixelated; \}</style>`).MatchString(s) {
		t.Errorf("the heatmap style is not the svg element's first child")
	}
}

func TestSeriesFigureRecordsWhatItDraws(t *testing.T) {
	s := testSeries(100, 5)
	s.Channels = s.Channels[:3]
	s.Raw, s.Smoothed = s.Raw[:3], s.Smoothed[:3]
	f := mustFigure(t, s.Figure)
	if len(f.Panels) != 3 {
		t.Fatalf("%d panels, want 3", len(f.Panels))
	}
	for c, p := range f.Panels {
		raw := p.Lines["raw"]
		if len(raw) != 3 { // broken at n/3 and at n/2, n/2+1
			t.Errorf("channel %d: raw in %d segments, want 3", c, len(raw))
		}
		var pts int
		for _, seg := range raw {
			for _, xy := range seg {
				if xy.Y != s.Raw[c][int(xy.X)] {
					t.Fatalf("channel %d: raw point %v, want y %v", c, xy, s.Raw[c][int(xy.X)])
				}
				pts++
			}
		}
		if pts != 97 {
			t.Errorf("channel %d: %d raw points drawn, want 97", c, pts)
		}
	}
}

func TestPooledPictureSaysSo(t *testing.T) {
	f := mustFigure(t, testAttention(300, 1, 64).Figure)
	if !strings.Contains(strings.Join(f.Notes, "\n"), "pooled: 300 positions shown as 60×60 cells of 5") {
		t.Errorf("notes %q do not say the grid is pooled", f.Notes)
	}
	s := testSeries(1000, 1)
	s.MaxPoints = 100
	f = mustFigure(t, s.Figure)
	if !strings.Contains(strings.Join(f.Notes, "\n"), "pooled: 1000 points shown as 100, each the mean of 10") {
		t.Errorf("notes %q do not say the series is pooled", f.Notes)
	}
}

func TestHTMLPageIsSelfContained(t *testing.T) {
	a := mustFigure(t, testAttention(20, 2, 512).Figure)
	s := mustFigure(t, testSeries(50, 1).Figure)
	page := Page{Title: "plot <test>", Params: [][2]string{{"sigma", "2"}}, Schema: [][]string{{"column", "type"}, {"value", "double"}}, Figures: []*Figure{a, s}}
	var buf bytes.Buffer
	if err := page.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	if strings.Count(h, "<svg") != 2 || !strings.Contains(h, "plot &lt;test&gt;") || !strings.Contains(h, "<th>sigma</th><td>2</td>") {
		t.Errorf("page lacks its figures, escaped title or parameters")
	}
	// Nothing is fetched: no scripts, links, stylesheets or remote images.
	for _, re := range []string{`<script`, `<link`, `@import`, `url\(`, `(src|href)="(https?:)?//`, `xlink:href="[^d#]`} {
		if m := regexp.MustCompile(re).FindString(h); m != "" {
			t.Errorf("page references something outside itself: %q", m)
		}
	}
}

func TestLongNotesWrap(t *testing.T) {
	s := testSeries(50, 1)
	s.Notes = []string{strings.Repeat("weights=/a/very/long/path/to/some/weights.safetensors  ", 12)}
	f := mustFigure(t, s.Figure)
	lines := f.noteLines()
	if len(lines) < 2 {
		t.Fatalf("a note of %d characters fits one line of a %v figure", len(s.Notes[0]), f.width)
	}
	sty := textStyle(noteSize)
	for _, l := range lines {
		if w := sty.Width(l); w > f.width-2*margin {
			t.Errorf("line %q is %v wide, the figure %v", l, w, f.width)
		}
	}
	if got := strings.Join(strings.Fields(strings.Join(lines, " ")), " "); got != strings.Join(strings.Fields(s.Notes[0]), " ") {
		t.Errorf("wrapping lost words")
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pngColours decodes a PNG and counts its distinct colours.
func pngColours(t *testing.T, path string) (image.Image, int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(mustRead(t, path)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return img, len(seen)
}

// TestPlotWritesPictures runs plot as a user would, for each format.
func TestPlotWritesPictures(t *testing.T) {
	samples := sampleDir(t)
	weights := filepath.Join(samples, "mha_d32_h4.safetensors")
	sensors, tokens := filepath.Join(samples, "sensors.parquet"), filepath.Join(samples, "tokens.parquet")
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		if r := runCLI(t, nil, args...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
	}
	run("plot", "attend", "--weights", weights, "--heads", "4", "-o", filepath.Join(dir, "attend.png"), tokens)
	img, n := pngColours(t, filepath.Join(dir, "attend.png"))
	if size := img.Bounds().Size(); size.X < 1000 || size.Y < 500 || n < 500 {
		t.Errorf("attend.png is %v with %d colours; want at least 1000x500 and 500 colours", size, n)
	}
	run("plot", "smooth", "--sigma", "2", "--sequence", "pump/power_w", "-o", filepath.Join(dir, "smooth.png"), sensors)
	img, n = pngColours(t, filepath.Join(dir, "smooth.png"))
	if size := img.Bounds().Size(); size.X < 800 || size.Y < 300 || n < 50 {
		t.Errorf("smooth.png is %v with %d colours; want at least 800x300 and 50 colours", size, n)
	}

	run("plot", "smooth", "--sigma", "2", "--channels", "0-2", "-o", filepath.Join(dir, "smooth.svg"), tokens)
	counts, texts := svgElements(t, filepath.Join(dir, "smooth.svg"))
	joined := strings.Join(texts, "|")
	if counts["svg"] != 1 || counts["path"] < 30 || !strings.Contains(joined, "channel 2") || strings.Contains(joined, "channel 3") || !strings.Contains(joined, "doc-000") {
		t.Errorf("smooth.svg: %v elements, texts %q: want one svg, lines, channels 0-2 of doc-000", counts, joined)
	}

	aw, out := t.TempDir(), t.TempDir()
	run("attend", "--weights", weights, "--heads", "4", "--average-heads", "--attention-output", aw, "-o", out, tokens)
	run("plot", "weights", "--sequence", "doc-002", "-o", filepath.Join(dir, "weights.svg"), filepath.Join(aw, "tokens.parquet"))
	counts, texts = svgElements(t, filepath.Join(dir, "weights.svg"))
	if counts["image"] != 2 || !strings.Contains(strings.Join(texts, "|"), "mean over heads") {
		t.Errorf("weights.svg: %v elements, texts %q: want one heatmap and a colour bar, the mean over heads", counts, texts)
	}

	page := filepath.Join(dir, "sub", "page.html")
	run("plot", "smooth", "--sigma", "2", "--max-sequences", "4", "--sequence", "greenhouse/humidity_pct", "-o", page, sensors)
	h := string(mustRead(t, page))
	if got := strings.Count(h, "<svg"); got != 4 {
		t.Errorf("page holds %d figures, want 4", got)
	}
	for _, want := range []string{"greenhouse/humidity_pct", "pump/pressure_kpa", "<th>sigma</th><td>2</td>", "<td>series_id</td>", "sequence id", "<th>sequences</th><td>6</td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(h, "greenhouse/temp_c (") {
		t.Errorf("page starts before --sequence")
	}
	if files := visibleFiles(t, dir); len(files) != 5 {
		t.Errorf("%v written, want the five pictures and no temp files", files)
	}
}

func svgElements(t *testing.T, path string) (map[string]int, []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(mustRead(t, path)))
	counts := map[string]int{}
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return counts, texts
		}
		if err != nil {
			t.Fatalf("%s does not parse: %v", path, err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			counts[tk.Name.Local]++
			inText = tk.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(tk))
			}
		case xml.EndElement:
			inText = false
		}
	}
}

func TestPlotUsageErrors(t *testing.T) {
	samples := sampleDir(t)
	weights := filepath.Join(samples, "mha_d32_h4.safetensors")
	sensors, tokens := filepath.Join(samples, "sensors.parquet"), filepath.Join(samples, "tokens.parquet")
	dir := t.TempDir()
	pic := filepath.Join(dir, "x.png")
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"nothing to draw", []string{"plot"}, 2, "no command given: expected one of attend, smooth, weights"},
		{"unknown kind", []string{"plot", "heat", "-o", pic, sensors}, 2, `unknown command "heat" for "contextualize plot"`},
		{"unknown flag", []string{"plot", "smooth", "--bogus", "1", "-o", pic, sensors}, 2, "bogus"},
		{"no output", []string{"plot", "smooth", "--sigma", "2", sensors}, 2, "-o FILE.png"},
		{"bad extension", []string{"plot", "smooth", "--sigma", "2", "-o", filepath.Join(dir, "x.jpg"), sensors}, 2, "ending in .png, .svg or .html"},
		{"two inputs", []string{"plot", "smooth", "--sigma", "2", "-o", pic, sensors, tokens}, 2, "exactly one INPUT"},
		{"unknown sequence", []string{"plot", "smooth", "--sigma", "2", "--sequence", "pump/nope", "-o", pic, sensors}, 2, `no sequence "pump/nope" (the file's first: "greenhouse/temp_c"`},
		{"bad channels", []string{"plot", "smooth", "--sigma", "2", "--channels", "x", "-o", pic, tokens}, 2, "parsing --channels"},
		{"channels beyond d", []string{"plot", "smooth", "--sigma", "2", "--channels", "40-41", "-o", pic, tokens}, 2, "has d = 32"},
		{"bad sigma", []string{"plot", "smooth", "--sigma", "-1", "-o", pic, sensors}, 2, "sigma"},
		{"no weights", []string{"plot", "attend", "--heads", "4", "-o", pic, tokens}, 2, "needs --weights"},
		{"weights of another d", []string{"plot", "attend", "--weights", weights, "--heads", "4", "--column", "value", "-o", pic, sensors}, 2, "d=32"},
		{"max points", []string{"plot", "smooth", "--sigma", "2", "--max-points", "1", "-o", pic, sensors}, 2, "--max-points"},
		{"missing input", []string{"plot", "smooth", "--sigma", "2", "-o", pic, filepath.Join(dir, "nope.parquet")}, 1, "nope.parquet"},
		{"not a weights file", []string{"plot", "weights", "-o", pic, tokens}, 3, `expected a column "sequence"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", r.code, r.stderr, tt.code, tt.msg)
			}
			if files := visibleFiles(t, dir); len(files) != 0 {
				t.Errorf("%v left behind", files)
			}
		})
	}
}

// TestPlotPageRendersInChromium opens an .html page in headless Chromium
// (no network) and checks that the screenshot shows the pictures: many
// colours, and coloured pixels of the heatmaps and lines, not only text.
func TestPlotPageRendersInChromium(t *testing.T) {
	chromium := findChromium(t)
	samples := sampleDir(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "page.html")
	r := runCLI(t, nil, "plot", "attend", "--weights", filepath.Join(samples, "mha_d32_h4.safetensors"), "--heads", "4",
		"--max-sequences", "2", "-o", page, filepath.Join(samples, "tokens.parquet"))
	if r.code != 0 {
		t.Fatalf("plot: exit %d: %s", r.code, r.stderr)
	}
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--window-size=1280,1400", "--screenshot="+shot, "file://"+page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v: %s", err, stderr.String())
	}
	img, n := pngColours(t, shot)
	b := img.Bounds()
	var coloured, total int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl), min(r, g, bl)
			if hi-lo > 0x5000 { // saturated: heatmap cells, lines, links; not text or white
				coloured++
			}
			total++
		}
	}
	if n < 200 || coloured < total/10 {
		t.Errorf("screenshot %v has %d colours and %d of %d coloured pixels: the page looks blank", b.Size(), n, coloured, total)
	}
}

// findChromium finds Debian's chromium. Without it the test is skipped,
// except in CI (CI=true), where .ci/run installs it and its absence fails.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (CI=true: .ci/run must apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed")
	return ""
}

package attention

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Fixtures written by scripts/gaussian/make_fixtures.py (scipy reference).

type gaussCase struct {
	Name      string  `json:"name"`
	Sigma     float64 `json:"sigma"`
	Truncate  float64 `json:"truncate"`
	Radius    int     `json:"radius"`
	R         int     `json:"r"`
	Mode      string  `json:"mode"`
	Cval      string  `json:"cval"` // float.hex
	Order     int     `json:"order"`
	Dtype     string  `json:"dtype"`
	N         int     `json:"n"`
	D         int     `json:"d"`
	X         string  `json:"x"`
	Want      string  `json:"want"`
	Want32    string  `json:"want32"`
	Bandwidth float64 `json:"bandwidth"`
	NaN       string  `json:"nan"`
	T         string  `json:"t"`
	W         string  `json:"w"`
}

func loadCases(t testing.TB, name string) []gaussCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gaussian", name))
	if err != nil {
		t.Fatalf("fixtures: %v (regenerate with /usr/bin/python3 scripts/gaussian/make_fixtures.py)", err)
	}
	var f struct {
		Cases []gaussCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("fixtures %s: %v", name, err)
	}
	return f.Cases
}

func decodeF64(t testing.TB, s string) []float64 {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

func decodeI64(t testing.TB, s string) []int64 {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(b)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

func (c gaussCase) params(t testing.TB) SmoothParams {
	cval := 0.0
	if c.Cval != "" {
		v, err := strconv.ParseFloat(c.Cval, 64)
		if err != nil {
			t.Fatalf("%s: cval %q: %v", c.Name, c.Cval, err)
		}
		cval = v
	}
	return SmoothParams{Sigma: c.Sigma, Truncate: c.Truncate, Radius: c.Radius, Mode: c.Mode,
		Cval: cval, Order: c.Order, NaN: c.NaN, Bandwidth: c.Bandwidth}
}

// seriesScale returns max|x| over channel ch (and |cval| in constant mode),
// the scale of the float64 tolerance 4*eps*max|x|.
func seriesScale(x []float64, n, d, ch int, p SmoothParams) float64 {
	m := 0.0
	for i := 0; i < n; i++ {
		if v := math.Abs(x[i*d+ch]); v > m && !math.IsInf(v, 0) {
			m = v
		}
	}
	if p.Mode == "constant" && !math.IsNaN(p.Cval) {
		m = math.Max(m, math.Abs(p.Cval))
	}
	return m
}

// parity counts exact matches and checks |got-want| <= tol*scale per
// channel, with NaN (and infinities) at identical positions.
type parity struct{ values, exact, worstULPs int }

func (pa *parity) check(t *testing.T, name string, got, want, x []float64, n, d int, p SmoothParams, tolEps float64) {
	t.Helper()
	for ch := 0; ch < d; ch++ {
		tol := tolEps * 0x1p-52 * seriesScale(x, n, d, ch, p)
		for i := 0; i < n; i++ {
			g, w := got[i*d+ch], want[i*d+ch]
			pa.values++
			switch {
			case math.IsNaN(w) || math.IsNaN(g):
				if math.IsNaN(w) != math.IsNaN(g) {
					t.Errorf("%s: [%d,%d] got %v want %v (NaN positions differ)", name, i, ch, g, w)
					continue
				}
				pa.exact++
			case math.IsInf(w, 0) || math.IsInf(g, 0):
				if g != w {
					t.Errorf("%s: [%d,%d] got %v want %v", name, i, ch, g, w)
					continue
				}
				pa.exact++
			case g == w:
				pa.exact++
			default:
				if diff := math.Abs(g - w); !(diff <= tol) {
					t.Errorf("%s: [%d,%d] got %v want %v: |diff| %.3g > %.3g (%g eps*max|x|)", name, i, ch, g, w, diff, tol, tolEps)
				}
			}
		}
	}
}

func TestGaussianWeightsMatchScipy(t *testing.T) {
	exact, total, worst := 0, 0, 0.0
	for _, c := range loadCases(t, "kernels.json") {
		want := decodeF64(t, c.W) // scipy's reversed kernel, length 2r+1
		w := gaussianWeights(c.Sigma, c.Order, c.R)
		for k := -c.R; k <= c.R; k++ {
			// want[r+k] multiplies x[i+k]; our pair weight w[|k|] is the
			// kernel at +|k|, so x[i+k] gets w[k] for k<0, -w[k] for odd k>0.
			var g float64
			if k <= 0 {
				g = w[-k]
			} else if c.Order == 1 {
				g = -w[k]
			} else {
				g = w[k]
			}
			total++
			wv := want[c.R+k]
			if g == wv {
				exact++
				continue
			}
			ulps := math.Abs(g-wv) / (math.Nextafter(math.Abs(wv), math.Inf(1)) - math.Abs(wv))
			worst = math.Max(worst, ulps)
			if ulps > 8 {
				t.Errorf("sigma %v order %d r %d: weight at %d = %v, scipy %v (%.1f ulp)", c.Sigma, c.Order, c.R, k, g, wv, ulps)
			}
		}
	}
	t.Logf("kernel weights: %d/%d bit-exact with scipy/numpy on the fixture machine, worst %.1f ulp", exact, total, worst)
}

func TestSmoothMatchesScipy(t *testing.T) {
	var p64, p32, p32s parity
	for _, c := range loadCases(t, "positional.json") {
		p := c.params(t)
		s, err := NewSmoother(p)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if s.Radius() != c.R {
			t.Errorf("%s: radius %d, scipy %d", c.Name, s.Radius(), c.R)
		}
		x, want := decodeF64(t, c.X), decodeF64(t, c.Want)
		n, d := c.N, c.D
		switch c.Dtype {
		case "float64":
			got := make([]float64, n*d)
			s.Smooth64(got, x, n, d)
			p64.check(t, c.Name, got, want, x, n, d, p, 4)
		case "float32":
			x32 := make([]float32, n*d)
			for i, v := range x {
				x32[i] = float32(v)
			}
			got32 := make([]float32, n*d)
			s.Smooth32(got32, x32, n, d)
			want32 := decodeF64(t, c.Want32)
			for i := range got32 {
				g := got32[i]
				w := float32(want[i]) // scipy's float64 result, rounded
				p32.values++
				p32s.values++
				if float64(g) == want32[i] || (g != g && want32[i] != want32[i]) {
					p32s.exact++
				}
				if g == w || (g != g && w != w) {
					p32.exact++
					continue
				}
				if ulp32(g, w) > 1 {
					t.Errorf("%s: [%d] float32 got %v want %v (%d ulp)", c.Name, i, g, w, ulp32(g, w))
				}
			}
		}
	}
	t.Logf("float64: %d/%d values bit-exact with scipy", p64.exact, p64.values)
	t.Logf("float32: %d/%d bit-exact with scipy's float64 result rounded, %d/%d with scipy's float32 output", p32.exact, p32.values, p32s.exact, p32s.values)
}

// ulp32 is the distance between a and b in float32 units in the last place.
func ulp32(a, b float32) int64 {
	ord := func(f float32) int64 {
		u := int64(math.Float32bits(f))
		if u&0x80000000 != 0 {
			return -(u & 0x7fffffff)
		}
		return u
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

func TestSmoothInterpolateMatchesReference(t *testing.T) {
	var pa parity
	for _, c := range loadCases(t, "interpolate.json") {
		p := c.params(t)
		p.NaN = "interpolate"
		s, err := NewSmoother(p)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		x, want := decodeF64(t, c.X), decodeF64(t, c.Want)
		got := make([]float64, c.N)
		s.Smooth64(got, x, c.N, 1)
		pa.check(t, c.Name, got, want, x, c.N, 1, p, 4)
	}
	t.Logf("interpolate: %d/%d values bit-exact with the numpy reference", pa.exact, pa.values)
}

func TestNadarayaWatsonMatchesReference(t *testing.T) {
	var pa parity
	for _, c := range loadCases(t, "nadaraya.json") {
		p := SmoothParams{Bandwidth: c.Bandwidth, Truncate: c.Truncate, Radius: -1, NaN: c.NaN}
		s, err := NewSmoother(p)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		x, want, ts := decodeF64(t, c.X), decodeF64(t, c.Want), decodeI64(t, c.T)
		got := make([]float64, c.N*c.D)
		s.SmoothAt64(got, x, ts, c.N, c.D)
		// numpy's exp and Go's differ by an ulp or two; the sums have up to
		// hundreds of terms.
		pa.check(t, c.Name, got, want, x, c.N, c.D, p, 64)

		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
		}
		got32 := make([]float32, len(x))
		s.SmoothAt32(got32, x32, ts, c.N, c.D)
		x64 := make([]float64, len(x))
		for i, v := range x32 {
			x64[i] = float64(v)
		}
		ref := make([]float64, len(x))
		s.SmoothAt64(ref, x64, ts, c.N, c.D)
		for i := range got32 {
			if w := float32(ref[i]); got32[i] != w && !(w != w && got32[i] != got32[i]) {
				t.Errorf("%s: SmoothAt32[%d] = %v, SmoothAt64 rounded %v", c.Name, i, got32[i], w)
			}
		}
	}
	t.Logf("nadaraya-watson: %d/%d values bit-exact with the numpy reference", pa.exact, pa.values)
}

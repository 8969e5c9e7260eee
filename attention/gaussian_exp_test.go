package attention

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestKernelExpMatchesFixtures(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "gaussian", "exp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			NumpySVML bool   `json:"numpy_svml"`
			X         string `json:"x"`
			Numpy     string `json:"numpy"`
			Correct   string `json:"correct"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	c := f.Cases[0]
	xs, np, cr := decodeF64(t, c.X), decodeF64(t, c.Numpy), decodeF64(t, c.Correct)
	svmlExact, numpyCR := 0, 0
	for i, x := range xs {
		if got := expCorrect(x); got != cr[i] {
			t.Errorf("expCorrect(%v) = %v, correctly rounded %v", x, got, cr[i])
		}
		if np[i] == cr[i] {
			numpyCR++
		}
		got := expNumpySVML(x)
		if got == np[i] {
			svmlExact++
		} else if c.NumpySVML && math.Abs(x) < 707 {
			t.Errorf("expNumpySVML(%v) = %v, numpy %v", x, got, np[i])
		}
		if d := math.Abs(got-cr[i]) / ulp(cr[i]); d > 4 {
			t.Errorf("expNumpySVML(%v) = %v is %.1f ulp from exp", x, got, d)
		}
	}
	t.Logf("fixtures from numpy with SVML: %v; expNumpySVML equals np.exp on %d/%d, np.exp is correctly rounded on %d", c.NumpySVML, svmlExact, len(xs), numpyCR)
}

func ulp(x float64) float64 {
	x = math.Abs(x)
	return math.Nextafter(x, math.Inf(1)) - x
}

func TestExpCorrectAgainstMathExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 20000; i++ {
		x := (rng.Float64()*2 - 1) * 700
		if i%4 == 0 {
			x = -rng.Float64() * 40
		}
		got, ref := expCorrect(x), math.Exp(x)
		if math.Abs(got-ref) > ulp(ref) {
			t.Fatalf("expCorrect(%v) = %v, math.Exp %v: more than 1 ulp apart", x, got, ref)
		}
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, -745.2, 710, math.Inf(-1), math.Inf(1)} {
		if got, ref := expCorrect(x), math.Exp(x); got != ref {
			t.Errorf("expCorrect(%v) = %v, want %v", x, got, ref)
		}
	}
	if !math.IsNaN(expCorrect(math.NaN())) || !math.IsNaN(expNumpySVML(math.NaN())) {
		t.Error("exp(NaN) is not NaN")
	}
}

package attention_test

import (
	"fmt"

	"github.com/contextualize/contextualize/attention"
)

func ExampleNewSmoother() {
	// scipy.ndimage.gaussian_filter1d(x, sigma=1) with its defaults (same values).
	s, err := attention.NewSmoother(attention.SmoothParams{Sigma: 1, Truncate: 4, Radius: -1})
	if err != nil {
		panic(err)
	}
	x := []float64{0, 0, 0, 1, 0, 0, 0}
	y := make([]float64, len(x))
	s.Smooth64(y, x, len(x), 1)
	fmt.Printf("radius %d: %.4f\n", s.Radius(), y)
	// Output: radius 4: [0.0046 0.0540 0.2420 0.3989 0.2420 0.0540 0.0046]
}

func ExampleSmoother_SmoothAt64() {
	// Nadaraya–Watson over irregular timestamps (seconds), bandwidth 90 s.
	s, err := attention.NewSmoother(attention.SmoothParams{Bandwidth: 90, Truncate: 4, Radius: -1, NaN: "interpolate"})
	if err != nil {
		panic(err)
	}
	t := []int64{0, 30, 200, 210, 1000}
	x := []float64{1, 2, 3, 4, 5}
	y := make([]float64, len(x))
	s.SmoothAt64(y, x, t, len(x), 1)
	fmt.Printf("%.3f\n", y)
	// Output: [1.626 1.774 3.292 3.334 5.000]
}

func ExampleSmoother_NewStream64() {
	// The same smoothing as ExampleNewSmoother, fed in segments of rows:
	// row i comes out once row i+radius is in, the rest at Close.
	s, err := attention.NewSmoother(attention.SmoothParams{Sigma: 1, Truncate: 4, Radius: -1})
	if err != nil {
		panic(err)
	}
	st, err := s.NewStream64(1)
	if err != nil {
		panic(err) // mode wrap: gather the sequence and call Smooth64
	}
	var y []float64
	for _, seg := range [][]float64{{0, 0, 0}, {1, 0}, {0, 0}} {
		y = st.Push(y, seg)
		fmt.Println(len(y), "rows out")
	}
	y = st.Close(y)
	fmt.Printf("%.4f\n", y)
	// Output:
	// 0 rows out
	// 1 rows out
	// 3 rows out
	// [0.0046 0.0540 0.2420 0.3989 0.2420 0.0540 0.0046]
}

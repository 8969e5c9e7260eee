package attention_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/contextualize/contextualize/attention"
)

// TestMHAThreadsIndependent: a long sequence is shared with helper
// goroutines (row chunks, query blocks), and the output must be the same
// bits whatever the number of threads and however many calls run at once:
// GOMAXPROCS 1 (no helper), 2 and 8, alone and four calls at a time.
// The shapes cross the projection chunk (504 rows) and the query block,
// with all heads projected at once and one at a time (as above n·3d >
// 2^20), with and without masks, biases and output projection, dst
// aliasing x, in float32 and float64.
func TestMHAThreadsIndependent(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	cases := []struct {
		n, d, heads, window        int
		causal, bias, noOut, alone bool
	}{
		{1100, 96, 2, -1, false, true, false, false}, // all heads at once, parallel over heads × blocks
		{1200, 64, 4, -1, true, false, false, false}, // causal: blocks handed out last first
		{1300, 64, 2, 300, false, true, false, true}, // one head at a time, window
		{1100, 64, 1, -1, true, true, true, true},    // one head, no output projection
		{1250, 64, 2, -1, false, false, true, true},  // one head at a time, no output projection, in place
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("n%d_d%d_h%d_w%d_causal%v", c.n, c.d, c.heads, c.window, c.causal), func(t *testing.T) {
			if c.alone { // as a long sequence would
				defer attention.SetGroupAll(1 << 14)()
			}
			w := attention.RandomWeights(c.d, 7)
			if c.bias {
				w = withBiases(w, 7)
			}
			if c.noOut {
				w.OutProj = nil
			}
			m, err := attention.NewMHA(w, attention.MHAParams{Heads: c.heads, Window: c.window, Causal: c.causal})
			if err != nil {
				t.Fatal(err)
			}
			x64 := randSeq(c.n, c.d, 9, 1)
			x32 := to32(x64)
			run32 := func() []float32 {
				dst := make([]float32, len(x32))
				if c.noOut { // in place: dst is x
					copy(dst, x32)
					m.Forward32(dst, dst, c.n)
				} else {
					m.Forward32(dst, x32, c.n)
				}
				return dst
			}
			run64 := func() []float64 {
				dst := make([]float64, len(x64))
				m.Forward64(dst, x64, c.n)
				return dst
			}
			runtime.GOMAXPROCS(1)
			want32, want64 := run32(), run64()
			if c.noOut { // in place must equal into a separate dst
				sep := make([]float32, len(x32))
				m.Forward32(sep, x32, c.n)
				if i := firstDiff(want32, sep); i >= 0 {
					t.Fatalf("in place differs from a separate dst at %d", i)
				}
			}
			for _, procs := range []int{2, 8} {
				runtime.GOMAXPROCS(procs)
				if i := firstDiff(run32(), want32); i >= 0 {
					t.Fatalf("float32, GOMAXPROCS %d: differs from 1 thread at %d", procs, i)
				}
				if i := firstDiff(run64(), want64); i >= 0 {
					t.Fatalf("float64, GOMAXPROCS %d: differs from 1 thread at %d", procs, i)
				}
			}
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i := firstDiff(run32(), want32); i >= 0 {
						t.Errorf("float32, concurrent call %d: differs at %d", g, i)
					}
				}()
			}
			wg.Wait()
			if !c.noOut { // also right, not only stable
				want := naiveMHA(w, attention.MHAParams{Heads: c.heads, Window: c.window, Causal: c.causal}, x64, c.n)
				if e := relErr(want32, want); e > 1e-5 {
					t.Errorf("float32 relative error %.3g against the naive float64 MHA", e)
				}
			}
		})
	}
}

// firstDiff returns the first index where a and b differ in bits (NaN
// equal to NaN), or -1.
func firstDiff[T float32 | float64](a, b []T) int {
	for i := range a {
		if a[i] != b[i] && (a[i] == a[i] || b[i] == b[i]) {
			return i
		}
	}
	return -1
}

// TestMHAOneHeadAtATimeMatchesGrouped: a long sequence projects its heads
// one at a time (keys and values, packed, then the queries over them) and
// writes the head outputs straight into dst, where the output projection
// then runs in place chunk by chunk (with dst aliasing x, all heads but the
// last wait in a buffer of d-dh values a row); the bits must be those of the heads
// projected together through the separate head-output buffer, with and
// without biases and an output projection, dst aliasing x or not, heads
// whose rows are not aligned to the packed panels (dh = 16, 24), in
// float32 and float64.
func TestMHAOneHeadAtATimeMatchesGrouped(t *testing.T) {
	cases := []struct {
		n, d, heads, window  int
		bias, noOut, inPlace bool
	}{
		{1100, 64, 4, -1, true, false, false},
		{1100, 64, 4, -1, false, false, true},
		{700, 48, 2, 200, true, false, true},
		{1030, 96, 4, -1, true, true, false},
		{900, 96, 4, -1, false, true, true},
		{700, 32, 1, -1, true, false, true}, // one head in place: no o at all
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("n%d_d%d_h%d_bias%v_noOut%v_inPlace%v", c.n, c.d, c.heads, c.bias, c.noOut, c.inPlace), func(t *testing.T) {
			w := attention.RandomWeights(c.d, 3)
			if c.bias {
				w = withBiases(w, 3)
			}
			if c.noOut {
				w.OutProj = nil
			}
			m, err := attention.NewMHA(w, attention.MHAParams{Heads: c.heads, Window: c.window})
			if err != nil {
				t.Fatal(err)
			}
			x64 := randSeq(c.n, c.d, 5, 1)
			x32 := to32(x64)
			run32 := func() []float32 {
				dst := make([]float32, len(x32))
				if c.inPlace {
					copy(dst, x32)
					m.Forward32(dst, dst, c.n)
				} else {
					m.Forward32(dst, x32, c.n)
				}
				return dst
			}
			run64 := func() []float64 {
				dst := make([]float64, len(x64))
				if c.inPlace {
					copy(dst, x64)
					m.Forward64(dst, dst, c.n)
				} else {
					m.Forward64(dst, x64, c.n)
				}
				return dst
			}
			grouped32, grouped64 := run32(), run64()
			restore := attention.SetGroupAll(0)
			alone32, alone64 := run32(), run64()
			restore()
			for i := range grouped32 {
				if alone32[i] != grouped32[i] {
					t.Fatalf("float32 value %d: one head at a time %v, grouped %v", i, alone32[i], grouped32[i])
				}
			}
			for i := range grouped64 {
				if alone64[i] != grouped64[i] {
					t.Fatalf("float64 value %d: one head at a time %v, grouped %v", i, alone64[i], grouped64[i])
				}
			}
		})
	}
}

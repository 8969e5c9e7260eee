package parquetio

import (
	"bytes"
	"io"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestSegLevelsRoundTrip: levels recorded piece by piece (as the segment
// reader walks pages and windows) read back, in windows of any size, as
// they were recorded; a piece without definition levels reads as all
// defined; runs of equal levels cost a few bytes.
func TestSegLevelsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := map[string]func(n, max int) []byte{
		"all defined": func(n, max int) []byte { return bytes.Repeat([]byte{byte(max)}, n) },
		"random": func(n, max int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.IntN(max + 1))
			}
			return b
		},
		"rare nulls": func(n, max int) []byte {
			b := bytes.Repeat([]byte{byte(max)}, n)
			for i := 13; i < n; i += 97 {
				b[i] = 0
			}
			return b
		},
		"lists of 5": func(n, max int) []byte { // 0 1 1 1 1 0 1 1 1 1 ...
			b := make([]byte, n)
			for i := range b {
				if i%5 != 0 {
					b[i] = byte(min(1, max))
				}
			}
			return b
		},
	}
	defer func(w int) { levelWindow = w }(levelWindow)
	for name, g := range gen {
		for _, maxLv := range []int{1, 2, 3, 7} {
			for _, window := range []int{1, 7, 64, 1 << 16} {
				levelWindow = window
				var reps, defs []byte
				l := newSegLevels(nil, 0, 0, maxLv, maxLv)
				for range 20 {
					n := rng.IntN(3000)
					if rng.IntN(10) == 0 {
						n = 0
					}
					r, d := g(n, maxLv), g(n, maxLv)
					if rng.IntN(8) == 0 { // a page without definition levels: all defined
						d = nil
						defs = append(defs, bytes.Repeat([]byte{byte(maxLv)}, n)...)
					} else {
						defs = append(defs, d...)
					}
					reps = append(reps, r...)
					l.add(r, d, n)
				}
				l.done()
				var rd segLevelReader
				rd.reset(l)
				var gotR, gotD []byte
				for {
					r, d, n, err := rd.read()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s, max %d, window %d: %v", name, maxLv, window, err)
					}
					if n > window || len(r) != n || len(d) != n {
						t.Fatalf("%s: a window of %d levels (%d, %d), want at most %d", name, n, len(r), len(d), window)
					}
					gotR, gotD = append(gotR, r...), append(gotD, d...)
				}
				if !bytes.Equal(gotR, reps) || !bytes.Equal(gotD, defs) {
					t.Fatalf("%s, max %d, window %d: levels read back differ from those recorded", name, maxLv, window)
				}
				// at most the bit width per level (twice: appends grow
				// the buffers), and a few bytes per piece
				if bound := 2 * (2*len(defs)*bits.Len(uint(maxLv))/8 + 64*20); name != "random" && int(ValueChunk{levels: l}.LevelBytes()) > bound {
					t.Errorf("%s: %d bytes for 2 x %d levels", name, l.bytes(), len(defs))
				}
				if name == "all defined" && len(l.defs) > 20*4 {
					t.Errorf("all defined: %d bytes of runs for %d levels in 20 pieces, want a run each", len(l.defs), len(defs))
				}
			}
		}
	}
	// a column without levels records none
	if l := newSegLevels(nil, 0, 0, 0, 0); l != nil || (ValueChunk{}).LevelBytes() != 0 {
		t.Fatal("levels recorded for a required flat column")
	}
}

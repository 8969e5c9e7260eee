//go:build !purego

package kernel

import "testing"

// TestPackers checks the assembly packers element by element, including k
// tails and row/column masks, and that they write nothing outside the
// packed area.
func TestPackers(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	const ld = 300
	src := make([]float32, 40*ld)
	for i := range src {
		src[i] = float32(i + 1)
	}
	var idx [32]int32
	for j := range idx {
		idx[j] = int32(j * ld)
	}
	const sentinel = -7
	for _, kc := range []int{1, 5, 15, 16, 17, 31, 32, 33, 64, 100, 256} {
		// k-major packing of `rows` rows with dst stride `stride` elements:
		// want dst[p*stride+r] = src[r*ld+p] for r < rows, zero for r in [rows, zeroTo).
		check := func(name string, dst []float32, rows, zeroTo, stride int) {
			t.Helper()
			for p := 0; p < kc; p++ {
				for r := 0; r < stride; r++ {
					got := dst[p*stride+r]
					var want float32
					switch {
					case r < rows:
						want = src[r*ld+p]
					case r < zeroTo:
						want = 0
					default:
						want = sentinel
					}
					if got != want {
						t.Fatalf("%s kc=%d: dst[p=%d][r=%d] = %v, want %v", name, kc, p, r, got, want)
					}
				}
			}
			for i := kc * stride; i < len(dst); i++ {
				if dst[i] != sentinel {
					t.Fatalf("%s kc=%d: wrote past the panel at %d", name, kc, i)
				}
			}
		}
		newDst := func(n int) []float32 {
			d := make([]float32, n+64)
			for i := range d {
				d[i] = sentinel
			}
			return d
		}
		d := newDst(kc * 14)
		stransPack14(kc, &src[0], ld*4, 0x3fff, &d[0], 14*4)
		check("stransPack14", d, 14, 14, 14)
		d = newDst(kc * 32)
		stransPack16(kc, &src[0], ld*4, 0xffff, &d[0], 128)
		stransPack16(kc, &src[16*ld], ld*4, 0xffff, &d[16], 128)
		check("stransPack16x2", d, 32, 32, 32)
		for _, rows := range []int{1, 9, 14} {
			d = newDst(kc * rows)
			sgatherPack(kc, &src[0], &idx[0], lowMask(rows), lowMask(rows), &d[0], rows*4)
			check("sgatherPack(A)", d, rows, rows, rows)
		}
		for _, w := range []int{1, 16, 17, 31} {
			d = newDst(kc * 32)
			sgatherPack(kc, &src[0], &idx[0], lowMask(w), 0xffffffff, &d[0], 128)
			check("sgatherPack(B)", d, w, 32, 32)
		}
	}
}

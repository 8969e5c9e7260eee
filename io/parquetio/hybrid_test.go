package parquetio

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/rle"
)

// TestDecodeHybridMatchesParquetGo: levels and indexes of every bit width
// encoded by parquet-go's RLE encoder (runs and bit-packed groups) decode
// to the same values, for both result types.
func TestDecodeHybridMatchesParquetGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for w := 0; w <= 32; w++ {
		for _, n := range []int{0, 1, 7, 8, 9, 100, 1031} {
			vals := make([]int32, n)
			for i := range vals {
				if w > 0 && rng.IntN(3) > 0 {
					vals[i] = int32(rng.Uint64() & (1<<w - 1))
				} else if i > 0 {
					vals[i] = vals[i-1] // runs
				}
			}
			enc, err := (&rle.Encoding{BitWidth: w}).EncodeInt32(nil, vals)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeHybrid[uint32](nil, enc, w, n)
			if err != nil {
				t.Fatalf("w=%d n=%d: %v", w, n, err)
			}
			want := make([]uint32, n)
			for i, v := range vals {
				want[i] = uint32(v)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("w=%d n=%d: got %v, want %v", w, n, got, want)
			}
			if w <= 8 {
				levels := make([]byte, n)
				for i, v := range vals {
					levels[i] = byte(v)
				}
				enc, err := (&rle.Encoding{BitWidth: w}).EncodeLevels(nil, levels)
				if err != nil {
					t.Fatal(err)
				}
				got, err := decodeHybrid[uint8](nil, enc, w, n)
				if err != nil || !slices.Equal(got, levels) {
					t.Fatalf("levels w=%d n=%d: got %v (%v), want %v", w, n, got, err, levels)
				}
			}
		}
	}
}

// TestHybridReaderInPieces: reading runs in pieces of random sizes (not
// multiples of 8, so pieces end inside bit-packed groups and runs) gives
// the values decodeHybrid gives at once.
func TestHybridReaderInPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, w := range []int{1, 2, 3, 5, 8} {
		levels := make([]byte, 5000)
		for i := range levels {
			if rng.IntN(4) == 0 {
				levels[i] = byte(rng.IntN(1 << w))
			} else if i > 0 {
				levels[i] = levels[i-1]
			}
		}
		enc, err := (&rle.Encoding{BitWidth: w}).EncodeLevels(nil, levels)
		if err != nil {
			t.Fatal(err)
		}
		h := hybridReader[uint8]{b: enc, w: w}
		var got []byte
		for len(got) < len(levels) {
			k := min(rng.IntN(40)+1, len(levels)-len(got))
			if got, err = h.read(got, k); err != nil {
				t.Fatalf("w=%d after %d: %v", w, len(got), err)
			}
		}
		if !slices.Equal(got, levels) {
			t.Fatalf("w=%d: pieces differ from the levels", w)
		}
	}
}

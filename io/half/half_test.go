package half

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRoundTrip: every one of the 65536 float16 values widens exactly and
// narrows back to the same bits (NaNs to a NaN).
func TestRoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := ToFloat32(uint16(h))
		if f != f {
			if g := FromFloat32(f); g&0x7c00 != 0x7c00 || g&0x3ff == 0 {
				t.Fatalf("NaN %#04x narrows to %#04x, not a NaN", h, g)
			}
			continue
		}
		if g := FromFloat32(f); g != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x", h, f, g)
		}
		if float64(f) != ToFloat64(uint16(h)) {
			t.Fatalf("%#04x: float32 %v, float64 %v", h, f, ToFloat64(uint16(h)))
		}
	}
}

func TestKnownValues(t *testing.T) {
	for _, tt := range []struct {
		h uint16
		f float64
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0400, 0x1p-14}, {0x0001, 0x1p-24},
		{0x03ff, 1023 * 0x1p-24}, {0x3555, 0.333251953125}, {0x7c00, math.Inf(1)}, {0xfc00, math.Inf(-1)}, {0x8000, math.Copysign(0, -1)},
	} {
		if got := ToFloat64(tt.h); got != tt.f || math.Signbit(got) != math.Signbit(tt.f) {
			t.Errorf("ToFloat64(%#04x) = %v, want %v", tt.h, got, tt.f)
		}
		if got := FromFloat64(tt.f); got != tt.h {
			t.Errorf("FromFloat64(%v) = %#04x, want %#04x", tt.f, got, tt.h)
		}
	}
}

// TestRounding: ties go to even, values just off a tie go to the nearest,
// overflow and underflow follow IEEE 754.
func TestRounding(t *testing.T) {
	for _, tt := range []struct {
		x float64
		h uint16
	}{
		{1 + 0x1p-11, 0x3c00},           // tie between 1 and 1+2^-10: even (1)
		{1 + 3*0x1p-11, 0x3c02},         // tie between 1+2^-10 and 1+2^-9: even
		{1 + 0x1p-11 + 0x1p-30, 0x3c01}, // just above the tie
		{2048 - 0.5, 0x6800},            // tie between 2047 and 2048 -> 2048 (even mantissa)
		{65519.99, 0x7bff},              // below the overflow tie
		{65520, 0x7c00},                 // the overflow tie rounds to infinity
		{1e10, 0x7c00},                  // overflow
		{0x1p-25, 0x0000},               // half of the smallest subnormal: tie to even (0)
		{0x1p-25 + 0x1p-40, 0x0001},     // above that tie
		{3 * 0x1p-25, 0x0002},           // tie between 1 and 2 units: even (2)
		{0x1p-14 - 0x1p-26, 0x0400},     // rounds up into the smallest normal
		{-0x1p-30, 0x8000},              // underflow keeps the sign
		{math.NaN(), 0x7e00},
	} {
		if got := FromFloat64(tt.x); got != tt.h {
			t.Errorf("FromFloat64(%v) = %#04x, want %#04x", tt.x, got, tt.h)
		}
	}
}

// TestNearest: for random float32 values the result is a nearest float16:
// no other float16 is closer.
func TestNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		x := float64(math.Float32frombits(rng.Uint32()))
		if math.IsNaN(x) || math.Abs(x) >= 65520 {
			continue
		}
		h := FromFloat64(x)
		got := ToFloat64(h)
		err := math.Abs(got - x)
		for _, nb := range []uint16{h - 1, h + 1} {
			if v := ToFloat64(nb); !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v-x) < err && math.Signbit(v) == math.Signbit(got) {
				t.Fatalf("FromFloat64(%v) = %v, but %v is closer", x, got, v)
			}
		}
		if err > Ulp(x)/2 {
			t.Fatalf("FromFloat64(%v) = %v: error %v above half an ulp %v", x, got, err, Ulp(x)/2)
		}
	}
}

// TestToFloat64Formula: widening agrees with the textbook formula
// (-1)^s · 2^(e-15) · (1 + m/1024), subnormals 2^-24 · m, for every bit
// pattern.
func TestToFloat64Formula(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got, want := ToFloat64(uint16(h)), formula(uint16(h))
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) || math.Signbit(got) != math.Signbit(want) && !math.IsNaN(want) {
			t.Fatalf("%#04x: %v, want %v", h, got, want)
		}
	}
}

func formula(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0: // zero or subnormal: mant · 2^-24
		return sign * math.Ldexp(mant, -24)
	case 0x1f:
		if mant == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+mant, exp-25)
}

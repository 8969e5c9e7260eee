// Package half converts IEEE 754 binary16 ("float16", Parquet FLOAT16,
// safetensors F16) values to and from float32 and float64.
//
// Widening is exact (subnormals, infinities and NaN included). Narrowing
// rounds to the nearest float16, ties to even, with gradual underflow to
// subnormals and overflow to infinity, as IEEE 754 (and numpy's astype,
// torch's .half()) do. arrow-go's float16 package truncates and flushes
// subnormals to zero, so it is not used for writing.
package half

import "math"

// ToFloat32 returns the float16 bits h as a float32, exactly.
func ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // infinity or NaN (payload kept)
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias 15 -> 127
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	f := float32(mant) * 0x1p-24 // subnormal: exact in float32
	if sign != 0 {
		f = -f
	}
	return f
}

// ToFloat64 returns the float16 bits h as a float64, exactly.
func ToFloat64(h uint16) float64 { return float64(ToFloat32(h)) }

// FromFloat64 rounds x to the nearest float16 (ties to even) and returns its
// bits. Values at or beyond 65520 in magnitude become infinities; NaN stays
// a (quiet) NaN.
func FromFloat64(x float64) uint16 {
	var sign uint16
	if math.Signbit(x) {
		sign, x = 0x8000, -x
	}
	switch {
	case x != x:
		return sign | 0x7e00
	case x >= 65520: // halfway between 65504 (the largest half) and 65536 rounds to even: infinity
		return sign | 0x7c00
	case x < 0x1p-14: // subnormal range: units of 2^-24; 1024 units is the smallest normal, same bits
		return sign | uint16(math.RoundToEven(x*0x1p24))
	}
	fr, e := math.Frexp(x)                            // x = fr·2^e, fr in [0.5, 1)
	m := uint16(math.RoundToEven(math.Ldexp(fr, 11))) // [1024, 2048]: a carry to 2048 bumps the exponent
	return sign | (uint16(e-1+15) << 10) + (m - 1024)
}

// FromFloat32 is FromFloat64 for a float32 (one rounding: float32 → float64 is exact).
func FromFloat32(x float32) uint16 { return FromFloat64(float64(x)) }

// Ulp returns the spacing of float16 values at x (the distance from |x|'s
// float16 neighbour below to the next one up), for error bounds in tests
// and tools.
func Ulp(x float64) float64 {
	x = math.Abs(x)
	if x < 0x1p-14 {
		return 0x1p-24
	}
	_, e := math.Frexp(x)
	return math.Ldexp(1, e-11)
}

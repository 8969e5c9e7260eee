package attention

import "math"

// expCorrect returns exp(x) correctly rounded to float64 (barring results
// within about 2^-96 relative of a rounding midpoint). Kernel weights use it
// instead of math.Exp, whose last bit differs from the C library's on a few
// percent of arguments: glibc's exp (what numpy calls without AVX-512) is
// correctly rounded in practice, and numpy's AVX-512 exp agrees with it on
// most arguments, so this maximizes bit-for-bit parity with scipy's kernel.
// It is slow (double-double arithmetic) and meant for kernel construction.
func expCorrect(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 709.7:
		return math.Exp(x) // overflow region: Inf or the last finite values
	case x < -708:
		return math.Exp(x) // subnormal results: already exact enough
	case x == 0:
		return 1
	}
	// x = k*ln2 + r, |r| <= ln2/2, r as a double-double (rh, rl).
	const ln2Hi = 0x1.62e42fefa39efp-1 // ln2 rounded to float64
	const ln2Lo = 0x1.abc9e3b39803fp-56
	k := math.Round(x / math.Ln2)
	ph, pl := twoProd(k, ln2Hi) // exact
	rh, rl := twoSum(x, -ph)    // exact
	rh, rl = ddAdd(rh, rl, -pl, -k*ln2Lo)
	// exp(r) = (exp(r/256))^256; expm1 of the small argument by Taylor
	// series, then t -> 2t + t² eight times (expm1 of the doubled argument).
	sh, sl := math.Ldexp(rh, -8), math.Ldexp(rl, -8)
	// Horner: t = s(1 + s/2(1 + s/3(... (1 + s/12))))
	th, tl := 1.0, 0.0
	for n := 12; n >= 2; n-- {
		th, tl = ddMul(th, tl, sh, sl)
		th, tl = ddDivSmall(th, tl, float64(n))
		th, tl = ddAdd(th, tl, 1, 0)
	}
	th, tl = ddMul(th, tl, sh, sl)
	for i := 0; i < 8; i++ {
		qh, ql := ddMul(th, tl, th, tl)
		th, tl = ddAdd(2*th, 2*tl, qh, ql)
	}
	eh, el := ddAdd(1, 0, th, tl)
	// Scale by 2^k; the result is normal here, so this is exact.
	return math.Ldexp(eh+el, int(k))
}

func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return
}

func twoProd(a, b float64) (p, e float64) {
	p = a * b
	e = math.FMA(a, b, -p)
	return
}

func ddAdd(ah, al, bh, bl float64) (float64, float64) {
	s, e := twoSum(ah, bh)
	t, f := twoSum(al, bl)
	e += t
	s, e = twoSum(s, e)
	e += f
	return twoSum(s, e)
}

func ddMul(ah, al, bh, bl float64) (float64, float64) {
	p, e := twoProd(ah, bh)
	e += ah*bl + al*bh
	return twoSum(p, e)
}

// ddDivSmall divides a double-double by a small integer d.
func ddDivSmall(ah, al, d float64) (float64, float64) {
	q1 := ah / d
	ph, pl := twoProd(q1, d)
	r, _ := ddAdd(ah, al, -ph, -pl)
	q2 := r / d
	return twoSum(q1, q2)
}

// expNumpySVML reproduces, bit for bit, the float64 exp numpy uses on x86-64
// CPUs with AVX-512 (SKX level): the low-accuracy exp of Intel SVML bundled
// with numpy >= 1.22 (up to a few ulp from the correctly rounded value).
// Verified equal to numpy 1.24's np.exp on 20,657 arguments in [-40, 0].
// Steps: N = x*log2(e) rounded toward zero to a multiple of 1/16 (one fused
// multiply-add in round-toward-zero mode against the shifter 1.5*2^48);
// r = x - N*ln2 with ln2 in two parts (two FMAs); expm1(r) by the degree-6
// polynomial r + c2 r² + r³((c6 r + c5) r² + c4 r + c3) in FMAs; the result
// is Th*expm1(r) + Th scaled by 2^floor(N), Th = 2^(j/16), j the 4
// fractional bits of N. Arguments with |x| >= 707.7 (the library's slow path)
// fall back to expCorrect.
func expNumpySVML(x float64) float64 {
	const (
		log2e   = 0x1.71547652b82fep+0
		shifter = 0x1.8000000003ff0p+48 // 1.5*2^48 + 1023
		ln2Hi   = 0x1.62e42fefa39efp-1
		ln2Lo   = 0x1.abc9e3b39803fp-56
		c2      = 0x1.0000000002622p-1
		c3      = 0x1.5555554b508a2p-3
		c4      = 0x1.555564bb4f5f0p-5
		c5      = 0x1.1106603d97c00p-7
		c6      = 0x1.72eb5ef0d213dp-10
		thresh  = 0x1.61da04cbafe44p+9
	)
	if !(math.Abs(x) < thresh) {
		return expCorrect(x)
	}
	z := fmaTowardZeroPositive(x, log2e, shifter)
	n := z - shifter // exact
	j := math.Float64bits(z) & 15
	r := math.FMA(-n, ln2Hi, x)
	r = math.FMA(-ln2Lo, n, r)
	r2 := r * r
	p56 := math.FMA(c6, r, c5)
	p34 := math.FMA(c4, r, c3)
	r3 := r2 * r
	p12 := math.FMA(r2, c2, r)
	p36 := math.FMA(r2, p56, p34)
	p16 := math.FMA(r3, p36, p12)
	th := exp2Sixteenths[j]
	// 2^floor(n) is a normal number here (|n| < 1022): scaling is exact.
	scale := math.Float64frombits(uint64(1023+int64(math.Floor(n))) << 52)
	return math.FMA(th, p16, th) * scale
}

// exp2Sixteenths[j] is 2^(j/16) rounded to nearest.
var exp2Sixteenths = [16]float64{
	0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
	0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
	0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
	0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
}

// fmaTowardZeroPositive returns a*b + c rounded toward zero, for a result
// known to be positive and within [2^48, 2^49) with |a*b| far below c (the
// exp shifter): the round-to-nearest FMA, stepped down when it rounded up.
func fmaTowardZeroPositive(a, b, c float64) float64 {
	p := math.FMA(a, b, c)
	ph, pl := twoProd(a, b) // a*b = ph + pl exactly
	s, e := twoSum(ph, c)   // ph + c = s + e exactly
	// exact - p = (s - p) + e + pl; s - p is exact (Sterbenz) and a multiple
	// of ulp(p), which dominates |e + pl| unless it is zero.
	d := s - p
	if d < 0 || d == 0 && e+pl < 0 {
		return math.Float64frombits(math.Float64bits(p) - 1) // p > 0: next toward zero
	}
	return p
}

package attention

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// pushSizes splits n rows into random pushes, including empty ones and
// single rows.
func pushSizes(rng *rand.Rand, n int) []int {
	var sizes []int
	for left := n; left > 0; {
		var k int
		switch rng.IntN(5) {
		case 0:
			k = 0
		case 1:
			k = 1
		case 2:
			k = left
		default:
			k = 1 + rng.IntN(max(1, n/3))
		}
		k = min(k, left)
		sizes = append(sizes, k)
		left -= k
	}
	if rng.IntN(3) == 0 {
		sizes = append(sizes, 0)
	}
	return sizes
}

// randomSeries returns n×d values with NaNs at random positions (nanRate
// in 100), also at the ends of the sequence, and with infinities when
// nanRate > 1.
func randomSeries(rng *rand.Rand, n, d int, nanRate int) []float64 {
	x := make([]float64, n*d)
	for i := range x {
		switch k := rng.IntN(100); {
		case k < nanRate:
			x[i] = math.NaN()
		case k == 99 && nanRate > 1:
			x[i] = math.Inf(1 - 2*rng.IntN(2))
		default:
			x[i] = rng.NormFloat64() * 100
		}
	}
	if n > 0 && nanRate > 0 {
		switch rng.IntN(4) {
		case 0:
			x[rng.IntN(d)] = math.NaN()
		case 1:
			x[(n-1)*d+rng.IntN(d)] = math.NaN()
		}
	}
	return x
}

// nanBitsFree is set while comparing outputs of inputs with infinities
// (see sameBits64).
var nanBitsFree bool

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// streamAll pushes x through st in the given row counts and closes it,
// checking that no push returns more rows than it was given.
func streamAll[T float32 | float64](t *testing.T, st *Stream[T], x []T, d int, sizes []int) []T {
	t.Helper()
	var out []T
	at := 0
	for _, k := range sizes {
		before := len(out)
		out = st.Push(out, x[at*d:(at+k)*d])
		if got := (len(out) - before) / max(d, 1); got > k {
			t.Fatalf("push of %d rows returned %d", k, got)
		}
		at += k
	}
	return st.Close(out)
}

// sameBits64 checks that got has the bits of want. With infinities in the
// input, NaN outputs are only checked to be NaN: IEEE 754 leaves it to the
// hardware and the compiler's operand order which NaN's payload survives
// Inf - Inf + NaN, and the whole-sequence path's own kernels (vector and
// scalar) differ there already. Inputs with one NaN payload and no
// infinities (nanRate <= 1 in randomSeries) give the same NaN bits too.
func sameBits64(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if nanBitsFree && got[i] != got[i] && want[i] != want[i] {
			continue
		}
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: [%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

func sameBits32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if nanBitsFree && got[i] != got[i] && want[i] != want[i] {
			continue
		}
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestStreamMatchesWhole: every mode that streams, order, NaN policy,
// radius (also r >= n and r = 0), channel count and split into pushes
// gives the bits of Smooth64/Smooth32 on the whole sequence.
func TestStreamMatchesWhole(t *testing.T) {
	defer func() { nanBitsFree = false }()
	rng := rand.New(rand.NewPCG(11, 4))
	modes := []string{"reflect", "nearest", "mirror", "constant"}
	dims := []int{1, 1, 2, 3, 8, 9, 17}
	for iter := 0; iter < 1500; iter++ {
		p := SmoothParams{
			Sigma: 0.3 + rng.Float64()*6, Truncate: 4, Radius: -1,
			Mode: modes[rng.IntN(len(modes))], Cval: rng.NormFloat64(), Order: rng.IntN(3),
		}
		if rng.IntN(4) == 0 {
			p.Radius = rng.IntN(12)
		}
		if p.Order == 0 && rng.IntN(2) == 0 {
			p.NaN = "interpolate"
		}
		long := iter%25 == 3 // the vector and interleaved kernels
		if long {
			p.Radius = 20 + rng.IntN(60)
		}
		s, err := NewSmoother(p)
		if err != nil {
			t.Fatal(err)
		}
		r := s.Radius()
		var n int
		switch rng.IntN(4) {
		case 0:
			n = rng.IntN(r + 1) // n <= r: nothing before Close
		case 1:
			n = rng.IntN(2*r + 2) // n < 2r+1
		default:
			n = rng.IntN(4*r + 40)
		}
		d := dims[rng.IntN(len(dims))]
		if long {
			n, d = 600+rng.IntN(2500), 1+rng.IntN(2)
		}
		rate := []int{0, 1, 5, 30}[rng.IntN(4)]
		x := randomSeries(rng, n, d, rate)
		nanBitsFree = rate > 1
		sizes := pushSizes(rng, n)

		want := make([]float64, n*d)
		s.Smooth64(want, x, n, d)
		st, err := s.NewStream64(d)
		if err != nil {
			t.Fatal(err)
		}
		sameBits64(t, "float64 stream", streamAll(t, st, x, d, sizes), want)
		// The stream is reusable after Close.
		sameBits64(t, "reused stream", streamAll(t, st, x, d, pushSizes(rng, n)), want)

		x32 := to32(x)
		want32 := make([]float32, n*d)
		s.Smooth32(want32, x32, n, d)
		st32, err := s.NewStream32(d)
		if err != nil {
			t.Fatal(err)
		}
		sameBits32(t, "float32 stream", streamAll(t, st32, x32, d, sizes), want32)
		if t.Failed() {
			t.Logf("iter %d %+v n=%d d=%d sizes=%v", iter, p, n, d, sizes)
			return
		}
	}
}

// TestStreamLag: output row i comes out with the push that completes row
// i+r, not later.
func TestStreamLag(t *testing.T) {
	s, _ := NewSmoother(SmoothParams{Sigma: 2, Truncate: 4, Radius: -1})
	r := s.Radius()
	st, _ := s.NewStream64(1)
	var out []float64
	for i := 0; i < 3*r; i++ {
		out = st.Push(out, []float64{float64(i)})
		if want := max(0, i+1-r); len(out) != want {
			t.Fatalf("after %d rows: %d outputs, want %d", i+1, len(out), want)
		}
	}
	if out = st.Close(out); len(out) != 3*r {
		t.Fatalf("after Close: %d outputs, want %d", len(out), 3*r)
	}
	if st.Lag() != r {
		t.Errorf("Lag() = %d, want %d", st.Lag(), r)
	}
}

func TestStreamWrapCannotStream(t *testing.T) {
	s, _ := NewSmoother(SmoothParams{Sigma: 2, Truncate: 4, Radius: -1, Mode: "wrap"})
	if _, err := s.NewStream64(3); !errors.Is(err, ErrCannotStream) {
		t.Errorf("NewStream64 in mode wrap: %v, want ErrCannotStream", err)
	}
	if _, err := s.NewStream32(3); !errors.Is(err, ErrCannotStream) {
		t.Errorf("NewStream32 in mode wrap: %v, want ErrCannotStream", err)
	}
}

// ascendingTimes returns n ascending times with ties, steps within the
// bandwidth and gaps beyond it.
func ascendingTimes(rng *rand.Rand, n int, h float64) []int64 {
	ts := make([]int64, n)
	cur := rng.Int64N(1000) - 500
	for i := range ts {
		switch rng.IntN(6) {
		case 0: // tie
		case 1:
			cur += int64(h*10) + rng.Int64N(int64(h*10)+1) // gap
		default:
			cur += rng.Int64N(int64(h) + 2)
		}
		ts[i] = cur
	}
	return ts
}

func streamAtAll[T float32 | float64, U timeValue](t *testing.T, st *StreamAt[T, U], x []T, ts []U, d int, sizes []int) []T {
	t.Helper()
	var out []T
	at := 0
	for _, k := range sizes {
		var err error
		out, err = st.Push(out, x[at*d:(at+k)*d], ts[at:at+k])
		if err != nil {
			t.Fatal(err)
		}
		at += k
	}
	return st.Close(out)
}

// TestStreamAtMatchesWhole: Nadaraya–Watson streamed over ascending times
// (int64 and float64, with ties and gaps) gives the bits of SmoothAt on the
// whole sequence, as does a Stream on a Bandwidth smoother (positions),
// whether the kernel values are cached or computed again.
func TestStreamAtMatchesWhole(t *testing.T) {
	defer func() { nanBitsFree = false }()
	rng := rand.New(rand.NewPCG(12, 5))
	dims := []int{1, 2, 3, 8, 9}
	defer func(l int) { streamBandLimit = l }(streamBandLimit)
	limits := []int{streamBandLimit, 0, 5, 40} // cache off, tiny (rows dropped and compacted), default
	for iter := 0; iter < 800; iter++ {
		streamBandLimit = limits[iter%len(limits)]
		p := SmoothParams{Bandwidth: 0.5 + rng.Float64()*8, Truncate: 1 + rng.Float64()*3}
		if rng.IntN(2) == 0 {
			p.NaN = "interpolate"
		}
		positional := iter%5 == 0 // SmoothAt on a positional smoother
		if positional {
			p = SmoothParams{Sigma: 0.5 + rng.Float64()*4, Truncate: 4, Radius: -1, NaN: p.NaN}
		}
		s, err := NewSmoother(p)
		if err != nil {
			t.Fatal(err)
		}
		h := math.Max(p.Bandwidth, p.Sigma)
		n := rng.IntN(120)
		d := dims[rng.IntN(len(dims))]
		rate := []int{0, 1, 2, 20}[rng.IntN(4)]
		x := randomSeries(rng, n, d, rate)
		nanBitsFree = rate > 1
		ts := ascendingTimes(rng, n, h)
		sizes := pushSizes(rng, n)

		want := make([]float64, n*d)
		s.SmoothAt64(want, x, ts, n, d)
		sameBits64(t, "int64 times", streamAtAll(t, NewStreamAt[float64, int64](s, d, 0), x, ts, d, sizes), want)

		x32 := to32(x)
		want32 := make([]float32, n*d)
		s.SmoothAt32(want32, x32, ts, n, d)
		sameBits32(t, "float32 data", streamAtAll(t, NewStreamAt[float32, int64](s, d, 0), x32, ts, d, sizes), want32)

		tf := make([]float64, n)
		for i, v := range ts {
			tf[i] = float64(v) * 0.37
		}
		s.SmoothAtFloat64(want, x, tf, n, d)
		sameBits64(t, "float times", streamAtAll(t, NewStreamAt[float64, float64](s, d, 0), x, tf, d, sizes), want)

		if !positional {
			s.Smooth64(want, x, n, d)
			st, err := s.NewStream64(d)
			if err != nil {
				t.Fatal(err)
			}
			sameBits64(t, "bandwidth over positions", streamAll(t, st, x, d, sizes), want)
		}
		if t.Failed() {
			t.Logf("iter %d %+v n=%d d=%d sizes=%v", iter, p, n, d, sizes)
			return
		}
	}
}

func TestStreamAtRejectsDescendingTimes(t *testing.T) {
	s, _ := NewSmoother(SmoothParams{Bandwidth: 2, Truncate: 4})
	st := NewStreamAt[float64, float64](s, 1, 0)
	out, err := st.Push(nil, []float64{1, 2, 3}, []float64{0, 1, 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]float64{{4}, {6, 5}, {math.NaN()}} {
		got, err := st.Push(out, make([]float64, len(bad)), bad)
		if !errors.Is(err, ErrNotAscending) || len(got) != len(out) {
			t.Errorf("push at times %v: %d rows, %v; want ErrNotAscending and nothing", bad, len(got)-len(out), err)
		}
	}
	// The stream is unchanged: it finishes as if the bad pushes never came.
	out = st.Close(out)
	want := make([]float64, 3)
	s.SmoothAtFloat64(want, []float64{1, 2, 3}, []float64{0, 1, 5}, 3, 1)
	sameBits64(t, "after rejected pushes", out, want)
}

// TestStreamAtCap: a window denser than the cap is reported, and the
// outputs stay exact.
func TestStreamAtCap(t *testing.T) {
	s, _ := NewSmoother(SmoothParams{Bandwidth: 10, Truncate: 4})
	n := 400
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = int64(i) * 20 // 2 rows per window side
		if i >= 200 && i < 300 {
			ts[i] = ts[199] + int64(i-199) // 100 rows within 100 time units
		}
		if i >= 300 {
			ts[i] = ts[299] + int64(i-299)*20
		}
	}
	x := randomSeries(rand.New(rand.NewPCG(1, 1)), n, 2, 0)
	st := NewStreamAt[float64, int64](s, 2, 16)
	out, err := st.Push(nil, x[:200*2], ts[:200])
	if err != nil {
		t.Fatal(err)
	}
	if peak, over := st.Exceeded(); over || peak > 16 {
		t.Fatalf("sparse part: peak %d rows, exceeded %v", peak, over)
	}
	out, err = st.Push(out, x[200*2:], ts[200:])
	if err != nil {
		t.Fatal(err)
	}
	if peak, over := st.Exceeded(); !over || peak < 80 {
		t.Fatalf("dense part: peak %d rows, exceeded %v; want more than 80, true", peak, over)
	}
	out = st.Close(out)
	want := make([]float64, n*2)
	s.SmoothAt64(want, x, ts, n, 2)
	sameBits64(t, "capped stream", out, want)
	if _, over := st.Exceeded(); over {
		t.Error("Close did not reset the cap report")
	}
}

// TestStreamMemoryIndependentOfLength: pushing segment after segment into a
// reused destination allocates nothing once warm, however long the
// sequence, and the stream holds O(radius) rows.
func TestStreamMemoryIndependentOfLength(t *testing.T) {
	s, _ := NewSmoother(SmoothParams{Sigma: 5, Truncate: 4, Radius: -1, NaN: "interpolate"})
	const d, seg = 4, 256
	x := randomSeries(rand.New(rand.NewPCG(2, 2)), seg, d, 3)
	st, _ := s.NewStream64(d)
	dst := make([]float64, 0, seg*d)
	for i := 0; i < 4; i++ {
		dst = st.Push(dst[:0], x)
	}
	allocs := testing.AllocsPerRun(200, func() { dst = st.Push(dst[:0], x) })
	if allocs != 0 {
		t.Errorf("Push allocates %v times per segment", allocs)
	}
	if got, bound := st.HeldBytes(), StreamBytes(s.Radius(), d, seg); got > bound {
		t.Errorf("stream holds %d bytes after %d rows, want at most %d", got, 204*seg, bound)
	}

	sa := NewStreamAt[float64, int64](mustSmoother(t, SmoothParams{Bandwidth: 5, Truncate: 4}), d, 0)
	ts := make([]int64, seg)
	next := int64(0)
	push := func() {
		for i := range ts {
			ts[i] = next
			next++
		}
		dst, _ = sa.Push(dst[:0], x, ts)
	}
	for i := 0; i < 4; i++ {
		push()
	}
	if allocs := testing.AllocsPerRun(200, push); allocs != 0 {
		t.Errorf("StreamAt.Push allocates %v times per segment", allocs)
	}
	if peak, _ := sa.Exceeded(); peak > seg+41 {
		t.Errorf("StreamAt held %d rows, want at most a segment and a window", peak)
	}
}

func mustSmoother(t testing.TB, p SmoothParams) *Smoother {
	s, err := NewSmoother(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStreamBytesBound: whatever the pushes (up to seg rows), the sequence
// length, radius, channels and NaN policy, a Stream holds at most
// StreamBytes.
func TestStreamBytesBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 6))
	for iter := 0; iter < 60; iter++ {
		p := SmoothParams{Sigma: 0.5 + rng.Float64()*15, Truncate: 4, Radius: -1}
		if rng.IntN(2) == 0 {
			p.NaN = "interpolate"
		}
		s := mustSmoother(t, p)
		d := []int{1, 3, 8, 19}[rng.IntN(4)]
		seg := 1 + rng.IntN(2000)
		st, _ := s.NewStream32(d)
		x := to32(randomSeries(rng, seg, d, 3))
		var out []float32
		for range 1 + rng.IntN(8) {
			k := rng.IntN(seg + 1)
			out = st.Push(out[:0], x[:k*d])
		}
		out = st.Close(out[:0])
		if got, bound := st.HeldBytes(), StreamBytes(s.Radius(), d, seg); got > bound {
			t.Fatalf("r=%d d=%d seg=%d: holds %d bytes, StreamBytes %d", s.Radius(), d, seg, got, bound)
		}
	}
}

// TestStreamShortSequenceLargeRadius: before its first output a stream
// holds only the rows pushed, not 2·radius rows per channel, and a short
// sequence still smooths as the whole call does.
func TestStreamShortSequenceLargeRadius(t *testing.T) {
	s := mustSmoother(t, SmoothParams{Sigma: 3000, Radius: 1 << 14, Mode: "mirror"})
	const d, n = 32, 6
	x := randomSeries(rand.New(rand.NewPCG(3, 3)), n, d, 0)
	st, _ := s.NewStream64(d)
	var out []float64
	for i := 0; i < n; i++ {
		out = st.Push(out, x[i*d:(i+1)*d])
	}
	if got := st.HeldBytes(); got > 8*d*2*n {
		t.Errorf("holds %d bytes for %d rows of %d channels at radius %d", got, n, d, s.Radius())
	}
	want := make([]float64, n*d)
	s.Smooth64(want, x, n, d)
	sameBits64(t, "short sequence", st.Close(out), want)
}

package attention

// Memory the computations hold besides their input and output, so that
// callers can charge it to a memory budget or refuse what cannot fit.

// SmoothScratchBytes bounds the scratch one positional smoothing call on
// an n×d sequence takes with a kernel of radius r: the padded lines of a
// channel tile (n+2r float64 each, grown by a quarter), their outputs, the
// edge windows and interpolation masks, the interleaved rows, and the
// kernel weights. With n = 0 it is the part the radius alone sets, which
// every worker holds whatever the data.
func SmoothScratchBytes(r, n, d int) int64 {
	lines := int64(min(chanTile, max(d, 1)))
	m := int64(n) + 2*int64(r)
	floats := lines*m*5/4 + lines*int64(n)*5/4 + 3*int64(r) + 2*(int64(n)+8)*5/4 + m*5/4 + int64(r) + 1
	return 8*floats + 4*(m+1)
}

// ScratchBytes is SmoothScratchBytes for this smoother's radius (0 for a
// Bandwidth smoother, whose scratch grows with n only).
func (s *Smoother) ScratchBytes(n, d int) int64 { return SmoothScratchBytes(s.r, n, d) }

// MHABytes is the memory an MHA of model dimension d keeps for its
// weights: the float32 projections packed for the GEMM kernels and the
// float64 copies for Forward64 (4d² + 4d values each), plus the float64
// weights being loaded while it is made.
func MHABytes(d int) int64 {
	v := 4*int64(d)*int64(d) + 4*int64(d)
	return 4*v + 8*v + 8*v
}

// StreamBytes bounds the memory a Stream of d channels with a kernel of
// radius r holds when no push exceeds seg rows: the history (2r rows of d
// float64), one channel tile's extended lines and outputs, the
// interpolation masks and the interleaved kernel's rows. It does not
// depend on the sequence's length.
func StreamBytes(r, d, seg int) int64 {
	r64, d64, s64 := int64(r), int64(max(d, 1)), int64(seg)
	ext := s64 + 3*r64 + 1
	floats := d64*2*r64 + chanTile*ext*5/4 + chanTile*(s64+r64)*5/4 + ext*5/4 +
		8*(1024+2*r64+8)*5/4 + 8*(1024+8)*5/4
	return 8*floats + 4*ext*5/4
}

// HeldBytes returns the memory the stream holds now (its buffers'
// capacity), for a caller's memory budget.
func (st *Stream[T]) HeldBytes() int64 {
	if st.at != nil {
		return st.at.HeldBytes() + 8*int64(cap(st.ts))
	}
	sc := &st.sc
	floats := cap(st.hist) + cap(sc.tile) + cap(sc.out) + cap(sc.aux) + cap(sc.rows)
	return 8*int64(floats) + 4*int64(cap(sc.cnt))
}

// HeldBytes returns the memory the stream holds now (its buffers'
// capacity): the rows of the window and the last segment, and the cached
// kernel values (at most 2 MiB).
func (st *StreamAt[T, U]) HeldBytes() int64 {
	return 8 * int64(cap(st.x)+cap(st.t)+cap(st.off)+cap(st.band)+cap(st.k))
}

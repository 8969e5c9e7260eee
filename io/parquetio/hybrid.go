package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// decodeHybrid decodes exactly n values of bitWidth bits (at most 32)
// from b, an RLE / bit-packed hybrid run sequence (levels, dictionary
// indexes), into dst's storage. It never produces more than n values, so a
// run header claiming billions of values costs nothing; the caller checks
// the runs' total with scanRuns first, as parquet-go's decoder needs for a
// chunk it reads later. Runs that end before n values are an error.
func decodeHybrid[T uint8 | uint32](dst []T, b []byte, bitWidth, n int) ([]T, error) {
	if bitWidth < 0 || bitWidth > 32 {
		return nil, fmt.Errorf("bit width %d", bitWidth)
	}
	if cap(dst) < n {
		dst = make([]T, 0, n)
	}
	h := hybridReader[T]{b: b, w: bitWidth}
	return h.read(dst[:0], n)
}

// hybridReader decodes an RLE / bit-packed hybrid run sequence a piece at
// a time (a streamed page's levels, window by window).
type hybridReader[T uint8 | uint32] struct {
	b      []byte // the runs not yet started
	w      int    // bit width, at most 32
	rle    int    // values left in the current run-length run
	val    T      // its value
	packed []byte // the current bit-packed run
	pi, pn int    // its next value and its value count
}

// read appends exactly n more values to dst, or fails.
func (h *hybridReader[T]) read(dst []T, n int) ([]T, error) {
	mask := uint64(1)<<h.w - 1
	want := len(dst) + n
	dst = slices.Grow(dst, n)
	for len(dst) < want {
		left := want - len(dst)
		switch {
		case h.rle > 0:
			k := min(h.rle, left)
			start := len(dst)
			dst = dst[:start+k]
			fill := dst[start:]
			fill[0] = h.val
			for c := 1; c < len(fill); c *= 2 {
				copy(fill[c:], fill[:c])
			}
			h.rle -= k
		case h.pi < h.pn:
			k := min(h.pn-h.pi, left)
			for ; k > 0 && h.pi%8 != 0; k-- { // to a group boundary
				dst = append(dst, T(bitsAt(h.packed, h.pi*h.w)&mask))
				h.pi++
			}
			if k > 0 {
				dst = unpackBits(dst, h.packed[h.pi/8*h.w:], h.w, k, mask)
				h.pi += k
			}
		default:
			if err := h.header(mask); err != nil {
				return nil, fmt.Errorf("%w after %d of %d values", err, len(dst)-(want-n), n)
			}
		}
	}
	return dst, nil
}

// header starts the next run.
func (h *hybridReader[T]) header(mask uint64) error {
	if len(h.b) == 0 {
		return errors.New("runs end")
	}
	v, k := binary.Uvarint(h.b)
	if k <= 0 {
		return errors.New("bad run header")
	}
	h.b = h.b[k:]
	if v&1 == 1 { // bit-packed: v>>1 groups of 8 values, w bytes each
		groups := v >> 1
		if groups > uint64(len(h.b)) || groups*uint64(h.w) > uint64(len(h.b)) {
			return fmt.Errorf("a bit-packed run of %d groups in %d bytes", groups, len(h.b))
		}
		nb := int(groups) * h.w
		h.packed, h.b = h.b[:nb], h.b[nb:]
		h.pi, h.pn = 0, int(groups)*8
		return nil
	}
	vb := (h.w + 7) / 8
	if vb > len(h.b) {
		return errors.New("a run without its value")
	}
	var x uint64
	for i := vb - 1; i >= 0; i-- {
		x = x<<8 | uint64(h.b[i])
	}
	h.b = h.b[vb:]
	if x > mask {
		return fmt.Errorf("run value %d wider than %d bits", x, h.w)
	}
	h.rle, h.val = int(min(v>>1, 1<<40)), T(x)
	return nil
}

// bitsAt returns the 64 bits of src from bit off on (zeros past its end).
func bitsAt(src []byte, off int) uint64 {
	var tail [8]byte
	copy(tail[:], src[off>>3:])
	return binary.LittleEndian.Uint64(tail[:]) >> (off & 7)
}

// unpackBits appends the first take values of bitWidth bits packed
// least significant bit first in src.
func unpackBits[T uint8 | uint32](dst []T, src []byte, bitWidth, take int, mask uint64) []T {
	if bitWidth == 0 {
		start := len(dst)
		dst = dst[:start+take]
		clear(dst[start:])
		return dst
	}
	start := len(dst)
	dst = dst[:start+take]
	out := dst[start:]
	i := 0
	if o8, ok := any(out).([]uint8); ok && bitWidth <= 2 {
		i = unpackSmall(o8, src, bitWidth, take)
	}
	if bitWidth <= 8 { // a group of 8 values is bitWidth bytes: one load
		for ; i+8 <= take && i/8*bitWidth+8 <= len(src); i += 8 {
			x := binary.LittleEndian.Uint64(src[i/8*bitWidth:])
			o := out[i : i+8 : i+8]
			for k := range o {
				o[k] = T(x >> (k * bitWidth) & mask)
			}
		}
	}
	if bitWidth > 8 && bitWidth <= 16 { // a group of 8 values: two loads of 4 values (at most 64 bits from a byte boundary)
		half, shift := 4*bitWidth/8, 4*bitWidth%8
		for ; i+8 <= take && i/8*bitWidth+half+8 <= len(src); i += 8 {
			g := src[i/8*bitWidth:]
			x, y := binary.LittleEndian.Uint64(g), binary.LittleEndian.Uint64(g[half:])>>shift
			o := out[i : i+8 : i+8]
			o[0], o[1], o[2], o[3] = T(x&mask), T(x>>bitWidth&mask), T(x>>(2*bitWidth)&mask), T(x>>(3*bitWidth)&mask)
			o[4], o[5], o[6], o[7] = T(y&mask), T(y>>bitWidth&mask), T(y>>(2*bitWidth)&mask), T(y>>(3*bitWidth)&mask)
		}
	}
	// while 8 bytes can be loaded from the value's first byte
	for ; i < take; i++ {
		bit := i * bitWidth
		p := bit >> 3
		if p+8 > len(src) {
			break
		}
		out[i] = T(binary.LittleEndian.Uint64(src[p:]) >> (bit & 7) & mask)
	}
	var tail [8]byte
	for ; i < take; i++ {
		bit := i * bitWidth
		p := bit >> 3
		clear(tail[:])
		copy(tail[:], src[p:])
		out[i] = T(binary.LittleEndian.Uint64(tail[:]) >> (bit & 7) & mask)
	}
	return dst
}

// spread1 and spread2 map a byte of 1-bit and 2-bit values to the 8 and 4
// values it holds, one per byte, little-endian.
var spread1, spread2 = func() (t1 [256]uint64, t2 [256]uint32) {
	for b := range 256 {
		for k := 0; k < 8; k++ {
			t1[b] |= uint64(b>>k&1) << (8 * k)
		}
		for k := 0; k < 4; k++ {
			t2[b] |= uint32(b>>(2*k)&3) << (8 * k)
		}
	}
	return
}()

// unpackSmall unpacks whole groups of 1- or 2-bit levels by table and
// returns how many values it unpacked.
func unpackSmall(out, src []byte, bitWidth, take int) int {
	groups := min(take/8, len(src)/bitWidth)
	if bitWidth == 1 {
		for g := 0; g < groups; g++ {
			binary.LittleEndian.PutUint64(out[g*8:], spread1[src[g]])
		}
	} else {
		for g := 0; g < groups; g++ {
			binary.LittleEndian.PutUint32(out[g*8:], spread2[src[2*g]])
			binary.LittleEndian.PutUint32(out[g*8+4:], spread2[src[2*g+1]])
		}
	}
	return groups * 8
}

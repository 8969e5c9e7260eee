package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
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
	dst = dst[:0]
	mask := uint64(1)<<bitWidth - 1
	for len(dst) < n {
		if len(b) == 0 {
			return nil, fmt.Errorf("%d of %d values", len(dst), n)
		}
		h, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errors.New("bad run header")
		}
		b = b[k:]
		left := n - len(dst)
		if h&1 == 1 { // bit-packed: h>>1 groups of 8 values, bitWidth bytes each
			groups := h >> 1
			if groups > uint64(len(b)) || groups*uint64(bitWidth) > uint64(len(b)) {
				return nil, fmt.Errorf("a bit-packed run of %d groups in %d bytes", groups, len(b))
			}
			nb := int(groups) * bitWidth
			take := min(int(groups)*8, left)
			dst = unpackBits(dst, b[:nb], bitWidth, take, mask)
			b = b[nb:]
			continue
		}
		vb := (bitWidth + 7) / 8
		if vb > len(b) {
			return nil, errors.New("a run without its value")
		}
		var v uint64
		for i := vb - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		b = b[vb:]
		if v > mask {
			return nil, fmt.Errorf("run value %d wider than %d bits", v, bitWidth)
		}
		cnt := left
		if h>>1 < uint64(left) {
			cnt = int(h >> 1)
		}
		start := len(dst)
		dst = dst[:start+cnt]
		fill := dst[start:]
		if len(fill) > 0 {
			fill[0] = T(v)
			for k := 1; k < len(fill); k *= 2 {
				copy(fill[k:], fill[:k])
			}
		}
	}
	return dst, nil
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

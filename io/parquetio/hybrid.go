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
		for i := range fill {
			fill[i] = T(v)
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

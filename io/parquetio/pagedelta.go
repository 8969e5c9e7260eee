package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go's DELTA_* decoders allocate what a page's headers declare
// before reading its values: a DELTA_BINARY_PACKED header's total value
// count (4 or 8 bytes a value: a DELTA_LENGTH_BYTE_ARRAY page of 64 keys
// whose lengths header claimed 89 million values asked for 340 MB), and
// for byte arrays the sum of the value lengths. checkDelta walks a page's
// DELTA_* values first (as parquet-go will) and refuses a page whose
// counts exceed its declared values, or whose values would decode to more
// than maxDeltaExpansion bytes a page byte (1 GB at most).
const (
	maxDeltaBlockSize = 65536 // parquet-go refuses larger blocks
	maxDeltaExpansion = 1 << 14
	deltaSlack        = 1 << 20
)

func isDelta(e format.Encoding) bool {
	return e == format.DeltaBinaryPacked || e == format.DeltaLengthByteArray || e == format.DeltaByteArray
}

// checkDelta checks the values section b of a page of pageSize
// (uncompressed) bytes, encoded enc, holding at most nv values of the
// physical type typ. A page that decodes to more than memLimit bytes
// (when positive) gives a *deltaTooLarge.
func checkDelta(enc format.Encoding, typ format.Type, b []byte, nv int64, pageSize int, memLimit int64) error {
	var decoded int64
	switch enc {
	case format.DeltaBinaryPacked:
		width := 8
		if typ == format.Int32 {
			width = 4
		} else if typ != format.Int64 {
			return fmt.Errorf("%s values of type %s", enc, typ)
		}
		n, _, err := deltaBlocks(b, nv, 8*width)
		if err != nil {
			return fmt.Errorf("%s values: %w", enc, err)
		}
		decoded = n * int64(width)
	case format.DeltaLengthByteArray:
		lengths, rest, err := deltaLengths(b, nv)
		if err != nil {
			return fmt.Errorf("%s lengths: %w", enc, err)
		}
		sum := int64(0)
		for _, l := range lengths {
			if l < 0 {
				return fmt.Errorf("%s lengths: a negative length %d", enc, l)
			}
			sum += int64(l)
		}
		if sum > int64(len(rest)) {
			return fmt.Errorf("%s: values of %d bytes in total, expected at most the %d bytes left in the page", enc, sum, len(rest))
		}
		decoded = sum + 4*int64(len(lengths))
	case format.DeltaByteArray:
		var err error
		if decoded, err = checkPrefixed(b, nv); err != nil {
			return fmt.Errorf("%s %w", enc, err)
		}
	default:
		return nil
	}
	if limit := min(int64(pageSize)*maxDeltaExpansion+deltaSlack, maxPageBytes); decoded > limit {
		return fmt.Errorf("%s values decode to %d bytes, expected at most %d for a page of %d bytes", enc, decoded, limit, pageSize)
	}
	if memLimit > 0 && decoded > memLimit {
		return &deltaTooLarge{enc: enc, decoded: decoded}
	}
	return nil
}

// deltaTooLarge: a DELTA_* page that decodes to more than --memory-limit.
type deltaTooLarge struct {
	enc     format.Encoding
	decoded int64
}

func (e *deltaTooLarge) Error() string {
	return fmt.Sprintf("%s values decoding to %d bytes", e.enc, e.decoded)
}

// checkPrefixed checks DELTA_BYTE_ARRAY values: prefix lengths, suffix
// lengths, suffixes. It returns their decoded size.
func checkPrefixed(b []byte, nv int64) (int64, error) {
	prefix, rest, err := deltaLengths(b, nv)
	if err != nil {
		return 0, fmt.Errorf("prefix lengths: %w", err)
	}
	suffix, rest, err := deltaLengths(rest, nv)
	if err != nil {
		return 0, fmt.Errorf("suffix lengths: %w", err)
	}
	if len(prefix) != len(suffix) {
		return 0, fmt.Errorf("%d prefix lengths, expected one per suffix (%d)", len(prefix), len(suffix))
	}
	var total, suffixes, last int64
	for i, p := range prefix {
		s := suffix[i]
		if p < 0 || s < 0 || int64(p) > last {
			return 0, fmt.Errorf("value %d: prefix %d and suffix %d bytes after a value of %d", i, p, s, last)
		}
		last = int64(p) + int64(s)
		total += last
		suffixes += int64(s)
	}
	if suffixes > int64(len(rest)) {
		return 0, fmt.Errorf("suffixes of %d bytes in total, expected at most the %d bytes left in the page", suffixes, len(rest))
	}
	return total + 8*int64(len(prefix)), nil
}

// deltaLengths decodes the DELTA_BINARY_PACKED int32 lengths at the start
// of b (at most nv), with parquet-go's decoder once deltaBlocks has
// bounded them, and returns them and the bytes after them.
func deltaLengths(b []byte, nv int64) ([]int32, []byte, error) {
	n, end, err := deltaBlocks(b, nv, 32)
	if err != nil {
		return nil, nil, err
	}
	var e delta.BinaryPackedEncoding
	lengths, err := e.DecodeInt32(make([]int32, 0, n), b[:end])
	if err != nil {
		return nil, nil, err
	}
	return lengths, b[end:], nil
}

// deltaBlocks walks a DELTA_BINARY_PACKED sequence at the start of b as
// parquet-go's decoder does (a short last miniblock is padded), checking
// its header (block size a multiple of 128 up to 65536, miniblocks of a
// multiple of 32 values, at most nv values) and the bit widths of its
// miniblocks (at most maxWidth). It returns the value count and where
// the sequence ends.
func deltaBlocks(b []byte, nv int64, maxWidth int) (int64, int, error) {
	var hdr [3]uint64
	pos := 0
	for i, what := range []string{"block size", "miniblock count", "value count"} {
		u, n := binary.Uvarint(b[pos:])
		if n <= 0 {
			return 0, 0, fmt.Errorf("header: bad %s varint", what)
		}
		hdr[i], pos = u, pos+n
	}
	_, n := binary.Varint(b[pos:])
	if n <= 0 {
		return 0, 0, errors.New("header: bad first value varint")
	}
	pos += n
	blockSize, miniBlocks, total := hdr[0], hdr[1], hdr[2]
	if blockSize == 0 || blockSize%128 != 0 || blockSize > maxDeltaBlockSize {
		return 0, 0, fmt.Errorf("header: block size %d, expected a multiple of 128 up to %d", blockSize, maxDeltaBlockSize)
	}
	if miniBlocks == 0 || blockSize%miniBlocks != 0 || (blockSize/miniBlocks)%32 != 0 {
		return 0, 0, fmt.Errorf("header: %d miniblocks in a block of %d, expected miniblocks of a multiple of 32 values", miniBlocks, blockSize)
	}
	if total > uint64(max(nv, 0)) {
		return 0, 0, fmt.Errorf("header: %d values, expected at most the page's %d", total, nv)
	}
	if total == 0 {
		return 0, pos, nil
	}
	perMini := int(blockSize / miniBlocks)
	left := int(total) - 1
	for left > 0 && pos < len(b) {
		_, n = binary.Varint(b[pos:])
		if n <= 0 {
			return 0, 0, errors.New("bad min delta varint")
		}
		pos += n
		widths := b[pos:min(pos+int(miniBlocks), len(b))]
		pos += len(widths)
		for _, w := range widths {
			if int(w) > maxWidth {
				return 0, 0, fmt.Errorf("miniblock bit width %d, expected at most %d", w, maxWidth)
			}
			if w != 0 {
				pos = min(pos+perMini*int(w)/8, len(b))
			}
			left -= min(perMini, left)
			if left == 0 {
				break
			}
		}
	}
	if left > 0 {
		return 0, 0, fmt.Errorf("the page ends %d values short of its header's %d", left, total)
	}
	return int64(total), pos, nil
}

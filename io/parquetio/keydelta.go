package parquetio

import (
	"fmt"

	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/format"
)

// delta decodes a key page's DELTA_* values. They are bounded first as
// the page scan bounds them (checkDelta's limits and messages: value
// counts, block layout and bit widths, lengths against the page's bytes,
// decoded size against the page and --memory-limit); byte array lengths
// are decoded once, into the decoder's buffers, and checked there.
func (d *keyDecoder) delta(p *pageLoc, b []byte, out *keyPage) error {
	n := out.n
	var got int
	var err error
	switch {
	case p.enc == format.DeltaBinaryPacked:
		if err := checkDelta(p.enc, d.typ, b, int64(n), int(p.uncomp), d.f.pageLimit); err != nil {
			return err
		}
		if d.typ == format.Int32 {
			var v []int32
			if v, err = new(delta.BinaryPackedEncoding).DecodeInt32(intsIn[int32](d.fixed), b); err != nil {
				return err
			}
			d.fixed, got = leBytes(v), len(v)
		} else { // INT64: checkDelta refuses other types
			var v []int64
			if v, err = new(delta.BinaryPackedEncoding).DecodeInt64(intsIn[int64](d.fixed), b); err != nil {
				return err
			}
			d.fixed, got = leBytes(v), len(v)
		}
		out.fixed = d.fixed
	case d.typ != format.ByteArray && (p.enc == format.DeltaLengthByteArray || d.typ != format.FixedLenByteArray):
		return fmt.Errorf("values encoded %s in a %s column", p.enc, d.typ)
	case p.enc == format.DeltaLengthByteArray:
		if got, err = d.lengthPrefixed(p, b, out); err != nil {
			return err
		}
	default: // DELTA_BYTE_ARRAY, of BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY
		if got, err = d.prefixed(p, b, out); err != nil {
			return err
		}
	}
	if got != n {
		return fmt.Errorf("%d %s values for %d defined levels", got, p.enc, n)
	}
	return nil
}

// lengths decodes DELTA_BINARY_PACKED int32 lengths at the start of b
// (at most nv, bounded by deltaBlocks) into buffer k, and returns them and
// the bytes after them.
func (d *keyDecoder) lengths(k int, b []byte, nv int) ([]int32, []byte, error) {
	n, end, err := deltaBlocks(b, int64(nv), 32)
	if err != nil {
		return nil, nil, err
	}
	v, err := new(delta.BinaryPackedEncoding).DecodeInt32(d.lens[k][:0], b[:end])
	if err != nil {
		return nil, nil, err
	}
	d.lens[k] = v
	if int64(len(v)) != n {
		return nil, nil, fmt.Errorf("%d lengths decoded, the header says %d", len(v), n)
	}
	return v, b[end:], nil
}

// lengthPrefixed decodes DELTA_LENGTH_BYTE_ARRAY values: the values
// alias b.
func (d *keyDecoder) lengthPrefixed(p *pageLoc, b []byte, out *keyPage) (int, error) {
	enc := p.enc
	lengths, rest, err := d.lengths(0, b, out.n)
	if err != nil {
		return 0, fmt.Errorf("%s lengths: %w", enc, err)
	}
	var sum int64
	for _, l := range lengths {
		if l < 0 {
			return 0, fmt.Errorf("%s lengths: a negative length %d", enc, l)
		}
		sum += int64(l)
	}
	if sum > int64(len(rest)) {
		return 0, fmt.Errorf("%s: values of %d bytes in total, expected at most the %d bytes left in the page", enc, sum, len(rest))
	}
	if err := deltaFits(enc, sum+4*int64(len(lengths)), int(p.uncomp), d.f.pageLimit); err != nil {
		return 0, err
	}
	d.offs = append(d.offs[:0], 0)
	end := uint32(0)
	for _, l := range lengths {
		end += uint32(l)
		d.offs = append(d.offs, end)
	}
	out.data, out.offs = rest[:sum], d.offs
	return len(lengths), nil
}

// prefixed decodes DELTA_BYTE_ARRAY values (prefix lengths, suffix
// lengths, suffixes) into the decoder's data buffer.
func (d *keyDecoder) prefixed(p *pageLoc, b []byte, out *keyPage) (int, error) {
	enc := p.enc
	prefix, rest, err := d.lengths(0, b, out.n)
	if err != nil {
		return 0, fmt.Errorf("%s prefix lengths: %w", enc, err)
	}
	suffix, rest, err := d.lengths(1, rest, out.n)
	if err != nil {
		return 0, fmt.Errorf("%s suffix lengths: %w", enc, err)
	}
	if len(prefix) != len(suffix) {
		return 0, fmt.Errorf("%s %d prefix lengths, expected one per suffix (%d)", enc, len(prefix), len(suffix))
	}
	var total, suffixes, last int64
	for i, pl := range prefix {
		s := suffix[i]
		if pl < 0 || s < 0 || int64(pl) > last {
			return 0, fmt.Errorf("%s value %d: prefix %d and suffix %d bytes after a value of %d", enc, i, pl, s, last)
		}
		last = int64(pl) + int64(s)
		total += last
		suffixes += int64(s)
	}
	if suffixes > int64(len(rest)) {
		return 0, fmt.Errorf("%s suffixes of %d bytes in total, expected at most the %d bytes left in the page", enc, suffixes, len(rest))
	}
	if err := deltaFits(enc, total+8*int64(len(prefix)), int(p.uncomp), d.f.pageLimit); err != nil {
		return 0, err
	}
	if cap(d.data) < int(total) {
		d.data = make([]byte, 0, total)
	}
	d.data, d.offs = d.data[:0], append(d.offs[:0], 0)
	prev := 0 // where the previous value starts in d.data
	for i, pl := range prefix {
		start := len(d.data)
		d.data = append(d.data, d.data[prev:prev+int(pl)]...)
		d.data = append(d.data, rest[:suffix[i]]...)
		rest = rest[suffix[i]:]
		prev = start
		d.offs = append(d.offs, uint32(len(d.data)))
	}
	n := len(prefix)
	if d.width > 0 { // FIXED_LEN_BYTE_ARRAY
		if len(d.data) != n*d.width {
			return 0, fmt.Errorf("%d bytes of %s values, expected %d values of %d bytes", len(d.data), enc, n, d.width)
		}
		out.fixed = d.data
	} else {
		out.data, out.offs = d.data, d.offs
	}
	return n, nil
}

// deltaFits checks the decoded size of a DELTA_* page of pageSize bytes as
// checkDelta does: at most maxDeltaExpansion bytes a page byte (1 GB at
// most), and a *deltaTooLarge past memLimit (when positive).
func deltaFits(enc format.Encoding, decoded int64, pageSize int, memLimit int64) error {
	if limit := min(int64(pageSize)*maxDeltaExpansion+deltaSlack, maxPageBytes); decoded > limit {
		return fmt.Errorf("%s values decode to %d bytes, expected at most %d for a page of %d bytes", enc, decoded, limit, pageSize)
	}
	if memLimit > 0 && decoded > memLimit {
		return &deltaTooLarge{enc: enc, decoded: decoded}
	}
	return nil
}

package parquetio

import (
	"errors"
	"fmt"
	"io"
)

// Thrift compact protocol type ids.
const (
	tBoolTrue  = 1
	tBoolFalse = 2
	tByte      = 3
	tI16       = 4
	tI32       = 5
	tI64       = 6
	tDouble    = 7
	tBinary    = 8
	tList      = 9
	tSet       = 10
	tMap       = 11
	tStruct    = 12
)

// maxThriftDepth bounds struct and container nesting (the Parquet footer
// nests about 8 deep).
const maxThriftDepth = 64

// checkThrift walks one Thrift compact-protocol struct at the start of b
// without allocating, and returns its length. It fails when a declared
// list, map or binary length is more than the bytes left (each element
// takes at least one byte), or nesting exceeds maxThriftDepth. parquet-go's
// decoder allocates declared lengths before reading them (up to 2^31
// elements), so a one-byte change in a footer or page header could make it
// ask the OS for hundreds of gigabytes and die; after this check it
// allocates at most what the bytes can hold.
func checkThrift(b []byte) (int, error) {
	c := thriftChecker{b: b}
	if err := c.skip(tStruct, 0); err != nil {
		return 0, err
	}
	return c.pos, nil
}

type thriftChecker struct {
	b   []byte
	pos int
}

var errThriftEOF = errors.New("thrift data ends early")

func (c *thriftChecker) byte() (byte, error) {
	if c.pos >= len(c.b) {
		return 0, errThriftEOF
	}
	v := c.b[c.pos]
	c.pos++
	return v, nil
}

func (c *thriftChecker) uvarint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		x, err := c.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(x&0x7f) << shift
		if x < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("thrift varint longer than 10 bytes")
}

// length reads a length and checks that n elements of at least min bytes
// each fit in what is left.
func (c *thriftChecker) length(n uint64, min int) (int, error) {
	left := uint64(len(c.b) - c.pos)
	if n > left/uint64(min) {
		return 0, fmt.Errorf("thrift length %d at byte %d exceeds the %d bytes left", n, c.pos, left)
	}
	return int(n), nil
}

func (c *thriftChecker) skip(typ byte, depth int) error {
	if depth > maxThriftDepth {
		return fmt.Errorf("thrift data nested more than %d deep", maxThriftDepth)
	}
	switch typ {
	case tBoolTrue, tBoolFalse:
		return nil // in a struct field header; list elements are read by skipElem
	case tByte:
		_, err := c.byte()
		return err
	case tI16, tI32, tI64:
		_, err := c.uvarint()
		return err
	case tDouble:
		if len(c.b)-c.pos < 8 {
			return errThriftEOF
		}
		c.pos += 8
		return nil
	case tBinary:
		v, err := c.uvarint()
		if err != nil {
			return err
		}
		n, err := c.length(v, 1)
		if err != nil {
			return err
		}
		c.pos += n
		return nil
	case tList, tSet:
		h, err := c.byte()
		if err != nil {
			return err
		}
		size := uint64(h >> 4)
		if size == 15 {
			if size, err = c.uvarint(); err != nil {
				return err
			}
		}
		n, err := c.length(size, 1)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := c.skipElem(h&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tMap:
		v, err := c.uvarint()
		if err != nil {
			return err
		}
		n, err := c.length(v, 2)
		if err != nil || n == 0 {
			return err
		}
		kv, err := c.byte()
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := c.skipElem(kv>>4, depth+1); err != nil {
				return err
			}
			if err := c.skipElem(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tStruct:
		for {
			h, err := c.byte()
			if err != nil {
				return err
			}
			if h == 0 {
				return nil // stop
			}
			if h>>4 == 0 { // long form: the field id follows
				if _, err := c.uvarint(); err != nil {
					return err
				}
			}
			if err := c.skip(h&0x0f, depth+1); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("thrift type %d at byte %d is not a compact-protocol type", typ, c.pos)
}

// skipElem skips a list, set or map element: booleans take a byte there.
func (c *thriftChecker) skipElem(typ byte, depth int) error {
	if typ == tBoolTrue || typ == tBoolFalse {
		_, err := c.byte()
		return err
	}
	return c.skip(typ, depth)
}

// checkFooter reads the n-byte footer of a file of size bytes and checks
// it with checkThrift before parquet-go decodes it.
func checkFooter(r io.ReaderAt, size, n int64) error {
	b := make([]byte, n)
	if _, err := r.ReadAt(b, size-8-n); err != nil {
		return fmt.Errorf("reading the footer: %w", err)
	}
	if _, err := checkThrift(b); err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	return nil
}

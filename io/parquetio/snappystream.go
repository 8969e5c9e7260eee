package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// Parquet's SNAPPY pages are one raw snappy block each (no framing), and
// DuckDB writes a whole column chunk as one page: 100 MB for 65,536 x 384
// float32, its default codec being snappy. Decompressed whole, such a page
// costs its compressed and its decompressed bytes at once (400 MiB of RSS
// against 150 for the same rows in 8,192-row groups). A snappy block can
// be decoded front to back keeping only as much output as its copies reach
// back: snappyStream does that, once snappyReach has found how far back
// they reach (Google's snappy, golang/snappy, snap and DuckDB compress in
// 64 KiB blocks, so never more than 64 KiB; an encoder may reach further,
// and a page whose copies reach past maxSnappyWindow is read whole).

// maxSnappyWindow: a snappy page whose copies reach further back than this
// is decompressed whole instead of streamed (one in object storage, streamed
// unscanned with this window, is read again whole). Tests lower it.
var maxSnappyWindow int64 = 8 << 20

// snappyChunk is how many bytes a snappyStream decodes past its window
// before sliding the window back.
const snappyChunk = 1 << 20

var errSnappy = errors.New("snappy: corrupt input")

// errSnappyWindow: a snappyStream met a copy reaching further back than
// its window, which a page streamed without a scan (in object storage)
// then reads whole instead (pageStream.readWhole).
var errSnappyWindow = errors.New("snappy: a copy past the stream's window")

// snappyElement reads one element header from next (the tag, then the
// bytes its kind takes) and returns a literal's length (offset 0) or a
// copy's length and offset.
func snappyElement(next func() (byte, error)) (length, offset int64, err error) {
	tag, err := next()
	if err != nil {
		return 0, 0, err
	}
	le := func(k int) (int64, error) {
		var v int64
		for i := 0; i < k; i++ {
			b, err := next()
			if err != nil {
				return 0, err
			}
			v |= int64(b) << (8 * i)
		}
		return v, nil
	}
	switch tag & 3 {
	case 0: // literal: length-1 in the tag, or in the next 1-4 bytes
		x := int64(tag >> 2)
		if x >= 60 {
			if x, err = le(int(x - 59)); err != nil {
				return 0, 0, err
			}
		}
		return x + 1, 0, nil
	case 1: // copy, 1-byte offset: length 4-11, offset 11 bits
		b, err := next()
		if err != nil {
			return 0, 0, err
		}
		length, offset = 4+int64(tag>>2&7), int64(tag&0xe0)<<3|int64(b)
	case 2: // copy, 2-byte offset
		offset, err = le(2)
		length = 1 + int64(tag>>2)
	default: // copy, 4-byte offset
		offset, err = le(4)
		length = 1 + int64(tag>>2)
	}
	if err != nil {
		return 0, 0, err
	}
	if offset == 0 {
		return 0, 0, fmt.Errorf("%w: a copy at offset 0", errSnappy)
	}
	return length, offset, nil
}

// snappyReach scans the raw snappy block of n bytes at offset off of r
// without decoding it and returns the farthest back one of its copies
// reaches. It reads the element headers only (literals are skipped).
func snappyReach(r io.ReaderAt, off, n int64) (int64, error) {
	c := atScanner{r: r, pos: off, end: off + n, buf: make([]byte, 32<<10)}
	size, err := binary.ReadUvarint(&c)
	if err != nil {
		return 0, fmt.Errorf("%w: the decoded length: %v", errSnappy, err)
	}
	var out, reach int64
	for c.pos < c.end {
		length, offset, err := snappyElement(c.ReadByte)
		if err != nil {
			return 0, err
		}
		if offset == 0 {
			if length > c.end-c.pos {
				return 0, fmt.Errorf("%w: a literal of %d bytes, %d left", errSnappy, length, c.end-c.pos)
			}
			c.pos += length
		} else {
			if offset > out {
				return 0, fmt.Errorf("%w: a copy from %d bytes back after %d", errSnappy, offset, out)
			}
			reach = max(reach, offset)
		}
		out += length
	}
	if out != int64(size) {
		return 0, fmt.Errorf("%w: %d bytes decoded, the block says %d", errSnappy, out, size)
	}
	return reach, nil
}

// atScanner reads bytes [pos, end) of an io.ReaderAt through a buffer,
// and can jump ahead (setting pos).
type atScanner struct {
	r        io.ReaderAt
	pos, end int64
	buf      []byte
	bpos     int64 // file offset of buf[0]
	blen     int   // bytes of buf holding the file's
}

// ReadByte returns the byte at pos and advances.
func (c *atScanner) ReadByte() (byte, error) {
	if c.pos >= c.end {
		return 0, io.ErrUnexpectedEOF
	}
	i := c.pos - c.bpos
	if i < 0 || i >= int64(c.blen) {
		n := int(min(int64(len(c.buf)), c.end-c.pos))
		m, err := c.r.ReadAt(c.buf[:n], c.pos)
		if m < n {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		c.bpos, c.blen, i = c.pos, n, 0
	}
	c.pos++
	return c.buf[i], nil
}

// snappyStream decodes a raw snappy block as an io.Reader, keeping only
// window bytes of history for the copies (snappyReach's answer): memory
// window + snappyChunk + 64 KiB of input, whatever the block's size. A copy
// reaching further back, or any other inconsistency, is an error wrapping
// parquet.ErrCorrupted.
type snappyStream struct {
	src    io.Reader
	in     []byte // compressed bytes read, in[ip:ie] not yet decoded
	ip, ie int
	window int
	size   int64  // decoded length, from the block's preamble
	out    int64  // bytes decoded
	buf    []byte // history, then decoded bytes not yet read: buf[r:w]
	r, w   int
	lit    int64 // bytes of the current literal still to copy
	err    error // io.EOF after the block's last byte, or what stopped it
}

func newSnappyStream(window int) *snappyStream {
	return &snappyStream{window: window, buf: make([]byte, window+snappyChunk), in: make([]byte, 64<<10)}
}

func (s *snappyStream) reset(src io.Reader) error {
	s.src = src
	s.ip, s.ie, s.out, s.r, s.w, s.lit, s.err = 0, 0, 0, 0, 0, 0, nil
	size, err := binary.ReadUvarint(s)
	if err != nil {
		return s.corrupt("the decoded length: %v", err)
	}
	s.size = int64(size)
	return nil
}

// ReadByte reads one compressed byte (the preamble's).
func (s *snappyStream) ReadByte() (byte, error) {
	if err := s.more(1); err != nil {
		return 0, err
	}
	s.ip++
	return s.in[s.ip-1], nil
}

// more makes at least n (<= len(in)) compressed bytes available in
// in[ip:ie], reading from src; io.ErrUnexpectedEOF when it ends first.
func (s *snappyStream) more(n int) error {
	if s.ie-s.ip >= n {
		return nil
	}
	s.ie = copy(s.in, s.in[s.ip:s.ie])
	s.ip = 0
	for s.ie < n {
		k, err := s.src.Read(s.in[s.ie:])
		s.ie += k
		if err == io.EOF && s.ie < n {
			return io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}

func (s *snappyStream) corrupt(what string, args ...any) error {
	return fmt.Errorf("%w: %s: %w", errSnappy, fmt.Sprintf(what, args...), parquet.ErrCorrupted)
}

// Read returns decoded bytes, decoding up to snappyChunk more when none
// are left.
func (s *snappyStream) Read(p []byte) (int, error) {
	for s.r == s.w {
		if s.err != nil {
			return 0, s.err
		}
		s.fill()
	}
	n := copy(p, s.buf[s.r:s.w])
	s.r += n
	return n, nil
}

// fill slides the last window bytes to the front of the buffer and
// decodes elements after them until the buffer is full or the block ends.
func (s *snappyStream) fill() {
	if keep := min(s.window, s.w); s.w > keep {
		copy(s.buf, s.buf[s.w-keep:s.w])
		s.r, s.w = keep, keep
	}
	for s.w < len(s.buf) {
		if s.lit > 0 {
			s.literal()
			if s.err != nil {
				return
			}
			continue
		}
		if s.out == s.size {
			s.end()
			return
		}
		if len(s.buf)-s.w < 64 { // a copy's most
			return
		}
		if s.ie-s.ip < 5 {
			if err := s.more(5); err != nil && s.ie == s.ip {
				s.err = s.inputErr(err, "an element")
				return
			}
		}
		in := s.in[s.ip:s.ie]
		tag := in[0]
		var length, offset int
		switch tag & 3 {
		case 0:
			x, h := int64(tag>>2), 1
			if x >= 60 {
				h += int(x - 59)
				if len(in) < h {
					s.err = s.corrupt("the block ends in a literal's length")
					return
				}
				x = 0
				for i := h - 1; i >= 1; i-- {
					x = x<<8 | int64(in[i])
				}
			}
			s.ip += h
			if x+1 > s.size-s.out {
				s.err = s.corrupt("a literal of %d bytes past the %d the block holds", x+1, s.size)
				return
			}
			if n := int(x + 1); n <= len(in)-h && n <= len(s.buf)-s.w { // short: at once
				copy(s.buf[s.w:s.w+n], in[h:h+n])
				s.ip += n
				s.w += n
				s.out += int64(n)
				continue
			}
			s.lit = x + 1
			continue
		case 1:
			if len(in) < 2 {
				s.err = s.corrupt("the block ends in a copy")
				return
			}
			length, offset = 4+int(tag>>2&7), int(tag&0xe0)<<3|int(in[1])
			s.ip += 2
		case 2:
			if len(in) < 3 {
				s.err = s.corrupt("the block ends in a copy")
				return
			}
			length, offset = 1+int(tag>>2), int(binary.LittleEndian.Uint16(in[1:3]))
			s.ip += 3
		default:
			if len(in) < 5 {
				s.err = s.corrupt("the block ends in a copy")
				return
			}
			length, offset = 1+int(tag>>2), int(binary.LittleEndian.Uint32(in[1:5]))
			s.ip += 5
		}
		if int64(length) > s.size-s.out {
			s.err = s.corrupt("%d bytes past the %d the block holds", int64(length)-(s.size-s.out), s.size)
			return
		}
		if offset == 0 || int64(offset) > s.out {
			s.err = s.corrupt("a copy from %d bytes back after %d", offset, s.out)
			return
		}
		if offset > s.window {
			s.err = fmt.Errorf("%w: %w", errSnappyWindow, s.corrupt("a copy from %d bytes back (window %d)", offset, s.window))
			return
		}
		// a copy overlapping its own output repeats the last offset
		// bytes: copy them, then ever longer runs of whole periods
		from, end := s.w-offset, s.w+length
		k := copy(s.buf[s.w:end], s.buf[from:s.w])
		for s.w+k < end {
			k += copy(s.buf[s.w+k:end], s.buf[from:s.w+k])
		}
		s.w = end
		s.out += int64(length)
	}
}

// literal copies as much of the current literal as the buffer takes:
// from the input buffer, or straight from src when that is empty.
func (s *snappyStream) literal() {
	n := int(min(s.lit, int64(len(s.buf)-s.w)))
	if s.ip < s.ie {
		n = copy(s.buf[s.w:s.w+n], s.in[s.ip:s.ie])
		s.ip += n
	} else if n >= 4<<10 {
		if _, err := io.ReadFull(s.src, s.buf[s.w:s.w+n]); err != nil {
			s.err = s.inputErr(err, "a literal")
			return
		}
	} else {
		if err := s.more(1); err != nil {
			s.err = s.inputErr(err, "a literal")
			return
		}
		return
	}
	s.w += n
	s.lit -= int64(n)
	s.out += int64(n)
}

// end checks that the compressed bytes end with the block's last element.
func (s *snappyStream) end() {
	if err := s.more(1); err == nil {
		s.err = s.corrupt("bytes after the %d the block holds", s.size)
		return
	} else if err != io.ErrUnexpectedEOF {
		s.err = err
		return
	}
	s.err = io.EOF
}

// inputErr reports a failed read of the compressed bytes: a short block
// is corrupt, anything else (the file system's) is returned as it is.
func (s *snappyStream) inputErr(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return s.corrupt("the block ends in %s, after %d of %d bytes", what, s.out, s.size)
	}
	if errors.Is(err, errSnappy) {
		return fmt.Errorf("%w: %w", err, parquet.ErrCorrupted)
	}
	return err
}

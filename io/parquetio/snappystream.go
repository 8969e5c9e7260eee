package parquetio

import (
	"bufio"
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
// is decompressed whole instead of streamed.
const maxSnappyWindow = 8 << 20

// snappyChunk is how many bytes a snappyStream decodes past its window
// before sliding the window back.
const snappyChunk = 1 << 20

var errSnappy = errors.New("snappy: corrupt input")

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
// window + snappyChunk, whatever the block's size. A copy reaching further
// back, or any other inconsistency, is an error wrapping
// parquet.ErrCorrupted.
type snappyStream struct {
	src    *bufio.Reader
	window int
	size   int64  // decoded length, from the block's preamble
	out    int64  // bytes decoded
	buf    []byte // history, then decoded bytes not yet read: buf[r:w]
	r, w   int
	lit    int64 // bytes of the current literal still to copy
	err    error // io.EOF after the block's last byte, or what stopped it
}

func newSnappyStream(window int) *snappyStream {
	return &snappyStream{window: window, buf: make([]byte, window+snappyChunk)}
}

func (s *snappyStream) reset(src io.Reader) error {
	if s.src == nil {
		s.src = bufio.NewReaderSize(src, 64<<10)
	} else {
		s.src.Reset(src)
	}
	s.out, s.r, s.w, s.lit, s.err = 0, 0, 0, 0, nil
	size, err := binary.ReadUvarint(s.src)
	if err != nil {
		return s.corrupt("the decoded length: %v", err)
	}
	s.size = int64(size)
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
			n := int(min(s.lit, int64(len(s.buf)-s.w)))
			if _, err := io.ReadFull(s.src, s.buf[s.w:s.w+n]); err != nil {
				s.err = s.inputErr(err, "a literal")
				return
			}
			s.w += n
			s.lit -= int64(n)
			s.out += int64(n)
			continue
		}
		if s.out == s.size {
			if _, err := s.src.ReadByte(); err != io.EOF {
				s.err = s.inputErr(err, "the end")
				if err == nil {
					s.err = s.corrupt("bytes after the %d the block holds", s.size)
				}
				return
			}
			s.err = io.EOF
			return
		}
		if len(s.buf)-s.w < 64 { // a copy's most
			return
		}
		length, offset, err := snappyElement(s.src.ReadByte)
		if err != nil {
			s.err = s.inputErr(err, "an element")
			return
		}
		if s.out+length > s.size {
			s.err = s.corrupt("%d bytes past the %d the block holds", s.out+length-s.size, s.size)
			return
		}
		if offset == 0 {
			s.lit = length
			continue
		}
		if offset > s.out || offset > int64(s.window) {
			s.err = s.corrupt("a copy from %d bytes back after %d (window %d)", offset, s.out, s.window)
			return
		}
		from, n := s.w-int(offset), int(length)
		if int(offset) >= n {
			copy(s.buf[s.w:s.w+n], s.buf[from:from+n])
		} else {
			for i := range n { // overlapping: a run
				s.buf[s.w+i] = s.buf[from+i]
			}
		}
		s.w += n
		s.out += length
	}
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

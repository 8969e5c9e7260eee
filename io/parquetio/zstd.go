package parquetio

import (
	"encoding/binary"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is the zstd codec our writers use. It compresses like
// parquet-go's (klauspost/compress, default level, no checksum, empty input
// framed) with two differences that only change speed:
//
//   - Its encoders live as long as the process (zstdEncoders). parquet-go's
//     codec takes encoders from a sync.Pool, which every garbage collection
//     empties, and each fresh encoder allocated and cleared 16 MiB of
//     history (a third of the allocations and a fifth of the CPU of a
//     smoothing run); one encoder per writer still cost 1.5 MiB allocated
//     and cleared per output file, 56% of the bytes allocated and a quarter
//     of the CPU of a run over 2,000 small hive partitions.
//   - It stops trying on incompressible data. Float pages mostly are: the
//     encoder searches them for matches and then stores them raw anyway. When
//     a page compresses by less than 2%, the next rawRun pages (64 MiB of
//     1 MiB pages) are written straight as raw zstd blocks (what the encoder
//     would have produced, at the speed of a copy); then one is tried again.
//
// A codec is used by one writer, from one goroutine at a time (its skip
// count is not synchronised); the encoders it borrows are safe to share.
type zstdCodec struct {
	skip int // pages still to store raw without trying
}

const (
	// zstdWindow is the encoder's window: the largest page the fast writer
	// makes (larger pages still compress, with matches up to this distance).
	zstdWindow = 1 << 20
	// rawRun is how many pages are stored raw after one that did not
	// compress, before trying again.
	rawRun = 64
	// rawBlockMax is the largest zstd block (RFC 8878, Block_Maximum_Size).
	rawBlockMax = 128 << 10
)

func (c *zstdCodec) String() string { return "ZSTD" }

// CompressionCodec reports the Parquet codec id.
func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode compresses src into dst's storage.
func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	if c.takeRaw(len(src)) {
		return rawFrame(dst[:0], src), nil
	}
	enc, err := zstdEncoders.get()
	if err != nil {
		return dst[:0], err
	}
	out := enc.EncodeAll(src, dst[:0])
	zstdEncoders.put(enc)
	if len(src) >= 4<<10 && len(out) >= len(src)-len(src)/50 {
		c.skip = rawRun
	}
	return out, nil
}

// zstdEncoders are the process's zstd encoders, borrowed for one page at a
// time by every writer: a run over many small files makes as many encoders
// as pages were ever compressed at once (about one per worker), not one per
// file. EncodeAll resets an encoder's state without clearing its tables
// (old entries fall outside the window), so a reused encoder compresses
// each page exactly as a fresh one would. A plain free list rather than a
// sync.Pool: a collection would empty the pool, and encoders are made
// dearly and are small in number.
var zstdEncoders encoderPool

// encoderPool is a free list of zstd encoders with the writers' settings.
type encoderPool struct {
	mu   sync.Mutex
	free []*zstd.Encoder
	made int // encoders made (tests)
}

// get returns an idle encoder, or a new one when all are in use.
func (p *encoderPool) get() (*zstd.Encoder, error) {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		e := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return e, nil
	}
	p.made++
	p.mu.Unlock()
	return zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithZeroFrames(true),
		zstd.WithEncoderCRC(false),
		zstd.WithWindowSize(zstdWindow),
	)
}

// put gives an encoder back for the next page.
func (p *encoderPool) put(e *zstd.Encoder) {
	p.mu.Lock()
	p.free = append(p.free, e)
	p.mu.Unlock()
}

// Decode decompresses src into dst's storage (parquet-go's decoder).
func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return parquet.Zstd.Decode(dst, src)
}

// takeRaw reports whether the next page, of n bytes, is to be stored raw
// without trying to compress it (and counts it): the fast writer then
// frames it with writeRawFrame straight from the value slab.
func (c *zstdCodec) takeRaw(n int) bool {
	if c.skip > 0 && n > 0 {
		c.skip--
		return true
	}
	return false
}

// rawFrame appends to dst a zstd frame holding src uncompressed (RFC 8878):
// a single-segment frame header with the content size, then raw blocks of
// at most 128 KiB. src must not be empty.
func rawFrame(dst, src []byte) []byte {
	dst = rawFrameHeader(dst, len(src))
	for len(src) > 0 {
		size := min(len(src), rawBlockMax)
		dst = append(dst, rawBlockHeader(size, size == len(src))...)
		dst = append(dst, src[:size]...)
		src = src[size:]
	}
	return dst
}

// writeRawFrame writes the frame rawFrame would make, block by block from
// src without copying it first.
func writeRawFrame(write func([]byte) error, src []byte) error {
	var hdr [16]byte
	if err := write(rawFrameHeader(hdr[:0], len(src))); err != nil {
		return err
	}
	for len(src) > 0 {
		size := min(len(src), rawBlockMax)
		if err := write(rawBlockHeader(size, size == len(src))); err != nil {
			return err
		}
		if err := write(src[:size]); err != nil {
			return err
		}
		src = src[size:]
	}
	return nil
}

// rawFrameLen is the length of the frame rawFrame makes for n > 0 bytes.
func rawFrameLen(n int) int {
	return len(rawFrameHeader(nil, n)) + 3*((n+rawBlockMax-1)/rawBlockMax) + n
}

// rawFrameHeader appends the magic number and a Frame_Header_Descriptor
// with the Single_Segment_flag (bit 5) and a Frame_Content_Size_flag for
// the smallest field that holds n, then that field.
func rawFrameHeader(dst []byte, n int) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, 0xFD2FB528)
	u := uint64(n)
	switch {
	case u < 256:
		return append(dst, 0<<6|1<<5, byte(u))
	case u < 65536+256:
		dst = append(dst, 1<<6|1<<5)
		return binary.LittleEndian.AppendUint16(dst, uint16(u-256))
	case u <= 0xFFFFFFFF:
		dst = append(dst, 2<<6|1<<5)
		return binary.LittleEndian.AppendUint32(dst, uint32(u))
	default:
		dst = append(dst, 3<<6|1<<5)
		return binary.LittleEndian.AppendUint64(dst, u)
	}
}

// rawBlockHeader is the 3-byte header of a Raw_Block of size bytes.
func rawBlockHeader(size int, last bool) []byte {
	h := uint32(size) << 3 // Block_Type 0 (Raw_Block) in bits 1-2
	if last {
		h |= 1
	}
	return []byte{byte(h), byte(h >> 8), byte(h >> 16)}
}

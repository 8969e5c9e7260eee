package parquetio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// errPageSize marks a page whose data does not decompress to the size its
// header declares: more (a decompression bomb is cut off there) or less.
var errPageSize = errors.New("page size mismatch")

// decompressPage decompresses src, the body of a page compressed with
// codec, into dst's storage (reallocated if its capacity is below size)
// and returns exactly size bytes. It never produces or allocates more than
// size bytes of output, whatever src holds: the caller has checked size
// (the page header's uncompressed size) against the memory limit. Data
// that is corrupt, or decompresses to more or fewer than size bytes, is an
// error wrapping parquet.ErrCorrupted.
//
// It is the one place pages are decompressed: the value page reader
// (fetchPage), the pass-through verification, recompression and (through
// boundedCodec) parquet-go's page reader all call it.
func decompressPage(codec format.CompressionCodec, dst, src []byte, size int) ([]byte, error) {
	out, err := decompressInto(codec, dst, src, size, true)
	if err != nil {
		return nil, corruptPage(codec, err)
	}
	return out, nil
}

// decompressAtMost is decompressPage for callers that only know an upper
// bound: the output may be shorter than limit, never longer.
func decompressAtMost(codec format.CompressionCodec, dst, src []byte, limit int) ([]byte, error) {
	out, err := decompressInto(codec, dst, src, limit, false)
	if err != nil {
		return nil, corruptPage(codec, err)
	}
	return out, nil
}

func corruptPage(codec format.CompressionCodec, err error) error {
	return fmt.Errorf("decompressing a %s page: %w: %w", codec, err, parquet.ErrCorrupted)
}

func decompressInto(codec format.CompressionCodec, dst, src []byte, size int, exact bool) ([]byte, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	if cap(dst) < size {
		dst = make([]byte, size)
	}
	dst = dst[:size:size]
	var n int
	var err error
	switch codec {
	case format.Uncompressed:
		n, err = copyBounded(dst, src)
	case format.Snappy:
		n, err = snappyInto(dst, src)
	case format.Gzip:
		n, err = readInto(dst, src, gzipReader)
	case format.Brotli:
		n, err = readInto(dst, src, brotliReader)
	case format.Zstd:
		n, err = zstdInto(dst, src)
	case format.Lz4Raw:
		n, err = lz4Into(dst, src)
	default:
		return nil, fmt.Errorf("compression codec %s is not supported", codec)
	}
	if err != nil {
		return nil, err
	}
	if exact && n != size {
		return nil, fmt.Errorf("%w: %d bytes, the header says %d", errPageSize, n, size)
	}
	return dst[:n], nil
}

func copyBounded(dst, src []byte) (int, error) {
	if len(src) > len(dst) {
		return 0, fmt.Errorf("%w: more than %d bytes", errPageSize, len(dst))
	}
	return copy(dst, src), nil
}

func snappyInto(dst, src []byte) (int, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return 0, err
	}
	if n > len(dst) {
		return 0, fmt.Errorf("%w: %d bytes, more than %d", errPageSize, n, len(dst))
	}
	out, err := snappy.Decode(dst, src)
	if err != nil {
		return 0, err
	}
	return len(out), nil
}

func lz4Into(dst, src []byte) (int, error) {
	if len(dst) == 0 {
		if len(src) == 0 || (len(src) == 1 && src[0] == 0) {
			return 0, nil // an empty block
		}
		return 0, fmt.Errorf("%w: more than 0 bytes", errPageSize)
	}
	n, err := lz4.UncompressBlock(src, dst)
	if err != nil {
		return 0, fmt.Errorf("%w (or more than %d bytes)", err, len(dst))
	}
	return n, nil
}

// zstdDecoder decodes whole frames with DecodeAll, never past the
// capacity of the destination; its window is bounded so a frame header
// cannot make it allocate more than that.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxWindow(maxZstdWindow),
		zstd.WithDecoderLowmem(false),
	)
})

// maxZstdWindow bounds the history a zstd frame may ask for. Writers use
// windows up to their page size (parquet-go and DuckDB: 1 MiB pages,
// arrow: 8 MiB at most at default levels).
const maxZstdWindow = 128 << 20

func zstdInto(dst, src []byte) (int, error) {
	d, err := zstdDecoder()
	if err != nil {
		return 0, err
	}
	out, err := d.DecodeAll(src, dst[:0])
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return 0, fmt.Errorf("%w: more than %d bytes", errPageSize, len(dst))
	}
	if err != nil {
		return 0, err
	}
	if len(out) > 0 && &out[0] != &dst[0] {
		return 0, fmt.Errorf("%w: more than %d bytes", errPageSize, len(dst))
	}
	return len(out), nil
}

// streamReader is a pooled decompressing reader (gzip, brotli).
type streamReader interface {
	io.Reader
	reset(src io.Reader) error
}

type gzipStream struct{ *gzip.Reader }

func (g *gzipStream) reset(src io.Reader) error {
	if g.Reader == nil {
		z, err := gzip.NewReader(src)
		g.Reader = z
		return err
	}
	return g.Reader.Reset(src)
}

type brotliStream struct{ *brotli.Reader }

func (b *brotliStream) reset(src io.Reader) error {
	if b.Reader == nil {
		b.Reader = brotli.NewReader(src)
		return nil
	}
	return b.Reader.Reset(src)
}

// zstdStreamDec is a zstd stream decoder (one goroutine, synchronous),
// for reading the first bytes of a page.
type zstdStreamDec struct{ *zstd.Decoder }

func (z *zstdStreamDec) reset(src io.Reader) error {
	if z.Decoder == nil {
		d, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		z.Decoder = d
		return err
	}
	return z.Decoder.Reset(src)
}

var (
	zstdPool   = sync.Pool{New: func() any { return new(zstdStreamDec) }}
	gzipPool   = sync.Pool{New: func() any { return new(gzipStream) }}
	brotliPool = sync.Pool{New: func() any { return new(brotliStream) }}
)

func zstdStream() (streamReader, func()) {
	z := zstdPool.Get().(*zstdStreamDec)
	return z, func() { zstdPool.Put(z) }
}

func gzipReader() (streamReader, func()) {
	g := gzipPool.Get().(*gzipStream)
	return g, func() { gzipPool.Put(g) }
}

func brotliReader() (streamReader, func()) {
	b := brotliPool.Get().(*brotliStream)
	return b, func() { brotliPool.Put(b) }
}

// readInto decompresses src with a stream reader into dst, failing when
// the stream holds more than len(dst) bytes (it reads one byte past).
func readInto(dst, src []byte, get func() (streamReader, func())) (int, error) {
	r, put := get()
	defer put()
	if err := r.reset(bytes.NewReader(src)); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(r, dst)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return n, nil
	case err != nil:
		return 0, err
	}
	var one [1]byte
	m, err := r.Read(one[:])
	for i := 0; m == 0 && err == nil && i < 8; i++ {
		m, err = r.Read(one[:])
	}
	if m > 0 {
		return 0, fmt.Errorf("%w: more than %d bytes", errPageSize, len(dst))
	}
	if err != io.EOF {
		return 0, err
	}
	return n, nil
}

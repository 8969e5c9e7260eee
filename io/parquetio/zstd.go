package parquetio

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is the zstd codec our writers use. It compresses exactly like
// parquet-go's (klauspost/compress, default level, no CRC, empty input
// framed), but keeps one encoder for its whole life. parquet-go's codec
// takes encoders from a sync.Pool, which every garbage collection empties:
// a batch job collects often, and each fresh encoder allocated and cleared
// 16 MiB of history for an 8 MiB window (a third of the allocations and a
// fifth of the CPU of a smoothing run). The window is also cut to the page
// size, since each page is compressed alone.
type zstdCodec struct {
	once sync.Once
	enc  *zstd.Encoder
	err  error
}

// zstdWindow is the encoder's window: the largest page the fast writer
// makes (larger pages still compress, with matches up to this distance).
const zstdWindow = 1 << 20

func (c *zstdCodec) String() string { return "ZSTD" }

// CompressionCodec reports the Parquet codec id.
func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode compresses src into dst's storage.
func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	c.once.Do(func() {
		c.enc, c.err = zstd.NewWriter(nil,
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false),
			zstd.WithWindowSize(zstdWindow),
		)
	})
	if c.err != nil {
		return dst[:0], c.err
	}
	return c.enc.EncodeAll(src, dst[:0]), nil
}

// Decode decompresses src into dst's storage (parquet-go's decoder).
func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return parquet.Zstd.Decode(dst, src)
}

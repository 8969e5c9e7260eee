package parquetio

import (
	"fmt"
	_ "unsafe" // go:linkname

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/format"
)

// parquetCodecs is parquet-go's table of page codecs, which its page
// reader looks up when it opens a column. parquet-go offers no way to
// register a codec, and two of its decoders are unsafe on input we do not
// trust:
//
//   - LZ4_RAW decodes into a fresh buffer when the page's compressed size
//     times three exceeds its uncompressed size, and then returns the stale
//     page buffer: wrong bytes without an error (parquet-go/parquet-go#608,
//     open in v0.32.0). On a corrupt block it doubles its buffer forever.
//   - every decoder grows its output past the page header's uncompressed
//     size, so a 28 KB gzip page can expand to a gigabyte.
//
// init replaces every decoder with boundedCodec, which decodes with
// decompressPage's decoders into the buffer parquet-go sized from the page
// header, never past it. Encoders stay parquet-go's. Value and key
// columns are read by this package's page reader, which calls
// decompressPage itself; the patch stays because the fast writer's
// verification of passthrough chunks (verifyChunk, but for the chunks it
// streams), the writer's row path (--row-group-rows: passthrough columns
// and the value column's input levels) and the tests' reference readers (slowColumn, directReads off) still use
// parquet-go's page decoding. TestParquetGoCodecsAreBounded checks that
// the table is the one parquet-go uses.
//
//go:linkname parquetCodecs github.com/parquet-go/parquet-go.compressionCodecs
var parquetCodecs [format.Lz4Raw + 1]compress.Codec

func init() {
	for id, c := range parquetCodecs {
		if c != nil && format.CompressionCodec(id) != format.Uncompressed {
			parquetCodecs[id] = &boundedCodec{Codec: c}
		}
	}
}

// boundedCodec is a parquet-go codec whose Decode never writes past
// len(dst): parquet-go passes a buffer of the page header's uncompressed
// size (which validateChunk has checked against the memory limit).
type boundedCodec struct {
	compress.Codec // parquet-go's codec, for String, CompressionCodec and Encode
}

// Decode decompresses src into dst's storage, at most len(dst) bytes (at
// most maxPageBytes when dst is empty).
func (c *boundedCodec) Decode(dst, src []byte) ([]byte, error) {
	limit := len(dst)
	if limit == 0 {
		limit = maxPageBytes
	}
	return decompressAtMost(c.CompressionCodec(), dst, src, limit)
}

// lookupCodec is parquet-go's codec for id, bounded as above.
func lookupCodec(id format.CompressionCodec) (compress.Codec, error) {
	c := parquet.LookupCompressionCodec(id)
	if c.String() == "UNSUPPORTED" {
		return nil, fmt.Errorf("compression codec %s is not supported", id)
	}
	return c, nil
}

package parquetio

import (
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestParquetGoCodecsAreBounded: the table init patches is the one
// parquet-go's lookup (and so its page reader) uses.
func TestParquetGoCodecsAreBounded(t *testing.T) {
	for _, id := range []format.CompressionCodec{format.Snappy, format.Gzip, format.Brotli, format.Zstd, format.Lz4Raw} {
		c := parquet.LookupCompressionCodec(id)
		if _, ok := c.(*boundedCodec); !ok {
			t.Errorf("%s: parquet-go looks up %T, want *boundedCodec", id, c)
		}
		if c.CompressionCodec() != id {
			t.Errorf("%s: codec reports %s", id, c.CompressionCodec())
		}
	}
}

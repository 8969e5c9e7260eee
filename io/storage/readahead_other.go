//go:build !linux

package storage

// newBuf allocates a read-ahead buffer.
func newBuf(n int64) []byte { return make([]byte, n) }

// freeBuf leaves the buffer to the collector.
func freeBuf([]byte) {}

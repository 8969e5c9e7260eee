package storage

import "golang.org/x/sys/unix"

// newBuf maps n bytes outside the Go heap: read-ahead buffers live as
// long as the window needs them, and on the heap they would also raise
// the collector's goal (twice the live heap) by as much again. The bytes
// mapped are counted (MappedBytes).
func newBuf(n int64) []byte {
	page := int64(unix.Getpagesize())
	b, err := unix.Mmap(-1, 0, int((n+page-1)/page*page), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n)
	}
	mappedChanged(int64(len(b)))
	return b[:n]
}

// freeBuf unmaps a buffer of newBuf; nothing may use it afterwards.
func freeBuf(b []byte) {
	if cap(b) == 0 || unix.Munmap(b[:cap(b)]) != nil {
		// a buffer of make (Mmap failed): the collector frees it
		return
	}
	mappedChanged(-int64(cap(b)))
}

package storage

import "sync/atomic"

// Read-ahead buffers are mapped outside the Go heap where the platform
// allows it (readahead_linux.go), so the Go runtime's memory limit does
// not see them. A process that bounds its memory as a whole (package
// pipeline/job) counts them with MappedBytes and learns of every change
// through the function OnMappedChange installs.
var offHeap struct {
	bytes  atomic.Int64
	notify atomic.Pointer[func()]
}

// MappedBytes is the bytes of read-ahead buffers mapped outside the Go
// heap now.
func MappedBytes() int64 { return offHeap.bytes.Load() }

// OnMappedChange makes fn be called after every mapping or unmapping of a
// read-ahead buffer (nil: none). fn runs with the read-ahead's lock held:
// it must not call into this package.
func OnMappedChange(fn func()) {
	if fn == nil {
		offHeap.notify.Store(nil)
		return
	}
	offHeap.notify.Store(&fn)
}

// mappedChanged records that bytes were mapped (or, when negative,
// unmapped) outside the Go heap.
func mappedChanged(bytes int64) {
	offHeap.bytes.Add(bytes)
	if fn := offHeap.notify.Load(); fn != nil {
		(*fn)()
	}
}

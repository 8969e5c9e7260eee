package storage

import (
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadAheadBuffersCounted: every read-ahead buffer mapped outside the
// Go heap is counted in MappedBytes (whole pages) until it is unmapped,
// and each change calls the function OnMappedChange installed, which a
// process bounding its memory as a whole uses to retune its runtime's
// limit (pipeline/job).
func TestReadAheadBuffersCounted(t *testing.T) {
	var calls atomic.Int64
	OnMappedChange(func() { calls.Add(1) })
	defer OnMappedChange(nil)
	page := int64(unix.Getpagesize())
	before := MappedBytes()
	const n = 3<<20 + 5
	b := newBuf(n)
	if got, want := MappedBytes()-before, (n+page-1)/page*page; got != want || len(b) != n {
		t.Fatalf("a %d-byte buffer (len %d) counts %d bytes, want %d", n, len(b), got, want)
	}
	freeBuf(b)
	if got := MappedBytes(); got != before {
		t.Errorf("after unmapping it %d bytes are counted, want %d", got, before)
	}
	freeBuf(make([]byte, n)) // a buffer of make (mapping failed): not counted
	if got := MappedBytes(); got != before || calls.Load() != 2 {
		t.Errorf("%d bytes counted, want %d; %d calls, want 2", got, before, calls.Load())
	}
}

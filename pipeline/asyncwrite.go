package pipeline

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// asyncWriter buffers a unit's output and writes each full buffer to the
// file on a goroutine of its own, in order, so that the Processor's
// writer (one goroutine that encodes the output row group after row group)
// does not also wait in write(2). On this VM the kernel's copy into fresh
// page-cache pages costs about 3 ms per MB: smoothing DuckDB's 10 M-row
// file, the writer goroutine was the critical path, 0.45 s of its 1.6 s in
// write calls, while the workers idled.
//
// Writes fail once a write to the file has failed (with that error), and
// after close.
type asyncWriter struct {
	w      io.Writer
	cur    []byte      // the buffer being filled
	full   chan []byte // buffers to write, in order
	free   chan []byte // written buffers, to fill again
	done   chan struct{}
	err    atomic.Pointer[error] // the first write error
	closed bool
}

// asyncBuffers is how many buffers of writeBuffer bytes a unit's output
// has: one being filled, one being written, one queued.
const asyncBuffers = 3

var errWriterClosed = errors.New("write after the output was closed")

// newAsyncWriter starts writing to w; close must be called.
func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{w: w, full: make(chan []byte, asyncBuffers), free: make(chan []byte, asyncBuffers), done: make(chan struct{})}
	for range asyncBuffers - 1 {
		a.free <- getWriteBuffer()
	}
	a.cur = getWriteBuffer()
	go a.loop()
	return a
}

func (a *asyncWriter) loop() {
	defer close(a.done)
	for b := range a.full {
		if a.failed() == nil {
			if _, err := a.w.Write(b); err != nil {
				a.err.CompareAndSwap(nil, &err)
			}
		}
		a.free <- b[:0]
	}
}

func (a *asyncWriter) failed() error {
	if p := a.err.Load(); p != nil {
		return *p
	}
	return nil
}

// room returns the free tail of the current buffer, handing the buffer
// to the file first when it is full.
func (a *asyncWriter) room() []byte {
	if len(a.cur) == cap(a.cur) {
		a.full <- a.cur
		a.cur = <-a.free
	}
	return a.cur[len(a.cur):cap(a.cur)]
}

// Write copies p into the buffers, handing each full one to the file.
func (a *asyncWriter) Write(p []byte) (int, error) {
	if a.closed {
		return 0, errWriterClosed
	}
	if err := a.failed(); err != nil {
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		k := copy(a.room(), p)
		a.cur = a.cur[:len(a.cur)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// ReadFrom reads r to its end straight into the buffers, handing each
// full one to the file: a copy of the bytes fewer than reading them into
// a buffer of one's own and Writing that (the Parquet writer copies input
// column chunks verbatim this way). It returns the bytes read and the
// first error of r (its end is none) or of the file.
func (a *asyncWriter) ReadFrom(r io.Reader) (int64, error) {
	if a.closed {
		return 0, errWriterClosed
	}
	var n int64
	for {
		if err := a.failed(); err != nil {
			return n, err
		}
		k, err := r.Read(a.room())
		a.cur = a.cur[:len(a.cur)+k]
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// close writes what is buffered when flush is set, waits for the file's
// writes to end and returns the first error. The buffers go back to the
// pool unless keep (a panicking Processor might still hold the writer).
// Calls after the first return nil.
func (a *asyncWriter) close(flush, keep bool) error {
	if a.closed {
		return nil
	}
	a.closed = true
	if flush && len(a.cur) > 0 {
		a.full <- a.cur
	} else {
		a.free <- a.cur[:0]
	}
	a.cur = nil
	close(a.full)
	<-a.done
	close(a.free)
	if !keep {
		for b := range a.free {
			putWriteBuffer(b)
		}
	}
	return a.failed()
}

// writeBuffers keeps the output buffers of finished units for the next
// ones: a fresh 1 MiB buffer per output file was a third of the bytes a
// run over 2,000 small hive partitions allocated (and cleared). As many
// stay as units ever ran at once; a plain free list, since a collection
// would empty a sync.Pool.
var writeBuffers struct {
	sync.Mutex
	free [][]byte
}

// getWriteBuffer returns an empty buffer of writeBuffer bytes' capacity.
func getWriteBuffer() []byte {
	writeBuffers.Lock()
	defer writeBuffers.Unlock()
	if n := len(writeBuffers.free); n > 0 {
		b := writeBuffers.free[n-1]
		writeBuffers.free = writeBuffers.free[:n-1]
		return b[:0]
	}
	return make([]byte, 0, writeBuffer)
}

// putWriteBuffer gives a buffer back; nothing may use it after.
func putWriteBuffer(b []byte) {
	writeBuffers.Lock()
	writeBuffers.free = append(writeBuffers.free, b[:0])
	writeBuffers.Unlock()
}

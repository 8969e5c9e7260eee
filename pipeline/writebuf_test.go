package pipeline

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// TestWriteBuffersReused: the buffers of a closed output are handed out
// again, a failed unit's unwritten bytes dropped, writing only to its new
// file.
func TestWriteBuffersReused(t *testing.T) {
	var failed, next bytes.Buffer
	aw := newAsyncWriter(&failed)
	aw.Write([]byte("half a failed output"))
	aw.close(false, false)
	writeBuffers.Lock()
	free := len(writeBuffers.free)
	writeBuffers.Unlock()
	if free < asyncBuffers {
		t.Fatalf("%d buffers free after a close, want at least %d", free, asyncBuffers)
	}
	again := newAsyncWriter(&next)
	writeBuffers.Lock()
	left := len(writeBuffers.free)
	writeBuffers.Unlock()
	if left != free-asyncBuffers {
		t.Fatalf("%d buffers free after a new writer took its own from %d: fresh ones were made", left, free)
	}
	again.Write([]byte("next output"))
	if err := again.close(true, false); err != nil {
		t.Fatal(err)
	}
	if failed.Len() != 0 || next.String() != "next output" {
		t.Fatalf("failed unit's file got %q, next got %q", failed.String(), next.String())
	}
}

// TestAsyncWriterKeepsOrder: writes of every size, across many buffers,
// reach the file whole and in order.
func TestAsyncWriterKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var want, got bytes.Buffer
	aw := newAsyncWriter(&got)
	for want.Len() < 12*writeBuffer {
		p := make([]byte, rng.IntN(3*writeBuffer/2))
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		want.Write(p)
		if n, err := aw.Write(p); n != len(p) || err != nil {
			t.Fatalf("wrote %d of %d bytes: %v", n, len(p), err)
		}
	}
	if err := aw.close(true, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("the file got %d bytes, not the %d written in order", got.Len(), want.Len())
	}
	if _, err := aw.Write([]byte("late")); !errors.Is(err, errWriterClosed) {
		t.Fatalf("a write after close: %v", err)
	}
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

// TestAsyncWriterReportsWriteErrors: the file's write error comes back
// from a later Write and from close.
func TestAsyncWriterReportsWriteErrors(t *testing.T) {
	full := errors.New("no space left on device")
	f := &failAfter{n: 2 * writeBuffer, err: full}
	aw := newAsyncWriter(f)
	p := make([]byte, writeBuffer/3)
	var werr error
	for i := 0; i < 100 && werr == nil; i++ {
		_, werr = aw.Write(p)
	}
	if !errors.Is(werr, full) {
		t.Fatalf("Write after the file failed: %v, want its error", werr)
	}
	if err := aw.close(true, false); !errors.Is(err, full) {
		t.Fatalf("close: %v, want the file's error", err)
	}
}

// TestAsyncWriterReadFrom: bytes read from a reader straight into the
// buffers (ReadFrom, how the Parquet writer copies input chunks) reach the
// file whole and in order between Writes; a read error and the file's
// write error come back from it, the reader's end does not.
func TestAsyncWriterReadFrom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var want, got bytes.Buffer
	aw := newAsyncWriter(&got)
	for i := 0; want.Len() < 10*writeBuffer; i++ {
		p := make([]byte, rng.IntN(3*writeBuffer/2))
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		want.Write(p)
		if i%2 == 0 {
			if n, err := aw.ReadFrom(bytes.NewReader(p)); n != int64(len(p)) || err != nil {
				t.Fatalf("read %d of %d bytes: %v", n, len(p), err)
			}
		} else if n, err := aw.Write(p); n != len(p) || err != nil {
			t.Fatalf("wrote %d of %d bytes: %v", n, len(p), err)
		}
	}
	if err := aw.close(true, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("the file got %d bytes, not the %d read and written in order", got.Len(), want.Len())
	}
	if _, err := aw.ReadFrom(bytes.NewReader([]byte("late"))); !errors.Is(err, errWriterClosed) {
		t.Fatalf("a ReadFrom after close: %v", err)
	}

	bad := errors.New("input: I/O error")
	aw = newAsyncWriter(&got)
	if n, err := aw.ReadFrom(io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(bad))); n != 3 || !errors.Is(err, bad) {
		t.Fatalf("ReadFrom a failing reader: %d bytes, %v; want 3 and its error", n, err)
	}
	aw.close(false, false)

	full := errors.New("no space left on device")
	aw = newAsyncWriter(&failAfter{n: writeBuffer, err: full})
	if _, err := aw.ReadFrom(bytes.NewReader(make([]byte, 8*writeBuffer))); !errors.Is(err, full) {
		t.Fatalf("ReadFrom into a failing file: %v, want its error", err)
	}
	if err := aw.close(true, false); !errors.Is(err, full) {
		t.Fatalf("close: %v, want the file's error", err)
	}
}

package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// object is a remote object's bytes behind a fetch function that counts
// its calls and records the most bytes the read-ahead held at once.
type object struct {
	data []byte
	mu   sync.Mutex
	held int64 // peak of aheadPool.used seen by a fetch
	err  error
	hang bool // block every fetch until its context ends
}

func (o *object) fetch(ctx context.Context, p []byte, off int64) (int, error) {
	aheadPool.mu.Lock()
	used := aheadPool.used
	aheadPool.mu.Unlock()
	o.mu.Lock()
	o.held = max(o.held, used)
	err, hang := o.err, o.hang
	o.mu.Unlock()
	if hang {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	if err != nil {
		return 0, err
	}
	if off >= int64(len(o.data)) {
		return 0, io.EOF
	}
	n := copy(p, o.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func newObject(n int) *object {
	o := &object{data: make([]byte, n)}
	rand.NewChaCha8([32]byte{1, 2}).Read(o.data)
	return o
}

// fresh resets the process-wide window between tests.
func fresh(t *testing.T) {
	t.Helper()
	aheadPool.mu.Lock()
	defer aheadPool.mu.Unlock()
	if aheadPool.used != 0 {
		t.Fatalf("%d bytes still held by earlier readers", aheadPool.used)
	}
	aheadPool.limit = 0
}

// readAll reads [lo, hi) in ReadAts of step bytes, as a page reader does.
func readAll(t *testing.T, r io.ReaderAt, lo, hi int64, step int, want []byte) {
	t.Helper()
	buf := make([]byte, step)
	for off := lo; off < hi; off += int64(step) {
		b := buf[:min(int64(step), hi-off)]
		if n, err := r.ReadAt(b, off); n != len(b) || (err != nil && err != io.EOF) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v", len(b), off, n, err)
		}
		if !bytes.Equal(b, want[off:off+int64(len(b))]) {
			t.Fatalf("bytes at %d differ", off)
		}
	}
}

// A 40 MiB chunk read in 8 KiB pages with a 16 MiB window: a few large
// fetches (2 MiB parts), never more than the window and a part held.
func TestReadAheadLargeChunkIsBoundedAndFew(t *testing.T) {
	fresh(t)
	const size, window = 40 << 20, 16 << 20
	o := newObject(size + 1<<20)
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	r.Prefetch([]Range{{Off: 1 << 20, Len: size}}, window)
	readAll(t, r, 1<<20, 1<<20+size, 8<<10, o.data)
	part := partSize(window)
	if got, want := r.Gets(), int64(size/part); got != want {
		t.Errorf("%d ranged reads for %d bytes in %d-byte parts, want %d", got, size, part, want)
	}
	if o.held > window+part {
		t.Errorf("held %d bytes at once, more than the window %d and a part", o.held, window)
	}
	// A second pass over the chunk refetches only what was dropped.
	before := r.Gets()
	r.Prefetch([]Range{{Off: 1 << 20, Len: size}}, window)
	readAll(t, r, 1<<20, 1<<20+size, 1<<20, o.data)
	if got := r.Gets() - before; got > int64(size/part) {
		t.Errorf("second pass: %d ranged reads, want at most %d", got, size/part)
	}
}

// Small chunks close together are fetched in one read, shared by the
// passes over them (validation, then decoding).
func TestReadAheadCoalescesNearRanges(t *testing.T) {
	fresh(t)
	o := newObject(4 << 20)
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	chunks := []Range{{Off: 4, Len: 100 << 10}, {Off: 300 << 10, Len: 200 << 10}, {Off: 600 << 10, Len: 50 << 10}}
	r.Prefetch(chunks, 32<<20)
	for pass := 0; pass < 2; pass++ {
		for _, c := range chunks {
			readAll(t, r, c.Off, c.Off+c.Len, 4<<10, o.data)
		}
	}
	if got := r.Gets(); got != 1 {
		t.Errorf("%d ranged reads for three chunks within 1 MiB of each other read twice, want 1", got)
	}
	// Far apart: one read each.
	far := []Range{{Off: 1 << 20, Len: 10 << 10}, {Off: 3 << 20, Len: 10 << 10}}
	before := r.Gets()
	r.Prefetch(far, 32<<20)
	for _, c := range far {
		readAll(t, r, c.Off, c.Off+c.Len, 4<<10, o.data)
	}
	if got := r.Gets() - before; got != 2 {
		t.Errorf("%d ranged reads for two chunks 2 MiB apart, want 2", got)
	}
}

// Reads outside every hint are served as asked (one read each), and the
// end of the object is io.EOF.
func TestReadAheadUnhintedAndEOF(t *testing.T) {
	fresh(t)
	o := newObject(1 << 20)
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	readAll(t, r, 0, 64<<10, 16<<10, o.data)
	if got := r.Gets(); got != 4 {
		t.Errorf("%d ranged reads for four unhinted ReadAts, want 4", got)
	}
	b := make([]byte, 10)
	if n, err := r.ReadAt(b, int64(len(o.data))-4); n != 4 || err != io.EOF {
		t.Errorf("ReadAt over the end = %d, %v; want 4, io.EOF", n, err)
	}
	r.Prefetch([]Range{{Off: 1<<20 - 100, Len: 1000}}, 32<<20) // clamped to the object
	if n, err := r.ReadAt(b, int64(len(o.data))-4); n != 4 || err != io.EOF || !bytes.Equal(b[:4], o.data[len(o.data)-4:]) {
		t.Errorf("hinted ReadAt over the end = %d, %v; want 4, io.EOF", n, err)
	}
}

// Several goroutines read different hinted chunks at once (row groups
// read ahead by the pipeline's workers).
func TestReadAheadConcurrentChunks(t *testing.T) {
	fresh(t)
	const chunk, window = 6 << 20, 8 << 20
	o := newObject(8 * chunk)
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo := int64(g * chunk)
			r.Prefetch([]Range{{Off: lo, Len: chunk}}, window)
			readAll(t, r, lo, lo+chunk, 64<<10, o.data)
		}()
	}
	wg.Wait()
	if part := partSize(window); o.held > window+8*part {
		t.Errorf("held %d bytes at once with a %d-byte window", o.held, window)
	}
}

// A failed fetch is the failing read's error; the next read tries again.
func TestReadAheadFetchError(t *testing.T) {
	fresh(t)
	o := newObject(2 << 20)
	boom := errors.New("object changed")
	o.err = boom
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	r.Prefetch([]Range{{Off: 0, Len: 2 << 20}}, 32<<20)
	b := make([]byte, 100)
	if _, err := r.ReadAt(b, 10); !errors.Is(err, boom) {
		t.Fatalf("ReadAt after a failed fetch: %v, want %v", err, boom)
	}
	o.mu.Lock()
	o.err = nil
	o.mu.Unlock()
	readAll(t, r, 0, 2<<20, 100<<10, o.data)
}

// Close cancels the fetches in flight and leaves no goroutine behind;
// reads after Close fail.
func TestReadAheadCloseCancels(t *testing.T) {
	fresh(t)
	base := runtime.NumGoroutine()
	o := newObject(32 << 20)
	o.hang = true
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	r.Prefetch([]Range{{Off: 0, Len: 32 << 20}}, 32<<20)
	read := make(chan error, 1)
	go func() {
		_, err := r.ReadAt(make([]byte, 10), 0)
		read <- err
	}()
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() { r.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("close did not return with fetches in flight")
	}
	if err := <-read; err == nil {
		t.Error("a read waiting on a cancelled fetch succeeded")
	}
	if _, err := r.ReadAt(make([]byte, 10), 0); err == nil {
		t.Error("ReadAt after close succeeded")
	}
	for i := 0; runtime.NumGoroutine() > base && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines after close, %d before", n, base)
	}
	fresh(t)
}

// A reader of many row groups remembers a bounded number of parts.
func TestReadAheadForgetsOldParts(t *testing.T) {
	fresh(t)
	const chunks, chunk, window = 1000, 4 << 10, 256 << 10
	o := newObject(chunks * 3 * chunk)
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	for c := 0; c < chunks; c++ {
		lo := int64(c * 3 * chunk)
		r.Prefetch([]Range{{Off: lo, Len: chunk}}, window)
		readAll(t, r, lo, lo+chunk, 1<<10, o.data)
	}
	aheadPool.mu.Lock()
	parts, streams := len(r.parts), len(r.streams)
	aheadPool.mu.Unlock()
	// the covered ones, and the ones still held in the window
	if parts > aheadStreams+window/chunk+1 || streams > aheadStreams {
		t.Errorf("%d parts and %d streams remembered after %d chunks", parts, streams, chunks)
	}
	if got := r.Gets(); got != chunks {
		t.Errorf("%d ranged reads for %d chunks, want one each", got, chunks)
	}
}

// Row group after row group of small chunks, each hinted with the same
// chunk of the next row group (as parquetio does) and read to its end:
// chunks that end inside a shared part do not keep it, and the window
// holds.
func TestReadAheadRowGroupsStayInWindow(t *testing.T) {
	fresh(t)
	const rgs, chunk, window = 60, 100 << 10, 1 << 20
	o := newObject(rgs * 3 * chunk)
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	at := func(rg, c int) Range { return Range{Off: int64((rg*3 + c) * chunk), Len: chunk} }
	for rg := 0; rg < rgs; rg++ {
		for c := 0; c < 3; c++ {
			hint := []Range{at(rg, c)}
			if rg+1 < rgs {
				hint = append(hint, at(rg+1, c))
			}
			r.Prefetch(hint, window)
			g := at(rg, c)
			readAll(t, r, g.Off, g.Off+g.Len, 8<<10, o.data)
		}
	}
	if part := partSize(window); o.held > window+part {
		t.Errorf("held %d bytes at once, more than the window %d and a part", o.held, window)
	}
	if got := r.Gets(); got > int64(len(o.data))/(chunk/2) {
		t.Errorf("%d ranged reads for %d chunks", got, rgs*3)
	}
}

// Adjacent large chunks (a key chunk, then a value chunk) are fetched in
// parts that end where each chunk ends, small ones still together: a
// second pass over the key chunk, fetched again once the window has
// dropped it, refetches none of the value chunk's bytes.
func TestReadAheadPartsEndAtLargeChunks(t *testing.T) {
	fresh(t)
	o := newObject(8 << 20)
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	small := Range{Off: 4, Len: 1 << 10}
	key := Range{Off: small.Off + small.Len, Len: 700 << 10}
	value := Range{Off: key.Off + key.Len, Len: 3 << 20}
	next := Range{Off: value.Off + value.Len + 600<<10, Len: 2 << 20} // the next row group's, after its keys
	r.Prefetch([]Range{small, key, value, next}, 8<<20)
	aheadPool.mu.Lock()
	ends := map[int64]bool{}
	for _, p := range r.parts {
		ends[p.end()] = true
	}
	aheadPool.mu.Unlock()
	for _, b := range []int64{key.Off + key.Len, value.Off + value.Len, next.Off} {
		if !ends[b] {
			t.Errorf("no part ends at %d, a large chunk's boundary", b)
		}
	}
	if ends[small.Off+small.Len] {
		t.Errorf("a part ends after the %d-byte chunk: small chunks are fetched with their neighbours", small.Len)
	}
	readAll(t, r, small.Off, next.Off+next.Len, 64<<10, o.data)
}

// A read that waits for its bytes while the window is full of parts
// fetched ahead for other readers, none read yet, takes a part beyond the
// window rather than drop one of theirs, which would be fetched again (a
// verification reading key chunks beside the value reader:
// TestObjstoreOptionalValueChunkFetchedOnce in cmd/contextualize).
func TestReadAheadDemandKeepsOthersUnreadParts(t *testing.T) {
	fresh(t)
	const window = 4 << 20
	o := newObject(24 << 20)
	r := newReadAhead(context.Background(), int64(len(o.data)), o.fetch)
	defer r.close()
	values := []Range{{Off: 0, Len: 8 << 20}, {Off: 8 << 20, Len: 8 << 20}}
	key := Range{Off: 16 << 20, Len: 2 << 20}
	one := make([]byte, 1)
	for _, v := range values { // two readers, each a byte in: the window fills with their next parts
		r.Prefetch([]Range{v}, window)
		if _, err := r.ReadAt(one, v.Off); err != nil {
			t.Fatal(err)
		}
		landed(t, r)
	}
	aheadPool.mu.Lock()
	used := aheadPool.used
	aheadPool.mu.Unlock()
	part := partSize(window)
	if used+part <= window {
		t.Fatalf("the window holds %d of %d bytes: the test needs it full", used, window)
	}
	r.Prefetch([]Range{key}, window)
	readAll(t, r, key.Off, key.Off+key.Len, 64<<10, o.data)
	for _, v := range values {
		readAll(t, r, v.Off+1, v.Off+v.Len, 64<<10, o.data)
	}
	if want := key.Len + values[0].Len + values[1].Len; r.Fetched() != want {
		t.Errorf("fetched %d bytes, want the %d of the ranges once", r.Fetched(), want)
	}
	if o.held > window+part {
		t.Errorf("held %d bytes at once, more than the window %d and a part", o.held, window)
	}
}

// landed waits until r has no read-ahead fetch in flight.
func landed(t *testing.T, r *readAhead) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		aheadPool.mu.Lock()
		n := r.flying
		aheadPool.mu.Unlock()
		if n == 0 {
			return
		}
	}
	t.Fatal("read-ahead fetches still in flight after 10 s")
}

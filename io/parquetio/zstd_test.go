package parquetio

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestRawFrameDecodes: raw frames of every size class decode back to their
// input with klauspost/compress (the decoder parquet-go uses; DuckDB's
// libzstd reads them in the interop check).
func TestRawFrameDecodes(t *testing.T) {
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 255, 256, 257, 65535, 65536 + 255, 65536 + 256, rawBlockMax - 1, rawBlockMax, rawBlockMax + 1, 3 * rawBlockMax, 1<<20 + 7} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		frame := rawFrame([]byte("prefix"), src)[len("prefix"):]
		if len(frame) != rawFrameLen(n) {
			t.Fatalf("%d bytes: frame of %d bytes, rawFrameLen says %d", n, len(frame), rawFrameLen(n))
		}
		var written []byte
		if err := writeRawFrame(func(b []byte) error { written = append(written, b...); return nil }, src); err != nil || !bytes.Equal(written, frame) {
			t.Fatalf("%d bytes: writeRawFrame differs from rawFrame (%v)", n, err)
		}
		got, err := dec.DecodeAll(frame, nil)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(got, src) {
			t.Fatalf("%d bytes: decoded %d bytes that differ", n, len(got))
		}
	}
}

// TestZstdCodecSkipsIncompressiblePages: after an incompressible page the
// codec stores pages raw, tries again after rawRun pages, and keeps
// compressing data that compresses; every page decodes to its input.
func TestZstdCodecSkipsIncompressiblePages(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 64<<10)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	zeros := make([]byte, 64<<10)
	var c zstdCodec
	var raw int
	noisy := rawRun + 4 // pages of noise, then zeros
	for page := 0; page < noisy+2*rawRun+2; page++ {
		src := noise
		if page >= noisy {
			src = zeros
		}
		out, err := c.Encode(nil, src)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(out, rawFrame(nil, src)) {
			raw++
		}
		got, err := c.Decode(nil, out)
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("page %d does not decode to its input (%v)", page, err)
		}
		if page >= noisy+rawRun && len(out) > len(src)/100 {
			t.Fatalf("page %d of zeros stored in %d bytes: compression not tried again", page, len(out))
		}
	}
	if raw < rawRun {
		t.Fatalf("%d pages stored raw, want at least %d", raw, rawRun)
	}
}

// TestZstdEncodersReusedAcrossWriters: the process's pooled encoders,
// reused by one writer after another, compress every page to the very
// bytes a fresh encoder gives (outputs must not depend on which files a
// process wrote before), single-block and multi-block pages alike, and
// writers that run one after another share one encoder.
func TestZstdEncodersReusedAcrossWriters(t *testing.T) {
	fresh := func(src []byte) []byte {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false), zstd.WithWindowSize(zstdWindow))
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.EncodeAll(src, nil)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	page := func(n int) []byte {
		// Float-like data with repeats: compresses, and its matches
		// would find stale entries of earlier pages if they were kept.
		b := make([]byte, n)
		for i := 0; i < n; i += 8 {
			v := byte(rng.IntN(4))
			for j := i; j < min(i+8, n); j++ {
				b[j] = v + byte(j%3)
			}
		}
		return b
	}
	zstdEncoders.mu.Lock()
	before := zstdEncoders.made
	zstdEncoders.mu.Unlock()
	for file := range 40 {
		var c zstdCodec // one writer per file
		for _, n := range []int{0, 15, 1000, 4 << 10, 64 << 10, 200 << 10, 1<<20 + 3} {
			if n > 64<<10 && file%8 != 0 {
				continue // big pages in a few files only: the test stays fast
			}
			src := page(n)
			got, err := c.Encode(nil, src)
			if err != nil {
				t.Fatal(err)
			}
			if want := fresh(src); !bytes.Equal(got, want) {
				t.Fatalf("file %d, page of %d bytes: %d bytes from the pooled encoder differ from a fresh encoder's %d", file, n, len(got), len(want))
			}
		}
	}
	zstdEncoders.mu.Lock()
	made := zstdEncoders.made - before
	zstdEncoders.mu.Unlock()
	if made > 1 {
		t.Fatalf("40 writers one after another made %d encoders, want at most 1", made)
	}
}

// TestZstdEncodersConcurrent: writers on several goroutines borrow
// encoders at once; every page still decodes to its input (run with -race).
func TestZstdEncodersConcurrent(t *testing.T) {
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			var c zstdCodec
			src := bytes.Repeat([]byte{byte(g), 1, 2, 3, 4, 5, 6, byte(g)}, 4<<10)
			for range 50 {
				out, err := c.Encode(nil, src)
				if err == nil {
					var got []byte
					got, err = dec.DecodeAll(out, nil)
					if err == nil && !bytes.Equal(got, src) {
						err = errors.New("a page does not decode to its input")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

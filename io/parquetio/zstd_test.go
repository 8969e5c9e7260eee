package parquetio

import (
	"bytes"
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

package weights

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/contextualize/contextualize/io/safetensors"
)

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// bigCheckpoint writes a sparse 2 GiB safetensors file: a 2 GiB decoy
// tensor first, then the torch fixture's attention block under "attn.". It
// returns the path and the size of the block's tensors.
func bigCheckpoint(t *testing.T) (string, int64) {
	t.Helper()
	src, err := safetensors.Open(fixture("torch.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const decoy = 2 << 30
	header := map[string]any{"model.embed.weight": map[string]any{"dtype": "F32", "shape": []int{decoy / 4 / 1024, 1024}, "data_offsets": []int64{0, decoy}}}
	var blobs [][]byte
	off, block := int64(decoy), int64(0)
	for _, rel := range []string{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"} {
		in, raw, err := src.Raw("layers.0.attn." + rel)
		if err != nil {
			t.Fatal(err)
		}
		header["attn."+rel] = map[string]any{"dtype": in.DType, "shape": in.Shape, "data_offsets": []int64{off, off + int64(len(raw))}}
		off += int64(len(raw))
		block += int64(len(raw))
		blobs = append(blobs, raw)
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(len(h)))
	if _, err := f.Write(append(lb[:], h...)); err != nil {
		t.Fatal(err)
	}
	dataStart := int64(8 + len(h))
	if err := f.Truncate(dataStart + decoy); err != nil { // a hole: no disk used
		t.Fatal(err)
	}
	if _, err := f.Seek(dataStart+decoy, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	return path, block
}

// TestOnlySelectedTensorsAreRead: on a 2 GiB checkpoint whose block takes
// a few KB, loading reads the header and the block's bytes and nothing
// else (counted through the ReaderAt), and allocates about that much.
func TestOnlySelectedTensorsAreRead(t *testing.T) {
	path, block := bigCheckpoint(t)
	osf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer osf.Close()
	st, _ := osf.Stat()
	if st.Size() < 2<<30 {
		t.Fatalf("checkpoint is %d bytes, want > 2 GiB", st.Size())
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cr := &countingReaderAt{r: osf}
	f, err := safetensors.NewReader(path, cr, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	headerBytes := cr.n.Load()
	b, err := Select(Describe(f), path, "attn")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(f, b)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := cr.n.Load() - headerBytes; got != block {
		t.Fatalf("read %d bytes of tensor data, the block has %d", got, block)
	}
	if b.Bytes != block || l.Weights.D != fixtureD {
		t.Fatalf("block %d bytes, d=%d; want %d bytes, d=%d", b.Bytes, l.Weights.D, block, fixtureD)
	}
	// the block widened to float64 is 2× its F32 bytes; allow the header and slack
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Fatalf("loading allocated %d bytes for a %d-byte block of a 2 GiB file", alloc, block)
	}
	t.Logf("header %d bytes, block %d bytes read; %d bytes allocated", headerBytes, block, after.TotalAlloc-before.TotalAlloc)
}

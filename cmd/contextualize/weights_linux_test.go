package main

import (
	le "encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/contextualize/contextualize/io/safetensors"
)

// TestAttendBigCheckpointMemory: a 2 GiB checkpoint of which attend uses a
// 4 KB block runs within --memory-limit 64MiB (peak RSS under the limit plus
// the 64 MiB runtime allowance), reading the block only.
func TestAttendBigCheckpointMemory(t *testing.T) {
	src, err := safetensors.Open(filepath.Join(weightsFixtures, "torch.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const decoy = 2 << 30
	header := map[string]any{"model.embed.weight": map[string]any{"dtype": "F32", "shape": []int{decoy / 4 / 1024, 1024}, "data_offsets": []int64{0, decoy}}}
	var blobs [][]byte
	off := int64(decoy)
	for _, rel := range []string{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"} {
		in, raw, err := src.Raw("layers.0.attn." + rel)
		if err != nil {
			t.Fatal(err)
		}
		header["layers.0.attn."+rel] = map[string]any{"dtype": in.DType, "shape": in.Shape, "data_offsets": []int64{off, off + int64(len(raw))}}
		off += int64(len(raw))
		blobs = append(blobs, raw)
	}
	h, _ := json.Marshal(header)
	path := filepath.Join(t.TempDir(), "big.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var lb [8]byte
	le.LittleEndian.PutUint64(lb[:], uint64(len(h)))
	f.Write(append(lb[:], h...))
	start := int64(8 + len(h))
	if err := f.Truncate(start + decoy); err != nil {
		t.Fatal(err)
	}
	f.Seek(start+decoy, io.SeekStart)
	for _, b := range blobs {
		f.Write(b)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	input, _ := torchReference(t, false)
	out := t.TempDir()
	msg, rss, err := runMeasured(t, nil, "attend", "--weights", path, "--weights-prefix", "layers.0.attn", "--heads", "4",
		"--memory-limit", "64MiB", "--workers", "1", "-o", out, input)
	if err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	if rss > (64+64)<<20 {
		t.Fatalf("peak RSS %d MiB with --memory-limit 64MiB on a 2 GiB checkpoint", rss>>20)
	}
	t.Logf("peak RSS %d MiB", rss>>20)
}

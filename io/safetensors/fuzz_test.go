package safetensors_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/contextualize/contextualize/io/safetensors"
	"github.com/contextualize/contextualize/io/weights"
)

// FuzzHeader feeds arbitrary bytes to the safetensors reader and the
// weights loader: they must return errors, never panic or allocate beyond
// the input's size, and a file that opens must have every tensor inside
// its data. Seeds: testdata/fuzz/FuzzHeader (real files from torch and
// malformed headers).
func FuzzHeader(f *testing.F) {
	for _, p := range []string{"testdata/mha_state.safetensors", "testdata/dtypes.safetensors"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := safetensors.Parse("fuzz", b)
		if err != nil {
			return
		}
		for _, name := range file.Names() {
			in, ok := file.Info(name)
			if !ok || in.Bytes() < 0 || in.Bytes() > int64(len(b)) {
				t.Fatalf("tensor %q: %d bytes in a %d-byte file", name, in.Bytes(), len(b))
			}
			_, v, err := file.Tensor(name)
			if err != nil {
				continue // not a float dtype
			}
			n := 1
			for _, s := range in.Shape {
				n *= s
			}
			if len(v) != n {
				t.Fatalf("tensor %q: %d values, shape %v", name, len(v), in.Shape)
			}
		}
		d := weights.Describe(file)
		for _, blk := range d.Blocks {
			if blk.Problem != "" {
				continue
			}
			if _, err := weights.Select(d, "fuzz", blk.Prefix); err != nil {
				t.Fatalf("block %q listed but not selectable: %v", blk.Prefix, err)
			}
			l, err := weights.Load(file, blk)
			if err != nil {
				continue // e.g. a NaN weight
			}
			if w := l.Weights; len(w.InProj) != 3*w.D*w.D || len(w.OutProj) != w.D*w.D {
				t.Fatalf("block %q: d=%d, %d and %d projection values", blk.Prefix, w.D, len(w.InProj), len(w.OutProj))
			}
		}
	})
}

// TestFuzzCorpusFiles: the committed seed corpus is there (CI fuzzes from
// it).
func TestFuzzCorpusFiles(t *testing.T) {
	ents, err := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzHeader"))
	if err != nil || len(ents) < 8 {
		t.Fatalf("seed corpus: %d files, %v", len(ents), err)
	}
}

// Package samples holds the small data sets and attention weights bundled with
// contextualize (`contextualize samples -o DIR`), embedded in the binary with go:embed.
//
// Files (schemas in samples/README.md; generators in scripts/samples/):
//
//   - tokens.parquet: long layout, token embeddings: sequence_id VARCHAR, position INTEGER,
//     token VARCHAR, embedding list<float32> (d = 32); 40 sequences of 6..60 tokens.
//   - tokens_nested.parquet: nested layout, one row per sequence: sequence_id, topic,
//     tokens list<string>, embedding list<list<float32>> (d = 32); 20 sequences.
//   - sensors.parquet: long time series: series_id VARCHAR, timestamp TIMESTAMP (µs),
//     value DOUBLE; 6 series, one irregularly sampled, one with NULL and NaN gaps.
//   - mha_d32_h4.safetensors: a PyTorch nn.MultiheadAttention(32, 4) state_dict, float32
//     (in_proj_weight [96,32], in_proj_bias [96], out_proj.weight [32,32], out_proj.bias [32]).
package samples

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/contextualize/contextualize/io/storage"
)

//go:embed *.parquet *.safetensors
var files embed.FS

// Names returns the base names of the bundled files, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err) // the embedded root always exists
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// ReadFile returns the bytes of the bundled file name (one of Names()).
func ReadFile(name string) ([]byte, error) {
	return files.ReadFile(name)
}

// FS returns the bundled files as a read-only file system.
func FS() fs.FS { return files }

// WriteAll writes every bundled file into dir, creating dir (and its parents) if needed,
// and returns the written paths (dir joined with each name, in Names() order).
// Existing files of the same names are replaced. Each file appears atomically: it is
// written and synced under a temp name of io/storage in dir, then renamed into place,
// so a reader never sees a partial file and a failed run leaves no partial file visible.
func WriteAll(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	var written []string
	for _, name := range Names() {
		data, err := files.ReadFile(name)
		if err != nil {
			return written, fmt.Errorf("samples: %s: %w", name, err)
		}
		path := filepath.Join(dir, name)
		if err := writeAtomic(path, data); err != nil {
			return written, fmt.Errorf("samples: %w", err)
		}
		written = append(written, path)
	}
	return written, nil
}

// writeAtomic writes data through io/storage: a temp name only this tool
// makes, next to path, synced, renamed to path, directory synced.
func writeAtomic(path string, data []byte) error {
	return storage.WriteFileAtomic(nil, path, data)
}

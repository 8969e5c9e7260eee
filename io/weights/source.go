package weights

import (
	"context"
	"fmt"
	"strconv"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/safetensors"
	"github.com/contextualize/contextualize/io/storage"
)

// Source is where attend's weights come from: a block of a safetensors
// file (fixed d), or identity or random weights made for any d.
type Source struct {
	// Kind is "file", "identity" or "random".
	Kind string
	// Identity is what output fingerprints record: the block's tensors'
	// sha256 and prefix for a file, else the kind (and seed).
	Identity string
	// Loaded is the file's block (Kind "file").
	Loaded Loaded
	seed   uint64
}

// Open resolves --weights src (a safetensors path, "identity" or "random")
// with --weights-prefix and --seed. For a file it reads the header, selects
// the block and reads only that block's tensors. With limit > 0 (the run's
// --memory-limit), a block whose loading would take more memory than limit
// is refused before any tensor is read.
func Open(src, prefix string, seed uint64, limit int64) (*Source, error) {
	switch src {
	case "identity":
		return &Source{Kind: "identity", Identity: "identity"}, nil
	case "random":
		return &Source{Kind: "random", Identity: "random:" + strconv.FormatUint(seed, 10), seed: seed}, nil
	}
	// A path or a URL, read through io/storage with ranged reads.
	r, err := storage.For(src).Open(context.Background(), src)
	if err != nil {
		return nil, fmt.Errorf("reading weights: %w", err)
	}
	defer r.Close()
	f, err := safetensors.NewReader(src, r, r.Info().Size)
	if err != nil {
		return nil, fmt.Errorf("reading weights: %w", err)
	}
	b, err := Select(Describe(f), src, prefix)
	if err != nil {
		return nil, err
	}
	if need := LoadBytes(b); limit > 0 && need >= limit {
		return nil, fmt.Errorf("weights %s: block %s (d=%d) takes about %s of memory to load and use, more than the memory limit of %s: raise the limit",
			src, showPrefix(b.Prefix), b.D, mib(need), mib(limit))
	}
	l, err := Load(f, b)
	if err != nil {
		return nil, err
	}
	return &Source{Kind: "file", Identity: "block-sha256:" + l.SHA256 + ":" + b.Prefix, Loaded: l}, nil
}

// Fixed reports whether the weights fix d (a file).
func (s *Source) Fixed() bool { return s.Kind == "file" }

// D is the file's model dimension (0 for identity and random).
func (s *Source) D() int { return s.Loaded.Block.D }

// NeedsHeads reports whether the file cannot tell the number of heads and
// --heads must be given: every Hugging Face naming. (nn.MultiheadAttention
// state_dicts do not record it either; v1 keeps --heads 1 as their default.)
func (s *Source) NeedsHeads() bool {
	return s.Kind == "file" && s.Loaded.Block.Scheme != TorchMHA
}

// Weights returns the weights for vectors of width d.
func (s *Source) Weights(d int) (attention.MHAWeights, error) {
	switch s.Kind {
	case "identity":
		return attention.IdentityWeights(d), nil
	case "random":
		return attention.RandomWeights(d, s.seed), nil
	}
	if d != s.D() {
		return attention.MHAWeights{}, fmt.Errorf("the weights have d=%d", s.D())
	}
	return s.Loaded.Weights, nil
}

// LoadBytes estimates the peak memory of loading block b and making its
// attention layer: the tensors' bytes, the block widened to float64, and
// what the layer holds (attention.MHAWeightBytes).
func LoadBytes(b Block) int64 {
	n := 4*int64(b.D)*int64(b.D) + 4*int64(b.D)
	return b.Bytes + 8*n + attention.MHAWeightBytes(b.D)
}

// mib writes a byte count in binary units.
func mib(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

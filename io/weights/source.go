package weights

import (
	"fmt"
	"strconv"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/safetensors"
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
// the block and reads only that block's tensors.
func Open(src, prefix string, seed uint64) (*Source, error) {
	switch src {
	case "identity":
		return &Source{Kind: "identity", Identity: "identity"}, nil
	case "random":
		return &Source{Kind: "random", Identity: "random:" + strconv.FormatUint(seed, 10), seed: seed}, nil
	}
	f, err := safetensors.Open(src)
	if err != nil {
		return nil, fmt.Errorf("reading weights: %w", err)
	}
	defer f.Close()
	b, err := Select(Describe(f), src, prefix)
	if err != nil {
		return nil, err
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

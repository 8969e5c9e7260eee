package weights

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/safetensors"
)

// Select picks the block named by prefix (a trailing dot is optional; ""
// means the file's only block, or a bare nn.MultiheadAttention state_dict).
// When the prefix names no usable block, or "" leaves a choice, the error
// lists the blocks found; a LLaMA-style block is refused with the reason.
func Select(d Description, file, prefix string) (Block, error) {
	p := prefix
	if p != "" && !strings.HasSuffix(p, ".") {
		p += "."
	}
	for _, r := range d.Refused {
		if r.Prefix == p || (prefix == "" && len(d.Blocks) == 0) {
			return Block{}, fmt.Errorf("weights %s: block %s: %s", file, showPrefix(r.Prefix), r.Reason)
		}
	}
	var usable []Block
	for _, b := range d.Blocks {
		if b.Prefix == p {
			if b.Problem != "" {
				return Block{}, fmt.Errorf("weights %s: block %s (%s naming): %s", file, showPrefix(p), b.Scheme, b.Problem)
			}
			return b, nil
		}
		if b.Problem == "" {
			usable = append(usable, b)
		}
	}
	if prefix == "" && len(usable) == 1 {
		return usable[0], nil
	}
	what := fmt.Sprintf("no attention block under --weights-prefix %q", prefix)
	if prefix == "" {
		what = "no attention block at the top level (no --weights-prefix)"
		if len(usable) > 1 {
			what = "several attention blocks, choose one with --weights-prefix"
		}
	}
	var bad []string
	for _, b := range d.Blocks {
		if b.Problem != "" {
			bad = append(bad, fmt.Sprintf("%s (%s)", showPrefix(b.Prefix), b.Problem))
		}
	}
	msg := fmt.Sprintf("weights %s: %s; found attention blocks under: %s", file, what, d.Prefixes())
	if len(bad) > 0 {
		msg += "; unusable: " + strings.Join(bad, "; ")
	}
	if len(d.Blocks) == 0 && len(d.Tensors) > 0 {
		msg += fmt.Sprintf(" (expected nn.MultiheadAttention names such as in_proj_weight, or Hugging Face names such as attention.self.query.weight, self_attn.q_proj.weight, attn.c_attn.weight; the file has %d tensors, e.g. %s)", len(d.Tensors), d.Tensors[0].Name)
	}
	return Block{}, fmt.Errorf("%s", msg)
}

// Loaded is a block read from a file.
type Loaded struct {
	Block   Block
	Weights attention.MHAWeights
	// Fits32 is nil when every value is within the float32 range, else an
	// error naming the first tensor that is not: such weights can only be
	// used in float64 arithmetic (float64 inputs).
	Fits32 error
	// SHA256 hashes the block's tensors (names relative to the prefix,
	// dtypes, shapes and bytes): what the outputs depend on.
	SHA256 string
}

// Load reads the tensors of block b (only those) from f and builds the
// layer's weights. Every value must be finite; a NaN or infinite value is
// an error naming the tensor.
func Load(f *safetensors.File, b Block) (Loaded, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", b.Scheme)
	var fits32 error
	read := func(rel string) ([]float64, bool, error) {
		name := b.Prefix + rel
		if _, ok := f.Info(name); !ok {
			return nil, false, nil
		}
		in, raw, err := f.Raw(name)
		if err != nil {
			return nil, false, fmt.Errorf("reading weights: %w", err)
		}
		fmt.Fprintf(h, "%s %s %v %d\n", rel, in.DType, in.Shape, len(raw))
		h.Write(raw)
		v := safetensors.Float64s(in.DType, raw)
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, false, fmt.Errorf("weights %s: tensor %s: value %d is %v, expected a finite number", f.Name(), name, i, x)
			}
			if fits32 == nil && math.Abs(x) > math.MaxFloat32 {
				fits32 = fmt.Errorf("weights %s: tensor %s: value %d is %g, beyond the float32 range (±%g) in which float16 and float32 inputs are computed", f.Name(), name, i, x, math.MaxFloat32)
			}
		}
		return v, true, nil
	}
	d := b.D
	w := attention.MHAWeights{D: d}
	var err error
	// concat reads the q, k, v parts (weights [d, d] or biases [d]) into one
	// slice; a missing optional part is zero, all missing is nil.
	concat := func(size int, rels ...string) ([]float64, error) {
		out := make([]float64, 0, 3*size)
		any := false
		for _, rel := range rels {
			v, ok, err := read(rel)
			if err != nil {
				return nil, err
			}
			if !ok {
				v = make([]float64, size)
			}
			any = any || ok
			out = append(out, v...)
		}
		if !any {
			return nil, nil
		}
		return out, nil
	}
	switch b.Scheme {
	case TorchMHA:
		if _, ok := f.Info(b.Prefix + "in_proj_weight"); ok {
			w.InProj, _, err = read("in_proj_weight")
		} else {
			w.InProj, err = concat(d*d, "q_proj_weight", "k_proj_weight", "v_proj_weight")
		}
		if err == nil {
			w.InBias, _, err = read("in_proj_bias")
		}
		if err == nil {
			w.OutProj, _, err = read("out_proj.weight")
		}
		if err == nil {
			w.OutBias, _, err = read("out_proj.bias")
		}
	case BERT:
		w.InProj, err = concat(d*d, "self.query.weight", "self.key.weight", "self.value.weight")
		if err == nil {
			w.InBias, err = concat(d, "self.query.bias", "self.key.bias", "self.value.bias")
		}
		if err == nil {
			w.OutProj, _, err = read("output.dense.weight")
		}
		if err == nil {
			w.OutBias, _, err = read("output.dense.bias")
		}
	case QKVProj:
		w.InProj, err = concat(d*d, "q_proj.weight", "k_proj.weight", "v_proj.weight")
		if err == nil {
			w.InBias, err = concat(d, "q_proj.bias", "k_proj.bias", "v_proj.bias")
		}
		if err == nil {
			w.OutProj, _, err = read("out_proj.weight")
		}
		if err == nil {
			w.OutBias, _, err = read("out_proj.bias")
		}
	case GPT2:
		var c []float64
		if c, _, err = read("c_attn.weight"); err == nil {
			w.InProj = transpose(c, d, 3*d) // Conv1D [d, 3d] -> Linear [3d, d]
			w.InBias, _, err = read("c_attn.bias")
		}
		if err == nil {
			if c, _, err = read("c_proj.weight"); err == nil {
				w.OutProj = transpose(c, d, d)
			}
		}
		if err == nil {
			w.OutBias, _, err = read("c_proj.bias")
		}
	default:
		err = fmt.Errorf("weights %s: unknown naming %q", f.Name(), b.Scheme)
	}
	if err != nil {
		return Loaded{}, err
	}
	if w.InProj == nil || w.OutProj == nil {
		return Loaded{}, fmt.Errorf("weights %s: block %s: missing projections", f.Name(), showPrefix(b.Prefix))
	}
	return Loaded{Block: b, Weights: w, Fits32: fits32, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// transpose returns the [cols, rows] transpose of a row-major [rows, cols]
// matrix.
func transpose(a []float64, rows, cols int) []float64 {
	t := make([]float64, len(a))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			t[c*rows+r] = a[r*cols+c]
		}
	}
	return t
}

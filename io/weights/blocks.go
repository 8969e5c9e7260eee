// Package weights loads the weights of one multi-head attention block for
// attend, from every source it accepts: a safetensors file whose names are
// those of a PyTorch nn.MultiheadAttention state_dict or of a Hugging Face
// attention block (BERT/RoBERTa/ViT, CLIP/BART/Whisper, GPT-2), the
// identity, or reproducible random weights.
//
// A safetensors file is described from its header alone (Describe); only
// the tensors of the selected block are read, with ReadAt, and no other
// tensor of the file is touched.
package weights

import (
	"fmt"
	"sort"
	"strings"

	"github.com/contextualize/contextualize/io/safetensors"
)

// Scheme is a naming of an attention block's tensors.
type Scheme string

// The naming schemes, by the tensor names relative to the block's prefix P.
const (
	// TorchMHA: nn.MultiheadAttention's in_proj_weight [3d, d] (or
	// q_proj_weight, k_proj_weight, v_proj_weight [d, d]), in_proj_bias,
	// out_proj.weight, out_proj.bias.
	TorchMHA Scheme = "torch"
	// BERT: self.query|key|value.{weight,bias} and output.dense.{weight,bias}
	// under P = "...attention." (BERT, RoBERTa, ViT, ...); output.LayerNorm
	// is not applied.
	BERT Scheme = "bert"
	// QKVProj: q_proj|k_proj|v_proj|out_proj.{weight,bias} (CLIP, BART,
	// Whisper, ...), nn.Linear layout [out, in].
	QKVProj Scheme = "q_proj"
	// GPT2: c_attn.weight [d, 3d] and c_proj.weight [d, d] in Conv1D layout
	// ([in, out], the transpose of nn.Linear), with c_attn.bias [3d] and
	// c_proj.bias [d].
	GPT2 Scheme = "c_attn"
)

// Block is an attention block recognised in a weights file.
type Block struct {
	// Prefix is what the tensor names start with: "" for a bare
	// nn.MultiheadAttention state_dict, else ending in ".".
	Prefix string
	Scheme Scheme
	// D is the model dimension, 0 when the shapes do not give one (Problem
	// says why).
	D int
	// InBias and OutBias report whether the input and output projections
	// have biases in the file (missing ones are zero).
	InBias, OutBias bool
	// Tensors are the names of the tensors the block uses.
	Tensors []string
	// Bytes is the size of those tensors in the file.
	Bytes int64
	// Problem, when not empty, says why the block cannot be used (a missing
	// tensor, a shape that does not fit, an unsupported variant).
	Problem string
}

// Refused is a group of tensors that looks like an attention block of a
// kind attend does not support (LLaMA-style rotary or grouped-query
// attention), with the reason.
type Refused struct {
	Prefix string
	Reason string
}

// Description is what a weights file holds, from its header.
type Description struct {
	Tensors []safetensors.Info
	Blocks  []Block
	Refused []Refused
}

// Prefixes lists the prefixes of the usable blocks, for messages.
func (d Description) Prefixes() string {
	var ps []string
	for _, b := range d.Blocks {
		if b.Problem == "" {
			ps = append(ps, showPrefix(b.Prefix))
		}
	}
	if len(ps) == 0 {
		return "none"
	}
	return strings.Join(ps, ", ")
}

func showPrefix(p string) string {
	if p == "" {
		return `"" (no prefix)`
	}
	return p
}

// anchors are the names that start a block, by scheme.
var anchors = []struct {
	suffix string
	scheme Scheme
}{
	{"in_proj_weight", TorchMHA},
	{"q_proj_weight", TorchMHA},
	{"self.query.weight", BERT},
	{"q_proj.weight", QKVProj},
	{"c_attn.weight", GPT2},
}

// Describe lists the tensors of f and the attention blocks among them,
// reading nothing but the header f already holds.
func Describe(f *safetensors.File) Description {
	var d Description
	names := f.Names()
	has := make(map[string]bool, len(names))
	for _, n := range names {
		has[n] = true
		in, _ := f.Info(n)
		d.Tensors = append(d.Tensors, in)
	}
	seen := map[string]bool{}
	for _, n := range names {
		for _, a := range anchors {
			if !strings.HasSuffix(n, a.suffix) {
				continue
			}
			p := n[:len(n)-len(a.suffix)]
			if p != "" && !strings.HasSuffix(p, ".") {
				continue
			}
			key := p + "|" + string(a.scheme)
			if seen[key] {
				continue
			}
			seen[key] = true
			if a.scheme == QKVProj && has[p+"o_proj.weight"] {
				d.Refused = append(d.Refused, Refused{Prefix: p, Reason: "LLaMA-style attention (q_proj, k_proj, v_proj, o_proj) applies rotary position embeddings, and attend applies no positional encoding: rotary attention is not supported"})
				continue
			}
			b := describeBlock(f, p, a.scheme)
			if b.Problem != "" && strings.HasPrefix(b.Problem, "grouped-query") {
				d.Refused = append(d.Refused, Refused{Prefix: p, Reason: b.Problem})
				continue
			}
			d.Blocks = append(d.Blocks, b)
		}
		if strings.Contains(n, "rotary_emb") {
			p := n[:strings.Index(n, "rotary_emb")]
			if !seen[p+"|rotary"] && !refused(d.Refused, p) {
				seen[p+"|rotary"] = true
				d.Refused = append(d.Refused, Refused{Prefix: p, Reason: "rotary position embeddings (" + n + ") are not supported: attend applies no positional encoding"})
			}
		}
	}
	// a block whose prefix also has rotary embeddings is refused
	for _, r := range d.Refused {
		for i := range d.Blocks {
			if d.Blocks[i].Prefix == r.Prefix && d.Blocks[i].Problem == "" {
				d.Blocks[i].Problem = r.Reason
			}
		}
	}
	sort.SliceStable(d.Blocks, func(i, j int) bool { return d.Blocks[i].Prefix < d.Blocks[j].Prefix })
	return d
}

// tensorSpec is one tensor a scheme uses: its name relative to the prefix,
// whether it is required, and its expected shape for d.
type tensorSpec struct {
	rel      string
	required bool
	shape    func(d int) []int
	in, out  bool // an input / output projection bias (for Block.InBias, OutBias)
}

func sq(d int) []int   { return []int{d, d} }
func vec(d int) []int  { return []int{d} }
func vec3(d int) []int { return []int{3 * d} }

// schemeTensors lists the tensors of each scheme; the first one gives d.
func schemeTensors(s Scheme, separate bool) []tensorSpec {
	switch s {
	case TorchMHA:
		if separate {
			return []tensorSpec{{rel: "q_proj_weight", required: true, shape: sq}, {rel: "k_proj_weight", required: true, shape: sq},
				{rel: "v_proj_weight", required: true, shape: sq}, {rel: "in_proj_bias", shape: vec3, in: true},
				{rel: "out_proj.weight", required: true, shape: sq}, {rel: "out_proj.bias", shape: vec, out: true}}
		}
		return []tensorSpec{{rel: "in_proj_weight", required: true, shape: func(d int) []int { return []int{3 * d, d} }},
			{rel: "in_proj_bias", shape: vec3, in: true}, {rel: "out_proj.weight", required: true, shape: sq}, {rel: "out_proj.bias", shape: vec, out: true}}
	case BERT:
		return []tensorSpec{{rel: "self.query.weight", required: true, shape: sq}, {rel: "self.key.weight", required: true, shape: sq},
			{rel: "self.value.weight", required: true, shape: sq}, {rel: "self.query.bias", shape: vec, in: true},
			{rel: "self.key.bias", shape: vec, in: true}, {rel: "self.value.bias", shape: vec, in: true},
			{rel: "output.dense.weight", required: true, shape: sq}, {rel: "output.dense.bias", shape: vec, out: true}}
	case QKVProj:
		return []tensorSpec{{rel: "q_proj.weight", required: true, shape: sq}, {rel: "k_proj.weight", required: true, shape: sq},
			{rel: "v_proj.weight", required: true, shape: sq}, {rel: "q_proj.bias", shape: vec, in: true},
			{rel: "k_proj.bias", shape: vec, in: true}, {rel: "v_proj.bias", shape: vec, in: true},
			{rel: "out_proj.weight", required: true, shape: sq}, {rel: "out_proj.bias", shape: vec, out: true}}
	case GPT2:
		return []tensorSpec{{rel: "c_attn.weight", required: true, shape: func(d int) []int { return []int{d, 3 * d} }},
			{rel: "c_attn.bias", shape: vec3, in: true}, {rel: "c_proj.weight", required: true, shape: sq}, {rel: "c_proj.bias", shape: vec, out: true}}
	}
	return nil
}

// dFrom derives d from the first tensor of a scheme.
func dFrom(s Scheme, shape []int) int {
	if len(shape) != 2 {
		return 0
	}
	switch {
	case s == TorchMHA && shape[0] == 3*shape[1]: // in_proj_weight [3d, d]
		return shape[1]
	case s == GPT2 && shape[1] == 3*shape[0]: // c_attn.weight [d, 3d]
		return shape[0]
	case s != GPT2 && shape[0] == shape[1]:
		return shape[0]
	}
	return 0
}

func describeBlock(f *safetensors.File, p string, s Scheme) Block {
	_, hasIn := f.Info(p + "in_proj_weight")
	specs := schemeTensors(s, s == TorchMHA && !hasIn)
	b := Block{Prefix: p, Scheme: s}
	first, _ := f.Info(p + specs[0].rel)
	b.D = dFrom(s, first.Shape)
	if b.D == 0 {
		want := specs[0].shape(1)
		b.Problem = fmt.Sprintf("%s%s has shape %v, expected %s", p, specs[0].rel, first.Shape, shapeForm(want))
		return b
	}
	if s == QKVProj {
		if k, ok := f.Info(p + "k_proj.weight"); ok && len(k.Shape) == 2 && k.Shape[0] < b.D && k.Shape[0] > 0 && b.D%k.Shape[0] == 0 {
			b.Problem = fmt.Sprintf("grouped-query attention (%sk_proj.weight %v is smaller than q_proj.weight %v: fewer key/value heads than query heads) is not supported", p, k.Shape, first.Shape)
			return b
		}
	}
	if s == TorchMHA {
		for _, extra := range []string{"bias_k", "bias_v"} {
			if _, ok := f.Info(p + extra); ok {
				b.Problem = fmt.Sprintf("%s%s (add_bias_kv) is not supported", p, extra)
				return b
			}
		}
		if hasIn {
			if _, ok := f.Info(p + "q_proj_weight"); ok {
				b.Problem = fmt.Sprintf("both %sin_proj_weight and %sq_proj_weight are present", p, p)
				return b
			}
		}
	}
	for _, ts := range specs {
		in, ok := f.Info(p + ts.rel)
		if !ok {
			if ts.required {
				b.Problem = fmt.Sprintf("missing %s%s %v", p, ts.rel, ts.shape(b.D))
				return b
			}
			continue
		}
		if want := ts.shape(b.D); !equalShape(in.Shape, want) {
			b.Problem = fmt.Sprintf("%s%s has shape %v, expected %v (d=%d)", p, ts.rel, in.Shape, want, b.D)
			if s == TorchMHA && ts.shape(1)[0] == 1 && len(want) == 2 {
				b.Problem += " (kdim and vdim different from embed_dim are not supported)"
			}
			return b
		}
		switch in.DType {
		case "F32", "F64", "F16", "BF16":
		default:
			b.Problem = fmt.Sprintf("%s%s has dtype %s, expected F32, F64, F16 or BF16", p, ts.rel, in.DType)
			return b
		}
		b.InBias = b.InBias || ts.in
		b.OutBias = b.OutBias || ts.out
		b.Tensors = append(b.Tensors, p+ts.rel)
		b.Bytes += in.Bytes()
	}
	return b
}

func shapeForm(want []int) string {
	switch {
	case len(want) == 2 && want[0] == 3 && want[1] == 1:
		return "[3d, d]"
	case len(want) == 2 && want[0] == 1 && want[1] == 3:
		return "[d, 3d]"
	}
	return "[d, d]"
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func refused(rs []Refused, prefix string) bool {
	for _, r := range rs {
		if r.Prefix == prefix {
			return true
		}
	}
	return false
}

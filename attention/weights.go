package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Tensor is a dense row-major array of float64 values with its shape, as
// read from a weights file (any stored dtype widened to float64).
type Tensor struct {
	Shape []int
	Data  []float64
}

// MHAWeights are the parameters of a multi-head attention layer in PyTorch
// nn.MultiheadAttention layout: weights are [out, in], so a projection is
// y = x·Wᵀ + b.
type MHAWeights struct {
	// D is the model (embedding) dimension d.
	D int
	// InProj is [3d, d] row-major: the rows of Wq, then Wk, then Wv
	// (PyTorch in_proj_weight).
	InProj []float64
	// InBias is [3d] (bq; bk; bv), or nil for zero biases.
	InBias []float64
	// OutProj is [d, d], or nil for no output projection (the concatenated
	// heads are the output).
	OutProj []float64
	// OutBias is [d], or nil for a zero bias.
	OutBias []float64
}

// State-dict names of nn.MultiheadAttention, relative to the prefix.
const (
	nameInProj  = "in_proj_weight"
	nameInBias  = "in_proj_bias"
	nameQProj   = "q_proj_weight"
	nameKProj   = "k_proj_weight"
	nameVProj   = "v_proj_weight"
	nameOutProj = "out_proj.weight"
	nameOutBias = "out_proj.bias"
)

// WeightsFromStateDict builds MHAWeights from the tensors of a PyTorch
// nn.MultiheadAttention state_dict. With a non-empty prefix P only the names
// "P.<name>" are considered (a trailing dot on P is optional) and names
// outside it are ignored.
//
// Accepted names: in_proj_weight [3d, d] or, instead, q_proj_weight,
// k_proj_weight and v_proj_weight (each [d, d]; kdim and vdim must equal
// d); in_proj_bias [3d]; out_proj.weight [d, d]; out_proj.bias [d]. Missing
// biases are zero; out_proj.weight is required. A missing projection, a name
// under the prefix that is not one of these (for example bias_k of
// add_bias_kv), a shape that does not fit d, or a non-finite value is an
// error wrapping ErrInvalidParams that lists the names found or gives the
// expected and the found shape.
func WeightsFromStateDict(t map[string]Tensor, prefix string) (MHAWeights, error) {
	if prefix != "" && !strings.HasSuffix(prefix, ".") {
		prefix += "."
	}
	known := map[string]bool{nameInProj: true, nameInBias: true, nameQProj: true, nameKProj: true,
		nameVProj: true, nameOutProj: true, nameOutBias: true}
	got := map[string]Tensor{}
	var found, unknown []string
	for name, v := range t {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		rel := name[len(prefix):]
		found = append(found, name)
		if !known[rel] {
			unknown = append(unknown, name)
			continue
		}
		got[rel] = v
	}
	sort.Strings(found)
	sort.Strings(unknown)
	where := "weights"
	if prefix != "" {
		where = fmt.Sprintf("weights under prefix %q", strings.TrimSuffix(prefix, "."))
	}
	foundList := func() string {
		if len(found) == 0 {
			return "none"
		}
		return strings.Join(found, ", ")
	}
	fail := func(format string, args ...any) (MHAWeights, error) {
		return MHAWeights{}, fmt.Errorf("%w: %s: %s", ErrInvalidParams, where, fmt.Sprintf(format, args...))
	}
	if len(unknown) > 0 {
		return fail("unsupported tensor names %s (expected %s, %s or %s/%s/%s, %s, %s); found: %s",
			strings.Join(unknown, ", "), nameInProj, nameInBias, nameQProj, nameKProj, nameVProj,
			nameOutProj, nameOutBias, foundList())
	}
	// shapeOK checks a tensor against an expected shape and its data length.
	check := func(rel string, want ...int) error {
		v := got[rel]
		if !equalShape(v.Shape, want) {
			return fmt.Errorf("%w: %s: %s%s: expected shape %v, found %v", ErrInvalidParams, where, prefix, rel, want, v.Shape)
		}
		if len(v.Data) != shapeSize(want) {
			return fmt.Errorf("%w: %s: %s%s: shape %v needs %d values, found %d", ErrInvalidParams, where, prefix, rel, want, shapeSize(want), len(v.Data))
		}
		for i, x := range v.Data {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%w: %s: %s%s: value %d is %v", ErrInvalidParams, where, prefix, rel, i, x)
			}
		}
		return nil
	}
	_, hasIn := got[nameInProj]
	_, hasQ := got[nameQProj]
	_, hasK := got[nameKProj]
	_, hasV := got[nameVProj]
	var w MHAWeights
	switch {
	case hasIn && (hasQ || hasK || hasV):
		return fail("both %s and separate q/k/v projections are present; found: %s", nameInProj, foundList())
	case hasIn:
		s := got[nameInProj].Shape
		if len(s) != 2 || s[1] < 1 || s[0] != 3*s[1] {
			return fail("%s%s: expected shape [3d, d], found %v", prefix, nameInProj, s)
		}
		w.D = s[1]
		if err := check(nameInProj, 3*w.D, w.D); err != nil {
			return MHAWeights{}, err
		}
		w.InProj = append([]float64(nil), got[nameInProj].Data...)
	case hasQ && hasK && hasV:
		s := got[nameQProj].Shape
		if len(s) != 2 || s[0] < 1 || s[0] != s[1] {
			return fail("%s%s: expected shape [d, d], found %v", prefix, nameQProj, s)
		}
		w.D = s[0]
		w.InProj = make([]float64, 0, 3*w.D*w.D)
		for _, rel := range []string{nameQProj, nameKProj, nameVProj} {
			if err := check(rel, w.D, w.D); err != nil {
				return MHAWeights{}, fmt.Errorf("%w (kdim and vdim different from embed_dim are not supported)", err)
			}
			w.InProj = append(w.InProj, got[rel].Data...)
		}
	default:
		return fail("missing input projection: need %s, or %s, %s and %s; found: %s",
			nameInProj, nameQProj, nameKProj, nameVProj, foundList())
	}
	d := w.D
	if _, ok := got[nameInBias]; ok {
		if err := check(nameInBias, 3*d); err != nil {
			return MHAWeights{}, err
		}
		w.InBias = append([]float64(nil), got[nameInBias].Data...)
	}
	if _, ok := got[nameOutProj]; !ok {
		return fail("missing %s%s [%d, %d]; found: %s", prefix, nameOutProj, d, d, foundList())
	}
	if err := check(nameOutProj, d, d); err != nil {
		return MHAWeights{}, err
	}
	w.OutProj = append([]float64(nil), got[nameOutProj].Data...)
	if _, ok := got[nameOutBias]; ok {
		if err := check(nameOutBias, d); err != nil {
			return MHAWeights{}, err
		}
		w.OutBias = append([]float64(nil), got[nameOutBias].Data...)
	}
	return w, nil
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

func shapeSize(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// IdentityWeights returns weights with Wq = Wk = Wv = I, zero biases and no
// output projection: plain scaled dot-product self-attention of the input
// with itself, Q = K = V = X.
func IdentityWeights(d int) MHAWeights {
	in := make([]float64, 3*d*d)
	for b := 0; b < 3; b++ {
		for i := 0; i < d; i++ {
			in[(b*d+i)*d+i] = 1
		}
	}
	return MHAWeights{D: d, InProj: in}
}

// RandomWeights returns reproducible random weights initialised like a
// freshly constructed PyTorch nn.MultiheadAttention(d, heads, bias=True):
// in_proj_weight is Xavier-uniform over its [3d, d] shape, U(-a, a) with
// a = sqrt(6/(d+3d)); out_proj.weight keeps nn.Linear's default
// kaiming_uniform_(a=sqrt(5)), which is U(-1/sqrt(d), 1/sqrt(d)), because
// MultiheadAttention._reset_parameters does not re-initialise it; all biases
// are zero (nil).
//
// The numbers come from a PCG generator (math/rand/v2, seeded with seed and
// a fixed stream constant), converted to floats here, so they are the same
// on every machine and Go version, but they are not the numbers torch
// produces for torch.manual_seed(seed).
func RandomWeights(d int, seed uint64) MHAWeights {
	src := rand.NewPCG(seed, 0x636f6e7465787475) // "contextu"
	uniform := func(a float64) float64 {
		u := float64(src.Uint64()>>11) * (1.0 / (1 << 53)) // [0, 1)
		return (2*u - 1) * a
	}
	w := MHAWeights{D: d, InProj: make([]float64, 3*d*d), OutProj: make([]float64, d*d)}
	a := math.Sqrt(6 / float64(d+3*d))
	for i := range w.InProj {
		w.InProj[i] = uniform(a)
	}
	b := 1 / math.Sqrt(float64(d))
	for i := range w.OutProj {
		w.OutProj[i] = uniform(b)
	}
	return w
}

package weights

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/safetensors"
)

// The fixtures are one torch nn.MultiheadAttention(16, 4) saved in every
// naming (scripts/mha/make_hf_fixtures.py), with torch's outputs.
const fixtureD, fixtureHeads = 16, 4

func fixture(name string) string { return filepath.Join("testdata", name) }

// reference holds the inputs and torch's outputs.
type reference struct {
	x             [][]float32
	y32, y64, yk0 [][]float64
	ynb           [][]float64
}

func loadReference(t *testing.T) reference {
	t.Helper()
	f, err := safetensors.Open(fixture("reference.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r reference
	for k := 0; ; k++ {
		key := func(p string) string { return p + "." + string(rune('0'+k)) }
		if _, ok := f.Info(key("x")); !ok {
			break
		}
		get := func(p string) []float64 {
			_, v, err := f.Tensor(key(p))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		x := get("x")
		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
		}
		r.x = append(r.x, x32)
		r.y32, r.y64, r.yk0, r.ynb = append(r.y32, get("y32")), append(r.y64, get("y64")), append(r.yk0, get("yk0")), append(r.ynb, get("ynb"))
	}
	if len(r.x) == 0 {
		t.Fatal("no reference sequences")
	}
	return r
}

// forward runs weights w over every reference sequence in float32 and
// float64.
func forward(t *testing.T, w attention.MHAWeights, r reference) (out32, out64 [][]float64) {
	t.Helper()
	m, err := attention.NewMHA(w, attention.MHAParams{Heads: fixtureHeads, Window: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range r.x {
		n := len(x) / fixtureD
		d32 := make([]float32, len(x))
		m.Forward32(d32, x, n)
		x64 := make([]float64, len(x))
		for i, v := range x {
			x64[i] = float64(v)
		}
		d64 := make([]float64, len(x))
		m.Forward64(d64, x64, n)
		o32 := make([]float64, len(x))
		for i, v := range d32 {
			o32[i] = float64(v)
		}
		out32, out64 = append(out32, o32), append(out64, d64)
	}
	return out32, out64
}

// within checks |got - want| <= tol·max(1, |want|) everywhere.
func within(t *testing.T, what string, got, want [][]float64, tol float64) {
	t.Helper()
	for s := range want {
		for i := range want[s] {
			if e := math.Abs(got[s][i] - want[s][i]); e > tol*max(1, math.Abs(want[s][i])) {
				t.Fatalf("%s: sequence %d value %d = %v, want %v (error %g > %g)", what, s, i, got[s][i], want[s][i], e, tol)
			}
		}
	}
}

// TestNamingsMatchTorch: the same nn.MultiheadAttention weights saved in
// every naming load to weights whose outputs agree within 1e-5 of each other
// and within 1e-4 of torch (float32), 1e-10 in float64.
func TestNamingsMatchTorch(t *testing.T) {
	r := loadReference(t)
	cases := []struct {
		file, prefix string
		scheme       Scheme
		inBias       bool
		want         func(reference) [][]float64 // float64 torch output
	}{
		{"torch.safetensors", "layers.0.attn", TorchMHA, true, nil},
		{"torch.safetensors", "layers.0.attn.", TorchMHA, true, nil},
		{"torch.safetensors", "", TorchMHA, true, nil}, // the only block
		{"torch_qkv.safetensors", "", TorchMHA, true, nil},
		{"bert.safetensors", "bert.encoder.layer.0.attention.", BERT, true, nil},
		{"clip.safetensors", "vision_model.encoder.layers.0.self_attn", QKVProj, true, nil},
		{"gpt2.safetensors", "h.0.attn.", GPT2, true, nil},
		{"gpt2.safetensors", "", GPT2, true, nil},
		{"whisper.safetensors", "model.encoder.layers.0.self_attn.", QKVProj, true, func(r reference) [][]float64 { return r.yk0 }},
		{"bert_nobias.safetensors", "encoder.layer.0.attention", BERT, false, func(r reference) [][]float64 { return r.ynb }},
	}
	var first32 [][]float64
	for _, c := range cases {
		t.Run(c.file+"/"+c.prefix, func(t *testing.T) {
			f, err := safetensors.Open(fixture(c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b, err := Select(Describe(f), c.file, c.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if b.Scheme != c.scheme || b.D != fixtureD || b.InBias != c.inBias || b.OutBias != c.inBias {
				t.Fatalf("block %+v, want scheme %s, d=%d, biases %v", b, c.scheme, fixtureD, c.inBias)
			}
			l, err := Load(f, b)
			if err != nil {
				t.Fatal(err)
			}
			if l.Fits32 != nil {
				t.Fatalf("Fits32: %v", l.Fits32)
			}
			if got := f.BytesRead(); got != b.Bytes {
				t.Fatalf("read %d tensor bytes, the block has %d", got, b.Bytes)
			}
			o32, o64 := forward(t, l.Weights, r)
			want64, want32 := r.y64, r.y32
			if c.want != nil {
				want64, want32 = c.want(r), c.want(r)
			}
			within(t, "float64 vs torch", o64, want64, 1e-10)
			within(t, "float32 vs torch", o32, want32, 1e-4)
			if c.want == nil {
				if first32 == nil {
					first32 = o32
				}
				within(t, "float32 vs the first naming", o32, first32, 1e-5)
			}
		})
	}
}

// TestSelectErrors: a missing or ambiguous prefix lists the blocks found;
// LLaMA-style and grouped-query blocks are refused with the reason.
func TestSelectErrors(t *testing.T) {
	for _, c := range []struct {
		file, prefix string
		want         []string
	}{
		{"bert.safetensors", "", []string{"several attention blocks", "found attention blocks under: bert.encoder.layer.0.attention., bert.encoder.layer.1.attention."}},
		{"bert.safetensors", "bert.encoder.layer.7.attention", []string{`no attention block under --weights-prefix "bert.encoder.layer.7.attention"`, "found attention blocks under: bert.encoder.layer.0.attention., bert.encoder.layer.1.attention."}},
		{"llama.safetensors", "model.layers.0.self_attn", []string{"LLaMA-style", "rotary", "not supported"}},
		{"llama.safetensors", "", []string{"not supported"}},
		{"gqa.safetensors", "layers.0.self_attn.", []string{"grouped-query attention", "k_proj.weight [8 16] is smaller than q_proj.weight [16 16]", "not supported"}},
		{"reference.safetensors", "", []string{"no attention block", "found attention blocks under: none", "in_proj_weight"}},
	} {
		t.Run(c.file+"/"+c.prefix, func(t *testing.T) {
			f, err := safetensors.Open(fixture(c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = Select(Describe(f), c.file, c.prefix)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not say %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), c.file) {
				t.Fatalf("error %q does not name the file", err)
			}
			if f.BytesRead() != 0 {
				t.Fatalf("%d tensor bytes read for a refused block", f.BytesRead())
			}
		})
	}
}

// TestFloat32Range: F64 weights beyond the float32 range load (for float64
// inputs) with Fits32 naming the tensor; NaN weights are refused outright.
func TestFloat32Range(t *testing.T) {
	f, err := safetensors.Open(fixture("big_f64.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := Select(Describe(f), "big_f64.safetensors", "")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(f, b)
	if err != nil {
		t.Fatal(err)
	}
	if l.Fits32 == nil || !strings.Contains(l.Fits32.Error(), "out_proj.weight") || !strings.Contains(l.Fits32.Error(), "1e+39") {
		t.Fatalf("Fits32 = %v, want an error naming out_proj.weight and 1e+39", l.Fits32)
	}
}

// TestNonFiniteWeights: a NaN or infinite weight is refused, naming the
// tensor, whatever the naming.
func TestNonFiniteWeights(t *testing.T) {
	for _, c := range []struct{ file, prefix, tensor string }{
		{"torch.safetensors", "layers.0.attn", "layers.0.attn.out_proj.weight"},
		{"gpt2.safetensors", "h.0.attn", "h.0.attn.c_attn.bias"},
		{"bert.safetensors", "bert.encoder.layer.0.attention", "bert.encoder.layer.0.attention.self.key.weight"},
	} {
		b, err := os.ReadFile(fixture(c.file))
		if err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.Parse(c.file, b)
		if err != nil {
			t.Fatal(err)
		}
		in, raw, err := f.Raw(c.tensor)
		if err != nil || in.DType != "F32" {
			t.Fatalf("%s: %v %s", c.tensor, err, in.DType)
		}
		at := bytes.Index(b, raw)                            // the tensor's bytes in the file
		for i, v := range []uint32{0x7fc00000, 0xff800000} { // NaN, -Inf
			binary.LittleEndian.PutUint32(b[at+4*i:], v)
		}
		f, err = safetensors.Parse(c.file, b)
		if err != nil {
			t.Fatal(err)
		}
		d := Describe(f)
		blk, err := Select(d, c.file, c.prefix)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(f, blk)
		if err == nil || !strings.Contains(err.Error(), c.tensor) || !strings.Contains(err.Error(), "value 0 is NaN") {
			t.Fatalf("%s: error %v, want one naming %s and NaN", c.file, err, c.tensor)
		}
	}
}

// TestOpenSources: one loader for every source; a block too large for the
// memory limit is refused from the header, before its tensors are read.
func TestOpenSources(t *testing.T) {
	for _, src := range []string{"identity", "random"} {
		s, err := Open(src, "", 7, 0)
		if err != nil || s.Fixed() || s.NeedsHeads() {
			t.Fatalf("%s: %+v, %v", src, s, err)
		}
		if w, err := s.Weights(8); err != nil || w.D != 8 || len(w.InProj) != 3*64 {
			t.Fatalf("%s weights for d=8: %+v, %v", src, w, err)
		}
	}
	s, err := Open(fixture("clip.safetensors"), "", 0, 1<<20)
	if err != nil || !s.Fixed() || !s.NeedsHeads() || s.D() != fixtureD || !strings.HasPrefix(s.Identity, "block-sha256:") {
		t.Fatalf("clip: %+v, %v", s, err)
	}
	if _, err := s.Weights(8); err == nil {
		t.Fatal("d=8 weights from a d=16 file")
	}
	if _, err := Open(fixture("clip.safetensors"), "", 0, 8<<10); err == nil || !strings.Contains(err.Error(), "raise the limit") {
		t.Fatalf("8 KiB limit: %v", err)
	}
}

package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// build makes a safetensors file from a raw JSON header and data bytes.
func build(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func f32bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestDTypesFixture(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "dtypes.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Metadata()["format"]; got != "pt" {
		t.Errorf("metadata format = %q, want pt", got)
	}
	for _, dt := range []string{"f32", "f64", "f16", "bf16"} {
		name := "special_" + dt
		_, got, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		_, want, err := f.Tensor("expect." + name)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
		}
		for i := range got {
			same := got[i] == want[i] && math.Signbit(got[i]) == math.Signbit(want[i]) ||
				math.IsNaN(got[i]) && math.IsNaN(want[i])
			if !same {
				t.Errorf("%s[%d] = %v, torch/numpy say %v", name, i, got[i], want[i])
			}
		}
		shape, m, err := f.Tensor("matrix_" + dt)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != 2 || shape[0] != 2 || shape[1] != 3 {
			t.Errorf("matrix_%s shape %v, want [2 3]", dt, shape)
		}
		for i, v := range m {
			if v != float64(i)-2.5 {
				t.Errorf("matrix_%s[%d] = %v, want %v", dt, i, v, float64(i)-2.5)
			}
		}
	}
	shape, v, err := f.Tensor("scalar")
	if err != nil || len(shape) != 0 || len(v) != 1 || v[0] != 4.25 {
		t.Errorf("scalar: shape %v values %v err %v, want [] [4.25]", shape, v, err)
	}
	shape, v, err = f.Tensor("empty")
	if err != nil || len(shape) != 2 || shape[0] != 0 || len(v) != 0 {
		t.Errorf("empty: shape %v values %v err %v, want [0 3] []", shape, v, err)
	}
	if _, _, err := f.Tensor("nope"); err == nil || !strings.Contains(err.Error(), "dtypes.safetensors") ||
		!strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "matrix_f16") {
		t.Errorf("missing tensor error should name the file, the tensor and what is there: %v", err)
	}
}

func TestMHAStateFixture(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "mha_state.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"in_proj_bias", "in_proj_weight", "out_proj.bias", "out_proj.weight"}
	if got := strings.Join(f.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("names %s, want %v", got, want)
	}
	all, err := f.Tensors("")
	if err != nil {
		t.Fatal(err)
	}
	if s := all["in_proj_weight"].Shape; len(s) != 2 || s[0] != 24 || s[1] != 8 {
		t.Errorf("in_proj_weight shape %v, want [24 8]", s)
	}
	out, err := f.Tensors("out_proj.")
	if err != nil || len(out) != 2 || out["out_proj.weight"].DType != "F32" {
		t.Errorf("Tensors(out_proj.) = %d tensors, %v", len(out), err)
	}
}

func TestHalf(t *testing.T) {
	cases := map[uint16]float64{
		0x0000: 0, 0x0001: math.Ldexp(1, -24), 0x03ff: math.Ldexp(1023, -24), 0x0400: math.Ldexp(1, -14),
		0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x3555: 0.333251953125,
		0x7c00: math.Inf(1), 0xfc00: math.Inf(-1),
	}
	for h, want := range cases {
		if got := HalfToFloat64(h); got != want {
			t.Errorf("HalfToFloat64(%#04x) = %v, want %v", h, got, want)
		}
	}
	if v := HalfToFloat64(0x8000); v != 0 || !math.Signbit(v) {
		t.Errorf("0x8000 = %v, want -0", v)
	}
	for _, h := range []uint16{0x7c01, 0x7e00, 0xfe00, 0x7fff} {
		if !math.IsNaN(HalfToFloat64(h)) {
			t.Errorf("%#04x should be NaN", h)
		}
	}
	// Every finite half is exactly representable in float32, and positive
	// halves are increasing in their bits.
	prev := -1.0
	for h := 0; h < 0x7c00; h++ {
		v := HalfToFloat64(uint16(h))
		if v <= prev || float64(float32(v)) != v || HalfToFloat64(uint16(h)|0x8000) != -v {
			t.Fatalf("half %#04x = %v after %v", h, v, prev)
		}
		prev = v
	}
	bf := map[uint16]float64{0x3f80: 1, 0xc020: -2.5, 0x0001: math.Ldexp(1, -133), 0x7f80: math.Inf(1), 0xff80: math.Inf(-1)}
	for b, want := range bf {
		if got := BFloat16ToFloat64(b); got != want {
			t.Errorf("BFloat16ToFloat64(%#04x) = %v, want %v", b, got, want)
		}
	}
	if !math.IsNaN(BFloat16ToFloat64(0x7fc0)) {
		t.Error("bf16 0x7fc0 should be NaN")
	}
}

func TestBadFiles(t *testing.T) {
	eight := f32bytes(1, 2)
	cases := []struct {
		name string
		file []byte
		want string // in the error
	}{
		{"short", []byte{1, 2, 3}, "at least 8"},
		{"header too long", build(`{}`, nil)[:9], "only 1 bytes follow"},
		{"huge header", append(binary.LittleEndian.AppendUint64(nil, 1<<40), '{'), "exceeds the limit"},
		{"not json", build(`{"a":`, nil), "header JSON"},
		{"array", build(`[]`, nil), "not a JSON object"},
		{"missing field", build(`{"a":{"dtype":"F32","shape":[2]}}`, eight), "expected dtype, shape and data_offsets"},
		{"unknown dtype", build(`{"a":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}}`, eight), `unknown dtype "F128"`},
		{"offsets outside", build(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, eight), "outside the 8 data bytes"},
		{"reversed offsets", build(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, eight), "outside"},
		{"three offsets", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, eight), "expected [begin, end]"},
		{"shape mismatch", build(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), "needs 12 bytes"},
		{"negative dim", build(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "negative dimension"},
		{"huge shape", build(`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}`, eight), "larger than the file"},
		{"overlap", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "overlap"},
		{"bad metadata", build(`{"__metadata__":{"a":1}}`, nil), "__metadata__"},
		{"bad entry", build(`{"a":3}`, nil), `tensor "a"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.safetensors", c.file)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bad.safetensors") {
				t.Errorf("error %q: want ErrFormat naming the file and containing %q", err, c.want)
			}
		})
	}
}

func TestGoodEdgeCases(t *testing.T) {
	// Unsupported-but-valid dtype opens; reading it as float fails clearly.
	b := build(`{"__metadata__":{"k":"v"},"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"z":{"dtype":"BF16","shape":[0],"data_offsets":[8,8]}}  `, make([]byte, 8))
	f, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Tensor("i"); err == nil || !strings.Contains(err.Error(), "I64") {
		t.Errorf("I64 tensor: %v, want an error naming the dtype", err)
	}
	if _, err := f.Tensors(""); err == nil {
		t.Error("Tensors over an I64 tensor should fail")
	}
	if m, err := f.Tensors("z"); err != nil || len(m) != 1 {
		t.Errorf("Tensors(z) = %v, %v", m, err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.safetensors")); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("Open of a missing file: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"dtypes.safetensors", "mha_state.safetensors"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(build(`{"a":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]}}`, []byte{0, 0x3c, 1, 0x80}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse("fuzz", b)
		if err != nil {
			return
		}
		for _, name := range file.Names() {
			shape, data, err := file.Tensor(name)
			if err != nil {
				continue
			}
			n := 1
			for _, d := range shape {
				n *= d
			}
			if n != len(data) {
				t.Fatalf("tensor %q: shape %v but %d values", name, shape, len(data))
			}
		}
	})
}

// TestOpenReadsHeaderOnly: opening reads the header; a tensor's bytes are
// read when it is asked for, and only those; a file cut short of its
// tensors' offsets is refused at open.
func TestOpenReadsHeaderOnly(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "mha_state.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.BytesRead() != 0 {
		t.Fatalf("%d tensor bytes read at open", f.BytesRead())
	}
	in, _ := f.Info("out_proj.weight")
	if _, _, err := f.Tensor("out_proj.weight"); err != nil {
		t.Fatal(err)
	}
	if f.BytesRead() != in.Bytes() || in.Bytes() != 8*8*4 {
		t.Fatalf("read %d bytes for a %d-byte tensor", f.BytesRead(), in.Bytes())
	}
	b, err := os.ReadFile(filepath.Join("testdata", "mha_state.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("cut", b[:len(b)-1]); err == nil || !strings.Contains(err.Error(), "outside the") {
		t.Fatalf("a file one byte short: %v", err)
	}
}

// Package safetensors reads tensors from safetensors files: an 8-byte
// little-endian header length N, N bytes of JSON mapping each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// end of the header) plus an optional "__metadata__" string map, then the raw
// little-endian tensor bytes.
//
// Opening a file reads and checks its header only: every tensor's extent
// lies within the data, matches shape × dtype size, and no two tensors
// overlap. A tensor's bytes are read (with ReadAt) only when it is asked
// for, so a large checkpoint of which one block is used costs that block.
// Values of dtype F32, F64, F16 and BF16 are returned as float32 or
// float64, exactly when the type holds them (half and bfloat16
// subnormals, infinities and NaN included); other standard dtypes are
// accepted in the header but cannot be read as floats.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/contextualize/contextualize/io/half"
)

// ErrFormat is wrapped by every error about a file that is not a valid
// safetensors file or holds a tensor that cannot be read.
var ErrFormat = errors.New("safetensors: invalid file")

// maxHeader bounds the JSON header (the reference implementation uses
// 100 MB as well).
const maxHeader = 100 << 20

// dtypeSize is the element size of every dtype of the format.
var dtypeSize = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// Info describes one tensor of a file.
type Info struct {
	Name  string
	DType string // F32, F64, F16, BF16, ...
	Shape []int
	begin int64 // byte offsets within the data section
	end   int64
}

// Bytes returns the size of the tensor's data.
func (in Info) Bytes() int64 { return in.end - in.begin }

// Tensor is a tensor read as float64 values, row-major.
type Tensor struct {
	Shape []int
	DType string // the stored dtype
	Data  []float64
}

// File is an open safetensors file: its header parsed and checked, its
// tensor data read on demand. Its methods are safe for concurrent use.
type File struct {
	name     string // for error messages
	r        io.ReaderAt
	closer   io.Closer
	dataOff  int64 // file offset of the data section
	infos    map[string]Info
	names    []string
	metadata map[string]string
	read     atomic.Int64 // tensor bytes read so far
}

// Open opens the safetensors file at path and reads its header. Tensor data
// is read when asked for. Close the File when done. Errors name the file.
func Open(path string) (*File, error) {
	osf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := osf.Stat()
	if err != nil {
		osf.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := NewReader(path, osf, st.Size())
	if err != nil {
		osf.Close()
		return nil, err
	}
	f.closer = osf
	return f, nil
}

// NewReader reads and checks the header of the safetensors file of size
// bytes held by r; name is used in errors. Tensor data is read from r when
// asked for.
func NewReader(name string, r io.ReaderAt, size int64) (*File, error) {
	fail := func(format string, args ...any) (*File, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrFormat, name, fmt.Sprintf(format, args...))
	}
	if size < 8 {
		return fail("%d bytes, expected at least 8 (header length)", size)
	}
	var lb [8]byte
	if _, err := r.ReadAt(lb[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: reading %s: %w", name, err)
	}
	hl := binary.LittleEndian.Uint64(lb[:])
	if hl > maxHeader {
		return fail("header length %d exceeds the limit of %d bytes", hl, maxHeader)
	}
	if hl > uint64(size-8) {
		return fail("header length %d, but only %d bytes follow", hl, size-8)
	}
	header := make([]byte, hl)
	if _, err := r.ReadAt(header, 8); err != nil {
		return nil, fmt.Errorf("safetensors: reading %s: %w", name, err)
	}
	f, err := parseHeader(name, header, size-8-int64(hl))
	if err != nil {
		return nil, err
	}
	f.r, f.dataOff = r, 8+int64(hl)
	return f, nil
}

// Read reads and checks a safetensors file from r; errors name it
// "safetensors input".
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("safetensors: reading input: %w", err)
	}
	return Parse("safetensors input", b)
}

// Parse checks the safetensors file held in b; name is used in errors. The
// File keeps b.
func Parse(name string, b []byte) (*File, error) {
	return NewReader(name, bytes.NewReader(b), int64(len(b)))
}

// parseHeader checks the JSON header against a data section of dataLen
// bytes.
func parseHeader(name string, header []byte, dataLen int64) (*File, error) {
	fail := func(format string, args ...any) (*File, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrFormat, name, fmt.Sprintf(format, args...))
	}
	if len(bytes.TrimSpace(header)) == 0 || bytes.TrimSpace(header)[0] != '{' {
		return fail("header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return fail("header JSON: %v", err)
	}
	f := &File{name: name, infos: make(map[string]Info, len(raw))}
	for key, v := range raw {
		if key == "__metadata__" {
			if err := json.Unmarshal(v, &f.metadata); err != nil {
				return fail("__metadata__: expected an object of strings: %v", err)
			}
			continue
		}
		var e struct {
			DType   *string  `json:"dtype"`
			Shape   *[]int64 `json:"shape"`
			Offsets *[]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return fail("tensor %q: %v", key, err)
		}
		if e.DType == nil || e.Shape == nil || e.Offsets == nil {
			return fail("tensor %q: expected dtype, shape and data_offsets", key)
		}
		size, ok := dtypeSize[*e.DType]
		if !ok {
			return fail("tensor %q: unknown dtype %q", key, *e.DType)
		}
		if len(*e.Offsets) != 2 {
			return fail("tensor %q: data_offsets: expected [begin, end], found %d values", key, len(*e.Offsets))
		}
		begin, end := (*e.Offsets)[0], (*e.Offsets)[1]
		if begin < 0 || end < begin || end > dataLen {
			return fail("tensor %q: data_offsets [%d, %d] outside the %d data bytes", key, begin, end, dataLen)
		}
		shape := make([]int, len(*e.Shape))
		empty := false
		for i, dim := range *e.Shape {
			if dim < 0 {
				return fail("tensor %q: negative dimension %d in shape %v", key, dim, *e.Shape)
			}
			empty = empty || dim == 0
			shape[i] = int(dim)
		}
		count := int64(0)
		if !empty {
			// Every element takes at least a byte, so a count above the data
			// size is wrong; checking that first also rules out overflow.
			count = 1
			for _, dim := range *e.Shape {
				if count > dataLen/dim {
					return fail("tensor %q: shape %v is larger than the file", key, *e.Shape)
				}
				count *= dim
			}
		}
		if count*int64(size) != end-begin {
			return fail("tensor %q: shape %v of %s needs %d bytes, data_offsets [%d, %d] hold %d",
				key, shape, *e.DType, count*int64(size), begin, end, end-begin)
		}
		f.infos[key] = Info{Name: key, DType: *e.DType, Shape: shape, begin: begin, end: end}
		f.names = append(f.names, key)
	}
	sort.Strings(f.names)
	// No two non-empty tensors share bytes.
	byStart := make([]Info, 0, len(f.infos))
	for _, in := range f.infos {
		if in.end > in.begin {
			byStart = append(byStart, in)
		}
	}
	sort.Slice(byStart, func(i, j int) bool {
		if byStart[i].begin != byStart[j].begin {
			return byStart[i].begin < byStart[j].begin
		}
		return byStart[i].Name < byStart[j].Name
	})
	for i := 1; i < len(byStart); i++ {
		if p, c := byStart[i-1], byStart[i]; c.begin < p.end {
			return fail("tensors %q [%d, %d] and %q [%d, %d] overlap", p.Name, p.begin, p.end, c.Name, c.begin, c.end)
		}
	}
	return f, nil
}

// Close closes the file Open opened (a no-op for NewReader and Parse).
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Name returns the path (or description) the file was read from.
func (f *File) Name() string { return f.name }

// Names returns the tensor names, sorted.
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Metadata returns the "__metadata__" map (nil if the file has none).
func (f *File) Metadata() map[string]string { return f.metadata }

// Info returns the dtype and shape of a tensor.
func (f *File) Info(name string) (Info, bool) {
	in, ok := f.infos[name]
	in.Shape = append([]int(nil), in.Shape...)
	return in, ok
}

// BytesRead returns how many bytes of tensor data have been read so far.
func (f *File) BytesRead() int64 { return f.read.Load() }

// Raw reads a float tensor's stored bytes (little-endian values of its
// dtype); errors name the file and the tensor.
func (f *File) Raw(name string) (Info, []byte, error) { return f.raw(name) }

// raw reads a float tensor's bytes; errors name the file and the tensor.
func (f *File) raw(name string) (Info, []byte, error) {
	in, ok := f.infos[name]
	if !ok {
		return in, nil, fmt.Errorf("%w: %s: no tensor %q (found: %s)", ErrFormat, f.name, name, f.list())
	}
	switch in.DType {
	case "F64", "F32", "F16", "BF16":
	default:
		return in, nil, fmt.Errorf("%w: %s: tensor %q has dtype %s, expected F32, F64, F16 or BF16", ErrFormat, f.name, name, in.DType)
	}
	b := make([]byte, in.end-in.begin)
	if len(b) > 0 {
		if _, err := f.r.ReadAt(b, f.dataOff+in.begin); err != nil {
			return in, nil, fmt.Errorf("safetensors: %s: reading tensor %q: %w", f.name, name, err)
		}
	}
	f.read.Add(int64(len(b)))
	return in, b, nil
}

// Tensor returns a tensor's shape and its values as float64. Only F32, F64,
// F16 and BF16 tensors can be read; errors name the file and the tensor.
func (f *File) Tensor(name string) (shape []int, data []float64, err error) {
	in, b, err := f.raw(name)
	if err != nil {
		return nil, nil, err
	}
	return append([]int(nil), in.Shape...), Float64s(in.DType, b), nil
}

// Float64s decodes the bytes of a tensor of dtype F64, F32, F16 or BF16 as
// float64 values, exactly (nil for other dtypes).
func Float64s(dtype string, b []byte) (data []float64) {
	size, ok := dtypeSize[dtype]
	if !ok {
		return nil
	}
	data = make([]float64, len(b)/size)
	switch dtype {
	case "F64":
		for i := range data {
			data[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case "F32":
		for i := range data {
			data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case "F16":
		for i := range data {
			data[i] = half.ToFloat64(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case "BF16":
		for i := range data {
			data[i] = BFloat16ToFloat64(binary.LittleEndian.Uint16(b[2*i:]))
		}
	default:
		return nil
	}
	return data
}

// Tensors reads every tensor whose name starts with prefix (all of them
// for ""), keyed by full name.
func (f *File) Tensors(prefix string) (map[string]Tensor, error) {
	out := map[string]Tensor{}
	for _, name := range f.names {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		shape, data, err := f.Tensor(name)
		if err != nil {
			return nil, err
		}
		out[name] = Tensor{Shape: shape, DType: f.infos[name].DType, Data: data}
	}
	return out, nil
}

func (f *File) list() string {
	if len(f.names) == 0 {
		return "none"
	}
	const show = 20
	if len(f.names) > show {
		return strings.Join(f.names[:show], ", ") + fmt.Sprintf(", … (%d in all)", len(f.names))
	}
	return strings.Join(f.names, ", ")
}

// HalfToFloat64 converts IEEE 754 binary16 bits to float64 exactly.
func HalfToFloat64(h uint16) float64 { return half.ToFloat64(h) }

// BFloat16ToFloat64 converts bfloat16 bits (the top half of a float32) to
// float64 exactly.
func BFloat16ToFloat64(b uint16) float64 {
	return float64(math.Float32frombits(uint32(b) << 16))
}

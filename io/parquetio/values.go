package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/contextualize/contextualize/io/half"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// Floats is a flat slab of float32 or float64 values; exactly one of the
// two slices is set.
type Floats struct {
	F32 []float32
	F64 []float64
}

// Len returns the number of values in the slab.
func (v Floats) Len() int {
	if v.F64 != nil {
		return len(v.F64)
	}
	return len(v.F32)
}

// ReadSpec says how to read a value column.
type ReadSpec struct {
	// Column is the name of the top-level value column.
	Column string
	// Nesting is 0 for one element per row (long layout): a scalar column
	// gives d = 1, a List/FLBA column one vector per row (d must be constant;
	// ragged vectors are a DataError). Nesting 1 is one sequence per row
	// (nested layout): a List of scalars gives a series of d = 1 elements
	// per row; a ListOfList gives a sequence of vectors of constant d.
	Nesting int
	// D is the expected d; 0 takes it from the column's FixedSize, else from
	// the first vector of the row group, and then requires it.
	D int
	// StrictNulls makes a null scalar element (d = 1: a null value in a
	// scalar column or inside a series) a DataError. By default such nulls
	// are missing values and read as NaN (ValueChunk.Nulls counts them).
	// Null vectors and nulls inside vectors (d > 1) are always errors.
	StrictNulls bool
	// OnD, if set, is called once, on the reading goroutine, as soon as the
	// vector width d is known: from the schema before any page is read, or
	// after the first vector. A caller can start preparing for d (weights,
	// buffers) while the rest of the row group is read. It is not called
	// for a row group without vectors.
	OnD func(d int)
	// ReadAhead bounds the bytes (compressed and decompressed) of the pages
	// read and decompressed ahead of the one being decoded, so that they
	// are ready when a segment needs them. 0 means 8 MiB; a negative value
	// reads each page when it is needed, on the caller's goroutine.
	ReadAhead int64
	// Workers is how many goroutines read and decompress pages ahead
	// (0: GOMAXPROCS). Results are the same whatever ReadAhead and Workers.
	Workers int
}

// ValueChunk holds the values of one row group's value column.
type ValueChunk struct {
	RowGroup int
	FirstRow int64 // file row index of the first row
	Rows     int
	D        int
	// Values holds Elems() x D values, element-major.
	Values Floats
	// Offsets has Rows+1 entries for Nesting 1: row r's elements are
	// [Offsets[r], Offsets[r+1]). It is nil for Nesting 0.
	Offsets []int64
	// Type is Float32 or Float64: the slab's float type, which is the
	// input's, except that float16 columns are read as Float32 (see
	// ElemType.SlabType).
	Type ElemType
	// Nulls counts null scalar elements read as NaN.
	Nulls int64
	// levels are the input's levels behind the rows, as read (nil: none
	// recorded), so the writer need not read the input's pages again.
	levels *segLevels
}

// Elems returns the number of elements (vectors) in the chunk.
func (c ValueChunk) Elems() int {
	if c.D == 0 {
		return 0
	}
	return c.Values.Len() / c.D
}

// Array wraps the chunk as an Arrow array without copying the values.
// Nesting 0: Float32/Float64 for D == 1, else FixedSizeList<float>[D].
// Nesting 1: a List (LargeList beyond 2^31-1 elements) of those, with
// offsets from Offsets. The array aliases the slab: it is valid until the
// slab is reused. Call Release when done (it does not free the slab).
func (c ValueChunk) Array() arrow.Array {
	var elemType arrow.DataType
	var raw []byte
	n := c.Values.Len()
	if c.Type == Float64 {
		elemType = arrow.PrimitiveTypes.Float64
		if n > 0 {
			raw = unsafe.Slice((*byte)(unsafe.Pointer(&c.Values.F64[0])), n*8)
		}
	} else {
		elemType = arrow.PrimitiveTypes.Float32
		if n > 0 {
			raw = unsafe.Slice((*byte)(unsafe.Pointer(&c.Values.F32[0])), n*4)
		}
	}
	vals := array.NewData(elemType, n, []*memory.Buffer{nil, memory.NewBufferBytes(raw)}, nil, 0, 0)
	defer vals.Release()
	elems := c.Elems()
	var elemData arrow.ArrayData = vals
	if c.D != 1 {
		d := c.D
		if d == 0 {
			d = 1
		}
		fsl := array.NewData(arrow.FixedSizeListOf(int32(d), elemType), elems, []*memory.Buffer{nil}, []arrow.ArrayData{vals}, 0, 0)
		defer fsl.Release()
		elemData = fsl
	}
	if c.Offsets == nil {
		elemData.Retain()
		return array.MakeFromData(elemData)
	}
	if elems <= math.MaxInt32 {
		off := make([]int32, len(c.Offsets))
		for i, o := range c.Offsets {
			off[i] = int32(o)
		}
		ob := memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(off))), len(off)*4))
		ld := array.NewData(arrow.ListOf(elemData.DataType()), c.Rows, []*memory.Buffer{nil, ob}, []arrow.ArrayData{elemData}, 0, 0)
		defer ld.Release()
		return array.MakeFromData(ld)
	}
	ob := memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c.Offsets))), len(c.Offsets)*8))
	ld := array.NewData(arrow.LargeListOf(elemData.DataType()), c.Rows, []*memory.Buffer{nil, ob}, []arrow.ArrayData{elemData}, 0, 0)
	defer ld.Release()
	return array.MakeFromData(ld)
}

// floatValues is what a value column must hold, for errors.
const floatValues = "FLOAT, DOUBLE or FLOAT16 values"

// slowLevels makes ReadValues walk every level one by one (the reference
// the tests compare the row walk with).
var slowLevels = false

// valueReader is the state of one ReadValues call: it walks levels across
// pages (a row may span pages) and validates the structure.
type valueReader struct {
	f        *File
	m        *colMeta
	rg       int
	firstRow int64
	nesting  int
	d        int // expected d, 0 until known
	typ      ElemType
	onD      func(int) // ReadSpec.OnD, until called
	spec     ReadSpec
	mode     int // modeScalar...
	defA     int // definition level of the outer repeated node
	defB     int // ... and of the inner one (modeSeq)

	f32 []float32
	f64 []float64

	nulls   int64
	rows    int64 // rows started (in the row group)
	segRows int64 // rows started before the current segment
	curLen  int   // values in the current vector
	inVec   bool
	elems   int64
	offsets []int64
	// lv records the levels walked for the writer (nil: the column has
	// none)
	lv *segLevels
}

func (r *valueReader) row() int64 { return r.firstRow + r.rows - 1 }

func (r *valueReader) dataErr(row int64, expected, found string) error {
	return &DataError{File: r.f.path, RowGroup: r.rg, Row: row, Column: r.m.info.Name, Expected: expected, Found: found}
}

func (r *valueReader) vecDesc(d int) string {
	if d == 0 {
		return fmt.Sprintf("a non-empty vector of %s values", r.typ)
	}
	return fmt.Sprintf("a vector of %d %s values", d, r.typ)
}

func (r *valueReader) nullValue() error {
	return r.dataErr(r.row(), fmt.Sprintf("a %s value", r.typ), "null")
}

// The ways a value column holds its elements (see ReadSpec.Nesting).
const (
	modeScalar = iota // one scalar per row
	modeFLBA          // one packed float32 vector per row
	modeVector        // one list vector per row
	modeSeries        // one list of scalars per row
	modeSeq           // one list of list vectors per row
)

// announceD calls the OnD hook, once, when d is known.
func (r *valueReader) announceD() {
	if r.onD != nil && r.d > 0 {
		r.onD(r.d)
		r.onD = nil
	}
}

// endVec closes the current vector: it fixes d from the first vector and
// requires it for the next ones.
func (r *valueReader) endVec() error {
	if !r.inVec {
		return nil
	}
	r.inVec = false
	if r.d == 0 {
		r.d = r.curLen
		r.announceD()
	}
	if r.curLen != r.d {
		return r.dataErr(r.row(), r.vecDesc(r.d), fmt.Sprint(r.curLen))
	}
	r.elems++
	return nil
}

// SlabLen is how many values ReadValues will put in its slab for row group
// rg of column: the column chunk's value count (times the floats packed in
// each value of a FIXED_LEN_BYTE_ARRAY vector column). It is 0 when the
// footer's count is implausible, and a caller may hand ReadValues a slab of
// this capacity so that it never grows one.
func (f *File) SlabLen(rg int, column string) int {
	if f.checkRowGroup(rg) != nil {
		return 0
	}
	m, err := f.lookup(column)
	if err != nil {
		return 0
	}
	return f.slabLen(rg, m)
}

// slabLen is SlabLen for a looked-up column (bounded against the file
// size, in case the footer lies).
func (f *File) slabLen(rg int, m *colMeta) int {
	n := f.pf.RowGroups()[rg].ColumnChunks()[m.info.Leaf].NumValues()
	if m.kind == parquet.FixedLenByteArray && m.info.ListFlavor == "flba" {
		n *= int64(m.flbaLen / 4)
	}
	if n < 0 || n > 16*f.size {
		return 0
	}
	return int(n)
}

// ReadValues reads the value column of row group rg. The values go into
// reuse's storage when it is large enough, and reuse is updated to the
// (possibly grown) slab, so a caller reading row group after row group (and
// file after file) touches fresh memory only once; the returned chunk
// aliases that storage until the next call with the same reuse. reuse may
// be nil. Bad input gives a *DataError or *CorruptError. It is one
// SegmentReader.Next(0, reuse).
func (f *File) ReadValues(rg int, spec ReadSpec, reuse *Floats) (ValueChunk, error) {
	s, err := f.NewSegmentReader(rg, spec)
	if err != nil {
		return ValueChunk{}, err
	}
	defer s.Close()
	chunk, err := s.Next(0, reuse)
	if err == io.EOF { // a row group without rows
		return s.empty(reuse), nil
	}
	return chunk, err
}

// newValueReader checks spec against column m and prepares to read its
// chunk of row group rg; it calls spec.OnD if d is known from the schema.
func (f *File) newValueReader(rg int, m *colMeta, spec ReadSpec) (*valueReader, error) {
	r := &valueReader{f: f, m: m, rg: rg, firstRow: f.firstRow[rg], nesting: spec.Nesting, d: spec.D}
	colErr := func(expected, found string) error {
		return &DataError{File: f.path, RowGroup: -1, Row: -1, Column: m.info.Name, Expected: expected, Found: found}
	}
	switch m.kind {
	case parquet.Float:
		r.typ = Float32
	case parquet.Double:
		r.typ = Float64
	case parquet.FixedLenByteArray:
		switch {
		case m.info.Elem == Float16:
			r.typ = Float16
		case m.info.ListFlavor == "flba":
			r.typ = Float32
		default:
			return nil, colErr(floatValues, m.info.PhysicalType)
		}
	default:
		return nil, colErr(floatValues, m.info.PhysicalType)
	}
	if !m.info.Elem.IsFloat() {
		return nil, colErr(floatValues, m.info.PhysicalType+" ("+m.info.Elem.String()+")")
	}
	if r.d == 0 && m.info.FixedSize > 0 && m.info.Kind != Scalar {
		r.d = m.info.FixedSize
	}
	if r.d < 0 {
		return nil, fmt.Errorf("reading %s: column %q: invalid d %d", f.path, m.info.Name, r.d)
	}
	var mode int
	switch {
	case spec.Nesting == 0 && m.info.Kind == Scalar:
		mode = modeScalar
		if r.d == 0 {
			r.d = 1
		}
		if r.d != 1 {
			return nil, colErr(r.vecDesc(r.d)+" per row", "a scalar "+m.info.Elem.String()+" column")
		}
	case spec.Nesting == 0 && m.info.Kind == List && m.info.ListFlavor == "flba":
		mode = modeFLBA
		if m.flbaLen%4 != 0 || m.flbaLen == 0 {
			return nil, colErr("FIXED_LEN_BYTE_ARRAY of 4*d bytes (packed float32 vectors)", fmt.Sprintf("a length of %d bytes, not a multiple of 4", m.flbaLen))
		}
		if r.d == 0 {
			r.d = m.flbaLen / 4
		}
		if r.d != m.flbaLen/4 {
			return nil, colErr(r.vecDesc(r.d), fmt.Sprintf("FIXED_LEN_BYTE_ARRAY(%d) holding %d float32 values", m.flbaLen, m.flbaLen/4))
		}
	case spec.Nesting == 0 && m.info.Kind == List:
		mode = modeVector
	case spec.Nesting == 1 && m.info.Kind == List && m.info.ListFlavor != "flba":
		mode = modeSeries
		if r.d == 0 {
			r.d = 1
		}
		if r.d != 1 {
			return nil, colErr("a list of vectors of "+fmt.Sprint(r.d)+" values per row", "a list of scalars")
		}
	case spec.Nesting == 1 && m.info.Kind == ListOfList:
		mode = modeSeq
	case spec.Nesting == 0:
		return nil, colErr("a scalar or vector (list) column", m.info.Kind.String()+" of "+m.info.Elem.String())
	case spec.Nesting == 1:
		return nil, colErr("a list or list<list> column (one sequence per row)", m.info.Kind.String()+" of "+m.info.Elem.String())
	default:
		return nil, fmt.Errorf("reading %s: column %q: invalid nesting %d", f.path, m.info.Name, spec.Nesting)
	}
	r.onD = spec.OnD
	r.announceD()

	r.spec, r.mode = spec, mode
	if len(m.repDefs) > 0 { // definition levels of the repeated nodes
		r.defA = m.repDefs[0]
	}
	if len(m.repDefs) > 1 {
		r.defB = m.repDefs[1]
	}
	return r, nil
}

func levelAt(levels []byte, i int) int {
	if len(levels) == 0 {
		return 0
	}
	return int(levels[i])
}

// appendPage copies the non-null values of page p onto the slab and returns
// how many float values it appended.
func (r *valueReader) appendPage(p parquet.Page) (int, error) {
	data := p.Data()
	corrupt := func(what string) error {
		return fmt.Errorf("reading %s: row group %d, column %q: %s: %w", r.f.path, r.rg, r.m.info.Name, what, parquet.ErrCorrupted)
	}
	switch data.Kind() {
	case encoding.Float:
		v := data.Float()
		if r.typ != Float32 {
			return 0, corrupt("FLOAT page in a DOUBLE column")
		}
		r.f32 = append(r.f32, v...)
		return len(v), nil
	case encoding.Double:
		v := data.Double()
		if r.typ != Float64 {
			return 0, corrupt("DOUBLE page in a FLOAT column")
		}
		r.f64 = append(r.f64, v...)
		return len(v), nil
	case encoding.FixedLenByteArray:
		raw, size := data.FixedLenByteArray()
		if size != r.m.flbaLen || r.typ == Float64 {
			return 0, corrupt("unexpected FIXED_LEN_BYTE_ARRAY page")
		}
		return r.appendBytes(raw), nil
	case encoding.Int32:
		dict := p.Dictionary()
		if dict == nil {
			return 0, corrupt("INT32 page in a float column")
		}
		idx := data.Int32()
		dv := dict.Page().Data()
		switch dv.Kind() {
		case encoding.Float:
			if r.typ != Float32 {
				return 0, corrupt("FLOAT dictionary in a DOUBLE column")
			}
			vals := dv.Float()
			var bad int32
			if r.f32, bad = appendDictValues(r.f32, vals, idx); bad >= 0 {
				return 0, corrupt(fmt.Sprintf("dictionary index %d out of range [0, %d)", idx[bad], len(vals)))
			}
			return len(idx), nil
		case encoding.Double:
			if r.typ != Float64 {
				return 0, corrupt("DOUBLE dictionary in a FLOAT column")
			}
			vals := dv.Double()
			var bad int32
			if r.f64, bad = appendDictValues(r.f64, vals, idx); bad >= 0 {
				return 0, corrupt(fmt.Sprintf("dictionary index %d out of range [0, %d)", idx[bad], len(vals)))
			}
			return len(idx), nil
		case encoding.FixedLenByteArray:
			raw, size := dv.FixedLenByteArray()
			if size != r.m.flbaLen || size == 0 || r.typ == Float64 {
				return 0, corrupt("unexpected FIXED_LEN_BYTE_ARRAY dictionary")
			}
			nd := len(raw) / size
			total := 0
			for _, ix := range idx {
				if uint32(ix) >= uint32(nd) {
					return 0, corrupt(fmt.Sprintf("dictionary index %d out of range [0, %d)", ix, nd))
				}
				total += r.appendBytes(raw[int(ix)*size : int(ix+1)*size])
			}
			return total, nil
		}
		return 0, corrupt("unexpected dictionary type " + dv.Kind().String())
	}
	return 0, corrupt("unexpected page type " + data.Kind().String())
}

// appendBytes appends the little-endian floats held in raw: float32s, or
// float16s widened to float32 for a float16 column. It returns how many
// floats it appended.
func (r *valueReader) appendBytes(raw []byte) int {
	if r.typ == Float16 {
		n := len(raw) / 2
		start := len(r.f32)
		r.f32 = slices.Grow(r.f32, n)[:start+n]
		for i, dst := 0, r.f32[start:]; i < n; i++ {
			dst[i] = half.ToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		return n
	}
	n := len(raw) / 4
	start := len(r.f32)
	r.f32 = slices.Grow(r.f32, n)[:start+n]
	dst := r.f32[start:]
	if littleEndian {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), n*4), raw)
		return n
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return n
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// expandNulls spreads the n values just appended for a page over the page's
// value slots, putting NaN in the null ones. A level is a slot when its
// definition level is at least minDef; it holds a value when it is maxDef.
func (r *valueReader) expandNulls(n, nulls int, defs []byte, minDef, maxDef int) {
	r.nulls += int64(nulls)
	if r.typ != Float64 {
		r.f32 = expand(r.f32, n, nulls, defs, minDef, maxDef, float32(math.NaN()))
	} else {
		r.f64 = expand(r.f64, n, nulls, defs, minDef, maxDef, math.NaN())
	}
}

func expand[T float32 | float64](s []T, n, nulls int, defs []byte, minDef, maxDef int, nan T) []T {
	end := len(s)
	s = slices.Grow(s, nulls)[:end+nulls]
	j, k := end-1, end+nulls-1
	for i := len(defs) - 1; i >= 0 && k > j; i-- {
		d := int(defs[i])
		if d < minDef {
			continue
		}
		if d < maxDef {
			s[k] = nan
		} else {
			s[k] = s[j]
			j--
		}
		k--
	}
	return s
}

// walkLevels checks one page's repetition and definition levels against
// the layout, counting rows, vectors and nulls, given the n float values
// the page appended to the slab.
func (r *valueReader) walkLevels(pageNo, n int, reps, defs []byte) error {
	f, rg, m, spec, mode := r.f, r.rg, r.m, r.spec, r.mode
	maxDef, a, b := m.maxDef, r.defA, r.defB
	var err error
	perValue := 1
	if mode == modeFLBA {
		perValue = m.flbaLen / 4
	}
	nLevels := len(defs)
	if len(reps) > nLevels {
		nLevels = len(reps)
	}
	if r.lv != nil {
		if nl := nLevels; nl > 0 || mode == modeScalar || mode == modeFLBA {
			if nl == 0 {
				nl = n / perValue // every level defined
			}
			r.lv.add(reps, defs, nl)
		}
	}
	defined := 0
	switch mode {
	case modeScalar, modeFLBA:
		if maxDef == 0 || len(defs) == 0 {
			defined = n / perValue
			r.rows += int64(n / perValue)
			break
		}
		r.rows += int64(len(defs))
		nulls := 0
		if allEqual(defs, byte(maxDef)) { // no null (DuckDB's and polars' nullable columns): 8 levels a step
			defined = len(defs)
			break
		}
		for i, d := range defs {
			if int(d) < maxDef {
				if mode == modeFLBA || spec.StrictNulls {
					r.rows -= int64(len(defs) - i - 1)
					err = r.nullValue()
					break
				}
				nulls++
			}
		}
		if err == nil {
			defined = len(defs) - nulls
			if nulls > 0 {
				r.expandNulls(n, nulls, defs, 0, maxDef)
			}
		}
	case modeVector:
		if !slowLevels && len(reps) == nLevels && (len(defs) == nLevels && allEqual(defs, byte(maxDef))) {
			// every level holds a value: walk the rows with IndexByte
			for i := 0; i < nLevels; {
				if reps[i] == 0 {
					if err = r.endVec(); err != nil {
						break
					}
					r.rows++
					r.inVec, r.curLen = true, 0
				} else if r.rows == 0 {
					err = fmt.Errorf("reading %s: row group %d, column %q: page %d starts in the middle of a row: %w", f.path, rg, m.info.Name, pageNo, parquet.ErrCorrupted)
					break
				}
				j := nLevels
				if next := bytes.IndexByte(reps[i+1:nLevels], 0); next >= 0 {
					j = i + 1 + next
				}
				r.curLen += j - i
				defined += j - i
				i = j
			}
			break
		}
		for i := 0; i < nLevels && err == nil; i++ {
			rl, d := levelAt(reps, i), maxDef
			if len(defs) > 0 {
				d = int(defs[i])
			}
			if rl == 0 {
				if err = r.endVec(); err != nil {
					break
				}
				r.rows++
				if d < a {
					if d == a-1 {
						err = r.dataErr(r.row(), r.vecDesc(r.d), "an empty list")
					} else {
						err = r.dataErr(r.row(), r.vecDesc(r.d), "null")
					}
					break
				}
				r.inVec, r.curLen = true, 0
			} else if r.rows == 0 {
				err = fmt.Errorf("reading %s: row group %d, column %q: page %d starts in the middle of a row: %w", f.path, rg, m.info.Name, pageNo, parquet.ErrCorrupted)
				break
			}
			if d < maxDef {
				err = r.nullValue()
				break
			}
			r.curLen++
			defined++
		}
	case modeSeries:
		nulls := 0
		for i := 0; i < nLevels && err == nil; i++ {
			rl, d := levelAt(reps, i), maxDef
			if len(defs) > 0 {
				d = int(defs[i])
			}
			if rl == 0 {
				if r.rows > r.segRows {
					r.offsets = append(r.offsets, r.elems)
				}
				r.rows++
				if d < a {
					if d < a-1 {
						err = r.dataErr(r.row(), "a list (possibly empty)", "null")
					}
					continue
				}
			} else if r.rows == 0 {
				err = fmt.Errorf("reading %s: row group %d, column %q: page %d starts in the middle of a row: %w", f.path, rg, m.info.Name, pageNo, parquet.ErrCorrupted)
				break
			}
			r.elems++
			if d < maxDef {
				if spec.StrictNulls {
					err = r.nullValue()
					break
				}
				nulls++
				continue
			}
			defined++
		}
		if err == nil && nulls > 0 {
			r.expandNulls(n, nulls, defs, a, maxDef)
		}
	case modeSeq:
		for i := 0; i < nLevels && err == nil; i++ {
			rl, d := levelAt(reps, i), maxDef
			if len(defs) > 0 {
				d = int(defs[i])
			}
			switch {
			case rl == 0:
				if err = r.endVec(); err != nil {
					break
				}
				if r.rows > r.segRows {
					r.offsets = append(r.offsets, r.elems)
				}
				r.rows++
				if d < a {
					if d < a-1 {
						err = r.dataErr(r.row(), "a list of vectors (possibly empty)", "null")
					}
					continue
				}
			case rl == 1:
				if err = r.endVec(); err != nil {
					break
				}
			}
			if err != nil {
				break
			}
			if r.rows == 0 {
				err = fmt.Errorf("reading %s: row group %d, column %q: page %d starts in the middle of a row: %w", f.path, rg, m.info.Name, pageNo, parquet.ErrCorrupted)
				break
			}
			if rl <= 1 {
				if d < b {
					if d == b-1 {
						err = r.dataErr(r.row(), r.vecDesc(r.d), "an empty list")
					} else {
						err = r.dataErr(r.row(), r.vecDesc(r.d), "null")
					}
					break
				}
				r.inVec, r.curLen = true, 0
			}
			if d < maxDef {
				err = r.nullValue()
				break
			}
			r.curLen++
			defined++
		}
	}
	if err != nil {
		return err
	}
	if defined*perValue != n {
		return fmt.Errorf("reading %s: row group %d, column %q: page %d has %d levels for defined values but %d values: %w",
			f.path, rg, m.info.Name, pageNo, defined, n/perValue, parquet.ErrCorrupted)
	}
	return nil
}

// readPages reads a chunk's pages through parquet-go's page decoding.
func (r *valueReader) readPages(cc parquet.ColumnChunk) error {
	pages := cc.Pages()
	defer pages.Close()
	for pageNo := 0; ; pageNo++ {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: row group %d, column %q: %w", r.f.path, r.rg, r.m.info.Name, err)
		}
		n, err := r.appendPage(p)
		if err != nil {
			parquet.Release(p)
			return err
		}
		if err := r.walkLevels(pageNo, n, p.RepetitionLevels(), p.DefinitionLevels()); err != nil {
			parquet.Release(p)
			return err
		}
		parquet.Release(p)
	}
	return nil
}

// appendDictValues appends vals[ix] for every index ix of idx to buf. At
// an index outside vals it returns buf as it was and that index's
// position in idx, else -1.
func appendDictValues[T float32 | float64](buf, vals []T, idx []int32) ([]T, int32) {
	start := len(buf)
	buf = slices.Grow(buf, len(idx))[:start+len(idx)]
	dst := buf[start:]
	for i, ix := range idx {
		if uint32(ix) >= uint32(len(vals)) {
			return buf[:start], int32(i)
		}
		dst[i] = vals[ix]
	}
	return buf, -1
}

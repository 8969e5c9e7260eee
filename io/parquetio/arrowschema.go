package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// verifyArrowSchema checks that raw, an ARROW:schema value (an Arrow IPC
// schema message: optional continuation marker, length, flatbuffer), is a
// well-formed flatbuffer everywhere arrow-go's IPC reader will look: every
// table, vtable, string, vector and union inside the message, every field
// it reads in bounds, nesting and the number of fields bounded. arrow-go
// decodes without verification and allocates vector lengths as read, so a
// single changed byte made it ask for 35 GB and die ("fatal error:
// runtime: out of memory", which no recover can catch). Only after this
// check is the message handed to arrow-go.
func verifyArrowSchema(raw []byte) error {
	msg, err := ipcMessage(raw)
	if err != nil {
		return err
	}
	v := fbVerifier{b: msg}
	root, err := v.root()
	if err != nil {
		return err
	}
	return v.message(root)
}

// Limits on what an ARROW:schema may hold (pyarrow's schemas for the
// widest tables have a few thousand fields).
const (
	maxArrowDepth  = 64
	maxArrowFields = 100_000
)

// ipcMessage returns the flatbuffer of an IPC message: after the
// 0xFFFFFFFF continuation marker (absent in the pre-1.0 format) and the
// little-endian metadata length, which must fit in raw.
func ipcMessage(raw []byte) ([]byte, error) {
	if len(raw) >= 4 && binary.LittleEndian.Uint32(raw) == 0xFFFFFFFF {
		raw = raw[4:]
	}
	if len(raw) < 4 {
		return nil, errors.New("ARROW:schema: too short for an IPC message")
	}
	n := int64(int32(binary.LittleEndian.Uint32(raw)))
	if n <= 0 || n > int64(len(raw)-4) {
		return nil, fmt.Errorf("ARROW:schema: message length %d, %d bytes present", n, len(raw)-4)
	}
	return raw[4 : 4+n], nil
}

// fbVerifier checks flatbuffer tables in b.
type fbVerifier struct {
	b      []byte
	fields int
}

// fbTable is a verified table: its position and its vtable's.
type fbTable struct {
	pos, vt, vtSize, objSize int
}

var errFlatbuffer = errors.New("ARROW:schema: malformed flatbuffer")

func (v *fbVerifier) in(off, n int) bool { return off >= 0 && n >= 0 && off <= len(v.b)-n }

func (v *fbVerifier) u32(off int) (int, bool) {
	if !v.in(off, 4) {
		return 0, false
	}
	return int(binary.LittleEndian.Uint32(v.b[off:])), true
}

func (v *fbVerifier) root() (fbTable, error) {
	off, ok := v.u32(0)
	if !ok {
		return fbTable{}, errFlatbuffer
	}
	return v.table(off)
}

// table verifies the table at pos and its vtable.
func (v *fbVerifier) table(pos int) (fbTable, error) {
	if !v.in(pos, 4) {
		return fbTable{}, fmt.Errorf("%w: table at %d outside the buffer", errFlatbuffer, pos)
	}
	vt := pos - int(int32(binary.LittleEndian.Uint32(v.b[pos:])))
	if !v.in(vt, 4) {
		return fbTable{}, fmt.Errorf("%w: vtable at %d outside the buffer", errFlatbuffer, vt)
	}
	t := fbTable{pos: pos, vt: vt,
		vtSize:  int(binary.LittleEndian.Uint16(v.b[vt:])),
		objSize: int(binary.LittleEndian.Uint16(v.b[vt+2:]))}
	if t.vtSize < 4 || t.vtSize%2 != 0 || !v.in(vt, t.vtSize) || t.objSize < 4 || !v.in(pos, t.objSize) {
		return fbTable{}, fmt.Errorf("%w: table at %d has a bad vtable", errFlatbuffer, pos)
	}
	return t, nil
}

// slot returns the offset of slot in t (0 when absent) after checking
// that size bytes there lie inside the table.
func (v *fbVerifier) slot(t fbTable, slot, size int) (int, error) {
	e := 4 + 2*slot
	if e+2 > t.vtSize {
		return 0, nil
	}
	o := int(binary.LittleEndian.Uint16(v.b[t.vt+e:]))
	if o == 0 {
		return 0, nil
	}
	if o+size > t.objSize {
		return 0, fmt.Errorf("%w: field %d of the table at %d overruns it", errFlatbuffer, slot, t.pos)
	}
	return t.pos + o, nil
}

// scalar checks a scalar field of size bytes.
func (v *fbVerifier) scalar(t fbTable, slot, size int) error {
	_, err := v.slot(t, slot, size)
	return err
}

// uoffset follows the offset stored in slot; ok is false when absent.
func (v *fbVerifier) uoffset(t fbTable, slot int) (int, bool, error) {
	at, err := v.slot(t, slot, 4)
	if err != nil || at == 0 {
		return 0, false, err
	}
	rel, _ := v.u32(at)
	target := at + rel
	if rel == 0 || !v.in(target, 4) {
		return 0, false, fmt.Errorf("%w: offset at %d points outside the buffer", errFlatbuffer, at)
	}
	return target, true, nil
}

// vector checks the vector in slot of elements of elem bytes and returns
// its start and length.
func (v *fbVerifier) vector(t fbTable, slot, elem int) (start, n int, err error) {
	at, ok, err := v.uoffset(t, slot)
	if err != nil || !ok {
		return 0, 0, err
	}
	n, _ = v.u32(at)
	if n > (len(v.b)-at-4)/elem {
		return 0, 0, fmt.Errorf("%w: vector of %d elements at %d overruns the buffer", errFlatbuffer, n, at)
	}
	return at + 4, n, nil
}

// str checks the string in slot (with its terminating zero).
func (v *fbVerifier) str(t fbTable, slot int) error {
	at, n, err := v.vector(t, slot, 1)
	if err != nil || at == 0 {
		return err
	}
	if !v.in(at+n, 1) {
		return fmt.Errorf("%w: string at %d is not terminated", errFlatbuffer, at)
	}
	return nil
}

// tables checks a vector of tables in slot with check.
func (v *fbVerifier) tables(t fbTable, slot, depth int, check func(fbTable, int) error) error {
	start, n, err := v.vector(t, slot, 4)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		at := start + 4*i
		rel, _ := v.u32(at)
		et, err := v.table(at + rel)
		if err != nil {
			return err
		}
		if err := check(et, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// sub checks the table in slot with check, if present.
func (v *fbVerifier) sub(t fbTable, slot, depth int, check func(fbTable, int) error) error {
	at, ok, err := v.uoffset(t, slot)
	if err != nil || !ok {
		return err
	}
	st, err := v.table(at)
	if err != nil {
		return err
	}
	return check(st, depth+1)
}

// Message: version short, header_type ubyte, header union, bodyLength
// long, custom_metadata [KeyValue].
func (v *fbVerifier) message(t fbTable) error {
	if err := v.scalar(t, 0, 2); err != nil {
		return err
	}
	at, err := v.slot(t, 1, 1)
	if err != nil {
		return err
	}
	if at == 0 || v.b[at] != 1 { // MessageHeader Schema
		return errors.New("ARROW:schema: the IPC message is not a schema")
	}
	if err := v.scalar(t, 3, 8); err != nil {
		return err
	}
	if at, err := v.slot(t, 3, 8); err != nil || (at != 0 && binary.LittleEndian.Uint64(v.b[at:]) != 0) {
		return errors.New("ARROW:schema: a schema message with a body")
	}
	if err := v.tables(t, 4, 0, v.keyValue); err != nil {
		return err
	}
	return v.sub(t, 2, 0, v.schema)
}

// Schema: endianness short, fields [Field], custom_metadata [KeyValue],
// features [long].
func (v *fbVerifier) schema(t fbTable, depth int) error {
	if err := v.scalar(t, 0, 2); err != nil {
		return err
	}
	if err := v.tables(t, 1, depth, v.fieldTable); err != nil {
		return err
	}
	if err := v.tables(t, 2, depth, v.keyValue); err != nil {
		return err
	}
	_, _, err := v.vector(t, 3, 8)
	return err
}

// KeyValue: key string, value string.
func (v *fbVerifier) keyValue(t fbTable, _ int) error {
	if err := v.str(t, 0); err != nil {
		return err
	}
	return v.str(t, 1)
}

// Field: name string, nullable bool, type_type ubyte, type union,
// dictionary DictionaryEncoding, children [Field], custom_metadata
// [KeyValue].
func (v *fbVerifier) fieldTable(t fbTable, depth int) error {
	v.fields++
	if depth > maxArrowDepth || v.fields > maxArrowFields {
		return fmt.Errorf("ARROW:schema: more than %d fields or nesting deeper than %d", maxArrowFields, maxArrowDepth)
	}
	if err := v.str(t, 0); err != nil {
		return err
	}
	if err := v.scalar(t, 1, 1); err != nil {
		return err
	}
	at, err := v.slot(t, 2, 1)
	if err != nil {
		return err
	}
	var typ byte
	if at != 0 {
		typ = v.b[at]
	}
	if err := v.sub(t, 3, depth, func(tt fbTable, _ int) error { return v.arrowType(typ, tt) }); err != nil {
		return err
	}
	if err := v.sub(t, 4, depth, v.dictionary); err != nil {
		return err
	}
	if err := v.tables(t, 5, depth, v.fieldTable); err != nil {
		return err
	}
	return v.tables(t, 6, depth, v.keyValue)
}

// DictionaryEncoding: id long, indexType Int, isOrdered bool,
// dictionaryKind short.
func (v *fbVerifier) dictionary(t fbTable, depth int) error {
	if err := v.scalar(t, 0, 8); err != nil {
		return err
	}
	if err := v.sub(t, 1, depth, func(it fbTable, _ int) error { return v.arrowType(2, it) }); err != nil {
		return err
	}
	if err := v.scalar(t, 2, 1); err != nil {
		return err
	}
	return v.scalar(t, 3, 2)
}

// arrowType checks the table of a Type union member by its type id
// (Schema.fbs); ids without fields need only a valid table.
func (v *fbVerifier) arrowType(typ byte, t fbTable) error {
	scalars := func(sizes ...int) error {
		for slot, size := range sizes {
			if err := v.scalar(t, slot, size); err != nil {
				return err
			}
		}
		return nil
	}
	switch typ {
	case 2: // Int: bitWidth int, is_signed bool
		return scalars(4, 1)
	case 3, 8, 11, 18: // FloatingPoint, Date, Interval, Duration: a short
		return scalars(2)
	case 7: // Decimal: precision, scale, bitWidth ints
		return scalars(4, 4, 4)
	case 9: // Time: unit short, bitWidth int
		return scalars(2, 4)
	case 10: // Timestamp: unit short, timezone string
		if err := scalars(2); err != nil {
			return err
		}
		return v.str(t, 1)
	case 14: // Union: mode short, typeIds [int]
		if err := scalars(2); err != nil {
			return err
		}
		_, _, err := v.vector(t, 1, 4)
		return err
	case 15, 16: // FixedSizeBinary byteWidth, FixedSizeList listSize: an int
		return scalars(4)
	case 17: // Map: keysSorted bool
		return scalars(1)
	case 1, 4, 5, 6, 12, 13, 19, 20, 21, 22, 23, 24, 25, 26:
		return nil
	}
	return fmt.Errorf("ARROW:schema: unknown type id %d", typ)
}

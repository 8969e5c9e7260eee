package parquetio

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// verifyPassthrough enables verifyChunk in the fast writer; benchmarks
// turn it off to measure its cost.
var verifyPassthrough = true

// verifyChunk decodes column chunk leaf of row group rg the way a reader
// of the output will, before the fast writer copies its bytes verbatim:
// every page decompressed (bounded by its header) with its CRC checked
// when it has one, its values decoded, its levels within the column's
// maximums, dictionary indexes inside the dictionary, and the pages' rows
// and values adding up to the footer's. A chunk copied without this check
// could make the run exit 0 with an output no reader can open. Errors are
// CorruptErrors naming the file, row group and column.
func (f *File) verifyChunk(rg, leaf int) (err error) {
	col := strings.Join(f.pf.Schema().Columns()[leaf], ".")
	defer func() {
		if rec := recover(); rec != nil {
			err = f.decoderPanic(rg, col)
		}
		err = asInput(err)
	}()
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("reading %s: row group %d, column %q: %s: %w", f.path, rg, col, fmt.Sprintf(format, args...), parquet.ErrCorrupted)
	}
	if err := f.checkChunk(rg, leaf); err != nil {
		return err
	}
	cc := f.pf.RowGroups()[rg].ColumnChunks()[leaf]
	node := f.pf.Schema().Columns()[leaf]
	lc, ok := f.pf.Schema().Lookup(node...)
	if !ok {
		return corrupt("no such leaf column in the schema")
	}
	maxRep, maxDef := byte(lc.MaxRepetitionLevel), byte(lc.MaxDefinitionLevel)
	text := lc.Node.Type().Kind() == parquet.ByteArray && isText(lc.Node.Type())
	if done, err := f.verifyStreamed(rg, leaf, col, int(maxRep), int(maxDef), text); done {
		return err
	}
	if done, err := f.verifyDense(rg, leaf, col, text); done {
		return err
	}
	if err := f.chunkDecodesWhole(rg, leaf); err != nil {
		return err
	}
	pages := cc.Pages()
	defer pages.Close()
	var rows, values int64
	for pageNo := 0; ; pageNo++ {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: row group %d, column %q: page %d: %w", f.path, rg, col, pageNo, err)
		}
		err = checkPage(p, maxRep, maxDef, text, pageNo == 0, &rows, &values)
		parquet.Release(p)
		if err != nil {
			return corrupt("page %d: %v", pageNo, err)
		}
	}
	return f.checkCounts(rg, leaf, col, rows, values)
}

// checkCounts checks the rows and values a verified chunk's pages hold
// against its row group and its metadata.
func (f *File) checkCounts(rg, leaf int, col string, rows, values int64) error {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("reading %s: row group %d, column %q: %s: %w", f.path, rg, col, fmt.Sprintf(format, args...), parquet.ErrCorrupted)
	}
	if want := f.RowGroupRows(rg); rows != want {
		return corrupt("the pages hold %d rows, the row group has %d", rows, want)
	}
	if want := f.pf.Metadata().RowGroups[rg].Columns[leaf].MetaData.NumValues; values != want {
		return corrupt("the pages hold %d values, the column chunk says %d", values, want)
	}
	return nil
}

// checkPage checks one decoded page's levels, dictionary indexes and,
// for text columns, that every string is UTF-8 (readers such as DuckDB
// refuse a file otherwise), and counts its rows and values.
func checkPage(p parquet.Page, maxRep, maxDef byte, text, first bool, rows, values *int64) error {
	n := p.NumValues()
	reps, defs := p.RepetitionLevels(), p.DefinitionLevels()
	if maxRep > 0 {
		if int64(len(reps)) != n {
			return fmt.Errorf("%d repetition levels for %d values", len(reps), n)
		}
		if first && n > 0 && reps[0] != 0 {
			return fmt.Errorf("the first repetition level is %d, not 0", reps[0])
		}
		for _, r := range reps {
			if r > maxRep {
				return fmt.Errorf("repetition level %d above the column's maximum %d", r, maxRep)
			}
			if r == 0 {
				*rows++
			}
		}
	} else {
		*rows += n
	}
	if maxDef > 0 {
		if int64(len(defs)) != n {
			return fmt.Errorf("%d definition levels for %d values", len(defs), n)
		}
		for _, d := range defs {
			if d > maxDef {
				return fmt.Errorf("definition level %d above the column's maximum %d", d, maxDef)
			}
		}
	}
	*values += n
	data := p.Data()
	if dict := p.Dictionary(); dict != nil {
		if data.Kind() == encoding.Int32 {
			size := int32(dict.Len())
			for _, i := range data.Int32() {
				if i < 0 || i >= size {
					return fmt.Errorf("dictionary index %d outside the dictionary of %d values", i, size)
				}
			}
		}
		data = dict.Page().Data()
	}
	if text && data.Kind() == encoding.ByteArray {
		b, off := data.ByteArray()
		ascii := isASCII(b) // then every string of b is UTF-8: no need to look at each
		for i := 0; i+1 < len(off); i++ {
			if lo, hi := off[i], off[i+1]; lo > hi || int(hi) > len(b) || (!ascii && !utf8.Valid(b[lo:hi])) {
				return fmt.Errorf("string %d is not valid UTF-8", i)
			}
		}
	}
	return nil
}

// isASCII reports whether every byte of b is below 0x80. Checking a
// page's strings one by one cost a sixth of a smoothing run's verification
// of its series ids (10 M strings of 10 bytes).
func isASCII(b []byte) bool {
	var acc uint64
	i := 0
	for ; i+32 <= len(b); i += 32 {
		acc |= binary.LittleEndian.Uint64(b[i:]) | binary.LittleEndian.Uint64(b[i+8:]) |
			binary.LittleEndian.Uint64(b[i+16:]) | binary.LittleEndian.Uint64(b[i+24:])
	}
	for ; i+8 <= len(b); i += 8 {
		acc |= binary.LittleEndian.Uint64(b[i:])
	}
	for ; i < len(b); i++ {
		acc |= uint64(b[i])
	}
	return acc&0x8080808080808080 == 0
}

// isText reports whether a BYTE_ARRAY column holds UTF-8 text (STRING,
// ENUM or JSON).
func isText(t parquet.Type) bool {
	if lt := t.LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return true
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.UTF8, deprecated.Enum, deprecated.Json:
			return true
		}
	}
	return false
}

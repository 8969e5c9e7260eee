package parquetio

import (
	"fmt"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// A passthrough chunk holding a page too dense for parquet-go to decode
// whole under the memory limit (tooDense: DuckDB writes a constant id
// over a 20 M-row row group as ONE dictionary page of 15 bytes, which
// parquet-go would expand to 80 MB of indexes and more) is verified by
// the key reader instead, its dictionary pages a window of levels at a
// time (dictWindows), with verifyChunk's checks: levels within the
// column's maximum, dictionary indexes inside the dictionary, text valid
// UTF-8, CRCs, and the pages' values adding up to the row group's rows.

// verifyDense verifies column chunk leaf of row group rg as verifyChunk
// does when one of its pages is tooDense and the column is flat, and
// reports whether it did; when not, the caller verifies through
// parquet-go.
func (f *File) verifyDense(rg, leaf int, col string, text bool) (bool, error) {
	m := f.flatLeaf(leaf)
	if m == nil || f.chunkDecodesWhole(rg, leaf) == nil {
		return false, nil
	}
	c, err := f.openKeyChunk(rg, m)
	if err != nil {
		return true, err
	}
	defer c.close()
	c.windows = true
	var p keyPage
	var levels, dicts int64
	for {
		ok, err := c.nextPage(&p)
		if err != nil {
			return true, err
		}
		if !ok {
			break
		}
		if text && m.kind == parquet.ByteArray {
			if c.dec.haveDict && dicts == 0 {
				dicts++
				if err := validUTF8(c.dec.dictData, c.dec.dictOffs); err != nil {
					return true, c.corrupt("dictionary: %v", err)
				}
			}
			if !p.dict {
				if err := validUTF8(p.data, p.offs); err != nil {
					return true, c.corrupt("page %d: %v", p.no, err)
				}
			}
		}
		levels += int64(p.nl)
	}
	return true, f.checkCounts(rg, leaf, col, levels, levels)
}

// flatLeaf is the flat (not repeated) column whose leaf is leaf, nil when
// there is none.
func (f *File) flatLeaf(leaf int) *colMeta {
	for _, m := range f.byName {
		if m.info.Leaf == leaf && m.info.Kind == Scalar && len(m.repDefs) == 0 {
			return m
		}
	}
	return nil
}

// validUTF8 checks the byte arrays of data at offs (n+1 offsets).
func validUTF8(data []byte, offs []uint32) error {
	if isASCII(data) {
		return nil
	}
	for i := 0; i+1 < len(offs); i++ {
		if !utf8.Valid(data[offs[i]:offs[i+1]]) {
			return fmt.Errorf("string %d is not valid UTF-8", i)
		}
	}
	return nil
}

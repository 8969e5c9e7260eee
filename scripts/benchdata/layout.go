package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// chunkPages summarises the pages of one column across all row groups.
type chunkPages struct {
	codecs       map[string]bool
	v1, v2, dict int
	largest      int64 // largest uncompressed page
	compressed   int64
}

// printLayout prints how a Parquet file is laid out: writer, row groups, and
// for each leaf column its codecs, page kinds and largest page, read from the
// page headers (scripts/bench prints it for every input it makes).
func printLayout(w io.Writer, path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(fh, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	md := pf.Metadata()
	minRows, maxRows := int64(-1), int64(0)
	for _, rg := range md.RowGroups {
		if minRows < 0 || rg.NumRows < minRows {
			minRows = rg.NumRows
		}
		maxRows = max(maxRows, rg.NumRows)
	}
	arrow := ""
	for _, kv := range md.KeyValueMetadata {
		if kv.Key == "ARROW:schema" {
			arrow = ", ARROW:schema"
		}
	}
	fmt.Fprintf(w, "%s: %d bytes, created_by %q%s; %d rows in %d row groups of %d-%d rows\n",
		path, st.Size(), md.CreatedBy, arrow, md.NumRows, len(md.RowGroups), minRows, maxRows)
	cols := map[string]*chunkPages{}
	var order []string
	for _, rg := range md.RowGroups {
		for _, c := range rg.Columns {
			name := strings.Join(c.MetaData.PathInSchema, ".")
			cp := cols[name]
			if cp == nil {
				cp = &chunkPages{codecs: map[string]bool{}}
				cols[name] = cp
				order = append(order, name)
			}
			cp.codecs[c.MetaData.Codec.String()] = true
			if err := cp.walk(fh, &c.MetaData); err != nil {
				return fmt.Errorf("reading the page headers of %s in %s: %w", name, path, err)
			}
		}
	}
	for _, name := range order {
		cp := cols[name]
		codecs := slices.Sorted(maps.Keys(cp.codecs))
		fmt.Fprintf(w, "  %s: %s; %d data pages v1, %d v2, %d dictionary; largest page %.1f MiB uncompressed; %.1f MiB compressed\n",
			name, strings.Join(codecs, ","), cp.v1, cp.v2, cp.dict, float64(cp.largest)/(1<<20), float64(cp.compressed)/(1<<20))
	}
	_, err = fmt.Fprint(w, indent(pf.Schema().String()))
	return err
}

// walk reads the page headers of one column chunk.
func (cp *chunkPages) walk(r io.ReaderAt, m *format.ColumnMetaData) error {
	pos := m.DataPageOffset
	if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < pos {
		pos = m.DictionaryPageOffset
	}
	end := pos + m.TotalCompressedSize
	cp.compressed += m.TotalCompressedSize
	buf := make([]byte, 1<<16)
	proto := new(thrift.CompactProtocol)
	for pos < end {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), end-pos)], pos)
		if err != nil && err != io.EOF {
			return err
		}
		br := bytes.NewReader(buf[:n])
		var h format.PageHeader
		if err := thrift.NewDecoder(proto.NewReader(br)).Decode(&h); err != nil {
			return fmt.Errorf("page header at offset %d: %w", pos, err)
		}
		switch h.Type {
		case format.DataPage:
			cp.v1++
		case format.DataPageV2:
			cp.v2++
		case format.DictionaryPage:
			cp.dict++
		}
		cp.largest = max(cp.largest, int64(h.UncompressedPageSize))
		pos += int64(n-br.Len()) + int64(h.CompressedPageSize)
	}
	return nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

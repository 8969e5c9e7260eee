package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// largestPage prints the largest uncompressed page of column's chunks in
// path, in MiB rounded up (SPEC v2's memory bound adds it to the limit).
func largestPage(path, column string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return err
	}
	var largest int64
	var proto thrift.CompactProtocol
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			md := cc.MetaData
			if len(md.PathInSchema) == 0 || md.PathInSchema[0] != column {
				continue
			}
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			b := make([]byte, md.TotalCompressedSize)
			if _, err := f.ReadAt(b, start); err != nil {
				return err
			}
			for pos := 0; pos < len(b); {
				var h format.PageHeader
				r := bytes.NewReader(b[pos:])
				if err := thrift.NewDecoder(proto.NewReader(r)).Decode(&h); err != nil {
					return fmt.Errorf("page header at offset %d: %w", start+int64(pos), err)
				}
				largest = max(largest, int64(h.UncompressedPageSize))
				pos += len(b) - pos - r.Len() + int(h.CompressedPageSize)
			}
		}
	}
	fmt.Println((largest + 1<<20 - 1) >> 20)
	return nil
}

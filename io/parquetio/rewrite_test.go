package parquetio

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// pageEdit changes one page of a file: it gets the column chunk's path,
// the page's index in the chunk, its header and body, and returns the new
// body (the header's compressed size follows it; any other header field it
// changed is kept).
type pageEdit func(col string, page int, h *format.PageHeader, body []byte) []byte

// rewritePages copies the Parquet file in to out, passing every page of
// every column chunk through edit and moving the offsets and sizes in the
// footer accordingly (and the page CRC when there is one, unless edit
// changed it): a corrupt or hostile file that is still well framed.
func rewritePages(t testing.TB, in, out string, edit pageEdit) {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := rewritePageBytes(b, edit)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, nb, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rewritePageBytes is rewritePages on a file in memory.
func rewritePageBytes(b []byte, edit pageEdit) ([]byte, error) {
	n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	var md format.FileMetaData
	proto := new(thrift.CompactProtocol)
	if err := thrift.Unmarshal(proto, b[len(b)-8-n:len(b)-8], &md); err != nil {
		return nil, err
	}
	var dst bytes.Buffer
	dst.WriteString("PAR1")
	for rg := range md.RowGroups {
		for c := range md.RowGroups[rg].Columns {
			cm := &md.RowGroups[rg].Columns[c].MetaData
			start := cm.DataPageOffset
			if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < start {
				start = cm.DictionaryPageOffset
			}
			chunk := b[start : start+cm.TotalCompressedSize]
			newStart := int64(dst.Len())
			var uncomp int64
			for pos, page := 0, 0; pos < len(chunk); page++ {
				var h format.PageHeader
				r := bytes.NewReader(chunk[pos:])
				if err := thrift.NewDecoder(proto.NewReader(r)).Decode(&h); err != nil {
					return nil, err
				}
				hlen := len(chunk) - pos - r.Len()
				body := chunk[pos+hlen : pos+hlen+int(h.CompressedPageSize)]
				at := start + int64(pos)
				pos += hlen + int(h.CompressedPageSize)
				crc := h.CRC
				nb := edit(cm.PathInSchema[0], page, &h, bytes.Clone(body))
				h.CompressedPageSize = int32(len(nb))
				if h.CRC != 0 && h.CRC == crc {
					h.CRC = int32(crc32.ChecksumIEEE(nb))
				}
				hb, err := thrift.Marshal(proto, &h)
				if err != nil {
					return nil, err
				}
				switch at {
				case cm.DataPageOffset:
					cm.DataPageOffset = int64(dst.Len())
				case cm.DictionaryPageOffset:
					cm.DictionaryPageOffset = int64(dst.Len())
				}
				dst.Write(hb)
				dst.Write(nb)
				uncomp += int64(len(hb)) + int64(h.UncompressedPageSize)
			}
			cm.TotalCompressedSize = int64(dst.Len()) - newStart
			cm.TotalUncompressedSize = uncomp
			md.RowGroups[rg].Columns[c].FileOffset = newStart
			cm.IndexPageOffset = 0
			md.RowGroups[rg].Columns[c].ColumnIndexOffset, md.RowGroups[rg].Columns[c].ColumnIndexLength = 0, 0
			md.RowGroups[rg].Columns[c].OffsetIndexOffset, md.RowGroups[rg].Columns[c].OffsetIndexLength = 0, 0
			cm.BloomFilterOffset, cm.BloomFilterLength = 0, 0
		}
	}
	fb, err := thrift.Marshal(proto, &md)
	if err != nil {
		return nil, err
	}
	dst.Write(fb)
	dst.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(fb))))
	dst.WriteString("PAR1")
	return dst.Bytes(), nil
}

// rewriteFooter copies the Parquet file in to out with its footer changed
// by edit.
func rewriteFooter(t testing.TB, in, out string, edit func(*format.FileMetaData)) {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	var md format.FileMetaData
	proto := new(thrift.CompactProtocol)
	if err := thrift.Unmarshal(proto, b[len(b)-8-n:len(b)-8], &md); err != nil {
		t.Fatal(err)
	}
	edit(&md)
	fb, err := thrift.Marshal(proto, &md)
	if err != nil {
		t.Fatal(err)
	}
	dst := append(append([]byte(nil), b[:len(b)-8-n]...), fb...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(fb)))
	dst = append(dst, "PAR1"...)
	if err := os.WriteFile(out, dst, 0o644); err != nil {
		t.Fatal(err)
	}
}

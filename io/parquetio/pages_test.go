package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// pageKind is what the page reader met: a page type and its encoding.
type pageKind struct {
	typ format.PageType
	enc format.Encoding
}

// valuePageKinds reads the value column of every row group of path and
// returns the kinds of its pages.
func valuePageKinds(t *testing.T, path string, spec ReadSpec) map[pageKind]bool {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, ok := f.Column(spec.Column)
	if !ok {
		t.Fatalf("%s: no column %q", path, spec.Column)
	}
	kinds := map[pageKind]bool{}
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		if _, err := f.ReadValues(rg, spec, nil); err != nil {
			t.Fatalf("%s rg %d: %v", path, rg, err)
		}
		f.checkedMu.Lock()
		for _, p := range f.pages[rg*f.numLeaf+c.Leaf] {
			kinds[pageKind{p.typ, p.enc}] = true
		}
		f.checkedMu.Unlock()
	}
	return kinds
}

// TestPageReaderMatchesParquetGo: for every page kind (data page v1 and
// v2, dictionary pages), value encoding (PLAIN, RLE_DICTIONARY,
// BYTE_STREAM_SPLIT), codec, and layout (float and double scalars with
// nulls, list vectors, packed FLBA vectors, series, list<list>), the page
// reader gives what parquet-go's page decoding gives, bit for bit, on
// files parquet-go writes with several pages per chunk. The page kinds
// met are checked, so the table cannot pass without reading them.
func TestPageReaderMatchesParquetGo(t *testing.T) {
	encodings := []struct {
		name string
		enc  encoding.Encoding
		want format.Encoding
	}{
		{"plain", &parquet.Plain, format.Plain},
		{"dict", &parquet.RLEDictionary, format.RLEDictionary},
		{"bss", &parquet.ByteStreamSplit, format.ByteStreamSplit},
	}
	seen := map[pageKind]bool{}
	for _, c := range fuzzCodecs {
		for _, version := range []int{1, 2} {
			for _, e := range encodings {
				opts := []parquet.WriterOption{parquet.Compression(c.codec), parquet.DataPageVersion(version),
					parquet.PageBufferSize(400), parquet.MaxRowsPerRowGroup(160),
					parquet.DefaultEncodingFor(parquet.Float, e.enc), parquet.DefaultEncodingFor(parquet.Double, e.enc)}
				if e.name != "bss" {
					opts = append(opts, parquet.DefaultEncodingFor(parquet.FixedLenByteArray, e.enc))
				}
				for _, tc := range readCases() {
					name := fmt.Sprintf("%s/v%d/%s/%s", c.id, version, e.name, tc.name)
					path := tc.write(t, t.TempDir(), opts...)
					if !sameDirect(t, path, tc.spec) {
						t.Fatalf("%s: nothing read", name)
					}
					for k := range valuePageKinds(t, path, tc.spec) {
						seen[k] = true
					}
				}
			}
		}
	}
	for _, want := range []pageKind{
		{format.DataPage, format.Plain}, {format.DataPageV2, format.Plain},
		{format.DataPage, format.RLEDictionary}, {format.DataPageV2, format.RLEDictionary},
		{format.DataPage, format.ByteStreamSplit}, {format.DataPageV2, format.ByteStreamSplit},
		{format.DictionaryPage, format.Plain},
	} {
		if !seen[want] {
			t.Errorf("no %s page encoded %s was read (seen: %v)", want.typ, want.enc, seen)
		}
	}
}

// TestPageReaderRejectsCorruptRuns: a definition-level run or a
// dictionary-index run claiming 2^30 values in a small page, and a
// dictionary index past the dictionary, are CorruptErrors naming the
// file, row group, column and page, found while the page is decoded (no
// second decompression) and without allocating the run.
func TestPageReaderRejectsCorruptRuns(t *testing.T) {
	run := binary.AppendUvarint(nil, (1<<30)<<1)
	rows := make([]rowScalarF64Opt, 50)
	for i := range rows {
		x := float64(i % 3)
		rows[i].Value = &x
	}
	v1 := []parquet.WriterOption{parquet.Compression(&parquet.Zstd), parquet.DataPageVersion(1)}
	dict := append(v1, parquet.DefaultEncodingFor(parquet.Double, &parquet.RLEDictionary))
	cases := []struct {
		name string
		opts []parquet.WriterOption
		edit func(body []byte) []byte // the uncompressed page
		want string
	}{
		{"definition levels", v1, func(body []byte) []byte {
			levels := append(append([]byte(nil), run...), 0)
			return append(binary.LittleEndian.AppendUint32(nil, uint32(len(levels))), levels...)
		}, "runs of more than"},
		{"dictionary indexes", dict, func(body []byte) []byte {
			n := binary.LittleEndian.Uint32(body)
			return append(append(append([]byte(nil), body[:4+n]...), 2), append(run, 1)...)
		}, "runs of more than"},
		{"dictionary index out of range", dict, func(body []byte) []byte {
			n := binary.LittleEndian.Uint32(body)
			return append(append([]byte(nil), body[:4+n]...), 3, 100, 7) // a run of 50 indexes 7
		}, "dictionary index 7 out of range [0, 3)"},
	}
	defer func(old int64) { streamPageBytes = old }(streamPageBytes)
	for _, c := range cases {
		for _, limit := range []int64{8 << 20, 0} { // pages read whole, then PLAIN pages streamed
			streamPageBytes = limit
			t.Run(fmt.Sprintf("%s/stream=%v", c.name, limit == 0), func(t *testing.T) {
				dir := t.TempDir()
				in := writeFile(t, dir, "in.parquet", rows, c.opts...)
				out := filepath.Join(dir, "bad.parquet")
				rewritePages(t, in, out, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
					if col != "value" || h.Type != format.DataPage {
						return body
					}
					plain, err := decompressPage(format.Zstd, nil, body, int(h.UncompressedPageSize))
					if err != nil {
						t.Fatal(err)
					}
					nb := c.edit(plain)
					h.UncompressedPageSize = int32(len(nb))
					enc, err := parquet.LookupCompressionCodec(format.Zstd).Encode(nil, nb)
					if err != nil {
						t.Fatal(err)
					}
					h.CompressedPageSize = int32(len(enc))
					h.CRC = 0
					return enc
				})
				f, err := Open(out)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				var rerr error
				n := allocated(func() { _, rerr = f.ReadValues(0, ReadSpec{Column: "value"}, nil) })
				var ce *CorruptError
				if !errors.As(rerr, &ce) || !strings.Contains(rerr.Error(), c.want) ||
					!strings.Contains(rerr.Error(), `row group 0, column "value": page `) || !strings.Contains(rerr.Error(), out) {
					t.Fatalf("got %v, want a CorruptError naming the file, row group, column and page: %s", rerr, c.want)
				}
				if n > 8<<20 {
					t.Errorf("allocated %d bytes", n)
				}
			})
		}
	}
}

// TestPageReaderChecksCRC: a page whose CRC-32 does not match its bytes
// (a data page v1 or v2, or the dictionary page) is a CorruptError naming
// the file, column and page, with every codec and encoding.
func TestPageReaderChecksCRC(t *testing.T) {
	rows := make([]rowScalarF32, 300)
	for i := range rows {
		rows[i] = rowScalarF32{ID: "a", Pos: int64(i), Value: float32(i % 17)}
	}
	cases := []struct {
		name  string
		opts  []parquet.WriterOption
		which format.PageType
	}{
		{"v1 plain zstd", []parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Zstd)}, format.DataPage},
		{"v2 bss gzip", []parquet.WriterOption{parquet.Compression(&parquet.Gzip), parquet.DefaultEncodingFor(parquet.Float, &parquet.ByteStreamSplit)}, format.DataPageV2},
		{"v1 dictionary page snappy", []parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Snappy),
			parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary)}, format.DictionaryPage},
		{"v2 dictionary data page lz4", []parquet.WriterOption{parquet.Compression(&parquet.Lz4Raw),
			parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary)}, format.DataPageV2},
	}
	defer func(old int64) { streamPageBytes = old }(streamPageBytes)
	for _, c := range cases {
		for _, limit := range []int64{8 << 20, 0} { // pages read whole, then PLAIN pages streamed
			streamPageBytes = limit
			t.Run(fmt.Sprintf("%s/stream=%v", c.name, limit == 0), func(t *testing.T) {
				dir := t.TempDir()
				in := writeFile(t, dir, "in.parquet", rows, c.opts...)
				bad := filepath.Join(dir, "crc.parquet")
				changed := 0
				rewritePages(t, in, bad, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
					if col == "value" && h.Type == c.which && h.CRC != 0 {
						h.CRC++
						changed++
					}
					return body
				})
				if changed == 0 {
					t.Fatalf("no %s page with a CRC in the value column", c.which)
				}
				f, err := Open(bad)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				_, err = f.ReadValues(0, ReadSpec{Column: "value"}, nil)
				var ce *CorruptError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), "CRC-32") || !strings.Contains(err.Error(), `column "value": page `) ||
					!strings.Contains(err.Error(), bad) {
					t.Fatalf("got %v, want a CorruptError about the CRC naming the file, column and page", err)
				}
			})
		}
	}
}

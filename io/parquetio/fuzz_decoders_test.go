package parquetio

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The decoders' fuzz targets. Their seed corpora are committed under
// testdata/fuzz/<target>/ (written by TestWriteFuzzCorpus) and CI runs each
// for about 30 s:
//
//	go test ./io/parquetio -run '^$' -fuzz '^FuzzThrift$' -fuzztime 30s

// rowFuzz has one column per encoding the reader handles.
type rowFuzz struct {
	ID    string    `parquet:"sequence_id"`
	Pos   int64     `parquet:"position"`
	Value float32   `parquet:"value"`
	Vec   []float32 `parquet:"embedding,optional,list"`
}

// pageTemplate is a small file whose pages the page fuzzer replaces.
type pageTemplate struct {
	name  string
	file  []byte
	codec format.CompressionCodec
}

var fuzzCodecs = []struct {
	id    format.CompressionCodec
	codec compress.Codec
}{
	{format.Uncompressed, &parquet.Uncompressed}, {format.Snappy, &parquet.Snappy}, {format.Gzip, &parquet.Gzip},
	{format.Zstd, &parquet.Zstd}, {format.Lz4Raw, &parquet.Lz4Raw}, {format.Brotli, &parquet.Brotli},
}

var fuzzEncodings = []struct {
	name string
	opts []parquet.WriterOption
}{
	{"plain_v1", []parquet.WriterOption{parquet.DataPageVersion(1)}},
	{"plain_v2", []parquet.WriterOption{parquet.DataPageVersion(2)}},
	{"dictionary", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.Int64, &parquet.RLEDictionary)}},
	{"byte_stream_split", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.Float, &parquet.ByteStreamSplit)}},
	{"delta", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaByteArray)}},
	{"delta_length", []parquet.WriterOption{parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray)}},
}

// pageTemplates returns a file for every codec and encoding (made once).
var pageTemplates = sync.OnceValue(func() []pageTemplate {
	rows := make([]rowFuzz, 64)
	for i := range rows {
		rows[i] = rowFuzz{ID: fmt.Sprint("s", i/16), Pos: int64(i), Value: float32(i%5) * 0.5, Vec: []float32{float32(i), 1, 2}}
		if i%7 == 3 {
			rows[i].Vec = nil
		}
	}
	var out []pageTemplate
	for _, c := range fuzzCodecs {
		for _, e := range fuzzEncodings {
			var buf bytes.Buffer
			opts := append([]parquet.WriterOption{parquet.Compression(c.codec)}, e.opts...)
			w := parquet.NewGenericWriter[rowFuzz](&buf, opts...)
			if _, err := w.Write(rows); err != nil {
				panic(err)
			}
			if err := w.Close(); err != nil {
				panic(err)
			}
			out = append(out, pageTemplate{name: e.name + "/" + c.id.String(), file: buf.Bytes(), codec: c.id})
		}
	}
	return out
})

var fuzzColumns = []string{"sequence_id", "position", "value", "embedding"}

// fuzzPageFile returns template t's file with page (page % 2: the
// dictionary or first page, or the next) of column col replaced by the
// uncompressed page content plain, compressed with the template's codec.
func fuzzPageFile(t pageTemplate, col string, page int, plain []byte) ([]byte, bool) {
	replaced := false
	b, err := rewritePageBytes(t.file, func(c string, p int, h *format.PageHeader, body []byte) []byte {
		if c != col || p != page || replaced {
			return body
		}
		replaced = true
		h.CRC = 0
		levels := 0
		if h.DataPageHeaderV2.Valid {
			v := &h.DataPageHeaderV2.V
			v.RepetitionLevelsByteLength = min(v.RepetitionLevelsByteLength, int32(len(plain)))
			v.DefinitionLevelsByteLength = min(v.DefinitionLevelsByteLength, int32(len(plain))-v.RepetitionLevelsByteLength)
			levels = int(v.RepetitionLevelsByteLength + v.DefinitionLevelsByteLength)
		}
		h.UncompressedPageSize = int32(len(plain))
		values := plain[levels:]
		if t.codec != format.Uncompressed {
			var err error
			if values, err = parquet.LookupCompressionCodec(t.codec).Encode(nil, values); err != nil {
				return body
			}
		}
		return append(plain[:levels:levels], values...)
	})
	return b, err == nil && replaced
}

// FuzzPage: every codec and encoding the reader decodes, with the
// uncompressed content of one page fuzzed (levels, dictionary indexes,
// PLAIN, BYTE_STREAM_SPLIT and DELTA_* values): reading and verifying
// the file may fail, never panic or allocate without bound, whether the
// value pages are read whole or streamed.
func FuzzPage(f *testing.F) {
	for ti := range pageTemplates() {
		for ci := range fuzzColumns {
			for page := 0; page < 2; page++ {
				if plain, ok := templatePage(ti, ci, page); ok {
					f.Add(uint8(ti), uint8(ci), uint8(page), plain)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, ti, ci, page uint8, plain []byte) {
		ts := pageTemplates()
		tpl := ts[int(ti)%len(ts)]
		b, ok := fuzzPageFile(tpl, fuzzColumns[int(ci)%len(fuzzColumns)], int(page)%2, plain)
		if !ok {
			return
		}
		exerciseBytes(t, b)
		defer func(old int64) { streamPageBytes = old }(streamPageBytes)
		streamPageBytes = 0 // again with every PLAIN page streamed
		exerciseBytes(t, b)
	})
}

// templatePage returns the uncompressed content of a template's page.
func templatePage(ti, ci, page int) ([]byte, bool) {
	tpl := pageTemplates()[ti]
	var plain []byte
	found := false
	_, _ = rewritePageBytes(tpl.file, func(c string, p int, h *format.PageHeader, body []byte) []byte {
		if c != fuzzColumns[ci] || p != page {
			return body
		}
		levels := 0
		compressed := true
		if h.DataPageHeaderV2.Valid {
			v := h.DataPageHeaderV2.V
			levels = int(v.RepetitionLevelsByteLength + v.DefinitionLevelsByteLength)
			compressed = !v.IsCompressed.Valid || v.IsCompressed.V
		}
		vals := body[levels:]
		if compressed {
			var err error
			if vals, err = decompressPage(tpl.codec, nil, vals, int(h.UncompressedPageSize)-levels); err != nil {
				return body
			}
		}
		plain, found = append(body[:levels:levels], vals...), true
		return body
	})
	return plain, found
}

// exerciseBytes writes b to a file and calls every read method on it,
// and verifies every column chunk.
func exerciseBytes(t *testing.T, b []byte) {
	p := filepath.Join(t.TempDir(), "fuzz.parquet")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := Open(p)
	if err != nil {
		return
	}
	defer file.Close()
	exerciseFile(file)
	for rg := 0; rg < file.NumRowGroups(); rg++ {
		for leaf := 0; leaf < file.numLeaf; leaf++ {
			_ = file.verifyChunk(rg, leaf)
		}
		_, _, _ = file.ReadRuns(rg, "sequence_id")
		_, _, _, _ = file.ReadInt64s(rg, "position", nil)
	}
}

// FuzzThrift: footers and page headers. checkThrift must bound every
// length before parquet-go decodes one, and the decoded structures go
// through the enum checks; nothing may panic.
func FuzzThrift(f *testing.F) {
	for _, s := range thriftSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := checkThrift(b); err != nil {
			return
		}
		proto := new(thrift.CompactProtocol)
		var md format.FileMetaData
		if thrift.Unmarshal(proto, b, &md) == nil {
			_ = checkFooterEnums(&md)
		}
		var h format.PageHeader
		if thrift.Unmarshal(proto, b, &h) == nil {
			_ = checkPageEnums(&h)
		}
	})
}

// thriftSeeds returns the footers and page headers of the page templates.
func thriftSeeds(t testing.TB) [][]byte {
	var out [][]byte
	proto := new(thrift.CompactProtocol)
	for _, tpl := range pageTemplates()[:8] {
		b := tpl.file
		n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
		out = append(out, b[len(b)-8-n:len(b)-8])
		_, _ = rewritePageBytes(b, func(_ string, p int, h *format.PageHeader, body []byte) []byte {
			if p == 0 {
				if hb, err := thrift.Marshal(proto, h); err == nil {
					out = append(out, hb)
				}
			}
			return body
		})
	}
	return out
}

// FuzzDecompressPage: any bytes, any codec, any declared size: an error,
// or exactly size bytes; never a panic or more than size bytes allocated.
func FuzzDecompressPage(f *testing.F) {
	page := bytes.Repeat([]byte("contextualize\x00\x01\x02"), 40)
	for _, c := range fuzzCodecs {
		comp := page
		if c.id != format.Uncompressed {
			comp, _ = c.codec.Encode(nil, page)
		}
		f.Add(uint8(c.id), uint32(len(page)), comp)
	}
	f.Fuzz(func(t *testing.T, codec uint8, size uint32, src []byte) {
		size %= 1 << 20
		out, err := decompressPage(format.CompressionCodec(codec%8), nil, src, int(size))
		if err == nil && len(out) != int(size) {
			t.Fatalf("%d bytes without an error, declared %d", len(out), size)
		}
	})
}

// FuzzArrowSchema: any ARROW:schema value is verified before arrow-go
// decodes it: an error and a fallback, never a panic or an unbounded
// allocation.
func FuzzArrowSchema(f *testing.F) {
	for _, name := range arrowFixtures {
		f.Add(arrowSchemaOf(f, filepath.Join("..", "..", "testdata", "interop", name)))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		enc := base64.StdEncoding.EncodeToString(raw)
		if fields, err := arrowSchemaFields(enc); err == nil {
			for name := range fields {
				_, _ = addArrowField(enc, name, name+"_out")
				break
			}
		}
	})
}

// TestWriteFuzzCorpus writes the seed corpora of the fuzz targets above
// into testdata/fuzz when CONTEXTUALIZE_WRITE_FUZZ_CORPUS=1 (the committed
// corpora come from it); otherwise it checks that they exist.
func TestWriteFuzzCorpus(t *testing.T) {
	write := os.Getenv("CONTEXTUALIZE_WRITE_FUZZ_CORPUS") == "1"
	corpus := map[string][]string{}
	for ti := range pageTemplates() {
		for ci := range fuzzColumns {
			if plain, ok := templatePage(ti, ci, 0); ok {
				corpus["FuzzPage"] = append(corpus["FuzzPage"], fmt.Sprintf("uint8(%d)\nuint8(%d)\nuint8(0)\n[]byte(%q)", ti, ci, plain))
			}
		}
	}
	for _, s := range valuePageSeeds(t) {
		corpus["FuzzValuePage"] = append(corpus["FuzzValuePage"], fmt.Sprintf("bool(%v)\nuint8(%d)\nuint8(%d)\nuint8(%d)\nuint16(%d)\nuint16(%d)\nuint16(%d)\n[]byte(%q)\n[]byte(%q)",
			s.v2, s.layout, s.width, s.enc, s.nv, s.repLen, s.defLen, s.dict, s.data))
	}
	for _, s := range keyPageSeeds(t) {
		corpus["FuzzKeyPage"] = append(corpus["FuzzKeyPage"], fmt.Sprintf("bool(%v)\nuint8(%d)\nuint8(%d)\nuint8(%d)\nuint16(%d)\nuint16(%d)\nuint16(%d)\nuint16(%d)\n[]byte(%q)\n[]byte(%q)",
			s.v2, s.layout, s.typ, s.enc, s.nv, s.repLen, s.defLen, s.dictValues, s.dict, s.data))
	}
	dseeds, windows := dictWindowSeeds(t)
	for i, s := range dseeds {
		corpus["FuzzKeyDictWindows"] = append(corpus["FuzzKeyDictWindows"], fmt.Sprintf("bool(%v)\nuint8(%d)\nuint8(%d)\nuint8(%d)\nuint16(%d)\nuint16(%d)\nuint16(%d)\nuint16(%d)\n[]byte(%q)\n[]byte(%q)\nuint8(%d)",
			s.v2, s.layout, s.typ, s.enc, s.nv, s.repLen, s.defLen, s.dictValues, s.dict, s.data, windows[i]))
	}
	for _, s := range thriftSeeds(t) {
		corpus["FuzzThrift"] = append(corpus["FuzzThrift"], fmt.Sprintf("[]byte(%q)", s))
	}
	page := bytes.Repeat([]byte("contextualize\x00\x01\x02"), 40)
	for _, c := range fuzzCodecs {
		comp := page
		if c.id != format.Uncompressed {
			comp, _ = c.codec.Encode(nil, page)
		}
		corpus["FuzzDecompressPage"] = append(corpus["FuzzDecompressPage"], fmt.Sprintf("uint8(%d)\nuint32(%d)\n[]byte(%q)", c.id, len(page), comp))
	}
	for _, name := range arrowFixtures {
		raw := arrowSchemaOf(t, filepath.Join("..", "..", "testdata", "interop", name))
		corpus["FuzzArrowSchema"] = append(corpus["FuzzArrowSchema"], fmt.Sprintf("[]byte(%q)", raw))
	}
	for target, entries := range corpus {
		dir := filepath.Join("testdata", "fuzz", target)
		if !write {
			if ents, err := os.ReadDir(dir); err != nil || len(ents) == 0 {
				t.Errorf("%s: no committed seed corpus (run with CONTEXTUALIZE_WRITE_FUZZ_CORPUS=1)", dir)
			}
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, e := range entries {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%03d", i)), []byte("go test fuzz v1\n"+e+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

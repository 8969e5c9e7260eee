package parquetio

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go/format"
)

// pagesDir holds DuckDB's and polars' files of scripts/page-fixtures.
var pagesDir = filepath.Join("..", "..", "testdata", "pages")

// realWriterFiles reads testdata/pages/manifest.json.
func realWriterFiles(t *testing.T) []struct{ File, Writer, Codec, Version string } {
	b, err := os.ReadFile(filepath.Join(pagesDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Files []struct{ File, Writer, Codec, Version string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Files) < 18 {
		t.Fatalf("%d files in the manifest, want 18", len(m.Files))
	}
	return m.Files
}

// realWriterColumns are the value columns of those files.
var realWriterColumns = []ReadSpec{
	{Column: "s32"}, {Column: "d64"}, {Column: "v32"}, {Column: "ser", Nesting: 1}, {Column: "lol", Nesting: 1},
}

// TestPageReaderRealWriters: on the files DuckDB (PARQUET_VERSION V1 and
// V2) and polars write with every codec, the page reader gives what
// parquet-go's page decoding gives, bit for bit, for every value layout
// (nullable scalars, dictionary-encoded doubles, vectors, series with
// nulls and empty lists, list<list>), whole and in segments; and the page
// kinds the writers use (PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY,
// BYTE_STREAM_SPLIT data pages, dictionary pages) were all met.
func TestPageReaderRealWriters(t *testing.T) {
	seen := map[string]map[pageKind]int{}
	multi, segs := 0, 0
	rng := rand.New(rand.NewPCG(7, 8))
	for _, e := range realWriterFiles(t) {
		path := filepath.Join(pagesDir, e.File)
		if seen[e.Writer] == nil {
			seen[e.Writer] = map[pageKind]int{}
		}
		for _, spec := range realWriterColumns {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := f.Column(spec.Column); !ok {
				f.Close()
				continue // polars has no list<list> column
			}
			f.Close()
			if !sameDirect(t, path, spec) {
				t.Fatalf("%s %s: nothing read", e.File, spec.Column)
			}
			for k := range valuePageKinds(t, path, spec) {
				seen[e.Writer][k]++
			}
			segs += checkSegments(t, rng, path, spec)
			f, _ = Open(path)
			c, _ := f.Column(spec.Column)
			for rg := 0; rg < f.NumRowGroups(); rg++ {
				if _, err := f.ReadValues(rg, spec, nil); err != nil {
					t.Fatal(err)
				}
				data := 0
				for _, p := range f.pages[rg*f.numLeaf+c.Leaf] {
					if p.typ == format.DataPage || p.typ == format.DataPageV2 {
						data++
					}
				}
				if data > 1 {
					multi++
				}
			}
			f.Close()
		}
	}
	t.Logf("page kinds met: %v; %d chunks of several data pages; %d segmented reads", seen, multi, segs)
	if segs < 80 {
		t.Errorf("only %d segmented reads compared", segs)
	}
	for _, want := range []struct {
		writer string
		kind   pageKind
	}{
		{"duckdb", pageKind{format.DataPage, format.Plain}},
		{"duckdb", pageKind{format.DataPage, format.PlainDictionary}},
		{"duckdb", pageKind{format.DataPage, format.RLEDictionary}},
		{"duckdb", pageKind{format.DataPage, format.ByteStreamSplit}},
		{"duckdb", pageKind{format.DictionaryPage, format.Plain}},
		{"polars", pageKind{format.DataPage, format.Plain}},
	} {
		if seen[want.writer][want.kind] == 0 {
			t.Errorf("%s: no %s page encoded %s", want.writer, want.kind.typ, want.kind.enc)
		}
	}
}

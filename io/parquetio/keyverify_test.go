package parquetio

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// readKeys reads every flat column of every row group of f the ways a
// run reads its keys (ReadRuns, ColumnWindows in windows, ReadColumn),
// ignoring their errors: what a key reader refuses it does not mark.
func readKeys(f *File) {
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		for _, c := range f.Columns() {
			if c.Kind != Scalar {
				continue
			}
			_, _, _ = f.ReadRuns(rg, c.Name)
			if w, err := f.OpenColumnWindows(rg, c.Name); err == nil {
				for w.Row() < w.Rows() {
					if _, _, _, err := w.NextInt64s(1000, nil); err != nil {
						a, err := w.Next(1000)
						if err != nil {
							break
						}
						a.Release()
					}
				}
				w.Close()
			}
			if a, err := f.ReadColumn(rg, c.Name); err == nil {
				a.Release()
			}
		}
	}
}

// keyMarks checks that every chunk of f (the file at path) a key reader
// marked verified is one verifyChunk accepts, on the file opened anew
// (its page headers and runs scanned again), and returns how many were
// marked.
func keyMarks(t *testing.T, f *File, path string) int {
	t.Helper()
	marked := 0
	var fresh *File
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		for leaf := 0; leaf < f.numLeaf; leaf++ {
			if !f.verifiedByKeys(rg, leaf) {
				continue
			}
			marked++
			if fresh == nil {
				var err error
				if fresh, err = Open(path); err != nil {
					t.Fatalf("%s: a key reader verified row group %d leaf %d, but the file does not open anew: %v", path, rg, leaf, err)
				}
				defer fresh.Close()
			}
			if err := fresh.verifyChunk(rg, leaf); err != nil {
				t.Errorf("%s: a key reader verified row group %d leaf %d, verifyChunk refuses it: %v", path, rg, leaf, err)
			}
		}
	}
	return marked
}

// keyFixtures are the real writers' files of key columns (DuckDB, polars,
// every codec and page version) the key readers are tried on.
func keyFixtures(t testing.TB) []string {
	var files []string
	for _, g := range []string{filepath.Join("..", "..", "testdata", "keys", "*.parquet"), filepath.Join(pagesDir, "*.parquet")} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("%d key fixtures", len(files))
	}
	return files
}

// TestKeyReadersVerifyRealFiles: on the files DuckDB and polars write
// (dictionary and PLAIN strings and integers, every codec, v1 and v2
// pages), the key readers verify the key chunks they decode, so the
// writer does not decode them again (BROTLI chunks excepted), and
// verifyChunk accepts every chunk they verified.
func TestKeyReadersVerifyRealFiles(t *testing.T) {
	total := 0
	for _, path := range keyFixtures(t) {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		readKeys(f)
		n := keyMarks(t, f, path)
		f.Close()
		switch base := filepath.Base(path); {
		case strings.Contains(base, "brotli"):
			// verifyChunk's level scan reads a brotli stream further
			// than the key reader: left to it (newKeyCheck)
			if n > 0 {
				t.Errorf("%s: %d brotli key chunks verified by their reader", path, n)
			}
		case !strings.HasPrefix(base, "bad_") && n == 0:
			t.Errorf("%s: no key chunk verified by its reader", path)
		}
		total += n
	}
	t.Logf("%d key chunks verified by their readers", total)
}

// TestKeyVerifyMutants: bytes changed inside the key column chunks of
// real files (deterministic mutants): whatever the key readers accept and
// mark verified, verifyChunk accepts too, so skipping verifyChunk for the
// chunks they marked lets no corrupt chunk through to the output. The
// mutants that stay marked show the property is tried, not vacuous.
func TestKeyVerifyMutants(t *testing.T) {
	perChunk := 12
	if testing.Short() {
		perChunk = 3
	}
	for _, windows := range []bool{false, true} {
		t.Run(fmt.Sprintf("dictionary pages in windows %v", windows), func(t *testing.T) {
			if windows { // every dictionary-encoded page read a few levels at a time (keydictwin.go)
				defer func(m, l int) { dictWindowMin, dictWindowLevels = m, l }(dictWindowMin, dictWindowLevels)
				dictWindowMin, dictWindowLevels = 2, 5
			}
			keyVerifyMutants(t, perChunk)
		})
	}
}

// keyVerifyMutants is TestKeyVerifyMutants with perChunk mutants of each
// key chunk of each fixture.
func keyVerifyMutants(t *testing.T, perChunk int) {
	rng := rand.New(rand.NewPCG(11, 7))
	dir := t.TempDir()
	tried, marked := 0, 0
	for _, path := range keyFixtures(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range keyChunkRanges(t, path) {
			for k := 0; k < perChunk; k++ {
				b := mutateRange(rng, src, r)
				mut := filepath.Join(dir, fmt.Sprintf("m%d.parquet", tried))
				if err := os.WriteFile(mut, b, 0o644); err != nil {
					t.Fatal(err)
				}
				tried++
				f, err := Open(mut)
				if err != nil {
					continue
				}
				readKeys(f)
				marked += keyMarks(t, f, mut)
				f.Close()
				os.Remove(mut)
			}
		}
	}
	t.Logf("%d mutants, %d chunks of them verified by the key readers", tried, marked)
	if marked == 0 {
		t.Fatal("no mutant's chunk was verified by a key reader: the test tries nothing")
	}
}

// FuzzKeyVerify: TestKeyVerifyMutants's property on mutants the fuzzer
// chooses: a key fixture (file), a chunk of it (chunk) and bytes XORed
// into it at an offset.
func FuzzKeyVerify(f *testing.F) {
	files := keyFixtures(f)
	for i := range files {
		f.Add(uint8(i), uint8(0), uint32(40), []byte{0x01})
		f.Add(uint8(i), uint8(1), uint32(7), []byte{0x80, 0x00, 0xff})
	}
	f.Fuzz(func(t *testing.T, file, chunk uint8, off uint32, xor []byte) {
		path := files[int(file)%len(files)]
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rs := keyChunkRanges(t, path)
		if len(rs) == 0 || len(xor) == 0 {
			return
		}
		r := rs[int(chunk)%len(rs)]
		b := append([]byte(nil), src...)
		for i, x := range xor {
			b[r[0]+(int64(off)+int64(i))%(r[1]-r[0])] ^= x
		}
		mut := filepath.Join(t.TempDir(), "m.parquet")
		if err := os.WriteFile(mut, b, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := Open(mut)
		if err != nil {
			return
		}
		defer g.Close()
		readKeys(g)
		keyMarks(t, g, mut)
	})
}

// keyChunkRanges are the byte ranges [start, end) of the flat columns'
// chunks of a file.
func keyChunkRanges(t testing.TB, path string) [][2]int64 {
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flat := map[int]bool{}
	for _, c := range f.Columns() {
		if c.Kind == Scalar {
			flat[c.Leaf] = true
		}
	}
	var out [][2]int64
	for _, rg := range f.pf.Metadata().RowGroups {
		for leaf, cc := range rg.Columns {
			if !flat[leaf] {
				continue
			}
			start := cc.MetaData.DataPageOffset
			if d := cc.MetaData.DictionaryPageOffset; d > 0 && d < start {
				start = d
			}
			if cc.MetaData.TotalCompressedSize > 0 {
				out = append(out, [2]int64{start, start + cc.MetaData.TotalCompressedSize})
			}
		}
	}
	return out
}

// mutateRange is src with one to three bytes inside r changed (XORed,
// set to an interesting value, or a bit flipped).
func mutateRange(rng *rand.Rand, src []byte, r [2]int64) []byte {
	b := append([]byte(nil), src...)
	for range 1 + rng.IntN(3) {
		i := r[0] + rng.Int64N(r[1]-r[0])
		switch rng.IntN(3) {
		case 0:
			b[i] ^= 1 << rng.IntN(8)
		case 1:
			b[i] = []byte{0, 1, 0x7f, 0x80, 0xff}[rng.IntN(5)]
		default:
			b[i] ^= byte(rng.IntN(255) + 1)
		}
	}
	return b
}

// keyRow is a long-layout row whose id is text and whose extra column is
// dictionary-encoded text.
type keyRow struct {
	ID    string  `parquet:"series_id"`
	Pos   int64   `parquet:"position"`
	Value float64 `parquet:"value"`
}

type keyDictRow struct {
	ID    string  `parquet:"series_id,dict"`
	Pos   int64   `parquet:"position"`
	Value float64 `parquet:"value"`
}

// TestCorruptKeyChunkStillCaught: key chunks that their reader decodes
// without an error (it compares ids as bytes and counts rows) but that a
// reader of the output would refuse are still refused before they are
// copied, with verifyChunk's CorruptError naming the file, row group and
// column: a string that is not UTF-8 (a PLAIN page, a dictionary), a page
// header whose type field is not the header it holds (found by
// TestKeyVerifyMutants), and a chunk whose pages hold fewer values than
// the footer says. The key
// reader leaves such a chunk unmarked, the writer verifies it. A clean
// file's key chunks are marked, and the writer copies them unverified.
func TestCorruptKeyChunkStillCaught(t *testing.T) {
	const rows, groups = 600, 3
	plain := make([]keyRow, rows)
	dict := make([]keyDictRow, rows)
	for i := range plain {
		id := fmt.Sprintf("s%03d", i/50)
		plain[i] = keyRow{ID: id, Pos: int64(i % 50), Value: float64(i)}
		dict[i] = keyDictRow{ID: id, Pos: int64(i % 50), Value: float64(i)}
	}
	opts := []parquet.WriterOption{parquet.Compression(&parquet.Uncompressed), parquet.MaxRowsPerRowGroup(rows / groups), parquet.PageBufferSize(1 << 20)}
	dir := t.TempDir()
	files := map[string]string{
		"plain": writeFile(t, dir, "plain.parquet", plain, opts...),
		"dict":  writeFile(t, dir, "dict.parquet", dict, opts...),
	}
	notUTF8 := func(want format.PageType) pageEdit {
		seen := 0
		return func(col string, _ int, h *format.PageHeader, body []byte) []byte {
			if col != "series_id" || h.Type != want && !(want == format.DataPage && h.Type == format.DataPageV2) {
				return body
			}
			if seen++; seen == 2 { // row group 1
				i := strings.Index(string(body), "s0")
				copy(body[i:], "s\xff")
			}
			return body
		}
	}
	// declared makes the header of series_id's page of type from in row
	// group 1 declare type to (the header it holds is from's: the key
	// reader reads that, parquet-go the declared type)
	declared := func(from, to format.PageType) pageEdit {
		seen := 0
		return func(col string, _ int, h *format.PageHeader, body []byte) []byte {
			if col == "series_id" && (h.Type == from || from == format.DataPage && h.Type == format.DataPageV2) {
				if seen++; seen == 2 {
					h.Type = to
				}
			}
			return body
		}
	}
	cases := []struct {
		name, file, col string
		corrupt         func(in, out string)
		want            string
	}{
		{"clean", "plain", "", func(in, out string) { copyFile(t, in, out) }, ""},
		{"clean dictionary", "dict", "", func(in, out string) { copyFile(t, in, out) }, ""},
		{"not UTF-8 in a PLAIN page", "plain", "series_id", func(in, out string) { rewritePages(t, in, out, notUTF8(format.DataPage)) }, "UTF-8"},
		{"not UTF-8 in a dictionary", "dict", "series_id", func(in, out string) { rewritePages(t, in, out, notUTF8(format.DictionaryPage)) }, "UTF-8"},
		{"a data page declared a dictionary page", "plain", "series_id", func(in, out string) { rewritePages(t, in, out, declared(format.DataPage, format.DictionaryPage)) }, "page"},
		{"a dictionary page declared a data page", "dict", "series_id", func(in, out string) { rewritePages(t, in, out, declared(format.DictionaryPage, format.DataPage)) }, "page"},
		{"fewer values than the footer's", "plain", "position", func(in, out string) {
			rewriteFooter(t, in, out, func(md *format.FileMetaData) { md.RowGroups[1].Columns[1].MetaData.NumValues++ })
		}, "values"},
	}
	for _, c := range cases {
		for _, keysFirst := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/keys read first %v", c.name, keysFirst), func(t *testing.T) {
				bad := filepath.Join(t.TempDir(), "bad.parquet")
				c.corrupt(files[c.file], bad)
				f, err := Open(bad)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				readAll := func() {
					for rg := 0; rg < groups; rg++ {
						if _, _, err := f.ReadRuns(rg, "series_id"); err != nil {
							t.Fatalf("the key reader refuses row group %d: %v (the case tests what it accepts)", rg, err)
						}
						w, err := f.OpenColumnWindows(rg, "position")
						if err != nil {
							t.Fatal(err)
						}
						for w.Row() < w.Rows() {
							if _, _, _, err := w.NextInt64s(64, nil); err != nil {
								t.Fatalf("the key reader refuses row group %d: %v", rg, err)
							}
						}
						w.Close()
					}
				}
				if keysFirst {
					readAll()
				}
				w, err := NewWriter(io.Discard, f, WriterOptions{ValueColumn: "value", Compression: "none", KeyColumns: []string{"series_id", "position"}})
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				if !keysFirst {
					readAll()
				}
				for rg := 0; rg < groups; rg++ {
					for leaf, name := range []string{"series_id", "position"} {
						if got, want := f.verifiedByKeys(rg, leaf), c.col != name || rg != 1; got != want {
							t.Errorf("row group %d, %s: verified by its reader %v, want %v", rg, name, got, want)
						}
					}
				}
				var err2 error
				for rg := 0; rg < groups && err2 == nil; rg++ {
					ch, err := f.ReadValues(rg, ReadSpec{Column: "value"}, nil)
					if err != nil {
						t.Fatal(err)
					}
					if err2 = w.WriteRowGroup(rg, ch); err2 != nil && rg != 1 {
						t.Fatalf("row group %d: %v", rg, err2)
					}
				}
				if c.want == "" {
					if err2 != nil {
						t.Fatal(err2)
					}
					return
				}
				var ce *CorruptError
				if !errors.As(err2, &ce) || !strings.Contains(err2.Error(), "bad.parquet") ||
					!strings.Contains(err2.Error(), "row group 1") || !strings.Contains(err2.Error(), `column "`+c.col+`"`) || !strings.Contains(err2.Error(), c.want) {
					t.Fatalf("got %v, want a CorruptError naming bad.parquet, row group 1, column %q and %q", err2, c.col, c.want)
				}
			})
		}
	}
}

func copyFile(t testing.TB, in, out string) {
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLevelsAboveTheMaximum: a definition level above the column's
// maximum is refused by the key decoder whatever the maximum: by the run
// decoder when the maximum is all ones (its bit width holds nothing
// above it: maxLevelOver skips the scan), by the scan otherwise.
func TestLevelsAboveTheMaximum(t *testing.T) {
	for maxDef := 1; maxDef <= 7; maxDef++ {
		w := 0
		for 1<<w <= maxDef {
			w++
		}
		for _, level := range []int{maxDef, maxDef + 1, 1<<w - 1, 1 << w, 255} {
			if level > 255 {
				continue
			}
			// one RLE run of 8 levels (header 8<<1, then the value in one
			// byte), then a PLAIN int32 for each level at the maximum: the
			// values fit the levels, only the level check can refuse it
			runs := []byte{8 << 1, byte(level)}
			data := append([]byte{byte(len(runs)), 0, 0, 0}, runs...)
			if level == maxDef {
				data = append(data, make([]byte, 8*4)...)
			}
			d := &keyDecoder{pageDecoder: pageDecoder{f: &File{path: "levels.parquet"}, col: "key", maxDef: maxDef, elemSize: 4}, typ: format.Int32, width: 4}
			p := pageLoc{enc: format.Plain, repEnc: format.RLE, defEnc: format.RLE, numValues: 8, uncomp: int32(len(data))}
			var out keyPage
			err := d.decode(1, &p, data, &out)
			if level == maxDef {
				if err != nil {
					t.Errorf("maximum %d, levels %d: %v", maxDef, level, err)
				}
				continue
			}
			if level <= maxDef || err == nil || !errors.Is(err, parquet.ErrCorrupted) {
				t.Errorf("maximum %d, levels %d: got %v, want a corrupt page", maxDef, level, err)
			}
		}
	}
}

package parquetio

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// segmentsRead counts the segments readSegments has read.
var segmentsRead int

// readSegments reads row group rg of f in segments of at least maxValues
// floats (each a fresh draw from next when next is set) into one reused
// slab, checks each segment's contract, and returns their concatenation.
func readSegments(t *testing.T, f *File, rg int, spec ReadSpec, next func() int) (ValueChunk, error) {
	t.Helper()
	s, err := f.NewSegmentReader(rg, spec)
	if err != nil {
		return ValueChunk{}, err
	}
	defer s.Close()
	defer s.Close() // twice is safe
	var all ValueChunk
	all.RowGroup, all.FirstRow = rg, f.firstRow[rg]
	var reuse Floats
	segs := 0
	for {
		maxValues := next()
		c, err := s.Next(maxValues, &reuse)
		if err == io.EOF {
			if _, err := s.Next(maxValues, &reuse); err != io.EOF {
				t.Fatalf("rg %d: after io.EOF, Next gave %v", rg, err)
			}
			break
		}
		if err != nil {
			if _, again := s.Next(maxValues, &reuse); again == nil || again.Error() != err.Error() {
				t.Fatalf("rg %d: after %v, Next gave %v", rg, err, again)
			}
			return ValueChunk{}, err
		}
		segs++
		segmentsRead++
		if c.RowGroup != rg || c.FirstRow != all.FirstRow+int64(all.Rows) || c.Rows < 1 {
			t.Fatalf("rg %d segment %d: row group %d, first row %d, %d rows; want first row %d", rg, segs, c.RowGroup, c.FirstRow, c.Rows, all.FirstRow+int64(all.Rows))
		}
		// the segment ends at the first row boundary at or after maxValues
		lastStart := (c.Rows - 1) * c.D
		if c.Offsets != nil {
			if c.Offsets[0] != 0 || len(c.Offsets) != c.Rows+1 {
				t.Fatalf("rg %d segment %d: offsets %v for %d rows", rg, segs, c.Offsets, c.Rows)
			}
			lastStart = int(c.Offsets[c.Rows-1]) * c.D
		}
		if maxValues > 0 && lastStart >= maxValues {
			t.Fatalf("rg %d segment %d: its last row starts after %d floats, maxValues %d", rg, segs, lastStart, maxValues)
		}
		if all.D == 0 {
			all.D = c.D
		}
		if c.D != all.D && c.Values.Len() > 0 {
			t.Fatalf("rg %d segment %d: d %d after %d", rg, segs, c.D, all.D)
		}
		all.Type, all.Nulls = c.Type, all.Nulls+c.Nulls
		if c.Offsets != nil {
			base := int64(0)
			if len(all.Offsets) == 0 {
				all.Offsets = []int64{0}
			} else {
				base = all.Offsets[len(all.Offsets)-1]
			}
			for _, o := range c.Offsets[1:] {
				all.Offsets = append(all.Offsets, base+o)
			}
		}
		all.Rows += c.Rows
		all.Values.F32 = append(all.Values.F32, c.Values.F32...)
		all.Values.F64 = append(all.Values.F64, c.Values.F64...)
	}
	return all, nil
}

// sameChunk requires two chunks to hold the same rows, bit for bit.
func sameChunk(t *testing.T, what string, a, b ValueChunk) {
	t.Helper()
	if a.Rows != b.Rows || a.FirstRow != b.FirstRow || a.Nulls != b.Nulls || a.Values.Len() != b.Values.Len() ||
		(a.Rows > 0 && (a.D != b.D || a.Type != b.Type || !slices.Equal(a.Offsets, b.Offsets))) {
		t.Fatalf("%s: %d rows from %d, d=%d, %d nulls, %d values; want %d rows from %d, d=%d, %d nulls, %d values",
			what, a.Rows, a.FirstRow, a.D, a.Nulls, a.Values.Len(), b.Rows, b.FirstRow, b.D, b.Nulls, b.Values.Len())
	}
	for i := 0; i < a.Values.Len(); i++ {
		var x, y uint64
		if b.Values.F64 != nil {
			x, y = math.Float64bits(a.Values.F64[i]), math.Float64bits(b.Values.F64[i])
		} else {
			x, y = uint64(math.Float32bits(a.Values.F32[i])), uint64(math.Float32bits(b.Values.F32[i]))
		}
		if x != y {
			t.Fatalf("%s: value %d is %#x, want %#x", what, i, x, y)
		}
	}
}

// checkSegments compares, for every row group of path, segments of
// random sizes with ReadValues of the whole row group, and requires the
// same error when ReadValues fails.
func checkSegments(t *testing.T, rng *rand.Rand, path string, spec ReadSpec) int {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		return 0 // the bad fixtures that do not open
	}
	defer f.Close()
	segs := 0
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		whole, werr := f.ReadValues(rg, spec, nil)
		limit := max(whole.Values.Len(), 16)
		for trial := 0; trial < 3; trial++ {
			var next func() int
			switch trial {
			case 0:
				next = func() int { return 1 } // one row at a time
			case 1:
				next = func() int { return rng.IntN(limit/3+2) - 1 } // some draws <= 0: the rest
			default:
				m := rng.IntN(limit) + 1
				next = func() int { return m }
			}
			got, err := readSegments(t, f, rg, spec, next)
			what := fmt.Sprintf("%s rg %d trial %d", path, rg, trial)
			if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
				t.Fatalf("%s: segments: %v; ReadValues: %v", what, err, werr)
			}
			if err == nil {
				if whole.Rows == 0 {
					whole.Offsets = nil // no segment at all
				}
				sameChunk(t, what, got, whole)
				segs++
			}
		}
	}
	return segs
}

// TestSegmentsMatchReadValues: a row group read in segments of random
// sizes (at least one row, ending at the first row boundary at or after
// maxValues) concatenates to ReadValues of the whole row group, bit for
// bit, and fails with the same error: on files parquet-go writes with
// random page sizes, data pages v1 and v2, PLAIN, dictionary and
// BYTE_STREAM_SPLIT values, nulls, lists, list<list> and series, with
// random row-group sizes; and on every interop fixture (DuckDB, arrow-go,
// parquet-go files, good and bad).
func TestSegmentsMatchReadValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	encs := []parquet.WriterOption{
		parquet.DefaultEncodingFor(parquet.Float, &parquet.Plain),
		parquet.DefaultEncodingFor(parquet.Double, &parquet.RLEDictionary),
		parquet.DefaultEncodingFor(parquet.Float, &parquet.ByteStreamSplit),
		parquet.DefaultEncodingFor(parquet.Float, &parquet.RLEDictionary),
	}
	segs := 0
	for round := 0; round < 3; round++ {
		for _, tc := range readCases() {
			opts := []parquet.WriterOption{
				parquet.DataPageVersion(1 + rng.IntN(2)),
				parquet.PageBufferSize(32 + rng.IntN(2000)),
				parquet.MaxRowsPerRowGroup(int64(20 + rng.IntN(300))),
				parquet.Compression(fuzzCodecs[rng.IntN(len(fuzzCodecs))].codec),
				encs[rng.IntN(len(encs))],
			}
			segs += checkSegments(t, rng, tc.write(t, t.TempDir(), opts...), tc.spec)
		}
	}
	for round := 0; round < 10; round++ { // data pages v1 that cut rows
		lens := make([]int, 5+rng.IntN(40))
		total := 0
		for i := range lens {
			lens[i] = testD
			total += testD
		}
		var cuts []int
		for c := rng.IntN(9) + 1; c < total; c += rng.IntN(11) + 1 {
			cuts = append(cuts, c)
		}
		path := filepath.Join(t.TempDir(), "span.parquet")
		writeSpanningFile(t, path, lens, cuts)
		segs += checkSegments(t, rng, path, ReadSpec{Column: "embedding"})
	}
	for _, e := range interopFiles(t) {
		segs += checkSegments(t, rng, filepath.Join(interopDir, e.File), e.spec())
	}
	if segs < 100 || segmentsRead < 20*segs {
		t.Fatalf("only %d segmented reads compared, of %d segments", segs, segmentsRead)
	}
	t.Logf("%d segmented reads compared, of %d segments", segs, segmentsRead)
}

// TestSegmentReaderPageCrossing: a page crossing a segment boundary is
// decoded once: its remaining rows start the next segment, whose first
// row is the row after the previous segment's last.
func TestSegmentReaderPageCrossing(t *testing.T) {
	rows := make([]rowListF32, 1000)
	for i := range rows {
		rows[i] = rowListF32{ID: fmt.Sprint(i), Embedding: vec32(i, testD)}
	}
	path := writeFile(t, t.TempDir(), "one.parquet", rows, parquet.PageBufferSize(1<<20), parquet.Compression(&parquet.Zstd))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := len(f.pf.RowGroups()[0].ColumnChunks()); n == 0 {
		t.Fatal("no chunks")
	}
	s, err := f.NewSegmentReader(0, ReadSpec{Column: "embedding"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var first int64
	for k := 0; ; k++ {
		c, err := s.Next(10*testD+1, nil) // 11 rows: the first boundary at or after 41 floats
		if errors.Is(err, io.EOF) {
			if first != 1000 {
				t.Fatalf("EOF after %d rows", first)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.FirstRow != first || (c.Rows != 11 && first+int64(c.Rows) != 1000) {
			t.Fatalf("segment %d: rows [%d, +%d), want [%d, +11)", k, c.FirstRow, c.Rows, first)
		}
		for r := 0; r < c.Rows; r++ {
			if got, want := c.Values.F32[r*testD:(r+1)*testD], vec32(int(first)+r, testD); !slices.Equal(got, want) {
				t.Fatalf("row %d: %v, want %v", first+int64(r), got, want)
			}
		}
		first += int64(c.Rows)
	}
	if pages, err := s.pages.all(); err != nil || s.next != len(pages) {
		t.Fatalf("%d of %d pages loaded (%v)", s.next, len(pages), err)
	}
}

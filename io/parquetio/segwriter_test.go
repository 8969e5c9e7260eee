package parquetio

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// inPlace2x1 maps every value v to 2v+1 in place, and to NaN where v's
// bits say so (a rule of the value, not of its position, so that it gives
// the same results however the rows are split): some null input slots get
// values, some stay null, and some values become null.
func inPlace2x1(c ValueChunk) ValueChunk {
	for i, x := range c.Values.F32 {
		c.Values.F32[i] = 2*x + 1
		if math.Float32bits(x)%7 == 3 {
			c.Values.F32[i] = float32(math.NaN())
		}
	}
	for i, x := range c.Values.F64 {
		c.Values.F64[i] = 2*x + 1
		if math.Float64bits(x)%7 == 3 {
			c.Values.F64[i] = math.NaN()
		}
	}
	return c
}

// rewriteSegments is rewrite with every row group's values read and
// written in segments of random sizes (from rng), through one reused slab
// that fn changes in place: the writer must keep nothing of a segment.
func rewriteSegments(t *testing.T, path string, spec ReadSpec, opts WriterOptions, rng *rand.Rand, maxSeg int) string {
	t.Helper()
	return rewriteEach(t, path, spec, opts, func(f *File, w *Writer, rg int, reuse *Floats) {
		sr, err := f.NewSegmentReader(rg, spec)
		if err != nil {
			t.Fatal(err)
		}
		defer sr.Close()
		if err := w.BeginRowGroup(rg); err != nil {
			t.Fatal(err)
		}
		for {
			c, err := sr.Next(rng.IntN(maxSeg+1), reuse) // 0: the rest of the row group
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteSegment(inPlace2x1(c)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.EndRowGroup(); err != nil {
			t.Fatal(err)
		}
	})
}

// sameSegmented checks that writing in random segments gives the bytes
// WriteRowGroup gives, for the fast writer, the stream writer and the
// writer that cuts row groups.
func sameSegmented(t *testing.T, path string, spec ReadSpec, seed uint64) {
	t.Helper()
	for _, o := range []WriterOptions{{}, {OutputColumn: "ctx", Compression: "snappy"}, {RowGroupRows: 37}, {RowGroupRows: 1000, Compression: "none"}} {
		for _, stream := range []bool{false, true} {
			if stream && o.RowGroupRows > 0 {
				continue // the same writer
			}
			streamPath = stream
			whole := rewrite(t, path, spec, o, inPlace2x1)
			want, _ := os.ReadFile(whole)
			if !noRegular { // levels known from the values, carried by them, or read from the input: the same bytes
				noRegular = true
				levels, _ := os.ReadFile(rewrite(t, path, spec, o, inPlace2x1))
				pageLevels = true
				pages, _ := os.ReadFile(rewrite(t, path, spec, o, inPlace2x1))
				noRegular, pageLevels = false, false
				if !bytes.Equal(levels, want) {
					streamPath = false
					t.Fatalf("%+v (stream writer %v): the output bytes differ when the levels come with the values", o, stream)
				}
				if !bytes.Equal(pages, want) {
					streamPath = false
					t.Fatalf("%+v (stream writer %v): the output bytes differ when the levels are read from the input", o, stream)
				}
			}
			for _, maxSeg := range []int{1, 50, 700} {
				rng := rand.New(rand.NewPCG(seed, uint64(maxSeg)))
				got, _ := os.ReadFile(rewriteSegments(t, path, spec, o, rng, maxSeg))
				if !bytes.Equal(got, want) {
					streamPath = false
					t.Fatalf("%+v (stream writer %v), segments of up to %d floats: the output bytes differ from WriteRowGroup's", o, stream, maxSeg)
				}
			}
			streamPath = false
		}
	}
}

func TestWriteSegmentsMatchesWholeRowGroups(t *testing.T) {
	for _, tc := range readCases() {
		for vname, vopts := range variants() {
			if vname != "plain_v1_smallpg" && vname != "dict_v2_zstd" && vname != "bss_v2" {
				continue
			}
			t.Run(tc.name+"/"+vname, func(t *testing.T) {
				in := tc.write(t, t.TempDir(), vopts...)
				sameSegmented(t, in, tc.spec, 1)
				fastPageBytes = 24 // pages of a few values: page cuts everywhere, pages spanning segments
				defer func() { fastPageBytes = 1 << 20 }()
				sameSegmented(t, in, tc.spec, 2)
				noRegular = true // levels from the segments
				defer func() { noRegular = false }()
				sameSegmented(t, in, tc.spec, 3)
				pageLevels = true // levels from the input pages
				defer func() { pageLevels = false }()
				sameSegmented(t, in, tc.spec, 4)
			})
		}
	}
}

func TestWriteSegmentsInterop(t *testing.T) {
	for _, e := range interopFiles(t) {
		if e.Error != nil || e.Type == "float16" {
			continue // 2v+1 overflows the float16 series
		}
		t.Run(e.File, func(t *testing.T) {
			spec := ReadSpec{Column: e.ValueColumn}
			if e.Layout == "nested" {
				spec.Nesting = 1
			}
			sameSegmented(t, filepath.Join(interopDir, e.File), spec, 4)
		})
	}
}

func TestWriteSegmentsMisuse(t *testing.T) {
	in := readCases()[0].write(t, t.TempDir(), variants()["plain_v2"]...)
	f, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spec := readCases()[0].spec
	c, err := f.ReadValues(0, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f, WriterOptions{ValueColumn: spec.Column})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSegment(c); err == nil {
		t.Fatal("a segment with no row group begun was accepted")
	}
	if err := w.BeginRowGroup(0); err != nil {
		t.Fatal(err)
	}
	if err := w.BeginRowGroup(1); err == nil {
		t.Fatal("a row group begun inside another was accepted")
	}
	half := c
	half.Rows = 1
	half.Values = Floats{F32: c.Values.F32[:c.D], F64: nil}
	if c.Type == Float64 {
		half.Values = Floats{F64: c.Values.F64[:c.D]}
	}
	if err := w.WriteSegment(half); err != nil {
		t.Fatal(err)
	}
	if err := w.EndRowGroup(); err == nil {
		t.Fatal("a row group ended with rows missing was accepted")
	}
	if err := w.BeginRowGroup(0); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("closing with a row group begun was accepted")
	}
}

package job

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// wholeSeq is a Computer whose every output depends on the whole sequence
// and on each element's place in it: value + 1000*rank + n + (sum of the
// sequence's finite values)/1024. A sequence cut, merged or misordered at
// a segment or row-group boundary changes the output.
type wholeSeq struct{}

func (wholeSeq) Compute32(dst, src []float32, n, d int, _ []int64) {
	var sum float32
	for _, x := range src[:n*d] {
		if x == x {
			sum += x
		}
	}
	for i := range n * d {
		dst[i] = src[i] + float32(1000*(i/d)+n) + sum/1024
	}
}

func (wholeSeq) Compute64(dst, src []float64, n, d int, _ []int64) {
	var sum float64
	for _, x := range src[:n*d] {
		if x == x {
			sum += x
		}
	}
	for i := range n * d {
		dst[i] = src[i] + float64(1000*(i/d)+n) + sum/1024
	}
}

type vecRow struct {
	SequenceID int64     `parquet:"sequence_id"`
	Position   int64     `parquet:"position"`
	Embedding  []float32 `parquet:"embedding,list"`
}

type scalarRow struct {
	SeriesID string   `parquet:"series_id"`
	Position int32    `parquet:"position"`
	Value    *float64 `parquet:"value,optional"`
	Note     string   `parquet:"note"` // a column after the value column
}

type nestedRow struct {
	ID    int64     `parquet:"sequence_id"`
	Value []float64 `parquet:"value,list"`
}

// writeRandom writes rows to path in row groups of rgRows rows and pages
// of about page bytes.
func writeRandom[T any](t *testing.T, path string, rows []T, rgRows, page int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewGenericWriter[T](f, parquet.MaxRowsPerRowGroup(int64(rgRows)), parquet.PageBufferSize(page))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// seqLen draws a sequence length: mostly short, sometimes long (longer
// than many segments and row groups), sometimes 1.
func seqLen(rng *rand.Rand) int {
	switch rng.IntN(6) {
	case 0:
		return 1
	case 1:
		return 100 + rng.IntN(300)
	}
	return 1 + rng.IntN(40)
}

// randomFile writes a file of a random layout and returns it with the
// value column's name.
func randomFile(t *testing.T, rng *rand.Rand, dir string, trial int) (string, string) {
	path := filepath.Join(dir, fmt.Sprintf("in%d.parquet", trial))
	rgRows, page := 1+rng.IntN(250), 64+rng.IntN(4096)
	switch trial % 3 {
	case 0: // long, vectors, positions shuffled within some sequences
		d := 1 + rng.IntN(5)
		var rows []vecRow
		for s := int64(0); len(rows) < 200+rng.IntN(800); s++ {
			n := seqLen(rng)
			pos := rng.Perm(n)
			if rng.IntN(2) == 0 {
				for i := range pos {
					pos[i] = i
				}
			}
			for i := range n {
				v := make([]float32, d)
				for j := range v {
					v[j] = float32(rng.NormFloat64())
				}
				rows = append(rows, vecRow{s, int64(pos[i]), v})
			}
		}
		writeRandom(t, path, rows, rgRows, page)
		return path, "embedding"
	case 1: // long, optional scalars with nulls, a column after the values
		var rows []scalarRow
		for s := 0; len(rows) < 200+rng.IntN(1500); s++ {
			for i := range seqLen(rng) {
				var v *float64
				if rng.IntN(7) != 0 {
					x := rng.NormFloat64()
					v = &x
				}
				rows = append(rows, scalarRow{fmt.Sprintf("s%04d", s), int32(i), v, fmt.Sprint(i % 3)})
			}
		}
		writeRandom(t, path, rows, rgRows, page)
		return path, "value"
	default: // nested: one series per row, some empty, NaNs inside
		var rows []nestedRow
		for s := range 20 + rng.IntN(200) {
			v := make([]float64, seqLen(rng)-1)
			for i := range v {
				v[i] = rng.NormFloat64()
				if rng.IntN(9) == 0 {
					v[i] = math.NaN()
				}
			}
			rows = append(rows, nestedRow{int64(s), v})
		}
		writeRandom(t, path, rows, max(rgRows/10, 1), page)
		return path, "value"
	}
}

// TestSegmentsMatchWholeRowGroups: reading and writing in segments of any
// size, with any number of workers, with or without an observer (which
// makes results go to separate slabs), with output row groups following
// the input's or cut by --row-group-rows, gives the bytes that whole row
// groups give, and gives every slab and byte of budget back.
func TestSegmentsMatchWholeRowGroups(t *testing.T) {
	trials := 30
	if testing.Short() {
		trials = 9
	}
	for trial := range trials {
		rng := rand.New(rand.NewPCG(uint64(trial), 11))
		in, col := randomFile(t, rng, t.TempDir(), trial)
		var cut int // --row-group-rows in every other trial: the row writer, slabs not pooled
		if trial%2 == 1 {
			cut = 1 + rng.IntN(300)
		}
		run := func(segFloats, workers int, observe bool) []byte {
			budget := pipeline.NewBudget(1 << 30)
			spec := &Spec{
				Schema:        schemas.Options{DefaultColumns: []string{col}},
				Bind:          func(schemas.Detected, int) (Computer, error) { return wholeSeq{}, nil },
				Workers:       workers,
				Budget:        budget,
				SegmentElems:  1 + rng.IntN(50),
				SegmentFloats: segFloats,
				Writer:        parquetio.WriterOptions{RowGroupRows: cut},
			}
			var seen int
			if observe {
				spec.Observe = func(pipeline.Unit, schemas.Detected) (Observer, error) { return countObserver{&seen}, nil }
			}
			var buf bytes.Buffer
			if _, err := spec.Process(context.Background(), pipeline.Unit{Input: in}, &buf); err != nil {
				t.Fatalf("trial %d, segments of %d floats: %v", trial, segFloats, err)
			}
			if !budget.TryAcquire(1 << 30) {
				t.Fatalf("trial %d, segments of %d floats: budget not released", trial, segFloats)
			}
			if n := outstandingSlabs(); n != 0 {
				t.Fatalf("trial %d, segments of %d floats: %d pooled slabs not given back", trial, segFloats, n)
			}
			return buf.Bytes()
		}
		want := run(math.MaxInt32, 1, false) // one segment per row group
		for _, seg := range []int{1, 1 + rng.IntN(16), 1 + rng.IntN(400)} {
			workers, observe := 1+rng.IntN(3), rng.IntN(2) == 0
			if got := run(seg, workers, observe); !bytes.Equal(got, want) {
				t.Fatalf("trial %d (%s), segments of %d floats, %d workers, observer %v, --row-group-rows %d: output differs from whole row groups", trial, col, seg, workers, observe, cut)
			}
		}
	}
}

type countObserver struct{ n *int }

func (o countObserver) Sequence(string, []float64, int, int) error { *o.n++; return nil }
func (o countObserver) Finish(bool) error                          { return nil }

// slabSampler is a Computer (copy) that records the most pooled slab
// bytes in use at any of its calls: what the job holds in flight.
type slabSampler struct {
	mu   sync.Mutex
	peak int64
}

func (s *slabSampler) sample() {
	slabs.Lock()
	used := slabs.used
	slabs.Unlock()
	s.mu.Lock()
	s.peak = max(s.peak, used)
	s.mu.Unlock()
}

func (s *slabSampler) Compute32(dst, src []float32, n, d int, _ []int64) { s.sample(); copy(dst, src) }
func (s *slabSampler) Compute64(dst, src []float64, n, d int, _ []int64) { s.sample(); copy(dst, src) }

// TestOneRowGroupStaysWithinBudget: a file written as one row group twice
// the budget is held in flight a segment at a time: the pooled slabs in
// use (values, order keys, gathered sequences) never exceed the budget
// (the reader's own buffers aside).
func TestOneRowGroupStaysWithinBudget(t *testing.T) {
	const rows, d, budget = 250_000, 16, 8 << 20
	rng := rand.New(rand.NewPCG(3, 4))
	var in []vecRow
	for i := range rows {
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		in = append(in, vecRow{int64(i / 100), int64(i % 100), v})
	}
	path := filepath.Join(t.TempDir(), "one.parquet")
	writeRandom(t, path, in, rows, 1<<20)
	for _, workers := range []int{1, 2, 4} {
		probe := &slabSampler{}
		spec := &Spec{
			Schema:  schemas.Options{DefaultColumns: []string{"embedding"}},
			Bind:    func(schemas.Detected, int) (Computer, error) { return probe, nil },
			Workers: workers,
			Budget:  pipeline.NewBudget(budget),
		}
		var buf bytes.Buffer
		if _, err := spec.Process(context.Background(), pipeline.Unit{Input: path}, &buf); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d workers: peak %d KiB of value slabs in use, budget %d KiB, row group %d KiB", workers, probe.peak>>10, budget>>10, rows*d*4>>10)
		if probe.peak == 0 || probe.peak > budget {
			t.Fatalf("%d workers: peak %d bytes of value slabs in use, want (0, %d]", workers, probe.peak, budget)
		}
	}
}

// TestSegmentsCappedUnderLargeBudgets: a large budget no longer makes
// segments of whole 100 MB row groups (a reader holding one while the
// workers wait), and a small one still sizes them to the budget.
func TestSegmentsCappedUnderLargeBudgets(t *testing.T) {
	for _, tc := range []struct {
		budget int64
		want   func(int) bool
	}{
		{1 << 30, func(n int) bool { return n == maxSegmentFloats }},
		{64 << 30, func(n int) bool { return n == maxSegmentFloats }},
		{16 << 20, func(n int) bool { return n >= minSegmentFloats && n < maxSegmentFloats }},
	} {
		r := &run{
			spec: &Spec{Budget: pipeline.NewBudget(tc.budget), Workers: 2},
			det:  schemas.Detected{Layout: schemas.Nested, Value: parquetio.ColumnInfo{Elem: parquetio.Float32}},
			d:    384,
		}
		if got := r.segmentFloats(); !tc.want(got) {
			t.Errorf("budget %d MiB: segments of %d floats", tc.budget>>20, got)
		}
	}
}

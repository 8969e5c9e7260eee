package job

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// streamSmoother is the CLI's smoothing computer in miniature: an
// attention.Smoother computing whole sequences, or streaming them
// (positional, or at the order values with a Bandwidth smoother). streams
// counts the streams made.
type streamSmoother struct {
	s       *attention.Smoother
	timed   bool
	streams *atomic.Int64
}

func (c streamSmoother) Compute32(dst, src []float32, n, d int, t []int64) {
	if c.timed {
		c.s.SmoothAt32(dst, src, t, n, d)
		return
	}
	c.s.Smooth32(dst, src, n, d)
}

func (c streamSmoother) Compute64(dst, src []float64, n, d int, t []int64) {
	if c.timed {
		c.s.SmoothAt64(dst, src, t, n, d)
		return
	}
	c.s.Smooth64(dst, src, n, d)
}

func (c streamSmoother) NewStream32(n, d, maxRows int) (SeqStream[float32], error) {
	return newTestStream[float32](c, d, maxRows)
}

func (c streamSmoother) NewStream64(n, d, maxRows int) (SeqStream[float64], error) {
	return newTestStream[float64](c, d, maxRows)
}

func (c streamSmoother) StreamBytes(n, d, seg, maxRows, _ int) int64 {
	return attention.StreamBytes(c.s.Radius(), d, seg)
}

func newTestStream[T float32 | float64](c streamSmoother, d, maxRows int) (SeqStream[T], error) {
	if c.timed {
		c.streams.Add(1)
		return timedStream[T]{attention.NewStreamAt[T, int64](c.s, d, maxRows)}, nil
	}
	st, err := newPosStream[T](c.s, d)
	if err == nil {
		c.streams.Add(1)
	}
	return st, err
}

type posStream[T float32 | float64] struct{ st *attention.Stream[T] }

func newPosStream[T float32 | float64](s *attention.Smoother, d int) (SeqStream[T], error) {
	var zero T
	var st any
	var err error
	if _, ok := any(zero).(float32); ok {
		st, err = s.NewStream32(d)
	} else {
		st, err = s.NewStream64(d)
	}
	if err != nil {
		return nil, err
	}
	return posStream[T]{st.(*attention.Stream[T])}, nil
}

func (p posStream[T]) Push(dst, src []T, _ []int64) ([]T, error) { return p.st.Push(dst, src), nil }
func (p posStream[T]) Close(dst []T) []T                         { return p.st.Close(dst) }
func (p posStream[T]) HeldBytes() int64                          { return p.st.HeldBytes() }
func (p posStream[T]) Exceeded() (int, bool)                     { return 0, false }

type timedStream[T float32 | float64] struct {
	st *attention.StreamAt[T, int64]
}

func (p timedStream[T]) Push(dst, src []T, t []int64) ([]T, error) { return p.st.Push(dst, src, t) }
func (p timedStream[T]) Close(dst []T) []T                         { return p.st.Close(dst) }
func (p timedStream[T]) HeldBytes() int64                          { return p.st.HeldBytes() }
func (p timedStream[T]) Exceeded() (int, bool)                     { return p.st.Exceeded() }

// longSeqFile writes a long-layout file of a few long series (some with
// positions shuffled or descending at the last row, the others ascending
// with repeats), short ones between them, NaNs inside, in row groups of
// rgRows rows.
func longSeqFile(t *testing.T, rng *rand.Rand, path string, rgRows int) {
	var rows []scalarRow
	for s := range 3 + rng.IntN(4) {
		n := 1 + rng.IntN(30)
		if s%2 == 0 {
			n = 500 + rng.IntN(3000)
		}
		pos := make([]int, n)
		for i := range pos {
			pos[i] = i + i/7 // gaps, for --bandwidth
			if i%11 == 3 && i > 0 {
				pos[i] = pos[i-1] // repeats
			}
		}
		if s == 2 {
			rng.Shuffle(n, func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
			if n%2 == 1 {
				// ascending but for its last row: the first pass over the
				// order column reads past every segment before it knows
				slices.Sort(pos)
				pos[n-1] = -1
			}
		}
		for i := range n {
			x := rng.NormFloat64()
			v := &x
			if rng.IntN(13) == 0 {
				nan := math.NaN()
				v = &nan
			}
			rows = append(rows, scalarRow{fmt.Sprintf("s%02d", s), int32(pos[i]), v, "n"})
		}
	}
	writeRandom(t, path, rows, rgRows, 64+rng.IntN(4096))
}

// TestLongSequencesStreamAsGathered: long sequences whose order is
// ascending, streamed through segments and row groups of any size, with
// any budget and number of workers, give the bytes gathering gives, for
// every mode, derivative order, NaN policy and --bandwidth, also in one
// row group whose order column is read a segment at a time; the shuffled
// one (or the one descending at its last row) and mode wrap are gathered. Every slab and byte of budget comes back.
func TestLongSequencesStreamAsGathered(t *testing.T) {
	trials := 24
	if testing.Short() {
		trials = 8
	}
	modes := []string{"reflect", "constant", "nearest", "mirror", "wrap"}
	for trial := range trials {
		rng := rand.New(rand.NewPCG(uint64(trial), 29))
		in := filepath.Join(t.TempDir(), "in.parquet")
		rgRows := 1 + rng.IntN(700)
		if trial%4 == 3 {
			rgRows = 1 << 20 // one row group: order values read a segment at a time
		}
		longSeqFile(t, rng, in, rgRows)
		p := attention.SmoothParams{Sigma: 0.5 + 6*rng.Float64(), Truncate: 4, Radius: -1, Mode: modes[trial%len(modes)],
			Cval: 0.25, Order: []int{0, 2}[trial%2], NaN: "propagate"}
		if p.Order == 0 && trial/2%2 == 1 {
			p.NaN = "interpolate" // order 0 only
		}
		timed := trial%3 == 2
		if timed {
			p.Bandwidth, p.Mode, p.Order = 1.5+3*rng.Float64(), "reflect", 0
		}
		s, err := attention.NewSmoother(p)
		if err != nil {
			t.Fatal(err)
		}
		run := func(streamFloats, segFloats, workers int, budget int64) ([]byte, int64) {
			var streams atomic.Int64
			b := pipeline.NewBudget(budget)
			spec := &Spec{
				Schema:        schemas.Options{DefaultColumns: []string{"value"}},
				Bind:          func(schemas.Detected, int) (Computer, error) { return streamSmoother{s, timed, &streams}, nil },
				NeedsTime:     timed,
				Workers:       workers,
				Budget:        b,
				SegmentElems:  1 + rng.IntN(50),
				SegmentFloats: segFloats,
				StreamFloats:  streamFloats,
			}
			var buf bytes.Buffer
			if _, err := spec.Process(context.Background(), pipeline.Unit{Input: in}, &buf); err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
			if !b.TryAcquire(budget) {
				t.Fatalf("trial %d: budget not released", trial)
			}
			if n := outstandingSlabs(); n != 0 {
				t.Fatalf("trial %d: %d pooled slabs not given back", trial, n)
			}
			return buf.Bytes(), streams.Load()
		}
		want, n := run(math.MaxInt32, math.MaxInt32, 1, 1<<30)
		if n != 0 {
			t.Fatalf("trial %d: %d streams with a huge threshold", trial, n)
		}
		for _, seg := range []int{1, 1 + rng.IntN(40), 100 + rng.IntN(900)} {
			workers := 1 + rng.IntN(3)
			budget := int64(1 << 30)
			if rng.IntN(2) == 0 {
				budget = int64(8 * seg * (2 + rng.IntN(6))) // a few segments: the reader waits, or overdraws
			}
			streamPushRows = []int{8192, 1 + rng.IntN(300)}[rng.IntN(2)] // pushes split below a part
			var log bytes.Buffer
			defer slog.SetDefault(slog.Default())
			slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
			got, n := run(400, seg, workers, budget)
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
			streamPushRows = 8192
			// a --bandwidth window of more rows than a quarter of the
			// budget holds keeps streaming, with a warning
			window := int(4*p.Bandwidth) + 1 // positions step by 1 or 2
			if dense := timed && budget < 1<<30 && window > int(budget/4/24); dense != strings.Contains(log.String(), "window held more elements") {
				t.Fatalf("trial %d, budget %d, window %d rows: dense %v, log: %s", trial, budget, window, dense, log.String())
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("trial %d (%+v), segments of %d floats, %d workers, budget %d: output differs from gathering", trial, p, seg, workers, budget)
			}
			if wantStreams := p.Mode != "wrap" || timed; wantStreams != (n > 0) {
				t.Fatalf("trial %d (mode %s): %d streams", trial, p.Mode, n)
			}
		}
	}
}

// TestSeqLength: the length of a sequence from the id runs, across row
// groups, and of a file without ids.
func TestSeqLength(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	in := filepath.Join(t.TempDir(), "in.parquet")
	longSeqFile(t, rng, in, 97)
	f, err := parquetio.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	det, err := schemas.Detect(in, f.Columns(), schemas.Options{DefaultColumns: []string{"value"}})
	if err != nil {
		t.Fatal(err)
	}
	_, runs, err := needsGrouping(f, det, 2)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{file: f, det: det, idRuns: runs}
	lens := map[string]int{}
	var order []string
	for i := range f.NumRowGroups() {
		for j, k := range runs.keys[i] {
			end := int(f.RowGroupRows(i))
			if j+1 < len(runs.starts[i]) {
				end = runs.starts[i][j+1]
			}
			if _, ok := lens[k]; !ok {
				order = append(order, k)
			}
			lens[k] += end - runs.starts[i][j]
		}
	}
	seen := map[string]bool{}
	for i := range f.NumRowGroups() {
		for j, k := range runs.keys[i] {
			if seen[k] {
				continue
			}
			seen[k] = true
			if got := r.seqLength(i, runs.starts[i][j], k); got != lens[k] {
				t.Errorf("sequence %s: length %d, want %d", k, got, lens[k])
			}
		}
	}
	if !slices.Equal(order, slices.Sorted(slices.Values(order))) || len(order) < 3 {
		t.Fatalf("sequences %v", order)
	}
}

// TestBigNestedRowWarns: a nested row (one sequence) larger than the
// budget is read whole, with a warning naming it (by row number: the
// nested ids are read only for observers).
func TestBigNestedRowWarns(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.parquet")
	rows := []nestedRow{{1, make([]float64, 10)}, {2, make([]float64, 2000)}}
	writeRandom(t, in, rows, 10, 1<<20)
	var log bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	spec := &Spec{
		Schema:  schemas.Options{DefaultColumns: []string{"value"}},
		Bind:    func(schemas.Detected, int) (Computer, error) { return copyComputer{}, nil },
		Workers: 1, Budget: pipeline.NewBudget(4 << 10),
	}
	var buf bytes.Buffer
	if _, err := spec.Process(context.Background(), pipeline.Unit{Input: in}, &buf); err != nil {
		t.Fatal(err)
	}
	if got := log.String(); strings.Count(got, "its row is read whole") != 1 || !strings.Contains(got, "sequence=1 elements=2000") {
		t.Fatalf("log: %s", got)
	}
}

// panicking streams from its third push on.
type panicking struct {
	streamSmoother
	pushes *atomic.Int64
}

func (c panicking) NewStream64(n, d, maxRows int) (SeqStream[float64], error) {
	st, err := c.streamSmoother.NewStream64(n, d, maxRows)
	return panicStream{st, c.pushes}, err
}

type panicStream struct {
	SeqStream[float64]
	pushes *atomic.Int64
}

func (p panicStream) Push(dst, src []float64, t []int64) ([]float64, error) {
	if p.pushes.Add(1) >= 3 {
		panic("a failing stream")
	}
	return p.SeqStream.Push(dst, src, t)
}

// TestFailingStreamStops: a stream that panics mid-sequence fails the file
// with that error, and the pushes queued after it do not wait forever.
func TestFailingStreamStops(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	in := filepath.Join(t.TempDir(), "in.parquet")
	longSeqFile(t, rng, in, 50)
	s, err := attention.NewSmoother(attention.SmoothParams{Sigma: 2, Truncate: 4, Radius: -1})
	if err != nil {
		t.Fatal(err)
	}
	for workers := 1; workers <= 3; workers++ {
		var streams, pushes atomic.Int64
		spec := &Spec{
			Schema: schemas.Options{DefaultColumns: []string{"value"}},
			Bind: func(schemas.Detected, int) (Computer, error) {
				return panicking{streamSmoother{s, false, &streams}, &pushes}, nil
			},
			Workers:       workers,
			Budget:        pipeline.NewBudget(1 << 20),
			SegmentFloats: 40,
			StreamFloats:  100,
		}
		done := make(chan error, 1)
		go func() {
			_, err := spec.Process(context.Background(), pipeline.Unit{Input: in}, io.Discard)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "a failing stream") {
				t.Fatalf("%d workers: %v", workers, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%d workers: the file did not stop", workers)
		}
		if n := outstandingSlabs(); n != 0 {
			t.Fatalf("%d workers: %d pooled slabs not given back", workers, n)
		}
	}
}

package job

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

type oneSeriesRow struct {
	Position int64   `parquet:"position"`
	Value    float64 `parquet:"value"`
}

// sampledSmoother streams like streamSmoother and records, at every push,
// the pooled slab bytes in use (values and order keys in flight).
type sampledSmoother struct {
	streamSmoother
	probe *slabSampler
}

func (c sampledSmoother) NewStream64(n, d, maxRows int) (SeqStream[float64], error) {
	st, err := c.streamSmoother.NewStream64(n, d, maxRows)
	return sampledStream{st, c.probe}, err
}

type sampledStream struct {
	SeqStream[float64]
	probe *slabSampler
}

func (s sampledStream) Push(dst, src []float64, t []int64) ([]float64, error) {
	s.probe.sample()
	return s.SeqStream.Push(dst, src, t)
}

// TestOneRowGroupKeysStayWithinBudget: one series of 1.5 M float64 values
// in ONE row group (12 MB of order values, three times the budget) streams
// with the order column read a segment at a time: the pooled slabs in use
// (values and order keys) never exceed the budget, and the output is the
// gathered one's. With the last row out of order the first pass over the
// order column, reading past every segment to the row group's end, finds
// it before anything streams: the series is gathered (with its warning),
// with the same output.
func TestOneRowGroupKeysStayWithinBudget(t *testing.T) {
	const rows, budget = 1_500_000, 4 << 20
	s, err := attention.NewSmoother(attention.SmoothParams{Sigma: 5, Truncate: 4, Radius: -1, Mode: "reflect", NaN: "propagate"})
	if err != nil {
		t.Fatal(err)
	}
	for _, descends := range []bool{false, true} {
		in := make([]oneSeriesRow, rows)
		for i := range in {
			in[i] = oneSeriesRow{int64(i + i/7), math.Sin(0.0137*float64(i))*10 + math.Cos(0.71*float64(i))}
		}
		if descends {
			in[rows-1].Position = 0
		}
		path := filepath.Join(t.TempDir(), "one.parquet")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := parquet.NewGenericWriter[oneSeriesRow](f, parquet.MaxRowsPerRowGroup(rows), parquet.PageBufferSize(64<<10))
		if _, err := w.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		run := func(b int64, streamFloats int) ([]byte, int64, int64) {
			var streams atomic.Int64
			probe := &slabSampler{}
			spec := &Spec{
				Schema: schemas.Options{DefaultColumns: []string{"value"}},
				Bind: func(schemas.Detected, int) (Computer, error) {
					return sampledSmoother{streamSmoother{s, false, &streams}, probe}, nil
				},
				Workers:      2,
				Budget:       pipeline.NewBudget(b),
				StreamFloats: streamFloats,
			}
			var buf bytes.Buffer
			if _, err := spec.Process(context.Background(), pipeline.Unit{Input: path}, &buf); err != nil {
				t.Fatal(err)
			}
			if n := outstandingSlabs(); n != 0 {
				t.Fatalf("%d pooled slabs not given back", n)
			}
			return buf.Bytes(), streams.Load(), probe.peak
		}
		want, _, _ := run(1<<30, math.MaxInt32) // gathered whole
		drainSlabs(t)                           // the pool would hand its large slabs to the segments
		got, streams, peak := run(budget, 0)
		if !bytes.Equal(got, want) {
			t.Fatalf("descends %v: the output differs from the gathered one", descends)
		}
		if streams != 0 == descends {
			t.Fatalf("descends %v: %d streams", descends, streams)
		}
		if descends {
			continue
		}
		t.Logf("peak %d KiB of pooled slabs in use at a push, budget %d KiB, order values %d KiB", peak>>10, budget>>10, rows*8>>10)
		if peak == 0 || peak > budget {
			t.Fatalf("peak %d bytes of pooled slabs in use, want (0, %d]", peak, budget)
		}
	}
}

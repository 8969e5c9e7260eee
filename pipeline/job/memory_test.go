package job

import (
	"bytes"
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// TestTinyBudgetsFinishWithSameBytes: a budget smaller than one row group,
// with sequences spanning row groups, must neither deadlock nor change the
// output; and every byte reserved is released.
func TestTinyBudgetsFinishWithSameBytes(t *testing.T) {
	for _, file := range []string{"long_rowgroups.parquet", "parquetgo_list_f32_multipage.parquet", "arrowgo_large_list_f64.parquet", "long_single_sequence.parquet"} {
		t.Run(file, func(t *testing.T) {
			in := filepath.Join(interop, file)
			var want []byte
			for _, limit := range []int64{0, 1, 64, 1 << 10, 1 << 30} {
				budget := pipeline.NewBudget(limit)
				spec := &Spec{
					Schema:       schemas.Options{DefaultColumns: []string{"embedding", "value"}},
					Bind:         func(schemas.Detected, int) (Computer, error) { return &rankProbe{}, nil },
					Workers:      3,
					Budget:       budget,
					SegmentElems: 3,
				}
				var buf bytes.Buffer
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				_, err := spec.Process(ctx, pipeline.Unit{Input: in}, &buf)
				cancel()
				if err != nil {
					t.Fatalf("limit %d: %v", limit, err)
				}
				if want == nil {
					want = buf.Bytes()
				} else if !bytes.Equal(want, buf.Bytes()) {
					t.Fatalf("limit %d: output differs from the unlimited run", limit)
				}
				if limit > 0 && !budget.TryAcquire(limit) {
					t.Fatalf("limit %d: budget not fully released after the file", limit)
				}
				if n := outstandingSlabs(); n != 0 {
					t.Fatalf("limit %d: %d pooled slabs not given back after the file", limit, n)
				}
			}
		})
	}
}

// cancelAfter is a Computer that cancels its context at its n-th call,
// leaving row groups read, items queued and sequences gathered.
type cancelAfter struct {
	rankProbe
	n      atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Compute32(dst, src []float32, n, d int, t []int64) {
	if c.n.Add(-1) == 0 {
		c.cancel()
	}
	c.rankProbe.Compute32(dst, src, n, d, t)
}

func (c *cancelAfter) Compute64(dst, src []float64, n, d int, t []int64) {
	if c.n.Add(-1) == 0 {
		c.cancel()
	}
	c.rankProbe.Compute64(dst, src, n, d, t)
}

// TestStoppedFileGivesEverythingBack: a file stopped midway returns every
// byte of budget and every pooled slab, so a long keep-going run does not
// shrink its budget or grow its memory with each failed file.
func TestStoppedFileGivesEverythingBack(t *testing.T) {
	stopped := 0
	for _, file := range []string{"long_rowgroups.parquet", "parquetgo_list_f32_multipage.parquet", "long_single_sequence.parquet"} {
		for _, after := range []int64{1, 2, 5} {
			in := filepath.Join(interop, file)
			const limit = 1 << 30
			budget := pipeline.NewBudget(limit)
			ctx, cancel := context.WithCancel(context.Background())
			comp := &cancelAfter{cancel: cancel}
			comp.n.Store(after)
			spec := &Spec{
				Schema:       schemas.Options{DefaultColumns: []string{"embedding", "value"}},
				Bind:         func(schemas.Detected, int) (Computer, error) { return comp, nil },
				Workers:      2,
				Budget:       budget,
				SegmentElems: 3,
			}
			var buf bytes.Buffer
			_, err := spec.Process(ctx, pipeline.Unit{Input: in}, &buf)
			cancel()
			if err != nil {
				stopped++
			}
			if !budget.TryAcquire(limit) {
				t.Fatalf("%s after %d: budget not fully released (err %v)", file, after, err)
			}
			if n := outstandingSlabs(); n != 0 {
				t.Fatalf("%s after %d: %d pooled slabs not given back (err %v)", file, after, n, err)
			}
		}
	}
	if stopped == 0 {
		t.Fatal("no run was stopped by its cancel: the test exercised nothing")
	}
}

func outstandingSlabs() int {
	slabs.Lock()
	defer slabs.Unlock()
	return slabs.out
}

package job

import (
	"bytes"
	"context"
	"path/filepath"
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
			}
		})
	}
}

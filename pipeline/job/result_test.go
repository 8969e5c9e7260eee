package job

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// resultRecorder keeps every Result it is handed.
type resultRecorder struct{ got []Result }

func (r *resultRecorder) Sequence(string, []float64, int, int) error {
	panic("a ResultObserver gets Result, not Sequence")
}
func (r *resultRecorder) Result(res Result) error { r.got = append(r.got, res); return nil }
func (r *resultRecorder) Finish(bool) error       { return nil }

// TestResultObserverSeesTheOutput checks that a ResultObserver gets each
// sequence's inputs, results and order values in order-column order, and
// that its results are the ones the output file holds.
func TestResultObserverSeesTheOutput(t *testing.T) {
	for _, tt := range []struct{ file, value, seq, order string }{
		{"long_unordered_positions.parquet", "embedding", "sequence_id", "position"},
		{"ts_long.parquet", "value", "series_id", "timestamp"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			in := filepath.Join(interop, tt.file)
			rec := &resultRecorder{}
			spec := &Spec{
				Schema:       schemas.Options{DefaultColumns: []string{tt.value}},
				Bind:         func(schemas.Detected, int) (Computer, error) { return &rankProbe{}, nil },
				Workers:      2,
				Budget:       pipeline.NewBudget(64 << 20),
				SegmentElems: 5,
				Observe:      func(pipeline.Unit, schemas.Detected) (Observer, error) { return rec, nil },
			}
			var buf bytes.Buffer
			if _, err := spec.Process(context.Background(), pipeline.Unit{Input: in}, &buf); err != nil {
				t.Fatal(err)
			}
			src := readLong(t, in, tt.value, tt.seq, tt.order)
			want, _ := expectedRanks(src)
			// Rows of each id, in order-column order, as the job sorts them.
			byKey := map[string][]int{}
			for row, id := range src.ids {
				byKey[id] = append(byKey[id], row)
			}
			if len(rec.got) != len(byKey) {
				t.Fatalf("%d results, want %d sequences", len(rec.got), len(byKey))
			}
			for _, res := range rec.got {
				rows := byKey[res.Key]
				slices.SortStableFunc(rows, func(a, b int) int { return int(src.order[a] - src.order[b]) })
				if res.N != len(rows) || !slices.IsSorted(res.Order) {
					t.Fatalf("sequence %q: n = %d (want %d), order sorted %v", res.Key, res.N, len(rows), slices.IsSorted(res.Order))
				}
				for i, row := range rows {
					if res.Order[i] != src.order[row] {
						t.Fatalf("sequence %q element %d: order %d, want %d", res.Key, i, res.Order[i], src.order[row])
					}
					for j := 0; j < res.D; j++ {
						x, y := res.In[i*res.D+j], res.Out[i*res.D+j]
						if !same(x, src.vals[row][j]) || !same(y, want[row][j]) {
							t.Fatalf("sequence %q element %d[%d]: in %v out %v, want %v and %v", res.Key, i, j, x, y, src.vals[row][j], want[row][j])
						}
					}
				}
			}
		})
	}
}

func same(a, b float64) bool { return a == b || (a != a && b != b) }

// TestCollectStopsEarly checks that Collect hands over sequences in file
// order with the results a full run gives, and stops when asked.
func TestCollectStopsEarly(t *testing.T) {
	in := filepath.Join(interop, "long_unordered_positions.parquet")
	spec := &Spec{
		Schema:  schemas.Options{DefaultColumns: []string{"embedding"}},
		Bind:    func(schemas.Detected, int) (Computer, error) { return &rankProbe{}, nil },
		Workers: 2,
		Budget:  pipeline.NewBudget(64 << 20),
	}
	var all []Result
	det, err := spec.Collect(context.Background(), in, nil, func(r Result) (bool, error) { all = append(all, r); return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	if det.Value.Name != "embedding" || len(all) < 3 {
		t.Fatalf("detected value column %q, %d sequences; want embedding and at least 3", det.Value.Name, len(all))
	}
	var two []Result
	if _, err := spec.Collect(context.Background(), in, nil, func(r Result) (bool, error) { two = append(two, r); return len(two) < 2, nil }); err != nil {
		t.Fatal(err)
	}
	if len(two) != 2 {
		t.Fatalf("%d sequences collected, want 2", len(two))
	}
	for i, r := range two {
		if r.Key != all[i].Key || !slices.EqualFunc(r.Out, all[i].Out, same) || !slices.Equal(r.Order, all[i].Order) {
			t.Errorf("sequence %d (%q) differs from the full run's (%q)", i, r.Key, all[i].Key)
		}
	}
}

// TestCollectComputesOnlyWhatIsPicked: the sequences only rejects are
// neither computed nor visited, and the picked one is computed as in a
// full run.
func TestCollectComputesOnlyWhatIsPicked(t *testing.T) {
	in := filepath.Join(interop, "long_rowgroups.parquet")
	probe := &rankProbe{}
	spec := &Spec{
		Schema:  schemas.Options{DefaultColumns: []string{"embedding"}},
		Bind:    func(schemas.Detected, int) (Computer, error) { return probe, nil },
		Workers: 3,
		Budget:  pipeline.NewBudget(64 << 20),
	}
	var all []Result
	if _, err := spec.Collect(context.Background(), in, nil, func(r Result) (bool, error) { all = append(all, r); return true, nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) < 3 {
		t.Fatalf("%d sequences, want at least 3", len(all))
	}
	want := all[len(all)/2]
	var keys []string
	var got []Result
	probe.lens = nil
	_, err := spec.Collect(context.Background(), in, func(key string, n int) bool {
		keys = append(keys, key)
		return key == want.Key
	}, func(r Result) (bool, error) { got = append(got, r); return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(all) || keys[0] != all[0].Key {
		t.Errorf("only saw %d keys starting %q, want all %d in file order", len(keys), keys[0], len(all))
	}
	if len(got) != 1 || got[0].Key != want.Key || !slices.EqualFunc(got[0].Out, want.Out, same) {
		t.Fatalf("visited %d sequences, want only %q with the full run's results", len(got), want.Key)
	}
	if len(probe.lens) != 1 || probe.lens[0] != want.N {
		t.Errorf("computed sequences of lengths %v, want one of %d", probe.lens, want.N)
	}
}

package job

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

const interop = "../../testdata/interop"

// rankProbe is a Computer whose output shows how the job grouped and
// ordered the elements: element i of a sequence (in order-column order)
// becomes value + 1000*i. It records the length of each sequence it saw.
type rankProbe struct {
	mu   sync.Mutex
	lens []int
}

func (p *rankProbe) Compute32(dst, src []float32, n, d int, _ []int64) {
	p.record(n)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			dst[i*d+j] = src[i*d+j] + float32(1000*i)
		}
	}
}

func (p *rankProbe) Compute64(dst, src []float64, n, d int, _ []int64) {
	p.record(n)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			dst[i*d+j] = src[i*d+j] + float64(1000*i)
		}
	}
}

func (p *rankProbe) record(n int) {
	p.mu.Lock()
	p.lens = append(p.lens, n)
	p.mu.Unlock()
}

// process runs a Spec over one file and returns the output's path.
func process(t *testing.T, file string, probe Computer, workers int, opts schemas.Options) (string, error) {
	t.Helper()
	spec := &Spec{
		Schema:       opts,
		Bind:         func(schemas.Detected, int) (Computer, error) { return probe, nil },
		Workers:      workers,
		Budget:       pipeline.NewBudget(64 << 20),
		SegmentElems: 5, // many small work items, to exercise ordering
	}
	var buf bytes.Buffer
	u := pipeline.Unit{Input: file}
	if _, err := spec.Process(context.Background(), u, &buf); err != nil {
		return "", err
	}
	out := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// rows reads a long file's ids, order values and float values row by row.
type longRows struct {
	ids   []string
	order []int64
	vals  [][]float64
	f32   bool
}

func readLong(t *testing.T, path, value, seq, order string) longRows {
	t.Helper()
	f, err := parquetio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r longRows
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		c, err := f.ReadValues(rg, parquetio.ReadSpec{Column: value}, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.f32 = c.Values.F32 != nil
		for i := 0; i < c.Rows; i++ {
			v := make([]float64, c.D)
			for j := range v {
				if c.Values.F32 != nil {
					v[j] = float64(c.Values.F32[i*c.D+j])
				} else {
					v[j] = c.Values.F64[i*c.D+j]
				}
			}
			r.vals = append(r.vals, v)
		}
		if seq != "" {
			a, err := f.ReadColumn(rg, seq)
			if err != nil {
				t.Fatal(err)
			}
			info, _ := f.Column(seq)
			for i := 0; i < a.Len(); i++ {
				k, _ := idText(a, i, info)
				r.ids = append(r.ids, strings.Clone(k))
			}
			a.Release()
		}
		if order != "" {
			a, err := f.ReadColumn(rg, order)
			if err != nil {
				t.Fatal(err)
			}
			o, bad := orderKeys(a, false, nil)
			if bad.row >= 0 {
				t.Fatalf("order value %s at row %d", bad.found, bad.row)
			}
			r.order = append(r.order, o...)
			a.Release()
		}
	}
	return r
}

// expectedRanks computes what rankProbe must produce for a long file.
func expectedRanks(in longRows) ([][]float64, []int) {
	want := make([][]float64, len(in.vals))
	var lens []int
	for lo := 0; lo < len(in.vals); {
		hi := lo + 1
		for hi < len(in.vals) && (in.ids == nil || in.ids[hi] == in.ids[lo]) {
			hi++
		}
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		if in.order != nil {
			sort.SliceStable(idx, func(a, b int) bool { return in.order[idx[a]] < in.order[idx[b]] })
		}
		for rank, row := range idx {
			want[row] = make([]float64, len(in.vals[row]))
			for j, v := range in.vals[row] {
				want[row][j] = v + float64(1000*rank)
				if in.f32 {
					want[row][j] = float64(float32(v) + float32(1000*rank))
				}
			}
		}
		lens = append(lens, hi-lo)
		lo = hi
	}
	return want, lens
}

func TestLongSequencesGroupedAndSorted(t *testing.T) {
	tests := []struct {
		file, value, seq, order string
	}{
		{"long_rowgroups.parquet", "embedding", "sequence_id", "position"},
		{"long_unordered_positions.parquet", "embedding", "sequence_id", "position"},
		{"long_f64_scalar.parquet", "value", "sequence_id", "position"},
		{"ts_long.parquet", "value", "series_id", "timestamp"},
		{"long_single_sequence.parquet", "value", "", ""},
		{"arrowgo_large_list_f64.parquet", "embedding", "sequence_id", "position"},
		{"parquetgo_list_f32_multipage.parquet", "embedding", "sequence_id", "position"},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 3} {
			t.Run(tt.file, func(t *testing.T) {
				in := filepath.Join(interop, tt.file)
				probe := &rankProbe{}
				out, err := process(t, in, probe, workers, schemas.Options{DefaultColumns: []string{tt.value}})
				if err != nil {
					t.Fatal(err)
				}
				src := readLong(t, in, tt.value, tt.seq, tt.order)
				want, lens := expectedRanks(src)
				got := readLong(t, out, tt.value, "", "")
				if len(got.vals) != len(want) {
					t.Fatalf("%d output rows, want %d", len(got.vals), len(want))
				}
				for i := range want {
					for j := range want[i] {
						if got.vals[i][j] != want[i][j] && !(want[i][j] != want[i][j]) {
							t.Fatalf("row %d[%d] = %v, want %v", i, j, got.vals[i][j], want[i][j])
						}
					}
				}
				sort.Ints(lens)
				sort.Ints(probe.lens)
				if !equalInts(lens, probe.lens) {
					t.Errorf("sequence lengths seen %v, want %v", probe.lens, lens)
				}
			})
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNestedRowsAreSequences(t *testing.T) {
	for _, file := range []string{"nested_f32_list_of_list.parquet", "nested_series_f64.parquet", "arrowgo_nested_list_of_list_f32.parquet"} {
		t.Run(file, func(t *testing.T) {
			in := filepath.Join(interop, file)
			probe := &rankProbe{}
			if _, err := process(t, in, probe, 2, schemas.Options{DefaultColumns: []string{"embedding", "value"}}); err != nil {
				t.Fatal(err)
			}
			f, err := parquetio.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if int64(len(probe.lens)) != f.NumRows() {
				t.Errorf("%d sequences computed, file has %d rows", len(probe.lens), f.NumRows())
			}
		})
	}
}

func TestBadInputsAreDataErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"bad_ragged.parquet", []string{"bad_ragged.parquet", "row group 0", "embedding"}},
		{"bad_null_vector.parquet", []string{"bad_null_vector.parquet", "embedding", "null"}},
		{"bad_nested_ragged.parquet", []string{"bad_nested_ragged.parquet", "embedding"}},
		{"bad_garbage.parquet", []string{"bad_garbage.parquet"}},
		{"bad_truncated.parquet", []string{"bad_truncated.parquet"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := process(t, filepath.Join(interop, tt.file), &rankProbe{}, 2, schemas.Options{DefaultColumns: []string{"embedding"}})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := outstandingSlabs(); n != 0 {
				t.Errorf("%d pooled slabs not given back after the error", n)
			}
		})
	}
}

func TestNonContiguousSequencesAreGrouped(t *testing.T) {
	// ts_long has series a, b, c...; read as one sequence per *position*
	// value the ids repeat: rows are grouped by id, ranked within their
	// group (equal order values keep input order) and put back in place.
	file := filepath.Join(interop, "long_f64_scalar.parquet")
	for _, budget := range []int64{64 << 20, 1} {
		spec := &Spec{
			Schema:  schemas.Options{DefaultColumns: []string{"value"}, SequenceColumn: "position", OrderColumn: "position"},
			Bind:    func(schemas.Detected, int) (Computer, error) { return &rankProbe{}, nil },
			Workers: 2, Budget: pipeline.NewBudget(budget), SegmentElems: 5, TempDir: t.TempDir(),
		}
		var buf bytes.Buffer
		if _, err := spec.Process(context.Background(), pipeline.Unit{Input: file}, &buf); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out.parquet")
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		in, got := readLong(t, file, "value", "position", "position"), readLong(t, out, "value", "position", "position")
		seen := map[string]int{}
		for i, v := range in.vals {
			rank := seen[in.ids[i]]
			seen[in.ids[i]]++
			if want := v[0] + float64(1000*rank); got.vals[i][0] != want {
				t.Fatalf("budget %d, row %d (position %s): %v, want %v", budget, i, in.ids[i], got.vals[i][0], want)
			}
		}
	}
}

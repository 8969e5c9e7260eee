package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

// keysDir holds the key-type fixtures written by DuckDB and polars
// (scripts/keys/make_fixtures.mjs).
var keysDir = filepath.Join("..", "..", "testdata", "keys")

// keyCase runs smooth on one fixture twice: with the typed key columns and
// with the same keys as int64 (ref_seq, ref_pos, with the bandwidth scaled
// alike). The outputs must be equal to the bit.
type keyCase struct {
	name  string
	file  string
	typed []string
	ref   []string
}

func keyCases() []keyCase {
	var cases []keyCase
	refSeq := []string{"--sequence-column", "ref_seq", "--order-column", "ref_pos"}
	// Sequence ids of every type (DuckDB), ordered by the int64 position.
	for _, id := range []string{"id_u32", "id_u64", "id_u8", "id_u16", "id_i8", "id_i16", "id_uuid",
		"id_dec9", "id_dec18", "id_dec38", "id_date", "id_ts", "id_tstz", "id_str", "id_blob"} {
		cases = append(cases, keyCase{"duckdb " + id, "duckdb_ids.parquet",
			[]string{"--sequence-column", id, "--order-column", "ref_pos"}, refSeq})
	}
	// Order columns of every type (DuckDB), positional and as times: the
	// bandwidth is 3 steps of ref_pos in each column's units.
	orders := map[string]string{
		"ord_i32": "3", "ord_i16": "3", "ord_u8": "3", "ord_u16": "3", "ord_u32": "3", "ord_u64": "3",
		"ord_f64": "0.75", "ord_f32": "0.75", "ord_dec9": "0.03", "ord_dec18": "0.003", "ord_dec38": "0.0003",
		"ord_date": "72h", "ord_time": "3s", "ord_ts": "3m", "ord_ts_ms": "3m", "ord_ts_ns": "3m",
		"ord_ts_s": "3m", "ord_tstz": "3m",
	}
	for ord, bw := range orders {
		cases = append(cases,
			keyCase{"duckdb " + ord, "duckdb_orders.parquet", []string{"--order-column", ord}, []string{"--order-column", "ref_pos"}},
			keyCase{"duckdb " + ord + " bandwidth", "duckdb_orders.parquet",
				[]string{"--order-column", ord, "--bandwidth", bw}, []string{"--order-column", "ref_pos", "--bandwidth", "3"}})
	}
	// polars timestamps in ms, us and ns, naive and with time zones, dates
	// and floats, as times.
	for ord, bw := range map[string]string{"ts_ms": "3m", "ts_us": "180s", "ts_ns": "3m", "ts_ms_utc": "3m",
		"ts_us_paris": "3m", "ts_ns_ny": "3m", "day": "72h", "f64": "0.75"} {
		cases = append(cases, keyCase{"polars " + ord, "polars_times.parquet",
			[]string{"--order-column", ord, "--bandwidth", bw}, []string{"--order-column", "ref_pos", "--bandwidth", "3"}})
	}
	// Nested time lists of every type, as times.
	refTimes := []string{"--time-column", "ref_times", "--bandwidth", "3"}
	for tc, bw := range map[string]string{"t_f64": "0.75", "t_f32": "0.75", "t_u32": "3", "t_u64": "3", "t_dec9": "0.03",
		"t_dec18": "0.003", "t_date": "72h", "t_time": "3s", "t_ts_ms": "3m", "t_tstz": "3m"} {
		cases = append(cases, keyCase{"duckdb nested " + tc, "duckdb_nested_times.parquet",
			[]string{"--time-column", tc, "--bandwidth", bw}, refTimes})
	}
	for tc, bw := range map[string]string{"times": "3m", "f64": "0.75"} {
		cases = append(cases, keyCase{"polars nested " + tc, "polars_nested_times.parquet",
			[]string{"--time-column", tc, "--bandwidth", bw}, refTimes})
	}
	// Default column names, typed as the writers type them.
	cases = append(cases,
		keyCase{"duckdb uint32 id and double position next to a list", "duckdb_defaults_list.parquet", nil, refSeq},
		keyCase{"duckdb uuid series with a time order", "duckdb_uuid_time.parquet", []string{"--bandwidth", "90s"},
			append([]string{"--bandwidth", "3"}, refSeq...)},
		keyCase{"polars rank and row index", "polars_rank_rowindex.parquet", nil, refSeq},
		keyCase{"polars hash and cumcount", "polars_hash_cumcount.parquet", nil, refSeq},
		keyCase{"polars float position next to a list", "polars_float_position_list.parquet", []string{"--bandwidth", "0.75"},
			[]string{"--order-column", "ref_pos", "--bandwidth", "3"}},
	)
	return cases
}

func TestKeyTypesMatchInt64Keys(t *testing.T) {
	for _, tc := range keyCases() {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(keysDir, tc.file)
			got := smoothValues(t, in, tc.typed)
			want := smoothValues(t, in, tc.ref)
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("%d output values, want %d", len(got), len(want))
			}
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("value %d = %v, with int64 keys %v", i, got[i], want[i])
				}
			}
			if same(got, inputValues(t, in)) {
				t.Fatal("the output equals the input: nothing was smoothed")
			}
		})
	}
}

// smoothValues runs smooth --sigma 1.5 with args and returns the output's
// values, flattened.
func smoothValues(t *testing.T, in string, args []string) []float64 {
	t.Helper()
	out := t.TempDir()
	full := append([]string{"smooth", "--sigma", "1.5", "-o", out}, args...)
	r := runCLI(t, nil, append(full, in)...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
	}
	return inputValues(t, filepath.Join(out, filepath.Base(in)))
}

// inputValues reads the value column (value, else embedding) flattened.
func inputValues(t *testing.T, path string) []float64 {
	t.Helper()
	return columnValues(t, path, "")
}

// columnValues reads column (or the default value column when "")
// flattened.
func columnValues(t *testing.T, path, column string) []float64 {
	t.Helper()
	f, err := parquetio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opt := schemas.Options{DefaultColumns: []string{"value", "embedding"}, Column: column}
	if _, ok := f.Column("ref_pos"); ok {
		opt.OrderColumn = "ref_pos" // long
	}
	det, err := schemas.Detect(path, f.Columns(), opt)
	if err != nil {
		t.Fatal(err)
	}
	var vals []float64
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		c, err := f.ReadValues(rg, parquetio.ReadSpec{Column: det.Value.Name, Nesting: det.Nesting()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Values.F32 != nil {
			vals = append(vals, toF64(c.Values.F32)...)
		} else {
			vals = append(vals, c.Values.F64...)
		}
	}
	return vals
}

func same(a, b []float64) bool {
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

// TestUnusableKeyColumns: a key column that cannot be used fails its file
// (exit 3, naming the file, the column and the type; the good input next to
// it is written), and a column a flag names in no input is a usage error
// before anything is written (exit 2).
func TestUnusableKeyColumns(t *testing.T) {
	good := filepath.Join(keysDir, "duckdb_orders.parquet")
	tests := []struct {
		name   string
		file   string
		args   []string
		code   int
		stderr []string
		single bool
	}{
		{"ISO string timestamp", "bad_iso_string_timestamp.parquet", nil, 3, []string{"bad_iso_string_timestamp.parquet", `column "timestamp"`, "found string"}, false},
		{"double id", "bad_double_id.parquet", nil, 3, []string{"bad_double_id.parquet", `column "sequence_id"`, "found float64"}, false},
		{"bool position next to a list", "bad_bool_position.parquet", nil, 3, []string{"bad_bool_position.parquet", `column "position"`, "found bool"}, false},
		{"bool position named by the flag", "bad_bool_position.parquet", []string{"--order-column", "position"}, 3, []string{`column "position"`, "--order-column", "found bool"}, true},
		{"null order", "bad_null_order.parquet", nil, 3, []string{"bad_null_order.parquet", "row 12", `sequence "2"`, `column "position"`, "expected an order value, found null"}, false},
		{"NaN order", "bad_nan_order.parquet", nil, 3, []string{"bad_nan_order.parquet", "row 30", `sequence "seq-3"`, "found NaN"}, false},
		{"NaN time", "bad_nan_order.parquet", []string{"--bandwidth", "2"}, 3, []string{"row 30", `sequence "seq-3"`, "found NaN"}, true},
		{"flag column in one input only", "duckdb_ids.parquet", []string{"--order-column", "ord_f64"}, 3, []string{"duckdb_ids.parquet", `column "ord_f64"`, "no such column"}, false},
		{"flag column in no input", "duckdb_ids.parquet", []string{"--order-column", "nope"}, 2, []string{"--order-column nope", "no input has this column"}, false},
		{"duration bandwidth on a float order", "polars_float_position_list.parquet", []string{"--bandwidth", "5m"}, 3, []string{`column "position"`, "duration", "float64"}, true},
		{"number bandwidth on a timestamp", "polars_times.parquet", []string{"--order-column", "ts_us", "--bandwidth", "5"}, 3, []string{`column "ts_us"`, "a plain number"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"smooth", "--sigma", "1.5", "-o", out}, tt.args...)
			inputs := []string{filepath.Join(keysDir, tt.file), good}
			if tt.single {
				inputs = inputs[:1] // the good file lacks the column too
			}
			r := runCLI(t, nil, append(args, inputs...)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d:\n%s", r.code, tt.code, r.stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "found expected") {
				t.Errorf("garbled message:\n%s", r.stderr)
			}
			written := visibleFiles(t, out)
			switch {
			case tt.code == 2 && len(written) != 0:
				t.Errorf("usage error, yet %v written", written)
			case tt.code == 3 && len(inputs) == 2 && !contains(written, "duckdb_orders.parquet"):
				t.Errorf("the good input was not written: %v", written)
			}
			for _, w := range written {
				if w == tt.file {
					t.Errorf("the bad input %s has an output", w)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestInspectShowsKeyTypes: inspect names each key column's type and
// whether it can be used.
func TestInspectShowsKeyTypes(t *testing.T) {
	r := runCLI(t, nil, "inspect", filepath.Join(keysDir, "polars_hash_cumcount.parquet"), filepath.Join(keysDir, "bad_bool_position.parquet"))
	if r.code != 3 {
		t.Errorf("inspect of a file with an unusable key: exit %d, want 3", r.code)
	}
	for _, s := range []string{"series_id", "uint64", "position", "uint32", "usable, used", "bool", "not usable"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("inspect output lacks %q:\n%s", s, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(keysDir, "polars_hash_cumcount.parquet")); err != nil {
		t.Fatal(err)
	}
}

// TestAttendKeyTypes: attend groups and orders by typed keys as by int64
// ones (polars UInt64 hash ids and UInt32 positions; DuckDB UInt32 ids and
// DOUBLE positions next to a list column).
func TestAttendKeyTypes(t *testing.T) {
	refSeq := []string{"--sequence-column", "ref_seq", "--order-column", "ref_pos"}
	for file, column := range map[string]string{"duckdb_defaults_list.parquet": "value", "polars_float_position_list.parquet": "embedding"} {
		in := filepath.Join(keysDir, file)
		run := func(args []string) []float64 {
			out := t.TempDir()
			full := append([]string{"attend", "--weights", "random", "--seed", "3", "--heads", "1", "--causal", "--column", column, "-o", out}, args...)
			r := runCLI(t, nil, append(full, in)...)
			if r.code != 0 {
				t.Fatalf("%s %v: exit %d: %s", file, args, r.code, r.stderr)
			}
			return columnValues(t, filepath.Join(out, file), column)
		}
		got, want := run(nil), run(refSeq)
		if same(got, columnValues(t, in, column)) {
			t.Fatalf("%s: the output equals the input", file)
		}
		if len(got) == 0 || !sameBits(got, want) {
			t.Errorf("%s: typed keys give %v, int64 keys %v", file, got[:min(6, len(got))], want[:min(6, len(want))])
		}
	}
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestMessagesNameTheSequence: a ragged vector's error names the sequence
// id as well as the row, in both layouts.
func TestMessagesNameTheSequence(t *testing.T) {
	interop := filepath.Join("..", "..", "testdata", "interop")
	for file, want := range map[string][]string{
		"bad_ragged.parquet":        {"row 5", `sequence "seq-2"`, `column "embedding"`, "expected a vector of 8 float32 values, found 5"},
		"bad_nested_ragged.parquet": {"row 1", `sequence "doc-1"`, `column "embedding"`, "found 7"},
	} {
		r := runCLI(t, nil, "smooth", "--sigma", "2", "-o", t.TempDir(), filepath.Join(interop, file))
		if r.code != 3 {
			t.Errorf("%s: exit %d, want 3: %s", file, r.code, r.stderr)
		}
		for _, w := range want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", file, w, r.stderr)
			}
		}
	}
}

// TestInspectArrangement: inspect counts distinct sequences with the run's
// id decoding and says how their rows are arranged.
func TestInspectArrangement(t *testing.T) {
	tests := []struct {
		file, orderFlag, want string
		sequences             int64
	}{
		{filepath.Join(keysDir, "polars_hash_cumcount.parquet"), "", "contiguous", 5},
		{filepath.Join(keysDir, "duckdb_orders.parquet"), "ord_f64", "grouped, unsorted", 5},
		{filepath.Join(keysDir, "duckdb_interleaved.parquet"), "", "interleaved", 5},
		{filepath.Join("..", "..", "testdata", "interop", "long_rowgroups.parquet"), "", "contiguous", 5},
	}
	for _, tt := range tests {
		args := []string{"inspect", "--json"}
		if tt.orderFlag != "" {
			args = append(args, "--order-column", tt.orderFlag)
		}
		r := runCLI(t, nil, append(args, tt.file)...)
		var doc struct{ Files []fileReport }
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || len(doc.Files) != 1 {
			t.Fatalf("%s: exit %d, %v: %s", tt.file, r.code, err, r.stderr)
		}
		rep := doc.Files[0]
		if rep.Arrangement != tt.want || rep.Sequences != tt.sequences {
			t.Errorf("%s: %d sequences, %q; want %d, %q", filepath.Base(tt.file), rep.Sequences, rep.Arrangement, tt.sequences, tt.want)
		}
	}
}

package attnout

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestScanReadsWhatWriterWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.parquet")
	w, err := Create(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []Row
	for s, key := range []string{"a", "b"} {
		for q := 0; q < 3; q++ {
			for k := 0; k <= q; k++ {
				r := Row{Sequence: key, Head: int32(s - 1), Query: int32(q), Key: int32(k), Weight: 1 / float64(q+1)}
				want = append(want, r)
				if err := w.Add(r.Sequence, int(r.Head), q, k, r.Weight); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	var got []Row
	if err := Scan(path, func(r Row) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := Scan(path, func(Row) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("Scan went on after fn failed: %v after %d rows", err, n)
	}
}

func TestScanRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.parquet")
	type row struct {
		Sequence string  `parquet:"sequence"`
		Value    float64 `parquet:"value"`
	}
	if err := parquet.WriteFile(other, []row{{"a", 1}}); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.parquet")
	if err := os.WriteFile(garbage, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, msg string }{
		{other, `expected a column "head"`},
		{garbage, "garbage.parquet"},
		{filepath.Join(dir, "missing.parquet"), "missing.parquet"},
	} {
		err := Scan(tt.path, func(Row) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Scan(%s) = %v, want an error naming %q", filepath.Base(tt.path), err, tt.msg)
		}
	}
}

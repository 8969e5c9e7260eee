package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestCorruptKeyChunkFailsTheFile: the key readers verify the key chunks
// they decode, so the writer copies those without decoding them again
// (parquetio/keyverify.go). A key chunk they read without an error but a
// reader of the output would refuse (a series id that is not UTF-8, in
// row group 1 of 3) still fails its file: exit 3, an error naming the
// file, the row group and the column, no output for it, while a clean
// file next to it is written.
func TestCorruptKeyChunkFailsTheFile(t *testing.T) {
	type row struct {
		ID    string  `parquet:"series_id"`
		Pos   int64   `parquet:"position"`
		Value float64 `parquet:"value"`
	}
	write := func(path string, badID string) {
		rows := make([]row, 300)
		for i := range rows {
			id := fmt.Sprintf("s%d", i/100)
			if i/100 == 1 && badID != "" {
				id = badID
			}
			rows[i] = row{ID: id, Pos: int64(i % 100), Value: float64(i)}
		}
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[row](&buf, parquet.MaxRowsPerRowGroup(100), parquet.Compression(&parquet.Zstd))
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, out := t.TempDir(), t.TempDir()
	write(filepath.Join(in, "bad.parquet"), "s\xff1")
	write(filepath.Join(in, "good.parquet"), "")
	r := runCLI(t, nil, "smooth", "--sigma", "3", "--progress", "never", "-o", out, in)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3:\n%s", r.code, r.stderr)
	}
	for _, s := range []string{"bad.parquet", "row group 1", `column "series_id"`, "UTF-8"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if m := goRuntimeText.FindString(r.stderr); m != "" {
		t.Errorf("Go runtime text %q on stderr:\n%s", m, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "bad.parquet")); !os.IsNotExist(err) {
		t.Errorf("an output for the corrupt file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "good.parquet")); err != nil {
		t.Errorf("no output for the clean file: %v", err)
	}
}

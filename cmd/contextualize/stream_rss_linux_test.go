//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/io/parquetio"
)

// TestOneRowGroupPeakRSS runs smooth and attend on 100,000 x 384 float32
// rows that DuckDB wrote as ONE row group (ROW_GROUP_SIZE 1000000, 147 MiB
// of floats) and checks SPEC v2's bound: peak RSS <= --memory-limit +
// 64 MiB + the largest page. DuckDB cuts its list pages at ~100 MB, so the
// limit is 128MiB: a page larger than the limit is refused as bad input
// (SPEC v2), which rules out 64MiB for this file.
func TestOneRowGroupPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("DuckDB writes a 140 MB input")
	}
	in := duckDBOneRowGroup(t, 100_000, 384, 256)
	page := largestPage(t, in, "embedding")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"smooth", []string{"smooth", "--sigma", "1"}},
		{"attend", []string{"attend", "--weights", "identity", "--heads", "4"}},
	} {
		t.Run(tc.name, func(t *testing.T) { withinMemoryBound(t, in, 128, page, tc.args...) })
	}
}

// duckDBOneRowGroup has DuckDB (scripts/interop, npm ci) write rows x d
// float32 in sequences of seqLen rows as one row group.
func duckDBOneRowGroup(t *testing.T, rows, d, seqLen int) string {
	return duckDBInteropFile(t, "one_row_group.mjs", rows, d, seqLen)
}

// duckDBInteropFile runs the DuckDB script scripts/interop/script (npm ci
// there first) with a fresh output path and args, checks that it wrote one
// row group, and returns the path.
func duckDBInteropFile(t *testing.T, script string, args ...int) string {
	t.Helper()
	dir := filepath.Join("..", "..", "scripts", "interop")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Fatalf("DuckDB for Node is not installed: run (cd scripts/interop && npm ci) first (%v)", err)
	}
	path := filepath.Join(t.TempDir(), strings.TrimSuffix(script, ".mjs")+".parquet")
	argv := []string{filepath.Join(dir, script), path}
	for _, a := range args {
		argv = append(argv, strconv.Itoa(a))
	}
	if msg, err := exec.Command("node", argv...).CombinedOutput(); err != nil {
		t.Fatalf("writing the input with DuckDB: %v: %s", err, msg)
	} else if !strings.Contains(string(msg), "row groups: 1") {
		t.Fatalf("DuckDB did not write one row group: %s", msg)
	}
	return path
}

// withinMemoryBound runs the CLI with args on in under --memory-limit
// limitMiB and 2 workers, checks that it wrote one output and that its
// peak RSS stays within SPEC v2's bound (the limit + 64 MiB + page, the
// largest page), and returns its log.
func withinMemoryBound(t *testing.T, in string, limitMiB int, page int64, args ...string) []byte {
	t.Helper()
	out := t.TempDir()
	bound := int64(limitMiB)<<20 + 64<<20 + page
	args = append(args, "--memory-limit", strconv.Itoa(limitMiB)+"MiB", "--workers", "2", "--progress", "never", "-o", out, in)
	msg, rss, err := runMeasured(t, nil, args...)
	if err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	if n := len(outputs(t, out)); n != 1 {
		t.Fatalf("%d outputs", n)
	}
	t.Logf("peak RSS %d MiB; bound %d MiB (limit %d MiB + 64 MiB + largest page %d KiB)", rss>>20, bound>>20, limitMiB, page>>10)
	if rss > bound {
		t.Fatalf("peak RSS %d MiB, want <= %d MiB", rss>>20, bound>>20)
	}
	return msg
}

// largestPage is the largest uncompressed page of column's chunks, read
// from the page headers (parquetio.File.LargestPage).
func largestPage(t *testing.T, path, column string) int64 {
	t.Helper()
	f, err := parquetio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	largest, err := f.LargestPage(column)
	if err != nil {
		t.Fatal(err)
	}
	return largest
}

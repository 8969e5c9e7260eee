//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWidePassthroughPeakRSS runs smooth on 200,000 rows that DuckDB wrote
// as ONE row group with a 1 KiB string payload per row: a 108 MB
// passthrough chunk (two 100 MB pages once decompressed) beside a 1.5 MB
// value column. The payload is copied verbatim into the output and checked
// page by page, so SPEC v2's bound holds: peak RSS <= --memory-limit +
// 64 MiB + the largest page. Copied whole and verified through parquet-go
// it took 471 MiB against a bound of 292 MiB. 128MiB because a 100 MB
// page is refused under a smaller limit (SPEC v2).
func TestWidePassthroughPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("DuckDB writes a 110 MB input")
	}
	in := duckDBWidePassthrough(t, 200_000, 1024)
	page := max(largestPage(t, in, "value"), largestPage(t, in, "payload"))
	const limit = 128 << 20
	bound := int64(limit + 64<<20 + page)
	out := t.TempDir()
	msg, rss, err := runMeasured(t, nil, "smooth", "--sigma", "1", "--memory-limit", "128MiB", "--workers", "2",
		"--progress", "never", "-o", out, in)
	if err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	if n := len(outputs(t, out)); n != 1 {
		t.Fatalf("%d outputs", n)
	}
	t.Logf("peak RSS %d MiB; bound %d MiB (limit 128 MiB + 64 MiB + largest page %d MiB)", rss>>20, bound>>20, page>>20)
	if rss > bound {
		t.Fatalf("peak RSS %d MiB, want <= %d MiB", rss>>20, bound>>20)
	}
}

// duckDBWidePassthrough has DuckDB (scripts/interop, npm ci) write rows
// with a payload string of payload characters as one row group.
func duckDBWidePassthrough(t *testing.T, rows, payload int) string {
	t.Helper()
	script := filepath.Join("..", "..", "scripts", "interop", "wide_passthrough.mjs")
	if _, err := os.Stat(filepath.Join("..", "..", "scripts", "interop", "node_modules", "@duckdb", "node-api")); err != nil {
		t.Fatalf("DuckDB for Node is not installed: run (cd scripts/interop && npm ci) first (%v)", err)
	}
	path := filepath.Join(t.TempDir(), "duckdb_wide_passthrough.parquet")
	cmd := exec.Command("node", script, path, strconv.Itoa(rows), strconv.Itoa(payload), "256")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("writing the input with DuckDB: %v: %s", err, msg)
	} else if !strings.Contains(string(msg), "row groups: 1") {
		t.Fatalf("DuckDB did not write one row group: %s", msg)
	}
	return path
}

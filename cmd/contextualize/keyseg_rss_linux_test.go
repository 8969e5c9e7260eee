//go:build linux

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOneRowGroupSeriesPeakRSS runs smooth --sigma 5 on ONE series of
// 20 M float64 values written as ONE row group, as pyarrow (1 Mi rows),
// arrow-go (64 Mi rows) and Spark (128 MB) write large tables, and checks
// SPEC v2's bound: peak RSS <= the limit + 64 MiB + the largest page. The
// order column (160 MB of int64 here) is read a segment at a time and the
// first pass that decides whether the series streams holds a window of it
// (main held it whole: 250 MiB under 64MiB on the arrow-go file).
//
//   - arrow-go, its default writer properties (1 MiB pages), with a
//     series_id: --memory-limit 64MiB (arrowGoLimitMiB); measured
//     109-114 MiB against 129 (main 250; 123-142 before the binary's
//     resident pages beyond the headroom were taken from the data
//     budget, job.DataBudget).
//   - DuckDB with ROW_GROUP_SIZE 20,000,000: DuckDB then cuts its flat
//     pages at 100 MiB, and a page larger than the limit is refused
//     (SPEC v2), so the limit is 128MiB; the order column's 100 MiB
//     PLAIN pages are read in windows like the value column's (main:
//     447 MiB; measured 145 MiB). Without a series_id, and with one:
//     DuckDB writes a constant id of 20 M rows as ONE dictionary page of
//     15 bytes, which was refused under any limit below 172 MiB (its
//     indexes decoded whole); it is read and verified a window of indexes
//     at a time, and the output is the bytes of a run under 4GiB
//     (measured 145 MiB).
func TestOneRowGroupSeriesPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two 180 MB inputs")
	}
	t.Run("arrowgo", func(t *testing.T) {
		in := arrowGoLongSeries(t, 20_000_000, true)
		page := max(largestPage(t, in, "value"), largestPage(t, in, "position"), largestPage(t, in, "series_id"))
		msg := withinMemoryBound(t, in, arrowGoLimitMiB, page, "smooth", "--sigma", "5", "--log-level", "debug")
		if !strings.Contains(string(msg), streamsLog) {
			t.Fatalf("the series did not stream: %s", msg)
		}
	})
	t.Run("duckdb", func(t *testing.T) {
		// rows, d, series (0: no series_id), nan_every, row_group_size
		in := duckDBInteropFile(t, "long_series.mjs", 20_000_000, 1, 0, 0, 20_000_000)
		page := max(largestPage(t, in, "value"), largestPage(t, in, "position"))
		msg := withinMemoryBound(t, in, 128, page, "smooth", "--sigma", "5", "--log-level", "debug")
		if !strings.Contains(string(msg), streamsLog) {
			t.Fatalf("the series did not stream: %s", msg)
		}
	})
	t.Run("duckdb constant id", func(t *testing.T) {
		in := duckDBInteropFile(t, "long_series.mjs", 20_000_000, 1, 1, 0, 20_000_000)
		page := max(largestPage(t, in, "value"), largestPage(t, in, "position"), largestPage(t, in, "series_id"))
		args := []string{"smooth", "--sigma", "5"}
		msg := withinMemoryBound(t, in, 128, page, append(args, "--log-level", "debug")...)
		if !strings.Contains(string(msg), streamsLog) {
			t.Fatalf("the series did not stream: %s", msg)
		}
		small, big := filepath.Join(t.TempDir(), "small"), filepath.Join(t.TempDir(), "big")
		for _, run := range []struct{ dir, limit string }{{small, "128MiB"}, {big, "4GiB"}} {
			if msg, _, err := runMeasured(t, nil, append(args, "--memory-limit", run.limit, "--workers", "2", "--progress", "never", "-o", run.dir, in)...); err != nil {
				t.Fatalf("--memory-limit %s: %v: %s", run.limit, err, msg)
			}
		}
		if !bytes.Equal(readOnly(t, small), readOnly(t, big)) {
			t.Fatal("the output under 128MiB differs from the output under 4GiB")
		}
	})
}

// arrowGoLongSeries has arrow-go (scripts/arrowgo-fixtures/longseries)
// write one series of rows float64 values as one row group, with a
// series_id column when ids.
func arrowGoLongSeries(t *testing.T, rows int, ids bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "arrowgo_long_series.parquet")
	args := []string{"run", "./longseries"}
	if ids {
		args = append(args, "-ids")
	}
	cmd := exec.Command("go", append(args, path, strconv.Itoa(rows))...)
	cmd.Dir = filepath.Join("..", "..", "scripts", "arrowgo-fixtures")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("writing the input with arrow-go: %v: %s", err, msg)
	} else if !strings.Contains(string(msg), "row groups: 1") {
		t.Fatalf("arrow-go did not write one row group: %s", msg)
	}
	return path
}

// arrowGoLimitMiB is the arrow-go case's --memory-limit: the smallest
// the bound is promised at (SPEC v2).
const arrowGoLimitMiB = 64

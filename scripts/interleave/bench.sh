#!/usr/bin/env bash
# Interleaved vs grouped: the same 10M rows (200 series x 50,000 float64 points) stored in
# time order (every series' rows interleaved) and grouped by series, smoothed at sigma 3;
# beside DuckDB grouping the interleaved file (ORDER BY series_id, timestamp into a new
# file), the step a user would otherwise run first.
#
#   scripts/interleave/bench.sh            # from the repository root; RUNS=3 by default
#
# Needs scripts/interleave/node_modules (cd scripts/interleave && npm ci). Prints one line per
# run: what, wall seconds, peak RSS (MiB), temp bytes at peak (spills only).
set -euo pipefail
root=$(pwd)
dir=${BENCH_DIR:-/tmp/contextualize-interleave-bench}
runs=${RUNS:-3}
mkdir -p "$dir"
go build -o "$dir/contextualize" ./cmd/contextualize
if [ ! -f "$dir/data/interleaved.parquet" ]; then
	(cd scripts/interleave && node duckdb_bench.mjs gen "$dir/data")
fi
measure() { # name, command...
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$dir/time" "$@" >"$dir/out.log" 2>&1 || { cat "$dir/out.log"; exit 1; }
	local t rss temp
	read -r t rss <"$dir/time"
	temp=$(grep -o 'temp_bytes_peak=[0-9]*' "$dir/out.log" | cut -d= -f2 || true)
	printf '%-34s %6.2f s  %5d MiB  temp %s\n' "$name" "$t" $((rss / 1024)) "${temp:-0}"
}
smooth() { # name, memory limit, input
	rm -rf "$dir/o" "$dir/tmp" && mkdir -p "$dir/tmp"
	measure "$1" "$dir/contextualize" smooth --sigma 3 --workers 2 --memory-limit "$2" --temp-dir "$dir/tmp" -o "$dir/o" "$3"
}
for i in $(seq "$runs"); do
	smooth "grouped, 1GiB" 1GiB "$dir/data/grouped.parquet"
	smooth "interleaved, 1GiB (in memory)" 1GiB "$dir/data/interleaved.parquet"
	smooth "interleaved, 128MiB (spills)" 128MiB "$dir/data/interleaved.parquet"
	measure "duckdb ORDER BY, 2 threads" node "$root/scripts/interleave/duckdb_bench.mjs" sort "$dir/data/interleaved.parquet" "$dir/sorted.parquet" 2
done

#!/usr/bin/env bash
# Peak-RSS check: --memory-limit must bound the process, not just the data
# the pipeline counts, on an input much larger than the limit.
#
#   scripts/rss/run.sh            # from the repository root
#
# 1. builds contextualize and scripts/rss/gen into a temp dir;
# 2. writes a long-layout input of ROWS x D float32 (default 1.4M x 384:
#    2.2 GB, uncompressed, row groups of 10k rows, sequences of 1000 rows);
# 3. runs, under /usr/bin/time -v,
#      contextualize smooth --radius 0 --sigma 1 --memory-limit 256MiB -o OUT INPUT
#    where sequences of 1000 rows end exactly at row-group boundaries;
#    then, on a smaller input (ATTEND_ROWS rows) whose sequences of 256 rows
#    straddle every row-group boundary (as in files written by DuckDB or
#    Spark, which cut row groups by size, not by sequence), the same smooth
#    and
#      contextualize attend --weights identity --heads 4 --memory-limit 256MiB -o OUT INPUT
#    and the same smooth on BIG_RG_ROWS rows in row groups of 122,880 rows,
#    DuckDB's default (180 MiB of float32 per row group at d = 384: more
#    than the whole limit); then smooth and attend on DUCKDB_ROWS rows that
#    DuckDB itself writes as ONE row group (ROW_GROUP_SIZE 1000000, sequences
#    of 256 rows; needs node and `cd scripts/interop && npm ci`), checked
#    against SPEC v2's bound: LIMIT + ALLOWANCE + the file's largest page
#    (DuckDB cuts list pages at ~100 MB, so LIMIT must exceed that: a page
#    larger than --memory-limit is refused as bad input);
#    then smooth --sigma 5 --memory-limit LONG_LIMIT (default 64MiB) on ONE
#    series of LONG_SERIES_ROWS float64 values (default 20,000,000) that
#    DuckDB writes with its default row groups (scripts/interop/
#    long_series.mjs): the series streams, checked against LONG_LIMIT +
#    ALLOWANCE + the largest page; then the same on ONE series of
#    ONE_RG_SERIES_ROWS (default 20,000,000) float64 values in ONE row
#    group, as arrow-go writes it with its defaults (scripts/arrowgo-
#    fixtures/longseries, 1 MiB pages, a series_id; LONG_LIMIT), and as
#    DuckDB writes it with ROW_GROUP_SIZE = the rows (no series_id,
#    100 MiB pages, so under 128MiB, checked against 128 MiB + ALLOWANCE
#    + the largest page);
# 4. prints peak RSS and wall time of each and fails (exit 1) when a peak
#    RSS exceeds LIMIT + ALLOWANCE.
#
# The allowance (ALLOWANCE_MIB, default 64) is memory that --memory-limit
# does not count by design (it bounds the data in flight between reader,
# workers and writer), measured with heap profiles of these runs:
#   - the Go runtime, binary text and data, goroutine stacks:        ~12 MiB
#   - the output writer, per file being written: the 3 x 1 MiB write
#     buffer, parquet-go page buffers (~20 MiB) and the zstd encoder
#     history, which klauspost/compress sizes to the page (~32 MiB
#     for pages of 10k x 384 float32):                                ~52 MiB
# It does not cover garbage: a heap that GC lets grow to 2x the live data
# (GOGC=100 and no soft memory limit) fails this check, as it would be
# killed by a container's memory limit.
#
# Environment: SRC (source tree to build; default this repository), ROWS,
# D, SEQ_LEN, ROW_GROUP_ROWS, COMPRESSION (none|snappy), ATTEND_ROWS (0:
# skip the straddling runs), BIG_RG_ROWS (0: skip), DUCKDB_ROWS (0: skip; default
# 200000), LONG_SERIES_ROWS (0: skip), LONG_LIMIT, ONE_RG_SERIES_ROWS (0: skip), WIDE_ROWS (0: skip; default 200000), NESTED_SEQS (0: skip; default 400), MEMORY_LIMIT (default 256MiB), ALLOWANCE_MIB,
# WORKDIR (default: a new dir under /tmp, removed at the end unless
# KEEP=1), EXTRA_ARGS (more flags for every run, e.g. "--workers 8").
set -euo pipefail

ROWS=${ROWS:-1400000}
D=${D:-384}
SEQ_LEN=${SEQ_LEN:-1000}
ROW_GROUP_ROWS=${ROW_GROUP_ROWS:-10000}
COMPRESSION=${COMPRESSION:-none}
ATTEND_ROWS=${ATTEND_ROWS:-200000}
BIG_RG_ROWS=${BIG_RG_ROWS:-400000}
DUCKDB_ROWS=${DUCKDB_ROWS:-200000}
LONG_SERIES_ROWS=${LONG_SERIES_ROWS:-20000000}
LONG_LIMIT=${LONG_LIMIT:-64MiB}
ONE_RG_SERIES_ROWS=${ONE_RG_SERIES_ROWS:-20000000}
WIDE_ROWS=${WIDE_ROWS:-200000}
NESTED_SEQS=${NESTED_SEQS:-400}
MEMORY_LIMIT=${MEMORY_LIMIT:-256MiB}
ALLOWANCE_MIB=${ALLOWANCE_MIB:-64}
EXTRA_ARGS=${EXTRA_ARGS:-}

root=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
work=${WORKDIR:-$(mktemp -d /tmp/contextualize-rss.XXXXXX)}
mkdir -p "$work"
cleanup() {
	if [[ "${KEEP:-0}" != 1 ]]; then
		rm -rf "$work"
	fi
}
trap cleanup EXIT

limit_mib=$(case "$MEMORY_LIMIT" in
	*GiB) echo $(( ${MEMORY_LIMIT%GiB} * 1024 )) ;;
	*MiB) echo "${MEMORY_LIMIT%MiB}" ;;
	*) echo "MEMORY_LIMIT must be NMiB or NGiB, found $MEMORY_LIMIT" >&2; exit 2 ;;
esac)
max_kib=$(( (limit_mib + ALLOWANCE_MIB) * 1024 ))

echo "== building into $work/bin"
mkdir -p "$work/bin"
(cd "$root" && go build -o "$work/bin/contextualize" ./cmd/contextualize && go build -o "$work/bin/gen" ./scripts/rss/gen)
bin=$work/bin/contextualize

avail_kib=$(df -Pk "$work" | awk 'NR==2 {print $4}')
need_kib=$(( (ROWS + ATTEND_ROWS + BIG_RG_ROWS + DUCKDB_ROWS) * D * 4 * 2 / 1024 + (LONG_SERIES_ROWS + ONE_RG_SERIES_ROWS) * 20 / 1024 + WIDE_ROWS * 2 + NESTED_SEQS * 262 * D * 4 * 2 / 1024 + 1024 * 1024 ))
if (( avail_kib < need_kib )); then
	echo "not enough disk in $work: $((avail_kib / 1024)) MiB free, need about $((need_kib / 1024)) MiB" >&2
	exit 1
fi

failed=0

# measure NAME INPUT ARGS...: runs the binary under time -v and checks RSS.
measure() {
	local name=$1 input=$2
	shift 2
	local out=$work/out-$name
	rm -rf "$out"
	echo "== $name: $bin $* --memory-limit $MEMORY_LIMIT -o OUT $(basename "$input")"
	local code=0
	/usr/bin/time -v -o "$work/time-$name.txt" \
		"$bin" "$@" --memory-limit "$MEMORY_LIMIT" --progress never $EXTRA_ARGS \
		-o "$out" "$input" 2> "$work/stderr-$name.txt" || code=$?
	if (( code != 0 )); then
		echo "$name: exit $code" >&2
		cat "$work/stderr-$name.txt" >&2
		failed=1
		return
	fi
	local rss_kib wall
	rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time-$name.txt")
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time-$name.txt")
	local in_mib out_mib
	in_mib=$(( $(stat -c %s "$input") / 1048576 ))
	out_mib=$(( $(du -sk "$out" | cut -f1) / 1024 ))
	printf '%s: input %d MiB, output %d MiB, peak RSS %d MiB (%d KiB), wall %s, limit %d MiB + allowance %d MiB\n' \
		"$name" "$in_mib" "$out_mib" $(( rss_kib / 1024 )) "$rss_kib" "$wall" "$limit_mib" "$ALLOWANCE_MIB"
	if [[ ! -f "$out/_SUCCESS" ]]; then
		echo "$name: no _SUCCESS" >&2
		failed=1
	fi
	local bound_kib=$max_kib bound_text="$limit_mib MiB + $ALLOWANCE_MIB MiB"
	if [[ -n "${BOUND_MIB:-}" ]]; then
		bound_kib=$(( BOUND_MIB * 1024 )) bound_text="$BOUND_MIB MiB (${BOUND_WHY:-the documented bound})"
	fi
	if (( rss_kib > bound_kib )); then
		echo "$name: FAIL: peak RSS $(( rss_kib / 1024 )) MiB > $bound_text" >&2
		failed=1
	else
		echo "$name: ok, within $bound_text"
	fi
	rm -rf "$out"
}

echo "== generating $ROWS x $D float32 ($COMPRESSION, row groups of $ROW_GROUP_ROWS)"
big=$work/in/big.parquet
mkdir -p "$work/in"
start=$(date +%s)
"$work/bin/gen" -rows "$ROWS" -d "$D" -seq-len "$SEQ_LEN" -row-group-rows "$ROW_GROUP_ROWS" -compression "$COMPRESSION" -o "$big"
echo "   $(( $(stat -c %s "$big") / 1048576 )) MiB in $(( $(date +%s) - start )) s"
measure smooth "$big" smooth --radius 0 --sigma 1
rm -f "$big"

if (( ATTEND_ROWS > 0 )); then
	small=$work/in/attend.parquet
	echo "== generating $ATTEND_ROWS x $D float32, sequences of 256 straddling the row groups of $ROW_GROUP_ROWS"
	"$work/bin/gen" -rows "$ATTEND_ROWS" -d "$D" -seq-len 256 -row-group-rows "$ROW_GROUP_ROWS" -compression "$COMPRESSION" -o "$small"
	measure smooth-straddle "$small" smooth --radius 0 --sigma 1
	measure attend-straddle "$small" attend --weights identity --heads 4
	rm -f "$small"
fi

if (( BIG_RG_ROWS > 0 )); then
	bigrg=$work/in/big-row-groups.parquet
	echo "== generating $BIG_RG_ROWS x $D float32 in row groups of 122880 rows (DuckDB's default)"
	"$work/bin/gen" -rows "$BIG_RG_ROWS" -d "$D" -seq-len "$SEQ_LEN" -row-group-rows 122880 -compression "$COMPRESSION" -o "$bigrg"
	# One row group's values (122,880 x D float32) exceed the limit by
	# themselves: the job processes it alone and the documented bound is
	# twice its values plus the allowance (README, "Running under a
	# scheduler"); a streaming reader below row groups would be needed to do
	# better.
	BOUND_MIB=$(( 2 * 122880 * D * 4 / 1048576 + ALLOWANCE_MIB )) BOUND_WHY="a row group alone exceeds the limit" \
		measure smooth-big-row-groups "$bigrg" smooth --radius 0 --sigma 1
	rm -f "$bigrg"
fi

if (( DUCKDB_ROWS > 0 )); then
	duck=$work/in/duckdb-one-row-group.parquet
	echo "== DuckDB writes $DUCKDB_ROWS x $D float32 as one row group (sequences of 256)"
	node "$root/scripts/interop/one_row_group.mjs" "$duck" "$DUCKDB_ROWS" "$D" 256
	page_mib=$("$work/bin/gen" -largest-page "$duck" -column embedding)
	echo "   $(( $(stat -c %s "$duck") / 1048576 )) MiB, largest page $page_mib MiB"
	BOUND_MIB=$(( limit_mib + ALLOWANCE_MIB + page_mib )) BOUND_WHY="limit + allowance + largest page, SPEC v2" measure smooth-duckdb-one-row-group "$duck" smooth --sigma 1
	BOUND_MIB=$(( limit_mib + ALLOWANCE_MIB + page_mib )) BOUND_WHY="limit + allowance + largest page, SPEC v2" measure attend-duckdb-one-row-group "$duck" attend --weights identity --heads 4
	rm -f "$duck"
fi

if (( LONG_SERIES_ROWS > 0 )); then
	long=$work/in/long-series.parquet
	echo "== DuckDB writes ONE series of $LONG_SERIES_ROWS float64 values (default row groups)"
	node "$root/scripts/interop/long_series.mjs" "$long" "$LONG_SERIES_ROWS" 1 1
	page_mib=$("$work/bin/gen" -largest-page "$long" -column value)
	long_mib=${LONG_LIMIT%MiB}
	echo "   $(( $(stat -c %s "$long") / 1048576 )) MiB, largest page $page_mib MiB"
	limit_mib=$long_mib MEMORY_LIMIT=$LONG_LIMIT BOUND_MIB=$(( long_mib + ALLOWANCE_MIB + page_mib )) BOUND_WHY="$LONG_LIMIT + allowance + largest page, SPEC v2; the series streams" \
		measure smooth-long-series "$long" smooth --sigma 5
	rm -f "$long"
fi

if (( ONE_RG_SERIES_ROWS > 0 )); then
	onerg=$work/in/one-row-group-series.parquet
	echo "== arrow-go writes ONE series of $ONE_RG_SERIES_ROWS float64 values as ONE row group (its defaults, with a series_id)"
	(cd "$root/scripts/arrowgo-fixtures" && go run ./longseries -ids "$onerg" "$ONE_RG_SERIES_ROWS")
	page_mib=0
	for col in value position series_id; do
		p=$("$work/bin/gen" -largest-page "$onerg" -column $col)
		page_mib=$(( p > page_mib ? p : page_mib ))
	done
	long_mib=${LONG_LIMIT%MiB}
	echo "   $(( $(stat -c %s "$onerg") / 1048576 )) MiB, largest page $page_mib MiB"
	limit_mib=$long_mib MEMORY_LIMIT=$LONG_LIMIT BOUND_MIB=$(( long_mib + ALLOWANCE_MIB + page_mib )) BOUND_WHY="$LONG_LIMIT + allowance + largest page, SPEC v2; keys read per segment" \
		measure smooth-one-row-group-series-arrowgo "$onerg" smooth --sigma 5
	rm -f "$onerg"
	echo "== DuckDB writes ONE series of $ONE_RG_SERIES_ROWS float64 values as ONE row group (ROW_GROUP_SIZE, no series_id)"
	node "$root/scripts/interop/long_series.mjs" "$onerg" "$ONE_RG_SERIES_ROWS" 1 0 0 "$ONE_RG_SERIES_ROWS"
	value_mib=$("$work/bin/gen" -largest-page "$onerg" -column value)
	order_mib=$("$work/bin/gen" -largest-page "$onerg" -column position)
	page_mib=$(( value_mib > order_mib ? value_mib : order_mib ))
	echo "   $(( $(stat -c %s "$onerg") / 1048576 )) MiB, largest page $page_mib MiB"
	limit_mib=128 MEMORY_LIMIT=128MiB BOUND_MIB=$(( 128 + ALLOWANCE_MIB + page_mib )) BOUND_WHY="128MiB + allowance + largest page, SPEC v2" \
		measure smooth-one-row-group-series-duckdb "$onerg" smooth --sigma 5
	rm -f "$onerg"
fi

if (( WIDE_ROWS > 0 )); then
	wide=$work/in/wide-passthrough.parquet
	echo "== DuckDB writes $WIDE_ROWS rows with a 1 KiB string payload as one row group"
	node "$root/scripts/interop/wide_passthrough.mjs" "$wide" "$WIDE_ROWS" 1024 256
	page_mib=$("$work/bin/gen" -largest-page "$wide" -column payload)
	value_mib=$("$work/bin/gen" -largest-page "$wide" -column value)
	page_mib=$(( page_mib > value_mib ? page_mib : value_mib ))
	echo "   $(( $(stat -c %s "$wide") / 1048576 )) MiB, largest page $page_mib MiB"
	BOUND_MIB=$(( limit_mib + ALLOWANCE_MIB + page_mib )) BOUND_WHY="limit + allowance + largest page, SPEC v2; the payload is passed through" \
		measure smooth-wide-passthrough "$wide" smooth --sigma 1
	rm -f "$wide"
fi

if (( NESTED_SEQS > 0 )); then
	nested=$work/in/nested-one-row-group.parquet
	echo "== DuckDB writes $NESTED_SEQS nested sequences of 256-262 x $D float32 as one row group"
	node "$root/scripts/interop/nested_one_row_group.mjs" "$nested" "$NESTED_SEQS" "$D" 256
	page_mib=$("$work/bin/gen" -largest-page "$nested" -column embedding)
	echo "   $(( $(stat -c %s "$nested") / 1048576 )) MiB, largest page $page_mib MiB"
	BOUND_MIB=$(( limit_mib + ALLOWANCE_MIB + page_mib )) BOUND_WHY="limit + allowance + largest page, SPEC v2" measure smooth-nested-one-row-group "$nested" smooth --sigma 1
	BOUND_MIB=$(( limit_mib + ALLOWANCE_MIB + page_mib )) BOUND_WHY="limit + allowance + largest page, SPEC v2" measure attend-nested-one-row-group "$nested" attend --weights identity --heads 4
	rm -f "$nested"
fi

if (( failed )); then
	echo "RSS check FAILED" >&2
	exit 1
fi
echo "RSS check passed"

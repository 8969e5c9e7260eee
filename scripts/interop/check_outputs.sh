#!/usr/bin/env bash
# check_outputs.sh: interop check that DuckDB reads contextualize's OUTPUTS with the right values
# and every passthrough column intact (the other direction of testdata/interop, where DuckDB
# writes and we read).
#
# Builds the CLI, runs it into a temp dir over
#   1. every good fixture of testdata/interop (layout long or nested, error null):
#      `smooth --radius 0 --sigma 1` (kernel [1]: an exact identity copy), once per fixture with
#      the manifest's --column / --sequence-column / --order-column; plus `--output-column
#      smoothed` on long_passthrough.parquet;
#   2. `smooth --sigma 2` on ts_long.parquet and the bundled samples, and `attend --weights
#      mha_d32_h4.safetensors --heads 4` on tokens.parquet and tokens_nested.parquet, with
#      `--compression snappy` and `--row-group-rows 100` variants; `smooth --sigma 2` on
#      long_unordered_positions.parquet and long_rowgroups.parquet;
#   3. `smooth --sigma 2` on testdata/keys fixtures with UUID, DECIMAL(38,4), UBIGINT, DOUBLE,
#      TIME, TIMESTAMPTZ and polars UInt32/UInt64/tz-aware key columns;
#   3b. `smooth --sigma 2` and `attend` on testdata/interleave (sequences interleaved: DuckDB
#      time-ordered, polars), in memory and spilled;
#   4. `attend` on the arrow-go float16 (FLOAT16) fixtures: list, large_list, fixed_size_list,
#      nested with --row-group-rows 2, and --output-column; and `--output-type float32|float64`
#      (float16 and float32 inputs widened: DuckDB must see the widened type);
# then `node check_outputs.mjs` compares every (input, output) pair with DuckDB (@duckdb/node-api,
# pinned in package-lock.json). Needs Go and Node >= 18, and `npm ci` done in scripts/interop.
#
# Usage: bash scripts/interop/check_outputs.sh   (from anywhere; CI: .ci/run)
# Env: KEEP=1 keeps the temp dir and prints its path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fixtures="$root/testdata/interop"

if [ ! -d "$here/node_modules/@duckdb/node-api" ]; then
  echo "check_outputs: @duckdb/node-api missing: run 'npm ci' in scripts/interop first" >&2
  exit 2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/contextualize-interop.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then
  echo "check_outputs: keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi

echo "check_outputs: building the CLI"
(cd "$root" && go build -o "$tmp/contextualize" ./cmd/contextualize)
bin="$tmp/contextualize"

# runs.tsv: one line per tool run, read by check_outputs.mjs. Columns (tab-separated, "-" = none):
# name kind rc log input output_file value_column output_column sequence_column order_column
# compression row_group_rows output_type (from $OUT_TYPE when a run widens with --output-type)
runs="$tmp/runs.tsv"
: >"$runs"
n=0
mkdir -p "$tmp/logs" "$tmp/out"

# tool_run NAME KIND INPUT VCOL OUTCOL SCOL OCOL COMP RGROWS CMD ARGS...
tool_run() {
  local name="$1" kind="$2" input="$3" vcol="$4" outcol="$5" scol="$6" ocol="$7" comp="$8" rgr="$9"
  shift 9
  local cmd="$1"
  shift
  local rc=0
  "$bin" -q "$cmd" --progress never -o "$tmp/out/$name" "$@" "$input" >"$tmp/logs/$name.log" 2>&1 || rc=$?
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$name" "$kind" "$rc" "$tmp/logs/$name.log" "$input" "$tmp/out/$name/$(basename "$input")" \
    "$vcol" "$outcol" "$scol" "$ocol" "$comp" "$rgr" "${OUT_TYPE:--}" >>"$runs"
  n=$((n + 1))
}

# 1. radius 0 = identity, every good long/nested fixture (list from the manifest)
(cd "$here" && node check_outputs.mjs --list-fixtures "$fixtures/manifest.json") >"$tmp/fixtures.tsv"
while IFS=$'\t' read -r file vcol scol ocol; do
  [ -n "$file" ] || continue
  args=(smooth --radius 0 --sigma 1 --column "$vcol")
  [ "$scol" = - ] || args+=(--sequence-column "$scol")
  [ "$ocol" = - ] || args+=(--order-column "$ocol")
  tool_run "r0_${file%.parquet}" identity "$fixtures/$file" "$vcol" - "$scol" "$ocol" zstd - "${args[@]}"
done <"$tmp/fixtures.tsv"

# 1b. radius 0 into a new column: value column unchanged, `smoothed` appended
tool_run r0_outcol_long_passthrough identity "$fixtures/long_passthrough.parquet" embedding smoothed \
  sequence_id position zstd - smooth --radius 0 --sigma 1 --column embedding --output-column smoothed \
  --sequence-column sequence_id --order-column position

# 2. real smoothing and attention, on a fixture and the bundled samples
samples="$tmp/samples"
"$bin" -q samples -o "$samples" >"$tmp/logs/samples.log" 2>&1 || {
  echo "check_outputs: 'contextualize samples' failed:" >&2
  cat "$tmp/logs/samples.log" >&2
  exit 1
}
w="$samples/mha_d32_h4.safetensors"
for v in default snappy rg100; do
  extra=()
  comp=zstd
  rgr=-
  case "$v" in
    snappy) extra=(--compression snappy) comp=snappy ;;
    rg100) extra=(--row-group-rows 100) rgr=100 ;;
  esac
  tool_run "sigma2_ts_long_$v" smooth "$fixtures/ts_long.parquet" value - series_id timestamp "$comp" "$rgr" \
    smooth --sigma 2 "${extra[@]}"
  tool_run "sigma2_sensors_$v" smooth "$samples/sensors.parquet" value - - - "$comp" "$rgr" \
    smooth --sigma 2 "${extra[@]}"
  tool_run "sigma2_tokens_$v" smooth "$samples/tokens.parquet" embedding - - - "$comp" "$rgr" \
    smooth --sigma 2 "${extra[@]}"
  tool_run "sigma2_tokens_nested_$v" smooth "$samples/tokens_nested.parquet" embedding - - - "$comp" "$rgr" \
    smooth --sigma 2 "${extra[@]}"
  tool_run "attend_tokens_$v" attend "$samples/tokens.parquet" embedding - - - "$comp" "$rgr" \
    attend --weights "$w" --heads 4 "${extra[@]}"
  tool_run "attend_tokens_nested_$v" attend "$samples/tokens_nested.parquet" embedding - - - "$comp" "$rgr" \
    attend --weights "$w" --heads 4 "${extra[@]}"
done

# sequence order from the order column (rows not in position order) and sequences crossing
# row groups: the Gaussian reference in check_outputs.mjs follows the order column
for f in long_unordered_positions long_rowgroups; do
  tool_run "sigma2_$f" smooth "$fixtures/$f.parquet" embedding - sequence_id position zstd - \
    smooth --sigma 2 --column embedding
done

# key columns of every type (testdata/keys, from DuckDB and polars): typed ids and order columns
# group and order the sequences, and pass through intact (UUID, DECIMAL, TIME, unsigned, tz)
keys="$root/testdata/keys"
tool_run sigma2_keys_uuid_ids smooth "$keys/duckdb_ids.parquet" value - id_uuid ref_pos zstd - \
  smooth --sigma 2 --sequence-column id_uuid --order-column ref_pos
tool_run sigma2_keys_dec38_ids smooth "$keys/duckdb_ids.parquet" value - id_dec38 ref_pos zstd - \
  smooth --sigma 2 --sequence-column id_dec38 --order-column ref_pos
for o in ord_u64 ord_f64 ord_dec38 ord_time ord_tstz; do
  tool_run "sigma2_keys_$o" smooth "$keys/duckdb_orders.parquet" value - sequence_id "$o" zstd - \
    smooth --sigma 2 --order-column "$o"
done
tool_run sigma2_keys_defaults_list smooth "$keys/duckdb_defaults_list.parquet" value - sequence_id position zstd - \
  smooth --sigma 2
tool_run sigma2_keys_polars_hash smooth "$keys/polars_hash_cumcount.parquet" value - series_id position zstd - \
  smooth --sigma 2
tool_run sigma2_keys_polars_tz smooth "$keys/polars_times.parquet" value - sequence_id ts_ns_ny zstd - \
  smooth --sigma 2 --order-column ts_ns_ny

# interleaved sequences (testdata/interleave: DuckDB time-ordered, small row groups, polars
# step-ordered; the PARTITION_BY files are left to the Go tests, since DuckDB reads their
# hive path as an extra column): grouped by id in memory and spilled; DuckDB's reference groups
# them with PARTITION BY, so each output row must be its sequence's, in place
il="$root/testdata/interleave"
tool_run sigma2_interleave_time_ordered smooth "$il/duckdb_time_ordered.parquet" value - series_id timestamp zstd - \
  smooth --sigma 2
tool_run sigma2_interleave_small_rg_spilled smooth "$il/duckdb_time_ordered_small_rg.parquet" value - series_id timestamp zstd - \
  smooth --sigma 2 --memory-limit 64KiB --temp-dir "$tmp"
tool_run attend_interleave_polars_spilled attend "$il/polars_step_ordered.parquet" embedding - sequence_id position zstd - \
  attend --weights random --seed 1 --heads 2 --memory-limit 40KiB --temp-dir "$tmp"

# float16 (Parquet FLOAT16) inputs written by arrow-go: attention computes in float32 and writes
# float16 back, in every list shape (the identity runs of section 1 cover them too)
for f in arrowgo_list_f16 arrowgo_large_list_f16 arrowgo_fixed_size_list_f16; do
  tool_run "attend_$f" attend "$fixtures/$f.parquet" embedding - sequence_id position zstd - \
    attend --weights random --seed 1 --heads 2
done
tool_run attend_arrowgo_nested_list_of_list_f16_rg2 attend "$fixtures/arrowgo_nested_list_of_list_f16.parquet" embedding - - - zstd 2 \
  attend --weights random --seed 1 --heads 2 --row-group-rows 2
OUT_TYPE=float64 tool_run attend_arrowgo_large_list_f16_f64 attend "$fixtures/arrowgo_large_list_f16.parquet" embedding - sequence_id position zstd - \
  attend --weights random --seed 1 --heads 2 --output-type float64
OUT_TYPE=float32 tool_run attend_arrowgo_nested_list_of_list_f16_f32_rg2 attend "$fixtures/arrowgo_nested_list_of_list_f16.parquet" embedding - - - zstd 2 \
  attend --weights random --seed 1 --heads 2 --output-type float32 --row-group-rows 2
OUT_TYPE=float64 tool_run attend_arrowgo_fixed_size_list_f32_f64 attend "$fixtures/arrowgo_fixed_size_list_f32.parquet" embedding - sequence_id position zstd - \
  attend --weights random --seed 1 --heads 2 --output-type float64
tool_run attend_arrowgo_list_f16_outcol attend "$fixtures/arrowgo_list_f16.parquet" embedding ctx sequence_id position snappy - \
  attend --weights random --seed 1 --heads 2 --output-column ctx --compression snappy

echo "check_outputs: $n tool runs done; checking the outputs with DuckDB"
cd "$here"
node check_outputs.mjs --check "$runs"

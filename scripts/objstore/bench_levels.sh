#!/usr/bin/env bash
# Optional value columns read in several segments (issue 14's last gap):
# bytes fetched and wall/peak RSS of `smooth --sigma 2 --memory-limit
# $LIMIT --workers 2`, reading from versitygw through getproxy, for three
# one-row-group-ish inputs with a nullable value column of 4M rows:
#
#   duckdb      scripts/objstore/bigfile.mjs 200 20000 4000000 (DuckDB defaults, one row group,
#               one snappy page per chunk)
#   polars      scripts/interop/optional_values.mjs polars (nodejs-polars defaults)
#   parquet-go  scripts/objstore/optfile (parquet-go defaults, one row group, 256 KiB pages)
#
# and, from local disk, the DuckDB file. The BINARIES take turns, run by
# run, so a noisy host weighs on all of them alike. Prints one line per
# run: input, binary, wall s, peak RSS MiB, GETs, bytes.
#
#   scripts/objstore/start.sh && . /tmp/contextualize-objstore/env.sh
#   scripts/objstore/bench_levels.sh OLD_BINARY NEW_BINARY (env: RUNS=5 LIMIT=64MiB PROXY_PORT=19099)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
: "${RUNS:=5}" "${LIMIT:=64MiB}" "${OBJSTORE_DIR:=/tmp/contextualize-objstore}"
. "$OBJSTORE_DIR/env.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
endpoint=$(sed -n 's/.*endpoint=\([^&]*\).*/\1/p' <<<"$OBJSTORE_S3_QUERY")
bucket="bench-levels-$$"
node "$here/bigfile.mjs" "$work/duckdb.parquet" 200 20000 4000000 >/dev/null
node "$root/scripts/interop/optional_values.mjs" polars "$work/polars.parquet" 200 20000 >/dev/null
(cd "$root" && go run ./scripts/objstore/optfile "$work/parquet-go.parquet" 200 20000)
s3() { curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
s3 -X PUT "$endpoint/$bucket"
for f in duckdb polars parquet-go; do
  s3 -X PUT --upload-file "$work/$f.parquet" "$endpoint/$bucket/$f.parquet"
  printf '%s: %d bytes\n' "$f" "$(stat -c %s "$work/$f.parquet")"
done
(cd "$root" && go build -o "$work/getproxy" ./scripts/objstore/getproxy)
port=${PROXY_PORT:-19099}
query=${OBJSTORE_S3_QUERY/$endpoint/http:\/\/127.0.0.1:$port}
run() { # input binary source
  rm -rf "$work/out"
  /usr/bin/time -f "%e %M" -o "$work/time" "$2" smooth --sigma 2 --memory-limit "$LIMIT" --workers 2 \
    --progress never -q -o "$work/out" "$3"
  read -r wall rss <"$work/time"
}
for r in $(seq 1 "$RUNS"); do
  for f in duckdb polars parquet-go; do
    for bin in "$@"; do
      "$work/getproxy" -target "$endpoint" -listen "127.0.0.1:$port" >"$work/proxy.out" &
      proxy=$!
      for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
      run "$f" "$bin" "s3://$bucket/$f.parquet?$query"
      kill -INT "$proxy"; wait "$proxy" || true
      read -r _ gets _ bytes <"$work/proxy.out"
      printf 's3 %s %s run %d: %s s, %d MiB, %d GETs, %d bytes\n' "$f" "$bin" "$r" "$wall" $((rss / 1024)) "$gets" "$bytes"
    done
  done
  for bin in "$@"; do
    run duckdb "$bin" "$work/duckdb.parquet"
    printf 'local duckdb %s run %d: %s s, %d MiB\n' "$bin" "$r" "$wall" $((rss / 1024))
  done
done

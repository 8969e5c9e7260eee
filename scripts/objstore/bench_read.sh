#!/usr/bin/env bash
# Object-storage read benchmark: smooth of a multi-row-group DuckDB file
# (scripts/objstore/bigfile.mjs: 200 series x 20,000 points, 45 MB, 33 row
# groups) read from versitygw, output on local disk, through getproxy
# (which counts the GETs and adds DELAY to each request, as a cloud's
# first-byte latency would). Prints, for each binary and run: wall time,
# peak RSS, GETs and bytes read.
#
#   scripts/objstore/start.sh && . /tmp/contextualize-objstore/env.sh
#   scripts/objstore/bench_read.sh BINARY... (env: RUNS=3 DELAY=0ms LIMIT=64MiB)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${RUNS:=3}" "${DELAY:=0ms}" "${LIMIT:=64MiB}" "${OBJSTORE_DIR:=/tmp/contextualize-objstore}"
. "$OBJSTORE_DIR/env.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
endpoint=$(sed -n 's/.*endpoint=\([^&]*\).*/\1/p' <<<"$OBJSTORE_S3_QUERY")
bucket="bench-read-$$"
node "$here/bigfile.mjs" "$work/big.parquet" 200 20000
s3() { curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
s3 -X PUT "$endpoint/$bucket"
s3 -X PUT --upload-file "$work/big.parquet" "$endpoint/$bucket/big.parquet"
(cd "$here/../.." && go build -o "$work/getproxy" ./scripts/objstore/getproxy)
port=19099
query=${OBJSTORE_S3_QUERY/$endpoint/http:\/\/127.0.0.1:$port}
for bin in "$@"; do
  for run in $(seq 1 "$RUNS"); do
    "$work/getproxy" -target "$endpoint" -listen "127.0.0.1:$port" -delay "$DELAY" >"$work/proxy.out" &
    proxy=$!
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    rm -rf "$work/out"
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" smooth --sigma 2 --memory-limit "$LIMIT" --workers 2 \
      --progress never -q -o "$work/out" "s3://$bucket/big.parquet?$query"
    kill -INT "$proxy"; wait "$proxy" || true
    read -r wall rss <"$work/time"
    read -r _ gets _ bytes <"$work/proxy.out"
    printf '%s run %d: %s s wall, %d MiB peak RSS, %d GETs, %d bytes\n' "$bin" "$run" "$wall" $((rss / 1024)) "$gets" "$bytes"
  done
done

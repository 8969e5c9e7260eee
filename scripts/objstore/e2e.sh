#!/usr/bin/env bash
# Runs every manifest of samples/deploy against the binary, with its URLs
# pointed at the local S3 server (versitygw), for every index and shard,
# through to _SUCCESS. Starts the servers if needed (start.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
: "${OBJSTORE_DIR:=/tmp/contextualize-objstore}"
bash "$root/scripts/objstore/start.sh"
. "$OBJSTORE_DIR/env.sh"
bin="$OBJSTORE_DIR/run/bin"
mkdir -p "$bin"
(cd "$root" && go build -o "$bin/contextualize" ./cmd/contextualize && go build -o "$bin/bucket" ./scripts/objstore/bucket)
cd "$root/samples/deploy/check"
CONTEXTUALIZE_BIN="$bin/contextualize" OBJSTORE_BUCKET_TOOL="$bin/bucket" go test -tags e2e -count=1 -run TestManifestsEndToEnd -v ./...

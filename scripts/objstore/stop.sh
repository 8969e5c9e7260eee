#!/usr/bin/env bash
# Stops the servers scripts/objstore/start.sh started (by the process
# groups it recorded) and, with --clean, removes their data.
set -euo pipefail
: "${OBJSTORE_DIR:=/tmp/contextualize-objstore}"
for name in versitygw fake-gcs-server azurite; do
  pidfile="$OBJSTORE_DIR/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "objstore: stopped $name ($pid)" >&2
done
if [ "${1:-}" = "--clean" ]; then
  rm -rf "$OBJSTORE_DIR"/{s3,gcs,azure,logs}
fi

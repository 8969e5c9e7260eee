#!/usr/bin/env bash
# Installs (if needed) and starts the object-storage servers the
# integration tests (go test -tags objstore) run against, on loopback ports
# with their data under $OBJSTORE_DIR:
#
#   S3     versitygw v1.8.0 (go install), posix backend    127.0.0.1:$OBJSTORE_S3_PORT
#   GCS    fake-gcs-server v1.56.1 (go install)             127.0.0.1:$OBJSTORE_GCS_PORT
#   Azure  Azurite 3.37.0 (npm, package.json here)          127.0.0.1:$OBJSTORE_AZURE_PORT
#
# It writes $OBJSTORE_DIR/env.sh with the variables the tests and the
# manifests' end-to-end runs need; `. "$OBJSTORE_DIR/env.sh"` before
# `go test -tags objstore ./...`. Idempotent: servers already answering
# are left running. scripts/objstore/stop.sh stops them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${OBJSTORE_DIR:=/tmp/contextualize-objstore}"
: "${OBJSTORE_S3_PORT:=19070}"
: "${OBJSTORE_GCS_PORT:=19443}"
: "${OBJSTORE_AZURE_PORT:=19000}"
VERSITYGW_VERSION=v1.8.0
FAKE_GCS_VERSION=v1.56.1
gobin="$(go env GOPATH)/bin"
mkdir -p "$OBJSTORE_DIR"/{s3,gcs,azure,logs,run}

# Well-known test credentials: versitygw's root user, Azurite's fixed
# development account. Neither is a secret.
S3_KEY=contextualize-test
S3_SECRET=contextualize-test-secret
AZ_ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

log() { printf 'objstore: %s\n' "$*" >&2; }

install_go() { # binary module@version
  local bin=$1 mod=$2
  if [ -x "$gobin/$bin" ] && [ -f "$OBJSTORE_DIR/run/$bin.version" ] &&
     [ "$(cat "$OBJSTORE_DIR/run/$bin.version")" = "$mod" ]; then
    return
  fi
  log "go install $mod (a few minutes on a small machine)"
  go install "$mod"
  echo "$mod" > "$OBJSTORE_DIR/run/$bin.version"
}

up() { # port: is something listening?
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_up() { # name port
  for _ in $(seq 1 150); do
    if up "$2"; then log "$1 up on 127.0.0.1:$2"; return; fi
    sleep 0.2
  done
  log "$1 did not start; its log:"; tail -n 30 "$OBJSTORE_DIR/logs/$1.log" >&2; exit 1
}

start() { # name port command...
  local name=$1 port=$2; shift 2
  if up "$port"; then log "$name already up on 127.0.0.1:$port"; return; fi
  setsid "$@" >"$OBJSTORE_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$OBJSTORE_DIR/run/$name.pid"
  wait_up "$name" "$port"
}

install_go versitygw "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
install_go fake-gcs-server "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
if [ ! -x "$here/node_modules/.bin/azurite-blob" ] || [ ! -d "$here/node_modules/@duckdb/node-api" ]; then
  log "npm ci (Azurite, and DuckDB for the large test input: bigfile.mjs)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# versitygw keeps object metadata in xattrs; --sidecar keeps it in files
# instead, so any file system (tmpfs, overlayfs) works.
mkdir -p "$OBJSTORE_DIR/s3/data" "$OBJSTORE_DIR/s3/meta"
start versitygw "$OBJSTORE_S3_PORT" "$gobin/versitygw" --access "$S3_KEY" --secret "$S3_SECRET" \
  --port "127.0.0.1:$OBJSTORE_S3_PORT" --quiet \
  posix --sidecar "$OBJSTORE_DIR/s3/meta" "$OBJSTORE_DIR/s3/data"
start fake-gcs-server "$OBJSTORE_GCS_PORT" "$gobin/fake-gcs-server" -scheme http -host 127.0.0.1 \
  -port "$OBJSTORE_GCS_PORT" -public-host "127.0.0.1:$OBJSTORE_GCS_PORT" \
  -external-url "http://127.0.0.1:$OBJSTORE_GCS_PORT" \
  -backend filesystem -filesystem-root "$OBJSTORE_DIR/gcs" -log-level warn
start azurite "$OBJSTORE_AZURE_PORT" "$here/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 \
  --blobPort "$OBJSTORE_AZURE_PORT" --location "$OBJSTORE_DIR/azure" --skipApiVersionCheck --loose --silent

cat > "$OBJSTORE_DIR/env.sh" <<ENV
# Written by scripts/objstore/start.sh: the servers of the objstore tests.
export AWS_ACCESS_KEY_ID=$S3_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET
export AWS_REGION=us-east-1
export OBJSTORE_S3_QUERY='endpoint=http://127.0.0.1:$OBJSTORE_S3_PORT&use_path_style=true&region=us-east-1'
export STORAGE_EMULATOR_HOST=127.0.0.1:$OBJSTORE_GCS_PORT
export AZURE_STORAGE_ACCOUNT=$AZ_ACCOUNT
export AZURE_STORAGE_KEY='$AZ_KEY'
export OBJSTORE_AZURE_QUERY='protocol=http&domain=127.0.0.1:$OBJSTORE_AZURE_PORT&localemu=true'
export OBJSTORE_LOGS=$OBJSTORE_DIR/logs
ENV
log "servers ready; . $OBJSTORE_DIR/env.sh"

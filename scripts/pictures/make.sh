#!/usr/bin/env bash
# Draws the README's pictures from the bundled samples with `contextualize
# plot`. From the repository root:
#
#   bash scripts/pictures/make.sh          # writes docs/plot-*.png
#   bash scripts/pictures/make.sh DIR      # writes DIR/plot-*.png
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-docs}"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/contextualize" ./cmd/contextualize
ctx="$work/contextualize"

# smooth: a series with an outage (NULLs) and NaNs, over its timestamps.
"$ctx" plot smooth --sigma 2 --sequence pump/power_w \
  -o "$out/plot-smooth.png" samples/sensors.parquet

# attend: the sample weights' four heads over one sentence, window 4.
"$ctx" plot attend --weights samples/mha_d32_h4.safetensors --heads 4 --window 4 --sequence doc-001 \
  -o "$out/plot-attend.png" samples/tokens.parquet

# weights: a file written by attend --attention-output: plain dot-product
# attention (identity weights) sharpened by --scale, two heads.
"$ctx" --quiet attend --weights identity --heads 2 --scale 6 \
  --attention-output "$work/weights" -o "$work/out" samples/tokens.parquet
(cd "$work" && "$ctx" plot weights --sequence doc-002 -o "$out/plot-weights.png" weights/tokens.parquet)

ls -l "$out"/plot-*.png

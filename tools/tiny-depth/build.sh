#!/bin/sh
# Reproduce the committed tiny depth model from scratch: train on procedural scenes (CPU, Debian PyTorch 1.13, one
# torch thread plus one process drawing scenes), export it in the Depth-Anything ONNX layout to models/tiny-depth/,
# measure the held-out pair accuracy, and write the test fixtures. models/tiny-depth/README.md has the times.
# usage: tools/tiny-depth/build.sh [WORK_DIR]   (WORK_DIR defaults to tools/tiny-depth/work, git-ignored)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mkdir -p "${1:-$HERE/work}" && cd "${1:-$HERE/work}" && pwd)
PY=${PYTHON:-/usr/bin/python3}
export OMP_WAIT_POLICY=PASSIVE TINY_SD_DEVICE=${TINY_SD_DEVICE:-cpu} TINY_SD_THREADS=${TINY_SD_THREADS:-1}
cd "$HERE"
"$PY" train.py "$WORK/tiny-depth" 8000 --batch 12 --lr 2e-3 --seed 0
"$PY" export.py "$WORK/tiny-depth" "$ROOT/models"
"$PY" evaluate.py "$WORK/tiny-depth/depth.pt" 200
"$PY" make_fixtures.py "$ROOT/test/fixtures/depth/scenes" 16

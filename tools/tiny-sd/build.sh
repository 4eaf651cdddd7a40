#!/bin/sh
# Reproduce the committed tiny model from scratch: tokenizer, VAE, UNet + text encoder, pose ControlNet, ONNX export,
# quality numbers. Deterministic seeds; CPU only (Debian PyTorch 1.13 at /usr/bin/python3).
# usage: tools/tiny-sd/build.sh [WORK_DIR]     (WORK_DIR defaults to tools/tiny-sd/work, git-ignored)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${1:-$HERE/work}
PY=${PYTHON:-/usr/bin/python3}
export TINY_SD_THREADS=${TINY_SD_THREADS:-2} OMP_WAIT_POLICY=PASSIVE
mkdir -p "$WORK"
cd "$HERE"
"$PY" derive_tokenizer.py "$ROOT/../shared/data/clip-bpe/bpe_simple_vocab_16e6.txt.gz" "$ROOT/models/tiny-sd/tokenizer"
# The VAE was trained with one warm restart of its cosine schedule: 600 steps, then on to 1300.
"$PY" train_vae.py "$WORK" 600
"$PY" train_vae.py "$WORK" 1300
# The ControlNet was trained against the UNet at step 1500 while the UNet went on (high-noise weighting from 1500),
# then fine-tuned against the final UNet.
"$PY" train_unet.py "$WORK" 1500
"$PY" train_controlnet.py "$WORK" 800
"$PY" train_unet.py "$WORK" 2700
"$PY" train_unet.py "$WORK" 3100
"$PY" train_controlnet.py "$WORK" 1000
"$PY" export.py "$WORK" "$ROOT/models"
"$PY" evaluate.py "$WORK" "$WORK/quality.json"

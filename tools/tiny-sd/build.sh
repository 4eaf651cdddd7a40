#!/bin/sh
# Reproduce the committed tiny model from scratch: the first CPU recipe (the scripts of commit 67edc6c, replayed
# unchanged), this directory's CPU fine-tuning stage, then the GPU stage, ONNX export and quality numbers. Stages 1–2:
# CPU, Debian PyTorch 1.13, about 4 hours on 2 cores; stage 3: about 12 minutes on one H100 (PyTorch 2.11), days on a
# CPU. models/tiny-sd/README.md has the details and times.
# usage: [PYTHON_GPU=python-with-cuda] tools/tiny-sd/build.sh [WORK_DIR]   (WORK_DIR defaults to tools/tiny-sd/work,
#        git-ignored)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mkdir -p "${1:-$HERE/work}" && cd "${1:-$HERE/work}" && pwd)
PY=${PYTHON:-/usr/bin/python3}
GPY=${PYTHON_GPU:-$PY}  # stage 3: a PyTorch with CUDA
export OMP_WAIT_POLICY=PASSIVE TINY_SD_DEVICE=${TINY_SD_DEVICE:-cpu}
cd "$HERE"
"$PY" derive_tokenizer.py "$ROOT/../shared/data/clip-bpe/bpe_simple_vocab_16e6.txt.gz" "$ROOT/models/tiny-sd/tokenizer"

# Stage 1, the first recipe (1 h 45 min): VAE on 64×64 crops, UNet + text encoder on 10,000 pictures at batch 32,
# ControlNet against the UNet at step 1500 and then the final one.
OLD="$WORK/recipe-67edc6c"
rm -rf "$OLD" && mkdir -p "$OLD/models/tiny-sd"
git -C "$ROOT" archive 67edc6c tools/tiny-sd | tar -x -C "$OLD"
cp -r "$ROOT/models/tiny-sd/tokenizer" "$OLD/models/tiny-sd/"
(cd "$OLD/tools/tiny-sd" && export TINY_SD_THREADS=2 &&
  for stage in "train_vae.py 600" "train_vae.py 1300" "train_unet.py 1500" "train_controlnet.py 800" \
               "train_unet.py 2700" "train_unet.py 3100" "train_controlnet.py 1000"; do
    # shellcheck disable=SC2086
    "$PY" $stage "$WORK"
  done)

# Stage 2 (about 2 h): the UNet and text encoder go on at a lower learning rate on 30,000 fresh pictures (encoded by
# the unchanged VAE); the ControlNet follows the UNet's step-1239 checkpoint; the shipped UNet is step 1182 of the
# same run (CFG 7 adherence 75% there against 71% at step 2674, where CFG 1 had caught up with CFG 7).
cp "$WORK/unet.pt" "$WORK/unet-stage1.pt"
export TINY_SD_DATASET=30000 TINY_SD_THREADS=1
"$PY" train_unet.py "$WORK" 3637 --batch 32 --lr 3e-4 --resume --stop-after 1239
"$PY" train_controlnet.py "$WORK" 1480 --batch 16 --resume
cp "$WORK/unet-stage1.pt" "$WORK/unet.pt"
"$PY" train_unet.py "$WORK" 3637 --batch 32 --lr 3e-4 --resume --stop-after 1182
# The decoder alone, weighted toward shape pixels: the latents (and so the UNet) stay valid while shape colours that
# the first VAE decoded wrongly come back (69% → 91% of shape pixels keep their colour).
TINY_SD_THREADS=2 "$PY" train_vae.py "$WORK" 4500 --crop 64 --batch 16 --lr 2e-4 --resume --decoder-only \
  --foreground-weight 3 --stop-after 3000

# Stage 3 (GPU; the step counts are what the 2026-11-26 H100 run's `auto:SECONDS` budgets chose, and C stopped at the
# device call's time limit): the decoder alone on whole pictures; the UNet at batch 1024 (B) and its ControlNet; B
# again with 15% of captions swapped for other pictures' (C), without which the model drew the caption as well with
# CFG 1 as with CFG 7; shipped: 0.2·B + 0.8·C.
unset TINY_SD_DEVICE TINY_SD_DATASET
"$GPY" train_vae.py "$WORK" 6000 --crop 128 --batch 32 --lr 1e-4 --resume --decoder-only --foreground-weight 3
"$GPY" train_unet.py "$WORK" 1986 --batch 1024 --lr 4e-4 --resume
"$GPY" train_controlnet.py "$WORK" 1100 --batch 128 --resume
rm -rf "$WORK/stage3-B" && mkdir "$WORK/stage3-B" && cp "$WORK/unet.pt" "$WORK/controlnet.pt" "$WORK/stage3-B/"
"$GPY" train_unet.py "$WORK" 963 --batch 1024 --lr 2e-4 --resume --caption-noise 0.15 --stop-after 809
"$GPY" train_controlnet.py "$WORK" 294 --batch 128 --resume
"$GPY" average.py "$WORK/stage3-B" "$WORK" 0.8 "$WORK"

"$PY" export.py "$WORK" "$ROOT/models"
TINY_SD_THREADS=2 "$PY" evaluate.py "$WORK" "$WORK/quality.json"

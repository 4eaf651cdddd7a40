#!/bin/bash
# The GPU benchmark of issue 8 on the GPU machine (bench/gpu/README.md says how to get there), in phases:
#   measure   PyTorch (tools/tiny-sd model code, SD 1.5 shapes, random weights): eager UNet call with CFG, reference
#             output, ONNX model folder export, Deforum-default frame loop
#   unet      onnxruntime-node through the project's UNet/CFG code on each EP, output compared with PyTorch's; the
#             host-side fp16 conversions of one call (host_overhead.ts)
#   optimize  onnxruntime's transformer optimizer (fp32 export → fused fp16; needs its Python package), then `unet` on it
#   renders   `deforum render` of a Deforum-default 512×512 animation on each EP
#   residuals the UNet again with the project's ControlNet residual inputs (fed zeros), through `unet` on the first EP
# Each step is skipped, and logged, when the rest of BUDGET_S is too short for it. Later phases reuse WORK, so they can
# run in a second call on the same warm machine. Every run ends with OUT/results.md (the table for bench/RESULTS.md,
# from all raw results so far), OUT/run.log and OUT/raw.tar.gz (every raw result and log).
# usage (project root, Node and python3 with torch + onnx on PATH):  bench/gpu/run.sh [OUT]
# env: PHASES="measure unet optimize renders residuals"  CONFIG=sd15|tiny  SIZE=512  CALLS=20  FRAMES=6
#      DEVICES="cuda webgpu"  BUDGET_S=540  WORK=/tmp/deforum-gpu-bench  PYTHON=python3  TORCH_DEVICE=cuda|cpu
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-${OUT:-bench/out/gpu}}
WORK=${WORK:-/tmp/deforum-gpu-bench}
PHASES=${PHASES:-measure unet optimize renders residuals}
CONFIG=${CONFIG:-sd15} SIZE=${SIZE:-512} CALLS=${CALLS:-20} FRAMES=${FRAMES:-6} DEVICES=${DEVICES:-cuda webgpu}
BUDGET_S=${BUDGET_S:-540} PY=${PYTHON:-python3}
TORCH_DEVICE=${TORCH_DEVICE:-$($PY -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')}
TSX=(node --import tsx)
# the device tool brings back at most 8 files from $OUT: raw outputs go to $RAW, packed into one archive at the end
RAW=$WORK/raw
want() { [[ " $PHASES " == *" $1 "* ]]; }
want measure && rm -rf "$RAW"
mkdir -p "$OUT" "$RAW"
log() { echo "[$(date -u +%T) +${SECONDS}s] $*" | tee -a "$RAW/run.log"; }
# true when at least $1 seconds of the budget are left
left() { [ $((BUDGET_S - SECONDS)) -ge "$1" ] || { log "skipped (budget): $2"; false; }; }
finish() {
  trap - EXIT TERM INT
  "${TSX[@]}" bench/gpu/report.ts "$RAW" > "$OUT/results.md" 2>> "$RAW/run.log"
  cp "$RAW/run.log" "$OUT/run.log"
  tar -czf "$OUT/raw.tar.gz" -C "$WORK" raw
  cat "$OUT/results.md"
}
trap finish EXIT TERM INT
torch_sd() { # $1 = phase, $2 = log name
  timeout $((BUDGET_S - SECONDS)) "$PY" bench/gpu/torch_sd.py "$WORK" --config "$CONFIG" --size "$SIZE" --calls "$CALLS" \
    --frames "$FRAMES" --device "$TORCH_DEVICE" --phase "$1" > "$RAW/$2.log" 2>&1 || log "torch_sd.py --phase $1 failed: $(tail -n 1 "$RAW/$2.log")"
}
unet_rows() { # $1 = UNet folder, $2 = label suffix
  for device in $DEVICES; do
    left 60 "$device $2" || continue
    timeout $((BUDGET_S - SECONDS)) "${TSX[@]}" bench/gpu/unet_bench.ts "$1" "$WORK/reference" --device "$device" \
      --calls "$CALLS" --label "$device $2" --json "$RAW/unet.jsonl" >> "$RAW/node.log" 2>&1 \
      || log "$device $2 failed: $(tail -n 1 "$RAW/node.log")"
  done
}

log "start: PHASES='$PHASES' CONFIG=$CONFIG SIZE=$SIZE CALLS=$CALLS FRAMES=$FRAMES DEVICES='$DEVICES' TORCH_DEVICE=$TORCH_DEVICE"
if want measure; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$RAW/gpu.txt" 2>&1
  node dist/cli/main.js gpu check > "$RAW/gpu-check.txt" 2>&1
  cat "$RAW/gpu-check.txt" >> "$RAW/run.log"
  log "measure: PyTorch build, eager UNet timing, reference output, ONNX export, frame loop"
  torch_sd measure torch
  cp "$WORK/torch.json" "$RAW/" 2>/dev/null
  : > "$RAW/unet.jsonl"
fi
[ -f "$WORK/model/unet/model.onnx" ] || { log "no ONNX export in $WORK; run the measure phase first"; exit 1; }

if want unet; then
  log "unet: onnxruntime-node UNet step, plain export; host-side fp16 conversions"
  unet_rows "$WORK/model/unet" "plain export"
  "${TSX[@]}" bench/gpu/host_overhead.ts --json "$RAW/host.jsonl" >> "$RAW/node.log" 2>&1
fi

if want optimize; then
  if ! "$PY" -c 'import onnxruntime.transformers.optimizer' 2>/dev/null; then
    log "optimize: skipped, onnxruntime's Python package is not installed"
  elif left 180 "optimize"; then
    log "optimize: fp32 export → onnxruntime transformer optimizer → fused fp16"
    torch_sd optimize optimize
    cp "$WORK/optimize.json" "$RAW/" 2>/dev/null
    [ -f "$WORK/unet_opt/model.onnx" ] && unet_rows "$WORK/unet_opt" "transformer optimizer"
  fi
fi

if want renders; then
  node -e '
    const [file, size, frames, model] = process.argv.slice(1);
    const k = JSON.parse(require("fs").readFileSync(file, "utf8"));
    Object.assign(k, { width: +size, height: +size, frames: +frames + 1, model });
    process.stdout.write(JSON.stringify(k, null, 2));
  ' bench/gpu/deforum-default.json "$SIZE" "$FRAMES" "$WORK/model" > "$WORK/deforum-default.json"
  for device in $DEVICES; do
    left 90 "render on $device" || continue
    log "renders: deforum render, $device"
    rm -rf "$WORK/render-$device"
    timeout $((BUDGET_S - SECONDS)) node dist/cli/main.js render "$WORK/deforum-default.json" --out "$WORK/render-$device" \
      --device "$device" --json 2> "$RAW/render-$device.log" | grep -v '"type":"step"' > "$RAW/render-$device.jsonl" \
      || log "render on $device failed: $(tail -n 1 "$RAW/render-$device.log")"
  done
fi

if want residuals && left 150 "residuals"; then
  log "residuals: UNet export with the ControlNet residual inputs, fed zeros"
  torch_sd residuals residuals
  cp "$WORK/residuals.json" "$RAW/" 2>/dev/null
  [ -f "$WORK/unet_residuals/model.onnx" ] && DEVICES=${DEVICES%% *} unet_rows "$WORK/unet_residuals" "+ zero ControlNet residual inputs"
fi
log "done"

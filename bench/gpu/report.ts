/**
 * The table of one bench/gpu/run.sh run, from the files it left in OUT: torch.json (PyTorch eager, torch_sd.py),
 * unet.jsonl (one row per onnxruntime-node variant, unet_bench.ts), render-<device>.jsonl (`deforum render --json`).
 * Ratios are ours ÷ PyTorch eager in milliseconds: below 1× is faster than PyTorch.
 * usage: node --import tsx bench/gpu/report.ts OUT > OUT/results.md
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

interface TorchResult {
  torch: string;
  gpu: string | null;
  config: string;
  dtype: string;
  size: number;
  attention: string;
  unet_ms?: number;
  frame_s?: number;
  frame_steps?: number;
}
interface UnetRow {
  label: string;
  device: string;
  sessionMs?: number;
  unetMs?: number;
  denoiserMs?: number;
  relativeError?: number;
  error?: string;
}
interface FrameEvent {
  type: string;
  frame: number;
  seconds: number;
  samplerSeconds: number;
  diffused: boolean;
}

const out = process.argv[2];
if (!out) throw new Error('usage: report.ts OUT');
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) : []);
const torch: Partial<TorchResult> = existsSync(path.join(out, 'torch.json')) ? JSON.parse(readFileSync(path.join(out, 'torch.json'), 'utf8')) : {};
const rows = lines(path.join(out, 'unet.jsonl')) as UnetRow[];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
const ratio = (value: number | undefined) => (value === undefined || !torch.unet_ms ? '—' : `${(value / torch.unet_ms).toFixed(2)}×`);

const print = (line = '') => process.stdout.write(`${line}\n`);
print(`card: ${torch.gpu ?? 'CPU'}; PyTorch ${torch.torch ?? '?'}; model ${torch.config ?? '?'} ${torch.dtype ?? ''}, ${torch.size ?? '?'}×${torch.size ?? '?'} (latents ${(torch.size ?? 0) / 8}²), batch 2 (CFG), attention ${torch.attention ?? '?'}; ${new Date().toISOString().slice(0, 10)}`);
print();
print('| UNet call, batch 2 | session (ms) | UNet.predict (ms) | CFG denoiser call (ms) | ratio to PyTorch eager | rel. error vs PyTorch |');
print('|---|---|---|---|---|---|');
print(`| PyTorch eager | — | ${ms(torch.unet_ms)} | — | 1.00× | — |`);
for (const row of rows) {
  if (row.error) print(`| ${row.label} | failed: ${row.error.replace(/\|/g, '/')} | | | | |`);
  else print(`| ${row.label} | ${row.sessionMs} | ${ms(row.unetMs)} | ${ms(row.denoiserMs)} | ${ratio(row.denoiserMs)} | ${row.relativeError} |`);
}
for (const host of lines(path.join(out, 'host.jsonl')) as Array<{ values: number; toHalfMs: number; fromHalfMs: number }>) {
  print();
  print(`host work per fp16 UNet call (${host.values} values): float32 → float16 ${host.toHalfMs} ms, float16 → float32 ${host.fromHalfMs} ms`);
}
const optimize = path.join(out, 'optimize.json');
if (existsSync(optimize)) {
  const o = JSON.parse(readFileSync(optimize, 'utf8')) as { optimizer_fusions?: Record<string, number>; optimize_s?: number };
  print();
  print(`transformer optimizer (${o.optimize_s ?? '?'} s), fused: ${Object.entries(o.optimizer_fusions ?? {}).map(([op, n]) => `${op} ${n}`).join(', ') || 'nothing'}`);
}
const cuda = rows.filter((r) => r.device === 'cuda' && r.denoiserMs !== undefined).sort((a, b) => a.denoiserMs! - b.denoiserMs!)[0];
print();
print(cuda ? `ratio to PyTorch eager: ${ratio(cuda.denoiserMs)} (CUDA EP UNet step through the sampler, ${cuda.label}: ${ms(cuda.denoiserMs)} ms vs ${ms(torch.unet_ms)} ms)` : 'ratio to PyTorch eager: not measured (no CUDA EP row)');
print();
print(`| Deforum-default frame (${torch.frame_steps ?? '?'} img2img steps, strength 0.65) | s / frame | frames/s | sampler share |`);
print('|---|---|---|---|');
if (torch.frame_s) print(`| PyTorch pipeline from the same modules | ${torch.frame_s.toFixed(3)} | ${(1 / torch.frame_s).toFixed(2)} | — |`);
for (const file of readdirSync(out).filter((f) => /^render-.*\.jsonl$/.test(f)).sort()) {
  // the first frame is txt2img (no init image) and pays the warm-up; the rest are the steady state
  const frames = (lines(path.join(out, file)) as FrameEvent[]).filter((e) => e.type === 'frame' && e.frame > 0 && e.diffused);
  if (frames.length === 0) {
    print(`| deforum render, ${file.slice(7, -6)} | no frames | | |`);
    continue;
  }
  const seconds = median(frames.map((f) => f.seconds));
  const sampler = median(frames.map((f) => f.samplerSeconds / f.seconds));
  print(`| deforum render, ${file.slice(7, -6)} (${frames.length} frames) | ${seconds.toFixed(3)} | ${(1 / seconds).toFixed(2)} | ${(100 * sampler).toFixed(0)}% |`);
}

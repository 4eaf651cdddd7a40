/**
 * Milliseconds of the 3D warp (Deforum's anim_frame_warp_3d, src/motion/warp3d.ts) on a 512×512 RGB frame with a
 * MiDaS-like depth map, bicubic and bilinear, on the CPU; with `--deforum <checkout>` also Deforum's own torch warp of
 * the same frame size, motion and depth timed in the same run (through tools/fixtures/deforum_warp3d.py --time, Debian's
 * /usr/bin/python3 with PyTorch), and the ratio ours ÷ torch's (below 1× is faster).
 * Run: npx tsx bench/warp3d.ts [--deforum /path/to/sd-webui-deforum]
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SamplingMode } from '../src/motion/grid-sample.js';
import { warp3D } from '../src/motion/warp3d.js';
import type { RawImage } from '../src/raw-image.js';

const size = 512;
const runs = 15;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The same frame, depth and motion as `time_warps` in tools/fixtures/deforum_warp3d.py.
function frame(): RawImage {
  const data = new Uint8Array(size * size * 3);
  const tint = [1, 0.7, 0.4];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.trunc(128 + 100 * Math.sin(x / 40 + y / 60) * tint[c])));
  return { width: size, height: size, channels: 3, data };
}
const depth = Float32Array.from({ length: size * size }, (_, i) => 8 + 30 * (Math.floor(i / size) / size) ** 2 + Math.sin((i % size) / 3));
const motion = { translationX: -3, translationY: 2, translationZ: 10, rotationX: 1, rotationY: -1.5, rotationZ: 2, fov: 70, near: 200, far: 10000, aspectRatio: 1 };

/** Median wall milliseconds over `runs`, after warm-up (one thread, as the render loop runs it). */
function time(run: () => void): number {
  for (let i = 0; i < 3; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const img = frame();
const ours = Object.fromEntries(
  (['bicubic', 'bilinear'] as SamplingMode[]).map((sampling) => [sampling, time(() => warp3D(img, depth, motion, { depthAlgorithm: 'Midas-3-Hybrid', padding: 'border', sampling }))]),
) as Record<SamplingMode, number>;

const at = process.argv.indexOf('--deforum');
let torch: Record<string, number> | undefined;
if (at > 0) {
  const script = path.join(root, 'tools/fixtures/deforum_warp3d.py');
  const r = spawnSync('/usr/bin/python3', [script, '--deforum', process.argv[at + 1], '--time', String(size)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Deforum's warp could not be timed: ${r.stderr.trim().split('\n').pop()}`);
  torch = JSON.parse(r.stdout) as Record<string, number>;
}

console.log(`3D warp, ${size}×${size} RGB, depth-normalised (Midas-3-Hybrid), border padding; ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores`);
for (const sampling of ['bicubic', 'bilinear'] as const) {
  const line = [`warp3D ${sampling}`.padEnd(20), `${ours[sampling].toFixed(1)} ms (1 thread)`];
  for (const [key, ms] of Object.entries(torch ?? {}).filter(([k]) => k.startsWith(sampling))) {
    const threads = key.split('/')[1];
    line.push(`Deforum torch ${ms.toFixed(1)} ms (${threads} thread${threads === '1' ? '' : 's'}), ratio ${(ours[sampling] / ms).toFixed(2)}×`);
  }
  console.log(line.join('   '));
}
if (!torch) console.log("(pass --deforum /path/to/sd-webui-deforum to time Deforum's torch warp in the same run)");

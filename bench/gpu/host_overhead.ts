/**
 * Host-side work of one fp16 UNet call at SD 1.5's 512×512 shape (batch 2 × 4 × 64 × 64), which issue 8 wants under
 * 5% of the frame: the float32 → float16 conversion of the sample (src/sampler/onnx-model.ts floatTensor) and back for
 * the output (tensorFloats), median of 60 after warm-up. Prints one JSON line.
 * usage: node --import tsx bench/gpu/host_overhead.ts [--json FILE]
 */
import { appendFileSync } from 'node:fs';
import { fromHalf, toHalf } from '../../src/sampler/half-float.js';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const values = 2 * 4 * 64 * 64;
const sample = Float32Array.from({ length: values }, (_, i) => Math.sin(i) * 3);
const half = toHalf(sample);

function median(fn: () => unknown): number {
  for (let i = 0; i < 10; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return +times.sort((a, b) => a - b)[30].toFixed(3);
}

const row = { values, toHalfMs: median(() => toHalf(sample)), fromHalfMs: median(() => fromHalf(half)) };
console.log(JSON.stringify(row));
if (jsonAt !== -1) appendFileSync(args[jsonAt + 1], `${JSON.stringify(row)}\n`);

/**
 * The numeric core of the sampler: milliseconds per seeded latent (torch-exact randn of 4×64×64, the latent of a
 * 512×512 image), per sigma plan, and per sampler step on that latent with a free denoiser (the sampler's own cost).
 * Run: npx tsx bench/noise.ts
 */
import { TorchGenerator, randn } from '../src/sampler/noise.js';
import { sample } from '../src/sampler/samplers.js';
import { NoiseSchedule, planSigmas } from '../src/sampler/sigmas.js';

const NUMEL = 4 * 64 * 64;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const time = (fn: () => unknown, runs: number) =>
  median(Array.from({ length: runs }, () => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  }));

for (let seed = 0; seed < 10; seed++) randn(seed, [NUMEL]);
let seed = 100;
console.log(`randn(${NUMEL}):            ${time(() => randn(seed++, [NUMEL]), 100).toFixed(2)} ms`);

const schedule = new NoiseSchedule();
console.log(`NoiseSchedule (SD 1.x):   ${time(() => new NoiseSchedule(), 20).toFixed(2)} ms`);
for (const scheduler of ['automatic', 'karras', 'exponential'] as const) {
  console.log(`planSigmas 25 ${scheduler.padEnd(11)}: ${time(() => planSigmas({ steps: 25, sampler: 'euler', scheduler, strength: 0.65, schedule }), 50).toFixed(2)} ms`);
}

const sigmas = planSigmas({ steps: 25, sampler: 'euler', scheduler: 'automatic', schedule }).sigmas;
const generator = new TorchGenerator(1);
const x = generator.randn(NUMEL).map((v) => v * sigmas[0]);
for (const name of ['euler', 'euler_a', 'heun', 'dpmpp_2m', 'lms'] as const) {
  const start = performance.now();
  await sample(name, async (latent) => latent.map((v) => v * 0.5), x, sigmas, { randnLike: () => generator.randn(NUMEL) });
  console.log(`${name.padEnd(9)} 25 steps, no model: ${((performance.now() - start) / 25).toFixed(2)} ms/step`);
}

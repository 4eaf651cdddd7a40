/**
 * k-diffusion's samplers (k_diffusion/sampling.py @4601bf0) and A1111's own (DDIM, UniPC, Restart) as pure async
 * functions over a Denoiser: each takes the start latent and the sigma schedule and returns the final latent.
 * docs/sd-pipeline.md §3.3, §3.4.
 * Element arithmetic is done in double and stored as float32, so results agree with torch's float32 to rounding.
 */
import type { SamplerName } from './sampler-names.js';
import { karrasSigmas, type SigmaPlan } from './sigmas.js';
import { f32 } from '../numerics/torch-float32.js';
import type { Denoiser, NoiseSampler, SampleOptions } from './types.js';

export type SamplerRun = (denoiser: Denoiser, x: Float32Array, sigmas: readonly number[], options: SampleOptions) => Promise<Float32Array>;

/** Steps through a schedule, checking for cancellation and reporting progress around each step. */
async function forEachStep(sigmas: readonly number[], options: SampleOptions, step: (i: number, sigma: number, next: number) => Promise<void>): Promise<void> {
  const total = sigmas.length - 1;
  for (let i = 0; i < total; i++) {
    options.signal?.throwIfAborted();
    await step(i, sigmas[i], sigmas[i + 1]);
    options.onStep?.(i + 1, total);
  }
}

/** x + (x − denoised)/σ · dt: an Euler step along k-diffusion's `to_d`. */
function eulerStep(x: Float32Array, denoised: Float32Array, sigma: number, dt: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = x[j] + ((x[j] - denoised[j]) / sigma) * dt;
  return out;
}

/** `sample_euler` (s_churn 0). It still draws `randn_like` every step, so it uses up the noise stream. */
const euler: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    options.randnLike();
    x = eulerStep(x, await denoiser(x, sigma, i), sigma, next - sigma);
  });
  return x;
};

/** `get_ancestral_step`: the deterministic target σ_down and the noise σ_up to add (eta 0: no noise). */
function ancestralStep(from: number, to: number, eta = 1): { down: number; up: number } {
  if (!eta) return { down: to, up: 0 };
  const up = Math.min(to, eta * Math.sqrt((to ** 2 * (from ** 2 - to ** 2)) / from ** 2));
  return { down: Math.sqrt(to ** 2 - up ** 2), up };
}

/** x + noise·scale, stored as float32. */
function addNoise(x: Float32Array, noise: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = x[j] + noise[j] * scale;
  return out;
}

/** The ancestral samplers' `s_noise` and `eta` (A1111 defaults 1 and 1). */
const noiseScale = (options: SampleOptions) => options.sNoise ?? 1;
const etaOf = (options: SampleOptions) => options.eta ?? 1;

/** `sample_euler_ancestral` (s_noise, eta): Euler to σ_down, then fresh noise of σ_up (none on the last step). */
const eulerAncestral: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma, i);
    const { down, up } = ancestralStep(sigma, next, etaOf(options));
    x = eulerStep(x, denoised, sigma, down - sigma);
    if (next > 0) x = addNoise(x, options.randnLike(), noiseScale(options) * up);
  });
  return x;
};

/** A Heun step from σ to `next`: Euler predictor, trapezoid corrector; the step to σ = 0 is Euler (one call). */
async function heunStep(denoiser: Denoiser, x: Float32Array, sigma: number, next: number, step: number): Promise<Float32Array> {
  const denoised = await denoiser(x, sigma, step);
  const dt = next - sigma;
  const predicted = eulerStep(x, denoised, sigma, dt);
  if (next === 0) return predicted;
  const denoised2 = await denoiser(predicted, next, step);
  const out = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const d = (x[j] - denoised[j]) / sigma;
    const d2 = (predicted[j] - denoised2[j]) / next;
    out[j] = x[j] + ((d + d2) / 2) * dt;
  }
  return out;
}

/** `sample_heun` (s_churn 0): Heun steps. Draws `randn_like` every step, as k-diffusion's churn does. */
const heun: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    options.randnLike();
    x = await heunStep(denoiser, x, sigma, next, i);
  });
  return x;
};

/** `sample_dpmpp_2m`: second-order multistep in t = −log σ, first order on the first and the last step. */
const dpmpp2m: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  let previous: Float32Array | undefined;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma, i);
    const out = new Float32Array(x.length);
    if (next === 0) {
      out.set(denoised);
    } else {
      const h = Math.log(sigma) - Math.log(next);
      const ratio = next / sigma;
      const blend = -Math.expm1(-h);
      if (previous === undefined) {
        for (let j = 0; j < x.length; j++) out[j] = ratio * x[j] + blend * denoised[j];
      } else {
        const r = (Math.log(sigmas[i - 1]) - Math.log(sigma)) / h;
        const a = 1 + 1 / (2 * r);
        const b = 1 / (2 * r);
        for (let j = 0; j < x.length; j++) out[j] = ratio * x[j] + blend * (a * denoised[j] - b * previous[j]);
      }
    }
    previous = denoised;
    x = out;
  });
  return x;
};

/** The midpoint of σ and σ_to in log σ (`sigma.log().lerp(sigma_to.log(), 0.5).exp()`). */
const logMidpoint = (sigma: number, to: number) => Math.exp(Math.log(sigma) + 0.5 * (Math.log(to) - Math.log(sigma)));

/**
 * DPM-Solver-2 from σ to `to`: an Euler half step in log σ, then the full step along the derivative there (one more
 * denoiser call). The step to σ = 0 is plain Euler. Shared by `sample_dpm_2` and `sample_dpm_2_ancestral`.
 */
async function dpmSolver2Step(denoiser: Denoiser, x: Float32Array, denoised: Float32Array, sigma: number, to: number, step: number): Promise<Float32Array> {
  if (to === 0) return eulerStep(x, denoised, sigma, to - sigma);
  const mid = logMidpoint(sigma, to);
  const x2 = eulerStep(x, denoised, sigma, mid - sigma);
  const denoised2 = await denoiser(x2, mid, step);
  const out = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = x[j] + ((x2[j] - denoised2[j]) / mid) * (to - sigma);
  return out;
}

/** `sample_dpm_2` (s_churn 0): DPM-Solver-2 steps. Draws `randn_like` every step, as k-diffusion's churn does. */
const dpm2: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    options.randnLike();
    x = await dpmSolver2Step(denoiser, x, await denoiser(x, sigma, i), sigma, next, i);
  });
  return x;
};

/** `sample_dpm_2_ancestral`: DPM-Solver-2 to σ_down, then noise of σ_up (not after an Euler step to 0). */
const dpm2Ancestral: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma, i);
    const { down, up } = ancestralStep(sigma, next, etaOf(options));
    x = await dpmSolver2Step(denoiser, x, denoised, sigma, down, i);
    if (down !== 0) x = addNoise(x, options.randnLike(), noiseScale(options) * up);
  });
  return x;
};

/** The exponential-integrator step of DPM-Solver++ from σ to `to`: (to/σ)·x − expm1(−h)·D, h = log σ − log to. */
function dataStep(x: Float32Array, denoised: Float32Array, sigma: number, to: number): Float32Array {
  const ratio = to / sigma;
  const blend = -Math.expm1(Math.log(to) - Math.log(sigma));
  const out = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = ratio * x[j] + blend * denoised[j];
  return out;
}

/** `sample_dpmpp_2s_ancestral`: DPM-Solver++(2S) to σ_down through its log-σ midpoint, then noise of σ_up. */
const dpmpp2sAncestral: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma, i);
    const { down, up } = ancestralStep(sigma, next, etaOf(options));
    if (down === 0) {
      x = eulerStep(x, denoised, sigma, down - sigma);
    } else {
      const mid = logMidpoint(sigma, down);
      const denoised2 = await denoiser(dataStep(x, denoised, sigma, mid), mid, i);
      x = dataStep(x, denoised2, sigma, down);
    }
    if (next > 0) x = addNoise(x, options.randnLike(), noiseScale(options) * up);
  });
  return x;
};

function brownianNoise(options: SampleOptions): NoiseSampler {
  if (!options.brownianNoise) throw new Error('an SDE sampler needs the Brownian noise of its image (options.brownianNoise)');
  return options.brownianNoise;
}

/**
 * `sample_dpmpp_sde` (r = ½): per step an ancestral DPM-Solver++ half step to the log-σ midpoint s, a denoiser call
 * there, and the full step from σ with the average of both estimates, each with its Brownian noise. Euler to σ = 0.
 */
const dpmppSde: SamplerRun = async (denoiser, start, sigmas, options) => {
  const noise = brownianNoise(options);
  const eta = etaOf(options);
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma, i);
    if (next === 0) {
      x = eulerStep(x, denoised, sigma, next - sigma);
      return;
    }
    const mid = logMidpoint(sigma, next);
    const half = ancestralStep(sigma, mid, eta);
    const x2 = addNoise(dataStep(x, denoised, sigma, half.down), noise(sigma, mid), noiseScale(options) * half.up);
    const denoised2 = await denoiser(x2, mid, i);
    const full = ancestralStep(sigma, next, eta);
    // (1 − fac)·D + fac·D₂ with fac = 1/(2r) = 1: the full step uses the midpoint estimate alone.
    x = addNoise(dataStep(x, denoised2, sigma, full.down), noise(sigma, next), noiseScale(options) * full.up);
  });
  return x;
};

/**
 * `sample_dpmpp_2m_sde`: DPM-Solver++(2M) with eta·h of fresh Brownian noise per step; the second-order correction
 * from the previous estimate is the `midpoint` (A1111's "DPM++ 2M SDE") or `heun` ("DPM++ 2M SDE Heun") form.
 */
function dpmpp2mSde(solver: 'midpoint' | 'heun'): SamplerRun {
  return async (denoiser, start, sigmas, options) => {
    const noise = brownianNoise(options);
    const eta = etaOf(options);
    let x = start;
    let previous: Float32Array | undefined;
    let hLast = 0;
    await forEachStep(sigmas, options, async (i, sigma, next) => {
      const denoised = await denoiser(x, sigma, i);
      if (next === 0) {
        x = denoised;
        return;
      }
      const h = Math.log(sigma) - Math.log(next);
      const etaH = eta * h;
      const decay = (next / sigma) * Math.exp(-etaH);
      const blend = -Math.expm1(-h - etaH);
      const correction = previous === undefined ? 0 : (solver === 'heun' ? blend / (-h - etaH) + 1 : 0.5 * blend) * (h / hLast);
      const sigmaNoise = eta ? next * Math.sqrt(-Math.expm1(-2 * etaH)) * noiseScale(options) : 0;
      const z = eta ? noise(sigma, next) : undefined;
      const out = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) {
        let v = decay * x[j] + blend * denoised[j];
        if (previous) v += correction * (denoised[j] - previous[j]);
        out[j] = z ? v + z[j] * sigmaNoise : v;
      }
      x = out;
      previous = denoised;
      hLast = h;
    });
    return x;
  };
}

/** `sample_dpmpp_3m_sde`: third-order multistep over the last three estimates, with Brownian noise per step. */
const dpmpp3mSde: SamplerRun = async (denoiser, start, sigmas, options) => {
  const noise = brownianNoise(options);
  const eta = etaOf(options);
  let x = start;
  let d1: Float32Array | undefined;
  let d2: Float32Array | undefined;
  let h1 = 0;
  let h2 = 0;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma, i);
    if (next === 0) {
      x = denoised;
      return;
    }
    const h = Math.log(sigma) - Math.log(next);
    const hEta = h * (eta + 1);
    const decay = Math.exp(-hEta);
    const blend = -Math.expm1(-hEta);
    const phi2 = Math.expm1(-hEta) / hEta + 1;
    const phi3 = phi2 / hEta - 0.5;
    const sigmaNoise = eta ? next * Math.sqrt(-Math.expm1(-2 * h * eta)) * noiseScale(options) : 0;
    const z = eta ? noise(sigma, next) : undefined;
    const out = new Float32Array(x.length);
    for (let j = 0; j < x.length; j++) {
      let v = decay * x[j] + blend * denoised[j];
      if (d1 && d2) {
        const r0 = h1 / h;
        const r1 = h2 / h;
        const slope0 = (denoised[j] - d1[j]) / r0;
        const slope1 = (d1[j] - d2[j]) / r1;
        const first = slope0 + ((slope0 - slope1) * r0) / (r0 + r1);
        const second = (slope0 - slope1) / (r0 + r1);
        v += phi2 * first - phi3 * second;
      } else if (d1) {
        v += phi2 * ((denoised[j] - d1[j]) / (h1 / h));
      }
      out[j] = z ? v + z[j] * sigmaNoise : v;
    }
    x = out;
    [d1, d2] = [denoised, d1];
    [h1, h2] = [h, h1];
  });
  return x;
};

/** Index of the level nearest to `target` (the first on a tie), as `torch.argmin(abs(sigmas - target))`. */
function nearestIndex(sigmas: readonly number[], target: number): number {
  let best = 0;
  for (let i = 1; i < sigmas.length; i++) if (Math.abs(sigmas[i] - target) < Math.abs(sigmas[best] - target)) best = i;
  return best;
}

/**
 * The steps of A1111's `restart_sampler` (sd_samplers_extra.py) with its automatic restart list: from 20 steps on, the
 * schedule is remade as Karras over [σ_{n−1}, σ_0] with the restart steps taken out, and after the level nearest 0.1
 * the levels from the one nearest 2 down to it are run again (9 steps once; from 36 steps, steps/4 twice).
 */
export function restartSteps(sigmas: readonly number[]): Array<[number, number]> {
  const steps = sigmas.length - 1;
  let levels = sigmas;
  let restart: { at: number; steps: number; times: number; max: number } | undefined;
  if (steps >= 20) {
    const [count, times] = steps >= 36 ? [Math.floor(steps / 4), 2] : [9, 1];
    levels = karrasSigmas(steps - count * times, sigmas[sigmas.length - 2], sigmas[0]);
    restart = { at: nearestIndex(levels, 0.1), steps: count + 1, times, max: 2 };
  }
  const list: Array<[number, number]> = [];
  for (let i = 0; i < levels.length - 1; i++) {
    list.push([levels[i], levels[i + 1]]);
    if (restart && i + 1 === restart.at) {
      const maxIndex = nearestIndex(levels, restart.max);
      if (maxIndex >= restart.at) continue;
      const again = karrasSigmas(restart.steps, levels[restart.at], levels[maxIndex]).slice(0, -1);
      for (let time = 0; time < restart.times; time++) for (let k = 0; k < again.length - 1; k++) list.push([again[k], again[k + 1]]);
    }
  }
  return list;
}

/**
 * A1111's Restart sampler: Heun steps (Euler to σ = 0) along `restartSteps`; where a step starts above where the last
 * one ended, it first adds `randn_like` noise of √(σ² − σ_last²)·s_noise to climb back up.
 */
const restart: SamplerRun = async (denoiser, start, sigmas, options) => {
  const steps = restartSteps(sigmas);
  let x = start;
  let last: number | undefined;
  for (const [i, [sigma, next]] of steps.entries()) {
    options.signal?.throwIfAborted();
    if (last !== undefined && last < sigma) x = addNoise(x, options.randnLike(), noiseScale(options) * Math.sqrt(sigma ** 2 - last ** 2));
    x = await heunStep(denoiser, x, sigma, next, i);
    last = next;
    options.onStep?.(i + 1, steps.length);
  }
  return x;
};

/** Solves the small system A·x = b (UniPC's ≤ 3×3 `torch.linalg.solve`) by Gaussian elimination with pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row.slice(0, n), b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = col + 1; r < n; r++) {
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let c = r + 1; c < n; c++) s -= m[r][c] * x[c];
    x[r] = s / m[r][r];
  }
  return x;
}

/** UniPC's view of the levels (see `unipc`): α, the half log-SNR λ and the model's x0 at a VP state of level i. */
interface UniPcLevels {
  sigmas: readonly number[];
  alpha: number[];
  lambda: number[];
  model: (xv: Float32Array, level: number) => Promise<Float32Array>;
}

/** The bh1 system of `multistep_uni_pc_bh_update`: rows rkᵢ^(k−1) and right-hand side φ-terms over B(h) = h. */
function uniPcSystem(rks: readonly number[], h: number, stepOrder: number): { r: number[][]; b: number[]; hPhi1: number; bH: number } {
  const hh = -h;
  const hPhi1 = Math.expm1(hh);
  const bH = hh; // bh1: B(h) = h
  const r: number[][] = [];
  const b: number[] = [];
  let hPhiK = hPhi1 / hh - 1;
  let factorial = 1;
  for (let i = 1; i <= stepOrder; i++) {
    r.push(rks.map((rk) => rk ** (i - 1)));
    b.push((hPhiK * factorial) / bH);
    factorial *= i + 1;
    hPhiK = hPhiK / hh - 1 / factorial;
  }
  return { r, b, hPhi1, bH };
}

/** `multistep_uni_pc_bh_update` from the levels `previous` (oldest first) and their estimates to level t. */
async function uniPcUpdate(levels: UniPcLevels, x: Float32Array, estimates: Float32Array[], previous: number[], t: number, stepOrder: number, corrector: boolean) {
  const { sigmas, alpha, lambda } = levels;
  const last = previous.length - 1;
  const p0 = previous[last];
  const m0 = estimates[last];
  const h = lambda[t] - lambda[p0];
  const rks: number[] = [];
  const d1s: Float32Array[] = [];
  for (let i = 1; i < stepOrder; i++) {
    const rk = (lambda[previous[last - i]] - lambda[p0]) / h;
    rks.push(rk);
    d1s.push(estimates[last - i].map((v, j) => (v - m0[j]) / rk));
  }
  rks.push(1);
  const { r, b, hPhi1, bH } = uniPcSystem(rks, h, stepOrder);
  const rhosP = d1s.length === 0 ? [] : stepOrder === 2 ? [0.5] : solve(r.slice(0, -1).map((row) => row.slice(0, -1)), b.slice(0, -1));
  const ratio = (sigmas[t] * alpha[t]) / (sigmas[p0] * alpha[p0]);
  const base = x.map((v, j) => ratio * v - alpha[t] * hPhi1 * m0[j]);
  const weighted = (rhos: number[], j: number) => rhos.reduce((sum, rho, k) => sum + rho * d1s[k][j], 0);
  const predicted = base.map((v, j) => v - alpha[t] * bH * weighted(rhosP, j));
  if (!corrector) return { x: predicted, estimate: undefined };
  const rhosC = stepOrder === 1 ? [0.5] : solve(r, b);
  const estimate = await levels.model(predicted, t);
  const corrected = base.map((v, j) => v - alpha[t] * bH * (weighted(rhosC.slice(0, -1), j) + rhosC[rhosC.length - 1] * (estimate[j] - m0[j])));
  return { x: corrected, estimate };
}

/**
 * A1111's UniPC (`uni_pc.py`: multistep, variant bh1, order 3, lower order final, data prediction) in the VP space it
 * runs in, over the levels `planSigmas` made from its continuous times: at level σ (k-diffusion's), α = 1/√(1+σ²),
 * the VP std is σ·α and the half log-SNR λ = −log σ; the model's x0 is the Denoiser at x_vp/α. The state comes in and
 * goes out divided by α, as the other timestep sampler (DDIM). A1111 asserts steps ≥ order; here order ≤ steps.
 */
const unipc: SamplerRun = async (denoiser, start, sigmas, options) => {
  const steps = sigmas.length - 1;
  if (steps < 1) return start;
  const alpha = sigmas.map((s) => 1 / Math.sqrt(1 + s * s));
  // the denoiser sees how many steps have been reported, as it does for the other samplers
  let done = 0;
  const levels: UniPcLevels = { sigmas, alpha, lambda: sigmas.map((s) => -Math.log(s)), model: (xv, i) => denoiser(xv.map((v) => v / alpha[i]), sigmas[i], done) };
  const order = Math.min(3, steps);
  let x = start.map((v) => v * alpha[0]);
  const estimates = [await levels.model(x, 0)];
  const previous = [0];
  const report = () => {
    options.signal?.throwIfAborted();
    options.onStep?.(++done, steps);
  };
  for (let t = 1; t < order; t++) {
    const next = await uniPcUpdate(levels, x, estimates, previous, t, t, true);
    x = next.x;
    estimates.push(next.estimate ?? (await levels.model(x, t)));
    previous.push(t);
    report();
  }
  for (let t = order; t <= steps; t++) {
    const next = await uniPcUpdate(levels, x, estimates, previous, t, Math.min(order, steps + 1 - t), t !== steps);
    x = next.x;
    estimates.shift();
    previous.shift();
    previous.push(t);
    estimates.push(next.estimate ?? estimates[estimates.length - 1]);
    report();
  }
  return x.map((v) => v / alpha[steps]);
};

/** `sample_lcm` (A1111's sd_samplers_lcm): each step jumps to the estimate, then noises it afresh to the next level. */
const lcm: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma, i);
    x = next > 0 ? addNoise(denoised, options.randnLike(), next) : denoised;
  });
  return x;
};

/**
 * LCM's boundary condition on the estimate (`LCMCompVisDenoiser.get_scaled_out`, σ_data 0.5): c_out·D + c_skip·x at
 * the scaled timestep 10·t, t the quantised timestep the plan gives the level.
 */
function lcmBoundary(denoiser: Denoiser, plan: SigmaPlan): Denoiser {
  const timestepOf = new Map(plan.timesteps.map((t, i) => [plan.sigmas[i], t]));
  return async (x, sigma, step) => {
    const denoised = await denoiser(x, sigma, step);
    const scaled = 10 * (timestepOf.get(sigma) ?? 0);
    const cSkip = 0.25 / (scaled ** 2 + 0.25);
    const cOut = scaled / Math.sqrt(scaled ** 2 + 0.25);
    return denoised.map((d, j) => cOut * d + cSkip * x[j]);
  };
}

// 4-point Gauss–Legendre: exact for the degree ≤ 3 Lagrange polynomials of order-4 LMS.
const GAUSS_NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GAUSS_WEIGHTS = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/** `linear_multistep_coeff`: ∫ from σ_i to σ_{i+1} of the Lagrange basis polynomial of σ_{i−j} over σ_{i−order+1..i}. */
export function lmsCoefficient(order: number, sigmas: readonly number[], i: number, j: number): number {
  const basis = (tau: number): number => {
    let product = 1;
    for (let k = 0; k < order; k++) {
      if (k !== j) product *= (tau - sigmas[i - k]) / (sigmas[i - j] - sigmas[i - k]);
    }
    return product;
  };
  const [a, b] = [sigmas[i], sigmas[i + 1]];
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  return half * GAUSS_NODES.reduce((sum, node, k) => sum + GAUSS_WEIGHTS[k] * basis(mid + half * node), 0);
}

/** `sample_lms` (order 4): a linear multistep over the last ≤ 4 derivatives. */
const lms: SamplerRun = async (denoiser, start, sigmas, options) => {
  const order = 4;
  let x = start;
  const derivatives: Float32Array[] = [];
  await forEachStep(sigmas, options, async (i, sigma) => {
    const denoised = await denoiser(x, sigma, i);
    const d = new Float32Array(x.length);
    for (let j = 0; j < x.length; j++) d[j] = (x[j] - denoised[j]) / sigma;
    derivatives.push(d);
    if (derivatives.length > order) derivatives.shift();
    const current = Math.min(i + 1, order);
    const coefficients = Array.from({ length: current }, (_, j) => lmsCoefficient(current, sigmas, i, j));
    const out = new Float32Array(x.length);
    for (let e = 0; e < x.length; e++) {
      let sum = 0;
      for (let j = 0; j < current; j++) sum += coefficients[j] * derivatives[derivatives.length - 1 - j][e];
      out[e] = x[e] + sum;
    }
    x = out;
  });
  return x;
};

/**
 * A1111's DDIM at eta 0 in σ space (see `planSigmas`): x_prev = D + σ_prev·(x − D)/σ, which is
 * √ᾱ_prev·pred_x0 + √(1−ᾱ_prev)·ε divided by √ᾱ_prev. A1111 draws `randn_like` on every step even at eta 0.
 */
const ddim: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma, i);
    options.randnLike();
    const out = new Float32Array(x.length);
    const ratio = next / sigma;
    for (let j = 0; j < x.length; j++) out[j] = denoised[j] + (x[j] - denoised[j]) * ratio;
    x = out;
  });
  return x;
};

/** The samplers deforum-ts ships, with A1111's options for each (v1.9 `samplers_k_diffusion`, §3.2). */
/** Each sampler's math by name; what A1111 knows of each besides is `SAMPLER_TRAITS` (sampler-table.ts). */
export const SAMPLER_RUNS: Record<SamplerName, SamplerRun> = {
  euler: euler,
  euler_a: eulerAncestral,
  heun: heun,
  dpmpp_2m: dpmpp2m,
  lms: lms,
  ddim: ddim,
  dpm2: dpm2,
  dpm2_a: dpm2Ancestral,
  dpmpp_2s_a: dpmpp2sAncestral,
  dpmpp_sde: dpmppSde,
  dpmpp_2m_sde: dpmpp2mSde('midpoint'),
  dpmpp_2m_sde_heun: dpmpp2mSde('heun'),
  lcm: lcm,
  unipc: unipc,
  restart: restart,
  dpmpp_3m_sde: dpmpp3mSde,
};

/** Runs a sampler from latent x over a sigma schedule; x is not modified. */
export function sample(name: SamplerName, denoiser: Denoiser, x: Float32Array, sigmas: readonly number[], options: SampleOptions): Promise<Float32Array> {
  return SAMPLER_RUNS[name](denoiser, x, sigmas, options);
}

/**
 * Runs a planned txt2img or img2img pass: builds the start latent from the noise (and the init latent for img2img,
 * `init + noise·σ₀` rounded as torch rounds it), samples, and returns the latent the VAE decodes. An img2img
 * `noiseMultiplier` ≠ 1 first scales the noise in float32, as A1111's `x *= initial_noise_multiplier` (§4.2).
 */
export async function samplePlan(
  plan: SigmaPlan,
  denoiser: Denoiser,
  latents: { noise: Float32Array; init?: Float32Array; noiseMultiplier?: number },
  options: SampleOptions,
): Promise<Float32Array> {
  const { noiseMultiplier = 1 } = latents;
  const { init: initScale, noise: noiseScale } = plan.start;
  if (initScale !== 0 && latents.init === undefined) throw new Error('an img2img plan needs the init latent');
  const init = latents.init ?? new Float32Array(latents.noise.length);
  const noise = noiseMultiplier === 1 ? latents.noise : latents.noise.map((v) => v * noiseMultiplier);
  if (init.length !== noise.length) throw new Error(`init latent has ${init.length} values, noise ${noise.length}`);
  const x = new Float32Array(noise.length);
  for (let j = 0; j < x.length; j++) x[j] = init[j] * initScale + f32(noise[j] * noiseScale);
  const model = plan.sampler === 'lcm' ? lcmBoundary(denoiser, plan) : denoiser;
  const result = await sample(plan.sampler, model, x, plan.sigmas, options);
  if (plan.finalScale === 1) return result;
  return result.map((v) => v * plan.finalScale);
}

/**
 * What AUTOMATIC1111 knows of each sampler besides its math (v1.9 `samplers_k_diffusion` options, docs/sd-pipeline.md
 * §3.2): the sigma planner and the pipeline read these; the math is `SAMPLER_RUNS` (samplers.ts).
 */
import type { SamplerName } from './sampler-names.js';

/** A resolved sigma spacing; A1111's "Automatic" picks one per sampler (`defaultScheduler`). */
export type SigmaSpacing = 'uniform' | 'karras' | 'exponential';

export interface SamplerTraits {
  /** Two denoiser calls per step: A1111 counts prompt-edit steps over 2·steps for these (§1.1). */
  secondOrder: boolean;
  /** What A1111's "Automatic" scheduler means for this sampler (v1.9 table, §3.2). */
  defaultScheduler: SigmaSpacing;
  /** `k`: runs over a sigma schedule; `timestep`: A1111's timestep samplers (DDIM, UniPC), planned from DDPM timesteps. */
  kind: 'k' | 'timestep';
  /** A1111's `discard_next_to_last_sigma`: one more σ level is planned and the next-to-last dropped (§3.2). */
  discardNextToLastSigma: boolean;
  /** Its noise comes from a Brownian tree over the schedule's σ range, seeded by the image seed (`brownian_noise`). */
  brownianNoise: boolean;
}

export const SAMPLER_TRAITS: Record<SamplerName, SamplerTraits> = {
  euler: { secondOrder: false, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false, brownianNoise: false },
  euler_a: { secondOrder: false, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false, brownianNoise: false },
  heun: { secondOrder: true, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false, brownianNoise: false },
  dpmpp_2m: { secondOrder: false, defaultScheduler: 'karras', kind: 'k', discardNextToLastSigma: false, brownianNoise: false },
  lms: { secondOrder: false, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false, brownianNoise: false },
  ddim: { secondOrder: false, defaultScheduler: 'uniform', kind: 'timestep', discardNextToLastSigma: false, brownianNoise: false },
  dpm2: { secondOrder: true, defaultScheduler: 'karras', kind: 'k', discardNextToLastSigma: true, brownianNoise: false },
  dpm2_a: { secondOrder: true, defaultScheduler: 'karras', kind: 'k', discardNextToLastSigma: true, brownianNoise: false },
  dpmpp_2s_a: { secondOrder: true, defaultScheduler: 'karras', kind: 'k', discardNextToLastSigma: false, brownianNoise: false },
  dpmpp_sde: { secondOrder: true, defaultScheduler: 'karras', kind: 'k', discardNextToLastSigma: false, brownianNoise: true },
  dpmpp_2m_sde: { secondOrder: false, defaultScheduler: 'exponential', kind: 'k', discardNextToLastSigma: false, brownianNoise: true },
  dpmpp_2m_sde_heun: { secondOrder: false, defaultScheduler: 'exponential', kind: 'k', discardNextToLastSigma: false, brownianNoise: true },
  lcm: { secondOrder: false, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false, brownianNoise: false },
  unipc: { secondOrder: false, defaultScheduler: 'uniform', kind: 'timestep', discardNextToLastSigma: false, brownianNoise: false },
  restart: { secondOrder: true, defaultScheduler: 'karras', kind: 'k', discardNextToLastSigma: false, brownianNoise: false },
  dpmpp_3m_sde: { secondOrder: false, defaultScheduler: 'exponential', kind: 'k', discardNextToLastSigma: true, brownianNoise: true },
};

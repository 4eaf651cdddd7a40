/**
 * Sampler names users may write, canonical (`euler_a`, `dpmpp_2m_karras`) or AUTOMATIC1111's display names
 * ("Euler a", "DPM++ 2M Karras"), matched case-insensitively (sd-pipeline.md §3.2). A name without a scheduler
 * resolves to `automatic`, which means the sampler's own default as in A1111 ≥ 1.9 (DPM++ 2M → Karras).
 */
export const samplerNames = ['euler', 'euler_a', 'heun', 'lms', 'dpmpp_2m', 'ddim'] as const;
export type SamplerName = (typeof samplerNames)[number];

export const schedulerNames = ['automatic', 'karras', 'exponential'] as const;
export type SchedulerName = (typeof schedulerNames)[number];

export interface ResolvedSampler {
  sampler: SamplerName;
  scheduler: SchedulerName;
}

const displayNames: Record<SamplerName, string> = {
  euler: 'Euler',
  euler_a: 'Euler a',
  heun: 'Heun',
  lms: 'LMS',
  dpmpp_2m: 'DPM++ 2M',
  ddim: 'DDIM',
};

/** Samplers that take a Karras sigma schedule by name (A1111 listed "LMS Karras" etc. before 1.9). */
const karrasCapable: SamplerName[] = ['euler', 'heun', 'lms', 'dpmpp_2m'];

const table = new Map<string, ResolvedSampler>();
for (const sampler of samplerNames) {
  table.set(sampler, { sampler, scheduler: 'automatic' });
  table.set(displayNames[sampler].toLowerCase(), { sampler, scheduler: 'automatic' });
}
for (const sampler of karrasCapable) {
  table.set(`${sampler}_karras`, { sampler, scheduler: 'karras' });
  table.set(`${displayNames[sampler]} Karras`.toLowerCase(), { sampler, scheduler: 'karras' });
}

/** The original Deforum notebook's and k-diffusion's spellings, met in old settings files. */
const aliases: Record<string, SamplerName> = {
  euler_ancestral: 'euler_a',
  k_euler_a: 'euler_a',
  k_euler_ancestral: 'euler_a',
  k_euler: 'euler',
  klms: 'lms',
  k_lms: 'lms',
  k_heun: 'heun',
  k_dpmpp_2m: 'dpmpp_2m',
};
for (const [alias, sampler] of Object.entries(aliases)) table.set(alias, { sampler, scheduler: 'automatic' });

/** Every accepted spelling, for error messages and the JSON Schema. */
export const acceptedSamplerNames: string[] = [
  ...samplerNames,
  ...karrasCapable.map((s) => `${s}_karras`),
  ...samplerNames.map((s) => displayNames[s]),
  ...karrasCapable.map((s) => `${displayNames[s]} Karras`),
  ...Object.keys(aliases),
];

export function resolveSamplerName(name: string): ResolvedSampler | undefined {
  return table.get(name.trim().replace(/\s+/g, ' ').toLowerCase());
}

/** The canonical spelling of a resolved sampler (`dpmpp_2m_karras`). */
export function canonicalSamplerName({ sampler, scheduler }: ResolvedSampler): string {
  return scheduler === 'automatic' ? sampler : `${sampler}_${scheduler}`;
}

export function unknownSamplerMessage(name: string): string {
  return `unknown sampler '${name}' (valid: ${acceptedSamplerNames.join(', ')})`;
}

/**
 * Sampler names users may write, canonical (`euler_a`, `dpmpp_2m_karras`) or AUTOMATIC1111's display names
 * ("Euler a", "DPM++ 2M Karras"), matched case-insensitively (docs/sd-pipeline.md §3.2). A name without a scheduler
 * resolves to `automatic`, which means the sampler's own default as in A1111 ≥ 1.9 (DPM++ 2M → Karras).
 */
export const samplerNames = [
  'euler', 'euler_a', 'heun', 'lms', 'dpmpp_2m', 'ddim',
  'dpm2', 'dpm2_a', 'dpmpp_2s_a', 'dpmpp_sde', 'dpmpp_2m_sde', 'dpmpp_2m_sde_heun', 'dpmpp_3m_sde', 'restart', 'unipc', 'lcm',
] as const;
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
  dpm2: 'DPM2',
  dpm2_a: 'DPM2 a',
  dpmpp_2s_a: 'DPM++ 2S a',
  dpmpp_sde: 'DPM++ SDE',
  dpmpp_2m_sde: 'DPM++ 2M SDE',
  dpmpp_2m_sde_heun: 'DPM++ 2M SDE Heun',
  dpmpp_3m_sde: 'DPM++ 3M SDE',
  restart: 'Restart',
  unipc: 'UniPC',
  lcm: 'LCM',
};

/**
 * The samplers A1111 listed with a schedule in the name before 1.9 ("LMS Karras", "DPM++ 2M SDE Exponential"); the
 * "… Karras" of Euler and Heun are deforum-ts spellings for the same choice.
 */
const namedSchedules: Record<Exclude<SchedulerName, 'automatic'>, readonly SamplerName[]> = {
  karras: ['euler', 'heun', 'lms', 'dpmpp_2m', 'dpm2', 'dpm2_a', 'dpmpp_2s_a', 'dpmpp_sde', 'dpmpp_2m_sde', 'dpmpp_2m_sde_heun', 'dpmpp_3m_sde'],
  exponential: ['dpmpp_2m_sde', 'dpmpp_2m_sde_heun', 'dpmpp_3m_sde'],
};

const capitalised = { karras: 'Karras', exponential: 'Exponential' } as const;

const table = new Map<string, ResolvedSampler>();
const spellings: string[] = [];
function accept(name: string, resolved: ResolvedSampler): void {
  table.set(name.toLowerCase(), resolved);
  spellings.push(name);
}
for (const sampler of samplerNames) accept(sampler, { sampler, scheduler: 'automatic' });
for (const [scheduler, samplers] of Object.entries(namedSchedules) as Array<[keyof typeof namedSchedules, readonly SamplerName[]]>) {
  for (const sampler of samplers) accept(`${sampler}_${scheduler}`, { sampler, scheduler });
}
for (const sampler of samplerNames) accept(displayNames[sampler], { sampler, scheduler: 'automatic' });
for (const [scheduler, samplers] of Object.entries(namedSchedules) as Array<[keyof typeof namedSchedules, readonly SamplerName[]]>) {
  for (const sampler of samplers) accept(`${displayNames[sampler]} ${capitalised[scheduler]}`, { sampler, scheduler });
}

/** The original Deforum notebook's, k-diffusion's and A1111's alias spellings, met in old settings files. */
const aliases: Record<string, SamplerName | ResolvedSampler> = {
  euler_ancestral: 'euler_a',
  k_euler_a: 'euler_a',
  k_euler_ancestral: 'euler_a',
  k_euler: 'euler',
  klms: 'lms',
  k_lms: 'lms',
  k_heun: 'heun',
  k_dpmpp_2m: 'dpmpp_2m',
  dpm2_ancestral: 'dpm2_a',
  k_dpm_2: 'dpm2',
  k_dpm_2_a: 'dpm2_a',
  k_dpm_2_ancestral: 'dpm2_a',
  k_dpmpp_2s_a: 'dpmpp_2s_a',
  k_dpmpp_sde: 'dpmpp_sde',
  k_dpmpp_2m_sde: 'dpmpp_2m_sde',
  k_dpmpp_2m_sde_heun: 'dpmpp_2m_sde_heun',
  k_dpmpp_3m_sde: 'dpmpp_3m_sde',
  k_lcm: 'lcm',
  k_lms_ka: { sampler: 'lms', scheduler: 'karras' },
  k_dpm_2_ka: { sampler: 'dpm2', scheduler: 'karras' },
  k_dpm_2_a_ka: { sampler: 'dpm2_a', scheduler: 'karras' },
  k_dpmpp_2s_a_ka: { sampler: 'dpmpp_2s_a', scheduler: 'karras' },
  k_dpmpp_2m_ka: { sampler: 'dpmpp_2m', scheduler: 'karras' },
  k_dpmpp_sde_ka: { sampler: 'dpmpp_sde', scheduler: 'karras' },
  k_dpmpp_2m_sde_ka: { sampler: 'dpmpp_2m_sde', scheduler: 'karras' },
};
for (const [alias, target] of Object.entries(aliases)) accept(alias, typeof target === 'string' ? { sampler: target, scheduler: 'automatic' } : target);

/** Every accepted spelling, for error messages and the JSON Schema. */
export const acceptedSamplerNames: readonly string[] = spellings;

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

/**
 * The A1111 sampler list that Deforum's extension stored as an index (`"sampler": 0`) from its start in October 2022
 * until it switched to names on 2022-11-23 (sd-webui-deforum 954777d, after A1111 cdc8020): `samplers_for_img2img`,
 * the k-diffusion samplers then DDIM (PLMS hidden for img2img). This is the list as it stood at the switch; the
 * DPM++ entries (6–8, 14–16) were added during that time, so an index from before early November 2022 above 5 meant
 * the sampler that later moved down the list.
 */
const indexEraSamplers = [
  'Euler a', 'Euler', 'LMS', 'Heun', 'DPM2', 'DPM2 a', 'DPM++ 2S a', 'DPM++ 2M', 'DPM++ SDE', 'DPM fast', 'DPM adaptive',
  'LMS Karras', 'DPM2 Karras', 'DPM2 a Karras', 'DPM++ 2S a Karras', 'DPM++ 2M Karras', 'DPM++ SDE Karras', 'DDIM',
] as const;

/**
 * The A1111 display name an old settings file's sampler index stood for, or undefined outside the list. The name may
 * still be one deforum-ts does not run ("DPM fast"): resolve it with `resolveSamplerName`.
 */
export function samplerFromIndex(index: number): string | undefined {
  return Number.isInteger(index) ? indexEraSamplers[index] : undefined;
}

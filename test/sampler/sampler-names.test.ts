import { describe, expect, it } from 'vitest';
import { acceptedSamplerNames, canonicalSamplerName, resolveSamplerName, samplerFromIndex, unknownSamplerMessage } from '../../src/sampler/sampler-names.js';

describe('resolveSamplerName', () => {
  it.each([
    ['euler', 'euler', 'automatic'],
    ['euler_a', 'euler_a', 'automatic'],
    ['heun', 'heun', 'automatic'],
    ['dpmpp_2m', 'dpmpp_2m', 'automatic'],
    ['dpmpp_2m_karras', 'dpmpp_2m', 'karras'],
    ['lms', 'lms', 'automatic'],
    ['ddim', 'ddim', 'automatic'],
    ['lms_karras', 'lms', 'karras'],
    ['heun_karras', 'heun', 'karras'],
    ['euler_karras', 'euler', 'karras'],
    ['Euler a', 'euler_a', 'automatic'],
    ['DPM++ 2M Karras', 'dpmpp_2m', 'karras'],
    ['DPM++ 2M', 'dpmpp_2m', 'automatic'],
    ['LMS', 'lms', 'automatic'],
    ['Heun', 'heun', 'automatic'],
    ['DDIM', 'ddim', 'automatic'],
    ['Euler', 'euler', 'automatic'],
    ['  euler A ', 'euler_a', 'automatic'],
    ['dpm++ 2m karras', 'dpmpp_2m', 'karras'],
    ['DPM++ SDE', 'dpmpp_sde', 'automatic'],
    ['DPM++ SDE Karras', 'dpmpp_sde', 'karras'],
    ['dpmpp_sde_karras', 'dpmpp_sde', 'karras'],
    ['DPM++ 2M SDE', 'dpmpp_2m_sde', 'automatic'],
    ['DPM++ 2M SDE Karras', 'dpmpp_2m_sde', 'karras'],
    ['DPM++ 2M SDE Exponential', 'dpmpp_2m_sde', 'exponential'],
    ['dpmpp_2m_sde_exponential', 'dpmpp_2m_sde', 'exponential'],
    ['DPM++ 2M SDE Heun', 'dpmpp_2m_sde_heun', 'automatic'],
    ['DPM++ 2M SDE Heun Karras', 'dpmpp_2m_sde_heun', 'karras'],
    ['DPM++ 2S a', 'dpmpp_2s_a', 'automatic'],
    ['DPM++ 2S a Karras', 'dpmpp_2s_a', 'karras'],
    ['DPM2', 'dpm2', 'automatic'],
    ['DPM2 Karras', 'dpm2', 'karras'],
    ['DPM2 a', 'dpm2_a', 'automatic'],
    ['dpm2 A karras', 'dpm2_a', 'karras'],
    ['DPM++ 3M SDE', 'dpmpp_3m_sde', 'automatic'],
    ['DPM++ 3M SDE Karras', 'dpmpp_3m_sde', 'karras'],
    ['DPM++ 3M SDE Exponential', 'dpmpp_3m_sde', 'exponential'],
    ['dpmpp_3m_sde', 'dpmpp_3m_sde', 'automatic'],
    ['Restart', 'restart', 'automatic'],
    ['UniPC', 'unipc', 'automatic'],
    ['LCM', 'lcm', 'automatic'],
    ['k_lcm', 'lcm', 'automatic'],
  ])('%j → %s + %s', (name, sampler, scheduler) => {
    expect(resolveSamplerName(name)).toEqual({ sampler, scheduler });
  });

  it('returns undefined for unknown names', () => {
    expect(resolveSamplerName('Euler b')).toBeUndefined();
    expect(unknownSamplerMessage('Euler b')).toMatch(/^unknown sampler 'Euler b' \(valid: euler, euler_a, .*DPM\+\+ 2M Karras/);
  });

  it('every accepted name resolves, and canonical names round-trip', () => {
    for (const name of acceptedSamplerNames) expect(resolveSamplerName(name)).toBeDefined();
    expect(canonicalSamplerName(resolveSamplerName('DPM++ 2M Karras')!)).toBe('dpmpp_2m_karras');
    expect(canonicalSamplerName(resolveSamplerName('Euler a')!)).toBe('euler_a');
    expect(canonicalSamplerName(resolveSamplerName('DPM++ 2M SDE Exponential')!)).toBe('dpmpp_2m_sde_exponential');
    for (const name of acceptedSamplerNames) expect(resolveSamplerName(canonicalSamplerName(resolveSamplerName(name)!))).toEqual(resolveSamplerName(name));
  });

  it('leaves schedules A1111 never named with a sampler to the scheduler field', () => {
    expect(resolveSamplerName('DPM++ 2M Exponential')).toBeUndefined();
    expect(resolveSamplerName('Euler a Karras')).toBeUndefined();
  });
});

describe('old notebook spellings', () => {
  it.each([['klms', 'lms'], ['euler_ancestral', 'euler_a'], ['k_dpmpp_2m', 'dpmpp_2m'], ['dpm2_ancestral', 'dpm2_a'], ['k_dpmpp_sde', 'dpmpp_sde'], ['k_dpmpp_2m_sde', 'dpmpp_2m_sde']])('%s → %s', (name, sampler) => {
    expect(resolveSamplerName(name)?.sampler).toBe(sampler);
  });

  it('reads A1111\'s "_ka" aliases as Karras', () => {
    expect(resolveSamplerName('k_dpmpp_sde_ka')).toEqual({ sampler: 'dpmpp_sde', scheduler: 'karras' });
    expect(resolveSamplerName('k_dpm_2_a_ka')).toEqual({ sampler: 'dpm2_a', scheduler: 'karras' });
  });
});

describe('samplerFromIndex (Deforum settings of October–November 2022 store "sampler": <index>)', () => {
  it.each([
    [0, 'Euler a', 'euler_a', 'automatic'],
    [1, 'Euler', 'euler', 'automatic'],
    [2, 'LMS', 'lms', 'automatic'],
    [3, 'Heun', 'heun', 'automatic'],
    [4, 'DPM2', 'dpm2', 'automatic'],
    [5, 'DPM2 a', 'dpm2_a', 'automatic'],
    [6, 'DPM++ 2S a', 'dpmpp_2s_a', 'automatic'],
    [7, 'DPM++ 2M', 'dpmpp_2m', 'automatic'],
    [8, 'DPM++ SDE', 'dpmpp_sde', 'automatic'],
    [11, 'LMS Karras', 'lms', 'karras'],
    [12, 'DPM2 Karras', 'dpm2', 'karras'],
    [13, 'DPM2 a Karras', 'dpm2_a', 'karras'],
    [14, 'DPM++ 2S a Karras', 'dpmpp_2s_a', 'karras'],
    [15, 'DPM++ 2M Karras', 'dpmpp_2m', 'karras'],
    [16, 'DPM++ SDE Karras', 'dpmpp_sde', 'karras'],
    [17, 'DDIM', 'ddim', 'automatic'],
  ])('%i is "%s"', (index, name, sampler, scheduler) => {
    expect(samplerFromIndex(index)).toBe(name);
    expect(resolveSamplerName(samplerFromIndex(index)!)).toEqual({ sampler, scheduler });
  });

  it('names the samplers deforum-ts does not run, for the importer to report', () => {
    expect(samplerFromIndex(9)).toBe('DPM fast');
    expect(samplerFromIndex(10)).toBe('DPM adaptive');
    expect(resolveSamplerName('DPM fast')).toBeUndefined();
  });

  it('is undefined outside the list', () => {
    for (const index of [-1, 18, 1.5, Number.NaN]) expect(samplerFromIndex(index)).toBeUndefined();
  });
});

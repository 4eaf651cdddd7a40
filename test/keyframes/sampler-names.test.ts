import { describe, expect, it } from 'vitest';
import { acceptedSamplerNames, canonicalSamplerName, resolveSamplerName } from '../../src/keyframes/sampler-names.js';

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
  ])('%j → %s + %s', (name, sampler, scheduler) => {
    expect(resolveSamplerName(name)).toEqual({ sampler, scheduler });
  });

  it('returns undefined for unknown names', () => {
    expect(resolveSamplerName('Euler b')).toBeUndefined();
    expect(resolveSamplerName('UniPC')).toBeUndefined();
  });

  it('every accepted name resolves, and canonical names round-trip', () => {
    for (const name of acceptedSamplerNames) expect(resolveSamplerName(name)).toBeDefined();
    expect(canonicalSamplerName(resolveSamplerName('DPM++ 2M Karras')!)).toBe('dpmpp_2m_karras');
    expect(canonicalSamplerName(resolveSamplerName('Euler a')!)).toBe('euler_a');
  });
});

describe('old notebook spellings', () => {
  it.each([['klms', 'lms'], ['euler_ancestral', 'euler_a'], ['k_dpmpp_2m', 'dpmpp_2m']])('%s → %s', (name, sampler) => {
    expect(resolveSamplerName(name)?.sampler).toBe(sampler);
  });
});

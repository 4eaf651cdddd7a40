import { createHash, randomInt } from 'node:crypto';
import { KeyframeError } from '../errors.js';
import { isSeed, MAX_SEED, wrapSeed } from '../numerics/seed-range.js';
import type { Animation } from './schema.js';

/**
 * A reproducible stand-in for Deforum's `random.randint(0, 2**32-1)`: the first 4 bytes (big-endian) of
 * sha256("<seed>:<label>:<index>"). Depends only on the file's seed and the frame, so a re-run or a resume gets the
 * same seeds.
 */
export function derivedSeed(seed: number, label: string, index: number): number {
  return createHash('sha256').update(`${seed}:${label}:${index}`).digest().readUInt32BE(0);
}

/** Where a run's seed came from. */
export interface RunSeed {
  seed: number;
  source: 'file' | 'option' | 'random';
}

/**
 * The run's starting seed: an explicit one wins, else the file's; the file's −1 means "pick one", as in A1111
 * (docs/deforum.md §c), and the caller must record it so the plan stays reproducible.
 */
export function resolveRunSeed(fileSeed: number, given?: number): RunSeed {
  if (given !== undefined) {
    if (!isSeed(given)) throw new KeyframeError(`seed ${given} is not an integer in 0-${MAX_SEED}`);
    return { seed: given, source: 'option' };
  }
  if (fileSeed >= 0) return { seed: fileSeed, source: 'file' };
  return { seed: randomInt(0, MAX_SEED), source: 'random' };
}

type SeedSettings = Pick<Animation, 'seedBehavior' | 'seedIterN'>;

/**
 * The seed of diffused frame k (k = 0, 1, …; frame k·cadence) starting from S, per docs/deforum.md §c's table. `schedule`
 * is handled by the caller (it reads the seed schedule at the frame).
 */
export function seedOfDiffusedFrame(settings: SeedSettings, start: number, k: number): number {
  switch (settings.seedBehavior) {
    case 'iter':
      return wrapSeed(start + Math.ceil(k / settings.seedIterN));
    case 'fixed':
      return start;
    case 'ladder':
      // +2, −1, +2, −1 …: S, S+2, S+1, S+3, S+2, …
      return wrapSeed(start + (k % 2 === 0 ? k / 2 : (k + 3) / 2));
    case 'alternate':
      return wrapSeed(start + (k % 2));
    case 'random':
      return k === 0 ? start : derivedSeed(start, 'random', k);
    case 'schedule':
      throw new KeyframeError('seedBehavior "schedule" takes its seeds from schedules.seed');
  }
}

/**
 * A value of the seed (or subseed) schedule made a seed: truncated (int()), −1 = a derived random seed, then wrapped.
 * `label` keeps the subseed's random seeds apart from the seed's.
 */
export function seedFromSchedule(value: number, start: number, frame: number, label: 'schedule' | 'subseed' = 'schedule'): number {
  const seed = Math.trunc(value);
  return seed === -1 ? derivedSeed(start, label, frame) : wrapSeed(seed);
}

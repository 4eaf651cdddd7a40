/**
 * Seeds are integers in [0, 2³²−1], as A1111 and Deforum write them; torch's CPU generator keeps the low 32 bits, so
 * wrapping modulo 2³² gives the same noise (docs/deforum.md §c). One owner for the range, its wrap and its message.
 */
export const MAX_SEED = 2 ** 32 - 1;

/** A seed wrapped into [0, MAX_SEED] (negative values too), as the noise generator would see it. */
export const wrapSeed = (seed: number): number => ((Math.trunc(seed) % (MAX_SEED + 1)) + MAX_SEED + 1) % (MAX_SEED + 1);

export const isSeed = (value: number): boolean => Number.isInteger(value) && value >= 0 && value <= MAX_SEED;

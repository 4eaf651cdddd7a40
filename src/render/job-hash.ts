import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Everything outside the frame's own job that decides its pixels. */
export interface RenderContext {
  modelId: string;
  device: string;
  /** Settings every frame depends on (size, cadence, init image hash, colour reference hash, ControlNet units…). */
  shared: unknown;
}

/**
 * The identity of frame i: its job, the render context, and the hash of frame i−1's PNG. Chaining the previous
 * frame makes a journal entry valid only while every frame before it is, so an edit at frame 200 keeps 0–199.
 */
export function frameJobHash(job: unknown, context: RenderContext, previousPng: string | undefined): string {
  return sha256(canonicalJson({ job, context, previous: previousPng ?? null }));
}

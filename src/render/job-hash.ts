import { createHash } from 'node:crypto';

function collectKeys(value: unknown, keys: Set<string>): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) collectKeys(item, keys);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    keys.add(key);
    collectKeys(item, keys);
  }
}

/**
 * JSON with object keys sorted at every level, so equal values always hash equally. An array replacer makes
 * JSON.stringify emit exactly the listed keys in the listed order, natively.
 */
export function canonicalJson(value: unknown): string {
  const keys = new Set<string>();
  collectKeys(value, keys);
  return JSON.stringify(value, [...keys].sort());
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
  return sha256(`${canonicalJson(context)}\n${canonicalJson(job)}\n${previousPng ?? ''}`);
}

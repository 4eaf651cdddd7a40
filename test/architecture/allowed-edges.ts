import { TOP, type AllowedEdges } from './import-graph.js';

/**
 * The target layering of `src/` (issue 14; review-2026-12 §7.1, reconciled with §7.2–7.3): which folders each folder
 * may import, type-only imports included. Arrows point down, so the table is acyclic; ARCHITECTURE.md's module table
 * mirrors it. A leaf owns the vocabulary it implements (sampler names, border and colour modes, video formats,
 * control and resize modes), and `keyframes/` composes them into the file format.
 *
 *   cli → farm → render → plan → keyframes → controlnet → sampler, video, motion → numerics, (top), models
 *   gpu → sampler;  render → depth → sampler (ONNX sessions on the sampler's devices), models
 */
export const ALLOWED_EDGES: AllowedEdges = {
  cli: ['*'],
  // the render farm (issue 20): jobs on BullMQ, each rendered by render/'s normal path
  farm: [TOP, 'models', 'keyframes', 'render', 'video', 'sampler', 'controlnet'],
  gpu: [TOP, 'models', 'sampler'],
  render: [TOP, 'numerics', 'models', 'motion', 'video', 'sampler', 'controlnet', 'keyframes', 'plan', 'depth'],
  // depth models open their sessions through the sampler's DeviceSessions and OnnxModel
  depth: [TOP, 'numerics', 'sampler', 'models'],
  // FrameJob speaks its consumers' types (§7.2) and the plan computes each unit's pose per frame (§7.3)
  plan: [TOP, 'numerics', 'keyframes', 'motion', 'sampler', 'controlnet'],
  // the schema composes the leaves' vocabularies; it must still not load sharp (checked from the CLI entries)
  keyframes: [TOP, 'numerics', 'motion', 'video', 'sampler', 'controlnet'],
  controlnet: [TOP, 'numerics', 'sampler', 'video'],
  sampler: [TOP, 'numerics'],
  video: [TOP],
  motion: [TOP, 'numerics'],
  // round-half-even, the torch generator and float32 helpers, easing: once, at the bottom (§7.1)
  numerics: [],
  // errors.ts, raw-image.ts, image-file.ts, invocation.ts (§7.1 calls this layer core/)
  [TOP]: ['models'],
  // where the bundled models are
  models: [],
};

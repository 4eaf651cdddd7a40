/**
 * What a render-farm job carries (issue 20): the keyframe file's text as it was when queued, its seed resolved, and
 * every file it names resolved and recorded — input files (images, audio, pose files and videos) copied by content
 * into the job's render folder on the farm's shared storage, model folders by absolute path (a bundled model by name,
 * found in each worker's install). Editing or deleting the originals afterwards does not change a queued job; a
 * worker renders exactly what was queued, or fails naming what no longer matches.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { parseAnimation, readInputFile } from '../keyframes/load.js';
import type { Animation } from '../keyframes/schema.js';
import { resolveRunSeed } from '../keyframes/seeds.js';
import { bundledModelPath } from '../models/bundled.js';
import { imageFiles } from '../controlnet/pose-inputs.js';
import { referencedInputs, type InputFileKind } from '../render/input-files.js';
import { isRemote } from '../remote-file.js';
import { renderName } from '../render/render-folder.js';

const FieldSchema = z.array(z.union([z.string(), z.int().nonnegative()])).min(1);

const JobInputSchema = z.object({
  /** The JSON path of the field that names it, e.g. ["controlnet", 0, "pose", "images"]. */
  field: FieldSchema,
  kind: z.enum(['image', 'audio', 'video', 'pose-json', 'pose-images', 'model', 'controlnet-model', 'depth-model', 'parseq-manifest']),
  /** The original, resolved against the keyframe file's folder when queued. */
  original: z.string(),
  /** Where the render reads it: the copy in the render folder's `inputs/`, or the model folder. */
  path: z.string(),
  /** sha256 of the copy (of its files' names and hashes for a folder of pose images); absent for model folders. */
  sha256: z.string().optional(),
});
export type JobInput = z.infer<typeof JobInputSchema>;

export const JobPayloadSchema = z.object({
  version: z.literal(1),
  keyframes: z.object({ file: z.string(), text: z.string(), sha256: z.string() }),
  /** The run's seed, a −1 file's random pick made once when queued. */
  seed: z.int().nonnegative(),
  inputs: z.array(JobInputSchema),
  /** The render folder, `<out>/<name>`, on storage every worker reaches. */
  outDir: z.string(),
  device: z.string().optional(),
  queuedAt: z.string(),
});
export type JobPayload = z.infer<typeof JobPayloadSchema>;

/** The folder under a render folder where a job's input files are kept. */
export const INPUTS_DIR = 'inputs';

const COPIED: ReadonlySet<InputFileKind> = new Set(['image', 'audio', 'video', 'pose-json', 'pose-images', 'parseq-manifest']);

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

async function fileHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A folder of pose images is identified by its images' names and contents, in frame order. */
async function folderHash(dir: string): Promise<string> {
  const lines: string[] = [];
  for (const file of await imageFiles(dir, dir)) lines.push(`${path.basename(file)} ${await fileHash(file)}`);
  return sha256(lines.join('\n'));
}

/** Copies `from` to `to` whole or not at all (a temporary name, then a rename); the hash is of the bytes copied. */
async function copyFileWhole(from: string, to: string): Promise<string> {
  const temp = `${to}.${randomUUID()}.tmp`;
  await fsp.copyFile(from, temp);
  const hash = await fileHash(temp);
  await fsp.rename(temp, to);
  return hash;
}

/** Copies one input into `inputsDir`, named by its content, so queueing the same file twice keeps one copy. */
async function copyInput(original: string, kind: InputFileKind, inputsDir: string): Promise<{ path: string; sha256: string }> {
  const staging = path.join(inputsDir, `.${randomUUID()}`);
  let hash: string;
  if (kind === 'pose-images') {
    await fsp.mkdir(staging);
    for (const file of await imageFiles(original, original)) await copyFileWhole(file, path.join(staging, path.basename(file)));
    hash = await folderHash(staging);
  } else {
    hash = await copyFileWhole(original, staging);
  }
  const copy = path.join(inputsDir, `${hash.slice(0, 16)}-${path.basename(original)}`);
  await fsp.rm(copy, { recursive: true, force: true });
  await fsp.rename(staging, copy);
  return { path: copy, sha256: hash };
}

/** A file the keyframe file names that cannot be copied with the job: bad input, as `deforum render` says it. */
function inputProblem(file: string, field: JobInput['field'], original: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, expected a file' : code ?? (error as Error).message;
  return new UsageError(`${file}: ${field.join('.')}: ${original}: ${why}`);
}

/**
 * A job for keyframe file `file`: validated as `deforum render` does (a bad file is refused here, exit 2), its inputs
 * copied into `<outRoot>/<name>/inputs/`. Model folders are not read: they live on the workers.
 */
export async function buildJobPayload(file: string, options: { outRoot: string; device?: string }): Promise<{ payload: JobPayload; warnings: string[] }> {
  const source = path.resolve(file);
  const text = await readInputFile(file);
  const { animation, warnings } = await parseAnimation(text, file);
  const baseDir = path.dirname(source);
  const outDir = path.join(path.resolve(options.outRoot), renderName(animation, source));
  const inputsDir = path.join(outDir, INPUTS_DIR);
  const inputs: JobInput[] = [];
  for (const { field, written, file: original, kind } of referencedInputs(animation, baseDir)) {
    // The worker's render downloads a URL itself, into the same render folder (remote-inputs.ts).
    if (isRemote(written)) continue;
    if (!COPIED.has(kind)) {
      const named = field.reduce<unknown>((value, key) => (value as Record<string | number, unknown>)[key], animation) as string;
      // A bundled model is found in each worker's own install.
      if (original !== bundledModelPath(named)) inputs.push({ field, kind, original, path: original });
      continue;
    }
    await fsp.mkdir(inputsDir, { recursive: true });
    const copy = await copyInput(original, kind, inputsDir).catch((error: unknown) => {
      throw inputProblem(file, field, original, error);
    });
    inputs.push({ field, kind, original, ...copy });
  }
  const { seed } = resolveRunSeed(animation.seed, undefined);
  const payload: JobPayload = {
    version: 1,
    keyframes: { file: source, text, sha256: sha256(text) },
    seed,
    inputs,
    outDir,
    ...(options.device === undefined ? {} : { device: options.device }),
    queuedAt: new Date().toISOString(),
  };
  return { payload, warnings };
}

/** Sets the value at a JSON path of a plain object tree (the path was read from the same tree's shape when queued). */
function setAt(root: Record<string | number, unknown>, field: JobInput['field'], value: string): void {
  let node = root;
  for (const key of field.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[field.at(-1)!] = value;
}

/** The job's payload, or a UsageError saying what is wrong with it (a job not queued by `deforum queue add`). */
export function readJobPayload(data: unknown): JobPayload {
  const parsed = JobPayloadSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`job data is not a deforum render job: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The animation a worker renders: the queued text validated again, its seed and every named file replaced by what was
 * recorded. A copy that is missing or whose content changed is bad input (exit 2), named with its field.
 */
export async function jobAnimation(payload: JobPayload): Promise<Animation & { seed: number }> {
  const { animation } = await parseAnimation(payload.keyframes.text, payload.keyframes.file);
  const tree = structuredClone(animation) as Animation & { seed: number };
  tree.seed = payload.seed;
  for (const input of payload.inputs) {
    if (input.sha256 !== undefined) {
      const actual = await (input.kind === 'pose-images' ? folderHash(input.path) : fileHash(input.path)).catch(() => undefined);
      if (actual !== input.sha256) {
        throw new UsageError(`${payload.keyframes.file}: ${input.field.join('.')}: the copy queued with the job, ${input.path}, is ${actual === undefined ? 'missing' : 'changed'}; queue the file again`);
      }
    }
    setAt(tree as unknown as Record<string, unknown>, input.field, input.path);
  }
  return tree;
}

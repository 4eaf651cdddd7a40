/**
 * A Stable Diffusion model on disk: a diffusers/Optimum ONNX folder (docs/sd-pipeline.md §7.1), validated and described
 * from its files and JSON configs alone. Checkpoints and PyTorch folders are refused with what to do instead.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ModelError } from '../errors.js';
import { readJsonConfig } from '../json-config.js';

const EXPECTED_LAYOUT = 'a diffusers/Optimum ONNX folder (model_index.json, tokenizer/, text_encoder/, unet/, vae_encoder/, vae_decoder/, scheduler/)';
const EXPORT_COMMAND = 'optimum-cli export onnx --model <diffusers model or folder> --task text-to-image <output folder>';

/**
 * A single-file (A1111) checkpoint to the ONNX layout, the diffusers/Optimum route: diffusers' conversion script
 * (its repository's scripts/ folder) writes a diffusers folder, which Optimum exports (docs: huggingface.co/docs/
 * optimum/exporters/onnx/usage_guides/export_a_model).
 */
function conversionSteps(file: string, format: 'safetensors' | 'pickle'): string {
  const from = format === 'safetensors' ? ' --from_safetensors' : '';
  return (
    `python scripts/convert_original_stable_diffusion_to_diffusers.py --checkpoint_path ${JSON.stringify(file)}${from} --dump_path <diffusers folder> ` +
    `(from the diffusers repository), then optimum-cli export onnx --model <diffusers folder> --task text-to-image <output folder>, and pass the output folder`
  );
}

/** `scheduler/scheduler_config.json`; SD 2.x 768-v adds `prediction_type: v_prediction` (§7.1). */
export const SchedulerConfigSchema = z
  .object({
    num_train_timesteps: z.number().int().positive().default(1000),
    beta_start: z.number().positive().default(0.00085),
    beta_end: z.number().positive().default(0.012),
    beta_schedule: z.string().default('scaled_linear'),
    trained_betas: z.array(z.number()).nullable().optional(),
    prediction_type: z.enum(['epsilon', 'v_prediction']).default('epsilon'),
  })
  .loose();
export type SchedulerConfig = z.infer<typeof SchedulerConfigSchema>;

/** The fields of `unet/config.json` the pipeline uses; the ControlNet residual layout follows diffusers' UNet blocks. */
export const UnetConfigSchema = z
  .object({
    sample_size: z.number().int().positive().default(64),
    in_channels: z.number().int().positive().default(4),
    block_out_channels: z.array(z.number().int().positive()).default([320, 640, 1280, 1280]),
    layers_per_block: z.number().int().nonnegative().default(2),
  })
  .loose();
export type UnetConfig = z.infer<typeof UnetConfigSchema>;

/** The VAE config.json: SD1/SD2 scale latents by 0.18215 when the config does not say otherwise (§4.2). */
export const VaeConfigSchema = z.object({ scaling_factor: z.number().positive().default(0.18215) }).loose();

export interface VaeFiles {
  /** Absent for a decoder-only VAE override: the base model's encoder is kept. */
  encoder?: string;
  decoder: string;
  scalingFactor: number;
}

export interface ModelFolder {
  root: string;
  textEncoder: string;
  unet: string;
  vae: VaeFiles & { encoder: string };
  vocab: string;
  merges: string;
  scheduler: SchedulerConfig;
  unetConfig: UnetConfig;
}

/** A config file of the folder, its messages naming it relative to the model folder. */
const readJson = <T extends z.ZodType>(file: string, schema: T, root: string): z.infer<T> => readJsonConfig(file, schema, path.relative(root, file) || file);

function readOptionalJson<T extends z.ZodType>(file: string, schema: T, root: string): z.infer<T> {
  return existsSync(file) ? readJson(file, schema, root) : schema.parse({});
}

/** Refuses anything that is not a folder, saying what it is and what to do. */
function requireFolder(dir: string, what: string): void {
  if (!existsSync(dir)) throw new ModelError(`${what} "${dir}" does not exist; expected ${EXPECTED_LAYOUT}`);
  if (statSync(dir).isDirectory()) return;
  const ext = path.extname(dir).toLowerCase();
  if (['.ckpt', '.pt', '.pth', '.bin', '.pkl'].includes(ext)) {
    throw new ModelError(
      `${what} "${dir}" is a pickled PyTorch checkpoint (${ext}): refused, because unpickling can run arbitrary code; ` +
        `convert it to ONNX on a machine you trust: ${conversionSteps(dir, 'pickle')}`,
    );
  }
  if (ext === '.safetensors') {
    throw new ModelError(`${what} "${dir}" is a single-file safetensors checkpoint (as A1111 loads), not ONNX; convert it first: ${conversionSteps(dir, 'safetensors')}`);
  }
  if (ext === '.onnx') throw new ModelError(`${what} "${dir}" is a single ONNX file; expected ${EXPECTED_LAYOUT}`);
  throw new ModelError(`${what} "${dir}" is a file; expected ${EXPECTED_LAYOUT}`);
}

function vaeScalingFactor(root: string, ...configs: string[]): number {
  const config = configs.find((file) => existsSync(file));
  return config ? readJson(config, VaeConfigSchema, root).scaling_factor : VaeConfigSchema.parse({}).scaling_factor;
}

export function readModelFolder(dir: string): ModelFolder {
  const root = path.resolve(dir);
  requireFolder(root, 'model folder');
  const at = (...parts: string[]) => path.join(root, ...parts);
  const required = [
    'model_index.json',
    'tokenizer/vocab.json',
    'tokenizer/merges.txt',
    'text_encoder/model.onnx',
    'unet/model.onnx',
    'vae_encoder/model.onnx',
    'vae_decoder/model.onnx',
    'scheduler/scheduler_config.json',
  ];
  // a directory, FIFO or device in a file's place is as unusable as no file (onnxruntime would block on a FIFO)
  const missing = required.filter((file) => statSync(at(file), { throwIfNoEntry: false })?.isFile() !== true);
  if (missing.length > 0) {
    const pytorch = ['unet/diffusion_pytorch_model.safetensors', 'unet/diffusion_pytorch_model.bin'].some((file) => existsSync(at(file)));
    if (pytorch) {
      throw new ModelError(`model folder "${dir}" is a diffusers PyTorch model, not ONNX; convert it first: ${EXPORT_COMMAND}`);
    }
    throw new ModelError(`model folder "${dir}" is missing ${missing.join(', ')}; expected ${EXPECTED_LAYOUT}`);
  }
  return {
    root,
    textEncoder: at('text_encoder', 'model.onnx'),
    unet: at('unet', 'model.onnx'),
    vae: {
      encoder: at('vae_encoder', 'model.onnx'),
      decoder: at('vae_decoder', 'model.onnx'),
      scalingFactor: vaeScalingFactor(root, at('vae_decoder', 'config.json'), at('vae_encoder', 'config.json')),
    },
    vocab: at('tokenizer', 'vocab.json'),
    merges: at('tokenizer', 'merges.txt'),
    scheduler: readJson(at('scheduler', 'scheduler_config.json'), SchedulerConfigSchema, root),
    unetConfig: readOptionalJson(at('unet', 'config.json'), UnetConfigSchema, root),
  };
}

/**
 * A `--vae` override: a folder with `vae_encoder/` and `vae_decoder/` (a VAE export or a whole model folder), a folder
 * with only `vae_decoder/`, or one decoder folder holding `model.onnx` (decoder-only VAEs such as ft-MSE keep the
 * base encoder, which they share).
 */
export function readVaeFolder(dir: string): VaeFiles {
  const root = path.resolve(dir);
  requireFolder(root, '--vae folder');
  const at = (...parts: string[]) => path.join(root, ...parts);
  if (existsSync(at('vae_decoder', 'model.onnx'))) {
    const encoder = at('vae_encoder', 'model.onnx');
    return {
      encoder: existsSync(encoder) ? encoder : undefined,
      decoder: at('vae_decoder', 'model.onnx'),
      scalingFactor: vaeScalingFactor(root, at('vae_decoder', 'config.json'), at('vae_encoder', 'config.json')),
    };
  }
  if (existsSync(at('model.onnx'))) return { decoder: at('model.onnx'), scalingFactor: vaeScalingFactor(root, at('config.json')) };
  throw new ModelError(`--vae folder "${dir}" has no vae_decoder/model.onnx or model.onnx; expected an ONNX VAE folder (vae_encoder/ and vae_decoder/, or the decoder's model.onnx)`);
}

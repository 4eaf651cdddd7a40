import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ModelError } from '../../src/errors.js';
import { readModelFolder, readVaeFolder } from '../../src/sampler/model-folder.js';
import { fixtureModel, fixtureModels } from './model-fixtures.js';

function errorOf(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ModelError) return error;
    throw error;
  }
  throw new Error('expected a ModelError');
}

describe('readModelFolder', () => {
  it('describes a diffusers ONNX folder from its files and configs', () => {
    const folder = readModelFolder(fixtureModel('sd-diffusers'));
    expect(path.relative(folder.root, folder.unet)).toBe(path.join('unet', 'model.onnx'));
    expect(folder.vae.scalingFactor).toBe(0.18215);
    expect(folder.scheduler.prediction_type).toBe('epsilon');
    expect(folder.scheduler.beta_schedule).toBe('scaled_linear');
    expect(folder.unetConfig.sample_size).toBe(8);
  });

  it('reads v-prediction from the scheduler config (SD 2.x 768-v)', () => {
    expect(readModelFolder(fixtureModel('sd-vpred')).scheduler.prediction_type).toBe('v_prediction');
  });

  it('a config field of the wrong kind is named, in the project\'s wording rather than zod\'s', () => {
    const copy = path.join(mkdtempSync(path.join(os.tmpdir(), 'deforum-model-')), 'model');
    cpSync(fixtureModel('sd-diffusers'), copy, { recursive: true });
    writeFileSync(path.join(copy, 'scheduler', 'scheduler_config.json'), '{"prediction_type": "x_pred"}');
    expect(errorOf(() => readModelFolder(copy)).message).toBe('scheduler/scheduler_config.json: field "prediction_type": expected one of "epsilon", "v_prediction", got "x_pred"');
    writeFileSync(path.join(copy, 'scheduler', 'scheduler_config.json'), '{"num_train_timesteps": "1000"}');
    expect(errorOf(() => readModelFolder(copy)).message).toBe('scheduler/scheduler_config.json: field "num_train_timesteps": expected a number, got "1000"');
  });

  it('names every missing file and the expected layout', () => {
    const error = errorOf(() => readModelFolder(path.join(fixtureModels, 'broken', 'no-unet')));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('is missing unet/model.onnx');
    expect(error.message).toContain('expected a diffusers/Optimum ONNX folder');
  });

  it('refuses a pickled checkpoint and says why', () => {
    const error = errorOf(() => readModelFolder(path.join(fixtureModels, 'broken', 'model.ckpt')));
    expect(error.message).toMatch(/pickled PyTorch checkpoint \(\.ckpt\): refused, because unpickling can run arbitrary code/);
    expect(error.message).toContain('optimum-cli export onnx');
  });

  it('refuses a safetensors file with the conversion commands: diffusers\' script, then Optimum', () => {
    const file = path.join(fixtureModels, 'broken', 'model.safetensors');
    const error = errorOf(() => readModelFolder(file));
    expect(error.message).toBe(
      `model folder "${file}" is a single-file safetensors checkpoint (as A1111 loads), not ONNX; convert it first: ` +
        `python scripts/convert_original_stable_diffusion_to_diffusers.py --checkpoint_path "${file}" --from_safetensors --dump_path <diffusers folder> ` +
        '(from the diffusers repository), then optimum-cli export onnx --model <diffusers folder> --task text-to-image <output folder>, and pass the output folder',
    );
  });

  it('says when the folder does not exist', () => {
    expect(errorOf(() => readModelFolder('/nonexistent/model')).message).toBe(
      'model folder "/nonexistent/model" does not exist; expected a diffusers/Optimum ONNX folder (model_index.json, tokenizer/, text_encoder/, unet/, vae_encoder/, vae_decoder/, scheduler/)',
    );
  });

  it('refuses a single ONNX file', () => {
    expect(errorOf(() => readModelFolder(path.join(fixtureModel('sd-diffusers'), 'unet', 'model.onnx'))).message).toMatch(/is a single ONNX file; expected a diffusers/);
  });
});

describe('readVaeFolder', () => {
  it('takes the VAE of a model folder', () => {
    const vae = readVaeFolder(fixtureModel('sd-optimum'));
    expect(vae.encoder).toMatch(/vae_encoder[/\\]model\.onnx$/);
    expect(vae.decoder).toMatch(/vae_decoder[/\\]model\.onnx$/);
  });

  it('takes a lone decoder folder, keeping no encoder of its own', () => {
    const vae = readVaeFolder(path.join(fixtureModel('sd-optimum'), 'vae_decoder'));
    expect(vae.encoder).toBeUndefined();
    expect(vae.scalingFactor).toBe(0.18215);
  });

  it('refuses a folder without a decoder', () => {
    expect(errorOf(() => readVaeFolder(path.join(fixtureModel('sd-optimum'), 'scheduler'))).message).toMatch(/has no vae_decoder\/model\.onnx or model\.onnx/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { UsageError } from '../../src/errors.js';
import type { ControlInput } from '../../src/sampler/cfg-denoiser.js';
import { TorchGenerator } from '../../src/sampler/noise.js';
import { StableDiffusion, type GenerateOptions } from '../../src/sampler/pipeline.js';
import { NoiseSchedule } from '../../src/sampler/sigmas.js';
import { resolveSamplerName } from '../../src/sampler/sampler-names.js';
import { fixtureModel, referenceImage } from './model-fixtures.js';

const base: GenerateOptions = { prompt: 'a red circle', negativePrompt: '', width: 64, height: 64, seed: 1, steps: 6, cfg: 7, sampler: 'euler_a' };
const bytes = (image: { data: Uint8Array }) => Buffer.from(image.data);

let sd: StableDiffusion;
beforeAll(async () => {
  sd = await StableDiffusion.load(fixtureModel('sd-diffusers'), { device: 'cpu' });
});
afterAll(async () => {
  await sd.release();
});

describe('StableDiffusion.load', () => {
  it('describes the model for render settings', () => {
    expect(sd.device).toBe('cpu');
    expect(sd.describe()).toMatchObject({ name: 'sd-diffusers', device: 'cpu', prediction: 'epsilon', clipSkip: 1, nativeSize: 64 });
    expect(sd.describe().fingerprint).toMatch(/^[0-9a-f]{10}$/);
  });

  it('reports the device choice through log', async () => {
    const lines: string[] = [];
    const other = await StableDiffusion.load(fixtureModel('sd-int64-timestep'), { device: 'cpu', log: (l) => lines.push(l) });
    expect(lines).toContain('device: cpu');
    expect(lines.some((l) => l.startsWith('warning: unet/model.onnx takes an int64 timestep'))).toBe(true);
    await other.release();
  });
});

describe('txt2img', () => {
  it('the same seed gives the same bytes; another seed another image', async () => {
    const a = await sd.generate(base);
    const b = await sd.generate(base);
    const c = await sd.generate({ ...base, seed: 2 });
    expect(a).toMatchObject({ width: 64, height: 64, channels: 3 });
    expect(bytes(a).equals(bytes(b))).toBe(true);
    expect(bytes(a).equals(bytes(c))).toBe(false);
  });

  it('the prompt and the negative prompt both steer the image', async () => {
    const a = await sd.generate(base);
    expect(bytes(await sd.generate({ ...base, prompt: 'a blue square' })).equals(bytes(a))).toBe(false);
    expect(bytes(await sd.generate({ ...base, negativePrompt: 'green' })).equals(bytes(a))).toBe(false);
  });

  it('runs a non-square size and every sampler family', async () => {
    for (const sampler of ['euler', 'Euler a', 'heun', 'DPM++ 2M Karras', 'lms', 'ddim', 'DPM2', 'DPM2 a Karras', 'DPM++ 2S a', 'DPM++ SDE Karras', 'DPM++ 2M SDE', 'DPM++ 2M SDE Heun Karras', 'DPM++ 3M SDE', 'Restart', 'UniPC', 'LCM']) {
      const image = await sd.generate({ ...base, ...resolveSamplerName(sampler)!, width: 48, height: 32, steps: 3 });
      expect([image.width, image.height]).toEqual([48, 32]);
    }
  });

  it('UniPC gives the UNet its continuous model times (t − 1/N)·1000, not timesteps rounded through σ', async () => {
    const timesteps: number[] = [];
    await sd.generate({ ...base, sampler: 'unipc', steps: 10, control: (input) => void timesteps.push(input.timestep) });
    expect(timesteps).toEqual([999, 899.0999755859375, 799.2000122070312, 699.2999877929688, 599.3999633789062, 499.5000305175781, 399.6000061035156, 299.70001220703125, 199.8000030517578, 99.9000015258789]);
  });

  it('LCM gives the UNet the quantised timestep of LCM\'s 50 original steps', async () => {
    const timesteps: number[] = [];
    await sd.generate({ ...base, sampler: 'lcm', steps: 4, control: (input) => void timesteps.push(input.timestep) });
    expect(timesteps).toEqual([999, 679, 339, 19]);
  });

  it('prompt blend weight 0 is the prompt itself; 0.5 is between', async () => {
    const a = await sd.generate(base);
    expect(bytes(await sd.generate({ ...base, promptBlend: { prompt: 'a blue square', negativePrompt: 'green', weight: 0 } })).equals(bytes(a))).toBe(true);
    expect(bytes(await sd.generate({ ...base, promptBlend: { prompt: base.prompt, negativePrompt: 'green', weight: 0.5 } })).equals(bytes(a))).toBe(false);
    expect(bytes(await sd.generate({ ...base, promptBlend: { prompt: 'a blue square', weight: 0 } })).equals(bytes(a))).toBe(true);
    expect(bytes(await sd.generate({ ...base, promptBlend: { prompt: 'a blue square', weight: 0.5 } })).equals(bytes(a))).toBe(false);
  });
});

describe('prompt editing', () => {
  /** The positive-prompt text states the UNet received at each denoiser call. */
  async function condPerCall(options: GenerateOptions): Promise<string[]> {
    const seen: string[] = [];
    await sd.generate({ ...options, control: (input) => void seen.push(Buffer.from(input.context.buffer, input.context.byteOffset, input.tokens * 8 * 4).toString('base64')) });
    return seen;
  }

  it('[a:b:when] switches the conditioning after step `when` of the requested steps', async () => {
    const [cat] = await condPerCall({ ...base, prompt: 'a cat', steps: 1 });
    const [dog] = await condPerCall({ ...base, prompt: 'a dog', steps: 1 });
    expect(await condPerCall({ ...base, prompt: '[a cat:a dog:0.5]' })).toEqual([cat, cat, cat, cat, dog, dog]);
    expect(await condPerCall({ ...base, prompt: '[a cat:a dog:6]' })).toEqual([cat, cat, cat, cat, cat, cat]);
  });

  it('second-order samplers count two calls per step (Heun: schedule over 2·steps)', async () => {
    const [cat] = await condPerCall({ ...base, prompt: 'a cat', steps: 1 });
    const [dog] = await condPerCall({ ...base, prompt: 'a dog', steps: 1 });
    const calls = await condPerCall({ ...base, sampler: 'heun', steps: 3, prompt: '[a cat:a dog:0.5]' });
    // 3 Heun steps = 5 denoiser calls (no second call on the last step); the edit is at call 3 of 6
    expect(calls).toEqual([cat, cat, cat, cat, dog]);
  });

  it('img2img restarts the counter for the shortened run (20 steps at denoise 0.5: the edit at 10 is never reached)', async () => {
    const [cat] = await condPerCall({ ...base, prompt: 'a cat', steps: 1 });
    const calls = await condPerCall({ ...base, sampler: 'euler', steps: 20, init: referenceImage(), strength: 0.5, prompt: '[a cat:a dog:0.5]' });
    expect(calls).toEqual(new Array(11).fill(cat));
  });
});

describe('img2img', () => {
  it('runs t_enc + 1 denoiser calls (20 steps at strength 0.5 → 11), with the step index for ControlNet', async () => {
    const calls: ControlInput[] = [];
    const steps: number[] = [];
    await sd.generate({
      ...base, sampler: 'euler', steps: 20, init: referenceImage(), strength: 0.5,
      control: (input) => void calls.push(input), onStep: (step) => steps.push(step),
    });
    expect(calls).toHaveLength(11);
    expect(calls.map((c) => c.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(calls.every((c) => c.totalSteps === 11 && c.rows.join() === 'cond,uncond')).toBe(true);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('is deterministic and keeps more of the init at higher strength', async () => {
    const init = referenceImage();
    const distance = (image: { data: Uint8Array }) => image.data.reduce((sum, v, i) => sum + Math.abs(v - init.data[i]), 0);
    const strong = await sd.generate({ ...base, init, strength: 0.9 });
    expect(bytes(await sd.generate({ ...base, init, strength: 0.9 })).equals(bytes(strong))).toBe(true);
    const weak = await sd.generate({ ...base, init, strength: 0.1 });
    expect(distance(strong)).toBeLessThan(distance(weak));
  });

  it('scales the start noise by the noise multiplier as A1111: the UNet gets (init + (noise·m)·σ₀)·c_in', async () => {
    const init = referenceImage();
    const firstSample = async (options: Partial<GenerateOptions>) => {
      const samples: Float32Array[] = [];
      await sd.generate({ ...base, sampler: 'euler', steps: 10, init, strength: 0.5, ...options, control: (input) => void samples.push(input.sample) });
      return samples[0].subarray(0, 4 * 8 * 8);
    };
    const [plain, scaled] = [await firstSample({}), await firstSample({ noiseMultiplier: 1.3 })];
    // the first draw of the seed's generator is the noise; σ₀ of 10 uniform steps from t_enc 5 is sigmas[4]
    const noise = new TorchGenerator(base.seed).randn(4 * 8 * 8);
    const sigma0 = new NoiseSchedule().uniformSigmas(10)[4];
    const cIn = 1 / Math.sqrt(sigma0 ** 2 + 1);
    noise.forEach((z, j) => {
      const added = Math.fround(Math.fround(z * 1.3) * sigma0) - Math.fround(z * sigma0);
      expect(Math.abs((scaled[j] - plain[j]) / cIn - added)).toBeLessThan(1e-5 * sigma0);
    });
    expect(Array.from(await firstSample({ noiseMultiplier: 1 }))).toEqual(Array.from(plain));
  });

  it('leaves txt2img alone with a noise multiplier, as A1111 does', async () => {
    expect(bytes(await sd.generate({ ...base, noiseMultiplier: 1.5 })).equals(bytes(await sd.generate(base)))).toBe(true);
  });

  it('resizes an init image of another size', async () => {
    const small = { width: 16, height: 16, channels: 3 as const, data: new Uint8Array(16 * 16 * 3).fill(200) };
    const image = await sd.generate({ ...base, init: small, strength: 0.65 });
    expect([image.width, image.height]).toEqual([64, 64]);
  });
});

describe("variation seeds (A1111's subseeds)", () => {
  const firstUNetInput = async (options: Partial<GenerateOptions>) => {
    const samples: Float32Array[] = [];
    const image = await sd.generate({ ...base, ...options, control: (input) => void samples.push(input.sample.slice(0, 4 * 8 * 8)) });
    return { image, first: Array.from(samples[0]) };
  };

  it('change nothing when absent, at strength 0, or with a seed resize from the image size', async () => {
    const plain = bytes(await sd.generate(base));
    for (const variation of [{ subseed: 9, subseedStrength: 0 }, { subseed: 9 }, { seedResizeFrom: { width: 64, height: 64 } }, { seedResizeFrom: { width: 0, height: 96 } }]) {
      expect(bytes(await sd.generate({ ...base, ...variation })).equals(plain)).toBe(true);
    }
  });

  it("strength 1 starts from the subseed's noise; a deterministic sampler then gives the subseed's image", async () => {
    const subseedImage = await sd.generate({ ...base, sampler: 'euler', seed: 9 });
    expect(bytes(await sd.generate({ ...base, sampler: 'euler', subseed: 9, subseedStrength: 1 })).equals(bytes(subseedImage))).toBe(true);
    const half = await sd.generate({ ...base, sampler: 'euler', subseed: 9, subseedStrength: 0.5 });
    expect(bytes(half).equals(bytes(subseedImage))).toBe(false);
    expect(bytes(half).equals(bytes(await sd.generate({ ...base, sampler: 'euler' })))).toBe(false);
  });

  it("Euler a's later noise continues the seed's generator, not the subseed's (A1111's ImageRNG)", async () => {
    const subseedRun = await firstUNetInput({ seed: 9 });
    const variation = await firstUNetInput({ subseed: 9, subseedStrength: 1 });
    expect(variation.first).toEqual(subseedRun.first);
    expect(bytes(variation.image).equals(bytes(subseedRun.image))).toBe(false);
  });

  it('a seed resize from another size changes the image', async () => {
    expect(bytes(await sd.generate({ ...base, seedResizeFrom: { width: 96, height: 64 } })).equals(bytes(await sd.generate(base)))).toBe(false);
  });
});

describe('generate refuses bad input with a one-line UsageError', () => {
  const cases: Array<[string, Partial<GenerateOptions>, string]> = [
    ['width', { width: 100 }, 'width must be a positive multiple of 8, got 100'],
    ['height', { height: 0 }, 'height must be a positive multiple of 8, got 0'],
    ['seed', { seed: 2 ** 32 }, 'seed must be an integer from 0 to 4294967295, got 4294967296'],
    ['negative seed', { seed: -3 }, 'seed must be an integer from 0 to 4294967295, got -3'],
    ['strength', { strength: 1.5, init: referenceImage() }, 'strength must be between 0 and 1, got 1.5'],
    ['strength without init', { strength: 0.5 }, 'strength needs an init image (img2img)'],
    ['steps', { steps: 0 }, 'steps must be a positive integer, got 0'],
    ['subseed', { subseed: -1, subseedStrength: 0.5 }, 'subseed must be an integer from 0 to 4294967295, got -1'],
    ['subseed strength', { subseed: 3, subseedStrength: 1.5 }, 'subseed strength must be between 0 and 1, got 1.5'],
    ['subseed strength without subseed', { subseedStrength: 0.5 }, 'a subseed strength above 0 needs a subseed'],
    ['seed resize', { seedResizeFrom: { width: -64, height: 64 } }, 'seed resize width must be an integer from 0 to 8192 pixels, got -64'],
    ['seed resize too short to slerp', { subseed: 3, subseedStrength: 0.5, seedResizeFrom: { width: 64, height: 8 } }, 'seed resize height must be at least 16 pixels'],
  ];
  for (const [what, change, message] of cases) {
    it(what, async () => {
      const generating = sd.generate({ ...base, ...change });
      await expect(generating).rejects.toThrow(UsageError);
      await expect(generating).rejects.toThrow(message);
    });
  }

});

describe('other model conventions end to end', () => {
  for (const name of ['sd-optimum', 'sd-fp16', 'sd-vpred', 'sd-fixed-batch', 'sd-int64-timestep']) {
    it(`${name}: txt2img and img2img, deterministic`, async () => {
      const model = await StableDiffusion.load(fixtureModel(name), { device: 'cpu' });
      const a = await model.generate({ ...base, init: referenceImage(), strength: 0.4, steps: 4 });
      const b = await model.generate({ ...base, init: referenceImage(), strength: 0.4, steps: 4 });
      expect(bytes(a).equals(bytes(b))).toBe(true);
      await model.generate({ ...base, steps: 3 });
      await model.release();
    });
  }

  it('a static UNet export refuses other image sizes and prompts over 75 tokens, saying why', async () => {
    const model = await StableDiffusion.load(fixtureModel('sd-fixed-batch'), { device: 'cpu' });
    await expect(model.generate({ ...base, width: 48 })).rejects.toThrow('unet/model.onnx was exported for 64×64 images only; got 48×64');
    await expect(model.generate({ ...base, prompt: Array(80).fill('cat').join(' ') })).rejects.toThrow(
      'unet/model.onnx takes exactly 77 tokens of text states, but this prompt has 154 (2 chunks of 75 tokens)',
    );
    await model.release();
  });

  it('ControlNet residuals from the hook reach the UNet; zeros equal no control', async () => {
    const model = await StableDiffusion.load(fixtureModel('sd-optimum'), { device: 'cpu' });
    const residuals = (value: number) => (input: ControlInput) =>
      Object.fromEntries(Object.entries(input.residualShapes).map(([name, shape]) => [name, new Float32Array(shape.reduce((x, y) => x * y)).fill(value)]));
    const none = await model.generate(base);
    expect(bytes(await model.generate({ ...base, control: residuals(0) })).equals(bytes(none))).toBe(true);
    expect(bytes(await model.generate({ ...base, control: residuals(0.5) })).equals(bytes(none))).toBe(false);
    await model.release();
  });
});

describe('load options', () => {
  it('clip skip 2 changes the image', async () => {
    const skip = await StableDiffusion.load(fixtureModel('sd-diffusers'), { device: 'cpu', clipSkip: 2 });
    expect(skip.describe().clipSkip).toBe(2);
    expect(bytes(await skip.generate(base)).equals(bytes(await sd.generate(base)))).toBe(false);
    await skip.release();
  });

  it('--vae swaps the decoder', async () => {
    const swapped = await StableDiffusion.load(fixtureModel('sd-diffusers'), { device: 'cpu', vae: path.join(fixtureModel('sd-vpred'), 'vae_decoder') });
    expect(swapped.describe().vae).toMatch(/sd-vpred[/\\]vae_decoder$/);
    expect(swapped.describe().fingerprint).not.toBe(sd.describe().fingerprint);
    expect(bytes(await swapped.generate(base)).equals(bytes(await sd.generate(base)))).toBe(false);
    await swapped.release();
  });

  it('an aborted generation stops', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sd.generate({ ...base, signal: controller.signal })).rejects.toThrow();
  });
});

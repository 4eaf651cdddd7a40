import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { verbose } from '../invocation.js';
import { DEVICES, parseDeviceRequest } from '../sampler/device-names.js';
import { outputFile } from './output.js';

interface DepthFlags {
  output: string;
  model: string;
  npy?: string;
  device: string;
}

// Bounds one prediction's memory (the map, its resize and the PNG: about 20 bytes a pixel), as `debug warp3d` does.
const MAX_DEPTH_PIXELS = 4096 * 4096;

async function write(flag: string, file: string, bytes: () => Promise<Uint8Array>): Promise<void> {
  const { writeWholeFile } = await import('../whole-file.js');
  try {
    await writeWholeFile(file, await bytes());
  } catch (error) {
    throw new UsageError(`${flag}: cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Loads sharp and onnxruntime only here, so that other commands start without them. */
async function depth(image: string, flags: DepthFlags): Promise<void> {
  const device = parseDeviceRequest(flags.device);
  const output = outputFile(flags.output);
  const npy = flags.npy === undefined ? undefined : outputFile(flags.npy, '--npy');
  const [{ DepthModel }, { imageFileProblem, readImageFile, encodeGrey16Png }, { depthToGrey16 }, { encodeNpy }] = await Promise.all([
    import('../depth/depth-model.js'),
    import('../image-file.js'),
    import('../depth/depth-png.js'),
    import('../npy-file.js'),
  ]);
  const problem = await imageFileProblem(image);
  if (problem) throw new UsageError(`${image} ${problem}`);
  const frame = await readImageFile(image);
  if (frame.width * frame.height > MAX_DEPTH_PIXELS) throw new UsageError(`${image} is ${frame.width}×${frame.height}; expected at most ${MAX_DEPTH_PIXELS} pixels (4096×4096)`);
  const log = (message: string, level?: 'detail') => {
    if (level !== 'detail' || verbose) process.stderr.write(`${message}\n`);
  };
  const model = await DepthModel.load(flags.model, { device, log });
  try {
    const started = performance.now();
    const map = await model.predict(frame);
    const seconds = (performance.now() - started) / 1000;
    await write('-o', output, () => encodeGrey16Png(depthToGrey16(map), frame.width, frame.height));
    if (npy) await write('--npy', npy, async () => encodeNpy(map, frame.height, frame.width));
    const { name, layout } = model.describe();
    process.stdout.write(`${flags.output}: ${frame.width}×${frame.height} depth from ${name} (${layout} layout), ${model.device}, ${seconds.toFixed(2)} s\n`);
  } finally {
    await model.release();
  }
}

export function register(program: Command): void {
  program
    .command('depth')
    .description("predict one image's depth map, as a 3D render would: a 16-bit grey PNG (white = nearest, scaled between the map's extremes as Deforum's saved depth maps), and with --npy the raw float32 map that `debug warp3d --depth` reads")
    .argument('<image>', 'the image (PNG, JPEG, WebP …)')
    .requiredOption('-o, --output <file.png>', 'where to write the depth map (16-bit grey PNG)')
    .option('--model <name|folder|file.onnx>', 'depth model: the bundled tiny-depth, an ONNX folder (onnx/model.onnx or model.onnx, optional preprocessor_config.json) or an .onnx file; Depth-Anything or MiDaS v2.1 small layout', 'tiny-depth')
    .option('--npy <file.npy>', "also write the raw prediction at the image's size: a float32 H×W NumPy array")
    .option('--device <device>', `auto | ${DEVICES.join(' | ')}`, 'auto')
    .action(depth);
}

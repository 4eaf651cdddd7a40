import type { Command } from 'commander';
import { RESIZE_MODE_NAMES, RESIZE_MODES, type ResizeMode } from '../controlnet/modes.js';
import {
  defaultSettings,
  isPreprocessor,
  KNOWN_MODULES,
  PREPROCESSORS,
  SETTING_RANGES,
  unsupportedModule,
  type Preprocessor,
  type PreprocessorSettings,
  type SettingRange,
} from '../controlnet/preprocessor-spec.js';
import { UsageError } from '../errors.js';
import { didYouMean } from '../name-suggestions.js';
import { outputFile } from './output.js';

/** The largest image read and the largest map made or fitted (bounds the time and memory of one run). */
const MAX_PIXELS = 4096 * 4096;
const MAX_SIDE = 8192;

interface DetectFlags extends Partial<Record<keyof PreprocessorSettings, string>> {
  output: string;
  width?: string;
  height?: string;
  resizeMode: string;
}

const FLAGS: Record<keyof PreprocessorSettings, string> = { processorRes: '--processor-res', thresholdA: '--threshold-a', thresholdB: '--threshold-b' };

function moduleArgument(name: string): Preprocessor {
  if (isPreprocessor(name)) return name;
  const unsupported = unsupportedModule(name);
  if (unsupported) throw new UsageError(unsupported);
  const suggestion = didYouMean(name, KNOWN_MODULES);
  throw new UsageError(`unknown module "${name}"${suggestion ? ` (did you mean ${suggestion}?)` : ''}; expected one of ${PREPROCESSORS.join(', ')}`);
}

function settingFlag(flag: string, value: string, { min, max, integer }: SettingRange, module: string): number {
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!(number >= min && number <= max) || (integer && !Number.isInteger(number))) {
    throw new UsageError(`${flag}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max} for ${module}, got "${value}"`);
  }
  return number;
}

/** The module's settings: the flags over the extension's defaults; a flag the module does not read is a warning. */
function settingsOf(module: Preprocessor, flags: DetectFlags): PreprocessorSettings {
  const settings = defaultSettings(module);
  for (const key of Object.keys(FLAGS) as Array<keyof PreprocessorSettings>) {
    const value = flags[key];
    if (value === undefined) continue;
    const range = SETTING_RANGES[module][key];
    if (range) settings[key] = settingFlag(FLAGS[key], value, range, module);
    else process.stderr.write(`deforum: warning: ${FLAGS[key]} is not used by ${module}\n`);
  }
  return settings;
}

function sideFlag(flag: string, value: string): number {
  const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= 1 && number <= MAX_SIDE)) throw new UsageError(`${flag}: expected an integer from 1 to ${MAX_SIDE}, got "${value}"`);
  return number;
}

function resizeModeFlag(value: string): ResizeMode {
  if ((RESIZE_MODES as readonly string[]).includes(value)) return value as ResizeMode;
  const named = RESIZE_MODE_NAMES[value];
  if (named) return named;
  throw new UsageError(`--resize-mode: expected one of ${RESIZE_MODES.join(', ')}, got "${value}"`);
}

/** The frame to fit the map to, when --width and --height are given (both or neither). */
function frameOf(flags: DetectFlags): { width: number; height: number; mode: ResizeMode } | undefined {
  const mode = resizeModeFlag(flags.resizeMode);
  if (flags.width === undefined && flags.height === undefined) return undefined;
  if (flags.width === undefined) throw new UsageError('--height needs --width too: the map is fitted to a width×height frame');
  if (flags.height === undefined) throw new UsageError('--width needs --height too: the map is fitted to a width×height frame');
  return { width: sideFlag('--width', flags.width), height: sideFlag('--height', flags.height), mode };
}

function checkPixels(what: string, size: { width: number; height: number }, advice: string): void {
  if (size.width * size.height > MAX_PIXELS) {
    throw new UsageError(`${what} would be ${size.width}×${size.height}, more pixels than the ${Math.sqrt(MAX_PIXELS)}×${Math.sqrt(MAX_PIXELS)} control detect works on; ${advice}`);
  }
}

const describeSettings = (module: Preprocessor, s: PreprocessorSettings) =>
  module === 'canny' ? `processor resolution ${s.processorRes}, thresholds ${s.thresholdA}/${s.thresholdB}` : module === 'tile_resample' ? `down-sampling rate ${s.thresholdA}` : 'the image as it is';

async function detect(moduleName: string, file: string, flags: DetectFlags): Promise<void> {
  const module = moduleArgument(moduleName);
  const settings = settingsOf(module, flags);
  const frame = frameOf(flags);
  const output = outputFile(flags.output);
  const [{ imageFileProblem, imageFileSize, readImageFile, writePngFile }, { mapSize, runPreprocessor }, { fitDetectedMap, scaledSize }] = await Promise.all([
    import('../image-file.js'),
    import('../controlnet/preprocessors.js'),
    import('../controlnet/detectmap-fit.js'),
  ]);
  const problem = await imageFileProblem(file);
  if (problem) throw new UsageError(`${file} ${problem}`);
  const size = await imageFileSize(file);
  checkPixels(file, size, 'resize it first');
  const mapped = mapSize(module, size.width, size.height, settings);
  checkPixels(`the ${module} map of ${file}`, mapped, 'use a smaller --processor-res');
  if (frame) checkPixels(`the map scaled for ${frame.mode}`, scaledSize(mapped, frame.width, frame.height, frame.mode), 'use another --resize-mode or frame size');

  let image;
  try {
    // Deforum reads a ControlNet frame with PIL's convert("RGB"): alpha dropped, grey repeated
    image = await readImageFile(file, undefined, 'drop');
  } catch (error) {
    throw new UsageError(`${file} is not a readable image (${error instanceof Error ? error.message : String(error)})`);
  }
  const map = runPreprocessor(module, image, settings);
  const result = frame ? fitDetectedMap(map, frame.width, frame.height, frame.mode) : map;
  try {
    await writePngFile({ width: result.width, height: result.height, channels: 3, data: result.data }, output);
  } catch (error) {
    throw new UsageError(`-o: cannot write ${flags.output} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const fitted = frame ? `, fitted to ${frame.width}×${frame.height} by ${frame.mode}` : '';
  process.stdout.write(`${flags.output}: ${module} map ${map.width}×${map.height} (${describeSettings(module, settings)})${fitted}\n`);
}

export function register(program: Command): void {
  const control = program.command('control').description('ControlNet control maps, as the AUTOMATIC1111 ControlNet extension makes them');
  control
    .command('detect')
    .description(`run one preprocessor on an image and write the map a ControlNet unit is fed (${PREPROCESSORS.join(', ')}; canny is cv2.Canny on the image resized to the processor resolution)`)
    .argument('<module>', `the preprocessor: ${PREPROCESSORS.join(', ')}`)
    .argument('<image>', 'input image (PNG, JPEG, WebP …), read as RGB')
    .requiredOption('-o, --output <map.png>', 'output PNG')
    .option('--processor-res <n>', 'canny: the shorter side the image is resized to, 64 … 2048 (default 512)')
    .option('--threshold-a <a>', 'canny: low threshold, 1 … 255 (default 100); tile_resample: down-sampling rate, 1 … 8 (default 1)')
    .option('--threshold-b <b>', 'canny: high threshold, 1 … 255 (default 200)')
    .option('--width <w>', 'fit the map to a frame this wide (with --height), as the unit is fed')
    .option('--height <h>', 'fit the map to a frame this high (with --width)')
    .option('--resize-mode <mode>', `how the map fits the frame: ${RESIZE_MODES.join(', ')}`, 'inner-fit')
    .action(detect);
}

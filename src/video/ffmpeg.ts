import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { VideoError } from '../errors.js';

/** The ffmpeg and ffprobe binaries a render uses, found and checked once. */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** e.g. "5.1.9-0+deb12u1", or a git build's "N-…". */
  version: string;
  encoders: ReadonlySet<string>;
}

const INSTALL_HINT = 'install it (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg)';
const MIN_MAJOR = 4;

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const candidate of names) {
      const file = path.join(dir, candidate);
      if (isExecutableFile(file)) return file;
    }
  }
  return undefined;
}

/** An explicit path from the environment, else the PATH; a set but unusable variable is an error, not a fallback. */
function locate(name: 'ffmpeg' | 'ffprobe', variable: string, env: NodeJS.ProcessEnv, besides?: string): string {
  const explicit = env[variable];
  if (explicit) {
    if (!isExecutableFile(explicit)) throw new VideoError(`${variable}=${explicit} is not an executable file: ${INSTALL_HINT}, or point ${variable} at the ${name} binary`);
    return explicit;
  }
  if (besides) {
    const sibling = path.join(path.dirname(besides), path.basename(besides).replace(/ffmpeg/i, 'ffprobe'));
    if (sibling !== besides && isExecutableFile(sibling)) return sibling;
  }
  const found = findOnPath(name, env);
  if (!found) throw new VideoError(`${name} not found on the PATH: ${INSTALL_HINT}, or set ${variable} to the ${name} binary`);
  return found;
}

/** Runs a binary to completion and returns its stdout; for the short queries below. */
function capture(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.resume();
    child.on('error', (error) => reject(new VideoError(`cannot run ${file} (${error.message}): ${INSTALL_HINT}, or set FFMPEG_PATH`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new VideoError(`${file} ${args.join(' ')} exited with code ${code}: is it ffmpeg? ${INSTALL_HINT}, or set FFMPEG_PATH`))));
  });
}

/** "ffmpeg version 5.1.9-0+deb12u1 Copyright …" → "5.1.9-0+deb12u1"; release builds may carry an "n" prefix. */
export function parseFfmpegVersion(versionOutput: string): { version: string; major?: number } {
  const match = /^\S+ version (\S+)/m.exec(versionOutput);
  if (!match) return { version: 'unknown' };
  const numbers = /^n?(\d+)\.(\d+)/.exec(match[1]);
  return { version: match[1], major: numbers ? Number(numbers[1]) : undefined };
}

/** Encoder names from `ffmpeg -encoders` (lines like " V....D libx264   libx264 H.264 …"). */
export function parseEncoders(encodersOutput: string): Set<string> {
  const names = new Set<string>();
  for (const line of encodersOutput.split('\n')) {
    const match = /^ [VAS][A-Z.]{5} (\S+)/.exec(line);
    if (match && match[1] !== '=') names.add(match[1]);
  }
  return names;
}

/**
 * Finds ffmpeg (`FFMPEG_PATH`, else the PATH) and ffprobe (`FFPROBE_PATH`, else next to ffmpeg, else the PATH) and
 * checks the version (≥ 4.0; git builds without a release number pass). Missing or too old: a `VideoError` (exit 2)
 * that says how to install it.
 */
export async function findFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<FfmpegTools> {
  const ffmpeg = locate('ffmpeg', 'FFMPEG_PATH', env);
  const ffprobe = locate('ffprobe', 'FFPROBE_PATH', env, ffmpeg);
  const { version, major } = parseFfmpegVersion(await capture(ffmpeg, ['-version']));
  if (major !== undefined && major < MIN_MAJOR) {
    throw new VideoError(`ffmpeg ${version} at ${ffmpeg} is too old (need ${MIN_MAJOR}.0 or newer): ${INSTALL_HINT}, or set FFMPEG_PATH to a newer ffmpeg`);
  }
  const encoders = parseEncoders(await capture(ffmpeg, ['-hide_banner', '-encoders']));
  return { ffmpeg, ffprobe, version, encoders };
}

/** A `VideoError` (exit 2) unless ffmpeg has `encoder`, needed for `purpose` (e.g. "mp4"). */
export function requireEncoder(tools: FfmpegTools, encoder: string, purpose: string): void {
  if (!tools.encoders.has(encoder)) {
    throw new VideoError(`ffmpeg ${tools.version} at ${tools.ffmpeg} has no ${encoder} encoder, which ${purpose} needs: install a full ffmpeg build (Debian/Ubuntu: sudo apt-get install ffmpeg), or choose another format`);
  }
}

/** One ffmpeg option: a flag and, for most flags, its value. */
export type FfmpegOption = readonly [flag: `-${string}`, value?: string | number];

/** An ffmpeg invocation: inputs with their options, then one output with its options. */
export interface FfmpegCommand {
  inputs: readonly { url: string; options?: readonly FfmpegOption[] }[];
  output: { url: string; options: readonly FfmpegOption[] };
}

/**
 * The argument vector: quiet except for errors, and stop at the first one (-xerror: otherwise ffmpeg skips an unreadable
 * frame and exits 0 with a shorter video); progress as key=value lines on stdout; overwrite the output.
 */
export function ffmpegArgs(command: FfmpegCommand): string[] {
  const flatten = (options: readonly FfmpegOption[] = []) => options.flatMap(([flag, value]) => (value === undefined ? [flag] : [flag, String(value)]));
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-xerror', '-progress', 'pipe:1', '-nostats', '-y',
    ...command.inputs.flatMap((input) => [...flatten(input.options), '-i', input.url]),
    ...flatten(command.output.options),
    command.output.url,
  ];
}

/** Progress as ffmpeg reports it with `-progress`: frames written so far. */
export interface FfmpegProgress {
  frame: number;
  done: boolean;
}

const ABORT_GRACE_MS = 2000;

// ffmpeg's closing summaries, which name no cause.
const GENERIC_ERROR_LINES = [/^Conversion failed!?$/, /^Exiting normally/];

/** The line of ffmpeg's stderr that best says what went wrong: the last one that is not a generic summary. */
export function lastMeaningfulLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.replace(/ @ 0x[0-9a-f]+\]/, ']').trim())
    .filter((line) => line !== '');
  const meaningful = lines.filter((line) => !GENERIC_ERROR_LINES.some((re) => re.test(line)));
  return meaningful.at(-1) ?? lines.at(-1) ?? 'no error message';
}

/**
 * Runs ffmpeg. Resolves when it exits 0; a failure is a `VideoError` (exit 1) with ffmpeg's last meaningful error
 * line. Aborting `signal` stops ffmpeg and rejects with the signal's reason.
 */
export function runFfmpeg(
  tools: Pick<FfmpegTools, 'ffmpeg'>,
  command: FfmpegCommand,
  options: { onProgress?: (progress: FfmpegProgress) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const args = ffmpegArgs(command);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const child = spawn(tools.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let pending = '';
    let frame = 0;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_384);
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [key, value] = line.trim().split('=');
        if (key === 'frame') frame = Number(value);
        if (key === 'progress') options.onProgress?.({ frame, done: value === 'end' });
      }
    });
    // SIGTERM lets ffmpeg close its output; one blocked on an input may ignore it, so SIGKILL follows.
    const abort = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), ABORT_GRACE_MS).unref();
    };
    // A process that exits meanwhile (a second Ctrl-C quits at once) takes its ffmpeg with it.
    const killNow = () => child.kill('SIGKILL');
    const detach = () => {
      options.signal?.removeEventListener('abort', abort);
      process.off('exit', killNow);
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    process.once('exit', killNow);
    child.on('error', (error) => {
      detach();
      reject(new VideoError(`cannot run ffmpeg at ${tools.ffmpeg} (${error.message}): ${INSTALL_HINT}, or set FFMPEG_PATH`));
    });
    child.on('close', (code, signal) => {
      detach();
      if (options.signal?.aborted) return reject(options.signal.reason);
      if (code === 0) return resolve();
      const status = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new VideoError(`ffmpeg ${status}: ${lastMeaningfulLine(stderr)}`, 1));
    });
  });
}

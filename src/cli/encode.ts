import path from 'node:path';
import type { Command } from 'commander';
import { RenderError, UsageError } from '../errors.js';
import { deforum, shellWord } from '../invocation.js';
import { nodeFs } from '../render/durable-fs.js';
import { RenderJournal } from '../render/journal.js';
import { claimRenderFolder, renderFolder, renderName } from '../render/render-folder.js';
import { readRenderSettings } from '../render/settings-file.js';
import { checkFfmpeg, encodeVideo, type VideoFormat, type X264Preset } from '../video/encode.js';
import { videoCodecs, x264Presets } from '../video/formats.js';
import { INTERRUPTED_EXIT_CODE, onCtrlC } from './interrupt.js';
import { createProgressReporter } from './progress.js';
import { integerOption } from './schedule.js';

interface EncodeFlags {
  codec?: string;
  crf?: number;
  preset?: string;
  fps?: string;
  audio?: string | false;
  output?: string;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag}: expected one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** Re-encodes a render's frames (another codec, quality, fps or audio) without rendering anything. */
export function register(program: Command): void {
  program
    .command('encode')
    .description('re-encode the frames of a render folder into a video, without re-rendering')
    .argument('<dir>', 'render folder (renders/<name>)')
    .option('--codec <codec>', `video format: ${videoCodecs.join(', ')} (default: the file's)`)
    .option('--crf <n>', 'quality, lower is better (default: the file\'s, Deforum 17)', integerOption(0, 51))
    .option('--preset <preset>', `x264 preset: ${x264Presets.join(', ')}`)
    .option('--fps <n>', 'frames per second (default: the file\'s)')
    .option('--audio <file>', 'audio file to mux in, trimmed to the video')
    .option('--no-audio', 'leave out the audio named in the file')
    .option('-o, --output <file>', 'output file (default renders/<name>/<name>.<codec>)')
    .action(async (dir: string, flags: EncodeFlags) => {
      const outDir = path.resolve(dir);
      const folder = renderFolder(outDir, path.basename(outDir));
      const settings = readRenderSettings(folder);
      const { animation } = settings;
      const format: VideoFormat = flags.codec === undefined ? animation.output.codec : oneOf('--codec', flags.codec, videoCodecs);
      const preset: X264Preset = flags.preset === undefined ? animation.output.preset : oneOf('--preset', flags.preset, x264Presets);
      const fps = flags.fps === undefined ? animation.fps : Number(flags.fps);
      if (!(fps > 0 && fps <= 240)) throw new UsageError(`--fps: expected a number above 0 and at most 240, got "${flags.fps}"`);
      // The folder's shape is checked (a FIFO journal would block the read) and it is locked: no render or verify
      // runs in it while its video is written.
      const release = await claimRenderFolder(folder, [format]);
      try {
        const journal = await RenderJournal.read(nodeFs, outDir, { readOnly: true });
        const frameCount = journal?.frames.length ?? 0;
        if (frameCount === 0) throw new RenderError(`${dir}: no finished frames to encode`);
        const baseDir = path.dirname(settings.source);
        const audio = flags.audio === false ? undefined : flags.audio !== undefined ? path.resolve(flags.audio) : animation.output.audio && path.resolve(baseDir, animation.output.audio);
        const output = path.resolve(flags.output ?? path.join(outDir, `${renderName(animation, settings.source)}.${format}`));
        const tools = await checkFfmpeg(format);
        const progress = createProgressReporter({ json: false });
        const ctrlC = onCtrlC({ stopping: 'stopping the encode (Ctrl-C again to quit at once)…', quitting: 'stopped at once' }, progress.finishLine);
        try {
          await encodeVideo({
            tools, framesDir: folder.framesDir, frameCount, fps, format, crf: flags.crf ?? animation.output.crf, preset, audio, output, signal: ctrlC.signal,
            onProgress: (p) => progress.report({ type: 'encode', file: output, frame: p.frame, frames: p.frameCount }),
          });
        } catch (error) {
          if (!ctrlC.signal.aborted) throw error;
          progress.finishLine();
          // ffmpeg is stopped and its partial file removed; the frames are untouched, so the same command starts over.
          const again = [deforum(), ...process.argv.slice(2).map(shellWord)].join(' ');
          process.stderr.write(`deforum: stopped; ${output} is not written. Encode again with: ${again}\n`);
          process.exit(INTERRUPTED_EXIT_CODE);
        } finally {
          ctrlC.dispose();
        }
        progress.report({ type: 'info', message: `encoded ${frameCount} frames at ${fps} fps -> ${output}` });
      } finally {
        await release();
      }
    });
}

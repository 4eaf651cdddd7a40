import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { RenderError } from '../errors.js';
import { AnimationSchema } from '../keyframes/schema.js';
import { parseDeviceRequest } from '../sampler/devices.js';
import { renderFolder } from '../render/render-folder.js';
import { runRenderSession } from './render-session.js';
import { integerOption } from './schedule.js';

interface ResumeFlags {
  device?: string;
  verify?: boolean;
  previewEvery?: number;
  json?: boolean;
}

/**
 * Continues a render from its folder alone: settings.json holds the resolved animation (seed included) and the
 * file it came from, so an edited or moved keyframe file does not change what is resumed.
 */
export function register(program: Command): void {
  program
    .command('resume')
    .description('continue an interrupted render from its folder (renders/<name>)')
    .argument('<dir>', 'render folder')
    .option('--device <device>', 'auto, cuda, webgpu or cpu (default: the device the render started with)')
    .option('--preview-every <n>', 'rewrite preview.mp4 every N frames', integerOption(1, 1_000_000))
    .option('--verify', 're-hash every finished frame first and re-render from the first damaged one')
    .option('--json', 'one JSON event per line on stdout')
    .action(async (dir: string, flags: ResumeFlags) => {
      const outDir = path.resolve(dir);
      const settingsFile = renderFolder(outDir, path.basename(outDir)).settingsFile;
      // A FIFO or device in its place would block the read forever.
      if (statSync(settingsFile, { throwIfNoEntry: false })?.isFile() === false) {
        throw new RenderError(`${settingsFile} is not a regular file; is this a render folder (renders/<name>)?`);
      }
      let settings: { source?: string; animation?: unknown; device?: { requested?: string } };
      try {
        settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new RenderError(`${dir}: ${code === 'ENOENT' ? 'no settings.json here; is this a render folder (renders/<name>)?' : `settings.json is unreadable (${code ?? (error as Error).message})`}`);
      }
      const animation = AnimationSchema.safeParse(settings.animation);
      if (!animation.success || typeof settings.source !== 'string') {
        throw new RenderError(`${settingsFile}: not a deforum-ts render settings file (expected "source" and "animation")`);
      }
      await runRenderSession(
        {
          animation: animation.data,
          source: settings.source,
          outDir,
          device: parseDeviceRequest(flags.device ?? settings.device?.requested ?? 'auto'),
          previewEvery: flags.previewEvery,
          verifyFrames: flags.verify,
        },
        { json: flags.json === true },
      );
    });
}

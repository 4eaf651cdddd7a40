import path from 'node:path';
import type { Command } from 'commander';
import { parseDeviceRequest } from '../sampler/device-names.js';
import { renderFolder } from '../render/render-folder.js';
import { readRenderSettings } from '../render/settings-file.js';
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
      const settings = readRenderSettings(renderFolder(outDir, path.basename(outDir)));
      // the render loads sharp and onnxruntime; other commands start without them
      const { runRenderSession } = await import('./render-session.js');
      await runRenderSession(
        {
          animation: settings.animation,
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

import path from 'node:path';
import type { Command } from 'commander';
import { loadAnimation } from '../keyframes/load.js';
import { MAX_SEED } from '../numerics/seed-range.js';
import { parseDeviceRequest } from '../sampler/device-names.js';
import { frameRange } from './plan.js';
import { integerOption } from './schedule.js';

interface RenderFlags {
  out?: string;
  model?: string;
  device: string;
  frames?: string;
  previewEvery?: number;
  seed?: number;
  force?: boolean;
  savePlan?: boolean;
  saveDetectmaps?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('render')
    .description('render a keyframe file to frames and a video (continues an unfinished render of the same file)')
    .argument('<file>', 'keyframe JSON file')
    .option('--out <dir>', 'render folder (default renders/<name>)')
    .option('--model <dir>', 'model folder or bundled model name (overrides the file)')
    .option('--device <device>', 'auto, cuda, webgpu or cpu', 'auto')
    .option('--frames <range>', 'render only frames A-B (inclusive); each frame is made from the one before, so A can be at most the first frame not yet rendered')
    .option('--preview-every <n>', 'rewrite preview.mp4 every N frames', integerOption(1, 1_000_000))
    .option('--seed <n>', 'starting seed (overrides the file)', integerOption(0, MAX_SEED))
    .option('--force', 're-render even if the model, device or file of the folder changed')
    .option('--save-plan', 'write plan.json (every frame job) next to the frames')
    .option('--save-detectmaps', 'write the ControlNet pose maps to detectmaps/ (never into the frames)')
    .option('--json', 'one JSON event per line on stdout')
    .action(async (file: string, flags: RenderFlags) => {
      const source = path.resolve(file);
      const { animation, warnings, planWarnings } = await loadAnimation(file);
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      const [first, last] = frameRange(flags.frames, animation.frames);
      // the render loads sharp and onnxruntime; other commands start without them
      const { runRenderSession } = await import('./render-session.js');
      await runRenderSession(
        {
          animation,
          source,
          outDir: flags.out,
          model: flags.model,
          device: parseDeviceRequest(flags.device),
          seed: flags.seed,
          frames: { first, last },
          previewEvery: flags.previewEvery,
          force: flags.force,
          savePlan: flags.savePlan,
          saveDetectMaps: flags.saveDetectmaps,
        },
        { json: flags.json === true, warned: planWarnings },
      );
    });
}

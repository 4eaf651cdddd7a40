/**
 * How long a resume takes to start rendering (until the first sampler step of the next frame) when 10 and when 10,000
 * frames are already done. The finished frames and their journal are synthesised (one small PNG copied, job hashes
 * chained exactly as the renderer chains them), so only the resume bookkeeping is measured; the model is loaded once.
 * Run: npx tsx bench/resume.ts [--model DIR]
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AnimationSchema } from '../src/keyframes/schema.js';
import { bundledModelPath } from '../src/models/bundled.js';
import { planAnimation } from '../src/plan/plan.js';
import { encodePng } from '../src/image-file.js';
import { createRawImage } from '../src/raw-image.js';
import { nodeFs, writeFileDurable } from '../src/render/durable-fs.js';
import { frameJobHash, sha256 } from '../src/render/job-hash.js';
import { RenderJournal, type JournalFrame } from '../src/render/journal.js';
import { renderFolder } from '../src/render/render-folder.js';
import { renderContext, renderFrames } from '../src/render/render-frames.js';
import { StableDiffusion } from '../src/sampler/pipeline.js';

const args = process.argv.slice(2);
const at = args.indexOf('--model');
const model = path.resolve(at === -1 ? bundledModelPath('tiny-sd') : args[at + 1]);
const sd = await StableDiffusion.load(model, { device: 'cpu' });
const size = 64;

async function timeToFirstStep(done: number): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-bench-resume-'));
  const source = path.join(dir, 'bench.json');
  const animation = { ...AnimationSchema.parse({ model, width: size, height: size, frames: done + 1, steps: 4, seed: 3, diffusionCadence: 1, colorCoherence: 'none', prompts: { '0': 'a red circle' } }), seed: 3 };
  const jobs = planAnimation(animation, { seed: 3 });
  const folder = renderFolder(path.join(dir, 'out'), 'out');
  mkdirSync(folder.framesDir, { recursive: true });
  const png = await encodePng(createRawImage(size, size));
  const pngHash = sha256(png);
  await writeFileDurable(nodeFs, folder.frameFile(0), png);
  const context = await renderContext(animation, sd, {});
  const entries: JournalFrame[] = [];
  let previous: string | undefined;
  for (let frame = 0; frame < done; frame++) {
    if (frame > 0) copyFileSync(folder.frameFile(0), folder.frameFile(frame));
    entries.push({ type: 'frame', frame, job: frameJobHash(jobs[frame], context, previous), png: pngHash, size: png.length });
    previous = pngHash;
  }
  await RenderJournal.write(nodeFs, folder.dir, { type: 'render', version: 1, source, name: 'out', modelId: context.modelId, device: context.device, frames: jobs.length, createdAt: new Date().toISOString() }, entries);
  const controller = new AbortController();
  let firstStep = 0;
  let reused = -1;
  const start = performance.now();
  await renderFrames({
    animation, jobs, source, baseDir: dir, folder, sd, settings: {}, signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'start') reused = event.reused;
      if (event.type === 'step' && firstStep === 0) {
        firstStep = performance.now() - start;
        controller.abort();
      }
    },
  }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  if (reused !== done) throw new Error(`expected ${done} frames kept, the render kept ${reused}`);
  return firstStep;
}

await timeToFirstStep(10);
const small = await timeToFirstStep(10);
const large = await timeToFirstStep(10_000);
console.log(`resume to first sampler step, 10 frames done:     ${small.toFixed(0)} ms`);
console.log(`resume to first sampler step, 10,000 frames done: ${large.toFixed(0)} ms`);
console.log(`ratio: ${(large / small).toFixed(2)}×`);
await sd.release();

import { DeforumError } from '../errors.js';
import { RenderInterrupted } from '../render/render-frames.js';
import { renderAnimation, type RenderRequest } from '../render/run.js';
import { INTERRUPTED_EXIT_CODE, onCtrlC } from './interrupt.js';
import { createProgressReporter } from './progress.js';
import { deforum } from '../invocation.js';

/**
 * Runs a render for the CLI: progress on the terminal (or JSON events), Ctrl-C stops cleanly after saying so
 * (a second Ctrl-C quits at once), and an interrupted render prints the command that resumes it.
 */
export async function runRenderSession(request: Omit<RenderRequest, 'signal' | 'onEvent' | 'log'>, options: { json: boolean; warned?: ReadonlySet<string> }): Promise<void> {
  const progress = createProgressReporter({ json: options.json });
  // each warning once per command: the plan repeats what validation said already, and a unit's schedules may repeat
  const warned = new Set(options.warned);
  let outDir = request.outDir;
  const ctrlC = onCtrlC(
    { stopping: 'stopping after the current step (Ctrl-C again to quit at once)…', quitting: 'stopped at once; frames written so far are kept' },
    progress.finishLine,
  );
  try {
    await renderAnimation({
      ...request,
      signal: ctrlC.signal,
      onEvent: (event) => {
        if (event.type === 'start') outDir = event.outDir;
        if (event.type === 'warning') {
          if (warned.has(event.message)) return;
          warned.add(event.message);
        }
        progress.report(event);
      },
      log: progress.log,
    });
  } catch (error) {
    progress.finishLine();
    if (error instanceof RenderInterrupted) {
      const resume = `${deforum()} resume ${JSON.stringify(outDir ?? '')}`;
      if (options.json) process.stdout.write(`${JSON.stringify({ type: 'stopped', lastFrame: error.lastDurableFrame, resume })}\n`);
      const saved = error.lastDurableFrame < 0 ? 'no frame is saved yet' : error.lastDurableFrame === 0 ? 'frame 0 is saved' : `frames 0-${error.lastDurableFrame} are saved`;
      process.stderr.write(`deforum: stopped; ${saved}. Resume with: ${resume}\n`);
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    if (options.json) {
      const exitCode = error instanceof DeforumError ? error.exitCode : 1;
      process.stdout.write(`${JSON.stringify({ type: 'error', message: error instanceof Error ? error.message : String(error), exitCode })}\n`);
    }
    throw error;
  } finally {
    ctrlC.dispose();
  }
}

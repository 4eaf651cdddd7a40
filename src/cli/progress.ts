import { verbose } from '../invocation.js';
import type { RenderEvent } from '../render/events.js';

export interface ProgressOptions {
  /** One JSON object per line on stdout instead of human output on stderr. */
  json: boolean;
  stderr?: NodeJS.WriteStream;
  stdout?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** Show the notes marked `detail` (default: `--verbose` was given). */
  verbose?: boolean;
}

export interface ProgressReporter {
  report: (event: RenderEvent) => void;
  /** The model's notes (`LoadOptions.log`): `warning: …` as a warning, `detail` ones only when verbose. */
  log: (message: string, level?: 'detail') => void;
  finishLine: () => void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Turns render events into what a person or a script sees: on a terminal one live line on stderr
 * (frame, step, seconds per frame, ETA, device); plain lines when stderr is not a terminal; `--json` one
 * event per line on stdout. Colour only on a terminal and never with NO_COLOR.
 */
export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const stderr = options.stderr ?? process.stderr;
  const stdout = options.stdout ?? process.stdout;
  const env = options.env ?? process.env;
  const live = !options.json && stderr.isTTY === true;
  const color = live && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[22m` : text);
  let device = '';
  let total = 0;
  let done = 0;
  let elapsed = 0;
  let lastSeconds = 0;
  let lineOpen = false;

  const eta = () => (done === 0 ? Infinity : (elapsed / done) * (total - done));
  const timing = () => `${lastSeconds.toFixed(2)} s/frame · ETA ${formatDuration(eta())}`;
  const writeLive = (text: string) => {
    stderr.write(`\r\x1b[2K${text}`);
    lineOpen = true;
  };
  const finishLine = () => {
    if (lineOpen) stderr.write('\n');
    lineOpen = false;
  };
  const say = (text: string) => {
    finishLine();
    stderr.write(`${text}\n`);
  };

  const report = (event: RenderEvent) => {
    if (options.json) {
      if (event.type !== 'step') stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    switch (event.type) {
      case 'start':
        device = event.device;
        total = event.last - event.first + 1;
        say(
          event.first > event.last
            ? `${event.name}: frames 0-${event.last} are already rendered -> ${event.outDir}`
            : `rendering ${event.name}: frames ${event.first}-${event.last} of ${event.frames} on ${event.device}` +
                (event.reused > 0 ? `, ${event.reused} ${event.reused === 1 ? 'frame' : 'frames'} kept from the previous run` : '') +
                ` -> ${event.outDir}`,
        );
        if (event.message) say(event.message);
        break;
      case 'step':
        // the timing stays on the line while the next frame samples (none before the first frame is done)
        if (live) writeLive(`frame ${event.frame} (${Math.min(done + 1, total)}/${total}) · step ${event.step}/${event.steps}${done > 0 ? ` · ${timing()}` : ''} ${dim(`· ${device}`)}`);
        break;
      case 'frame': {
        done += 1;
        elapsed += event.seconds;
        lastSeconds = event.seconds;
        const line = `frame ${event.frame} (${done}/${total}) ${timing()}`;
        if (live) writeLive(`${line} ${dim(`· ${device}`)}`);
        else say(line);
        break;
      }
      case 'preview':
        if (!live) say(`preview: ${event.file}`);
        break;
      case 'encode': {
        const line = `encoding ${event.file}: frame ${event.frame}/${event.frames}`;
        if (live) writeLive(line);
        else say(line);
        break;
      }
      case 'video':
        say(`video: ${event.file}`);
        break;
      case 'info':
        say(event.message);
        break;
      case 'warning':
        say(`warning: ${event.message}`);
        break;
      case 'done':
        say(
          `done: ${event.frames} frames (${event.rendered} rendered) in ${formatDuration(event.seconds)}, ` +
            `${event.framesPerMinute.toFixed(1)} frames/min${event.video ? `, video ${event.video}` : ''}`,
        );
        break;
    }
  };
  const showDetail = options.verbose ?? verbose;
  const log = (message: string, level?: 'detail') => {
    if (level === 'detail' && !showDetail) return;
    report(message.startsWith('warning: ') ? { type: 'warning', message: message.slice('warning: '.length) } : { type: 'info', message });
  };
  return { report, log, finishLine };
}

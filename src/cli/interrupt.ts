/** Exit code of a command stopped by Ctrl-C, as shells report SIGINT (128 + 2). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Ctrl-C for a long command: the first SIGINT says `stopping` and aborts `signal`, so the work stops cleanly (ffmpeg
 * killed and waited for, partial files removed); a second one quits at once after saying `quitting`. `beforeWrite`
 * ends a live progress line first. `dispose` gives SIGINT back.
 */
export function onCtrlC(messages: { stopping: string; quitting: string }, beforeWrite: () => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    beforeWrite();
    if (controller.signal.aborted) {
      process.stderr.write(`deforum: ${messages.quitting}\n`);
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    process.stderr.write(`deforum: ${messages.stopping}\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

import type { FrameJob } from '../plan/frame-job.js';

/** Text is handed to the file in pieces of about this many characters. */
const CHUNK_CHARS = 1 << 16;

/**
 * `plan.json`: a JSON array with one job per line, produced in chunks, so a plan of a million frames is written in
 * bounded memory (one JSON.stringify of it is a string of about a gigabyte, past V8's limit).
 */
export function* planJsonChunks(jobs: readonly FrameJob[]): Generator<string> {
  let chunk = '[\n';
  for (let i = 0; i < jobs.length; i++) {
    chunk += `${JSON.stringify(jobs[i])}${i + 1 < jobs.length ? ',' : ''}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}]\n`;
}

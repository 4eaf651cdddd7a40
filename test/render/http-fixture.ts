import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../helpers.js';

/** The files of `dir` served on 127.0.0.1 by test/fixtures/http-server.mjs in its own process, until `close`. */
export async function serveFolder(dir: string): Promise<{ base: string; close: () => void }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'test', 'fixtures', 'http-server.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (text: string) => resolve(text.trim()));
    child.once('error', reject);
  });
  return { base: `http://127.0.0.1:${port}`, close: () => child.kill('SIGTERM') };
}

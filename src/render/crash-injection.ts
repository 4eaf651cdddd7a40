import type { RenderFs } from './durable-fs.js';

/**
 * For crash tests only: `DEFORUM_CRASH_AT=<point>:<n>` makes a render kill itself with SIGKILL at the n-th (1-based)
 * occurrence of a write step, so a test can prove resume is exact after a crash at that very point:
 * `write` (a temporary file written, not yet renamed), `rename` (a file renamed into place, its journal entry not
 * yet written), `append` (half of a journal line written).
 */
export function crashInjectingFs(base: RenderFs, spec: string): RenderFs {
  const match = /^(write|rename|append):(\d+)$/.exec(spec);
  if (!match) throw new Error(`DEFORUM_CRASH_AT: expected write:N, rename:N or append:N, got "${spec}"`);
  const point = match[1];
  const at = Number(match[2]);
  const counts = { write: 0, rename: 0, append: 0 };
  const die = (): never => {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable');
  };
  return {
    ...base,
    async open(file, flags) {
      const handle = await base.open(file, flags);
      if (flags !== 'w' && flags !== 'a') return handle;
      const kind = flags === 'w' ? 'write' : 'append';
      const writeFile = handle.writeFile.bind(handle);
      handle.writeFile = (async (data: string | Uint8Array) => {
        counts[kind] += 1;
        if (point === kind && counts[kind] === at) {
          if (kind === 'append') await writeFile(String(data).slice(0, Math.floor(String(data).length / 2)));
          else await writeFile(data);
          await handle.sync();
          die();
        }
        return writeFile(data);
      }) as typeof handle.writeFile;
      return handle;
    },
    async rename(from, to) {
      await base.rename(from, to);
      counts.rename += 1;
      if (point === 'rename' && counts.rename === at) die();
    },
  };
}

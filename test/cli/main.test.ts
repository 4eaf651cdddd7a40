import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

describe('deforum CLI', () => {
  it('prints help and exits 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: deforum');
  });

  it('rejects an unknown option with one line on stderr and exit code 2', () => {
    const r = runCli(['--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, repoRoot, runCli } from '../helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deforum-main-'));

describe('deforum CLI', () => {
  it('prints help and exits 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: deforum');
  });

  it('--version prints the package version', () => {
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });

  it('no command prints the usage, exit 2', () => {
    const r = runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: deforum \[options\] \[command\]\n/);
    expect(r.stderr).toContain('render [options] <file>');
    expect(r.stderr).not.toContain('outputHelp');
  });

  it('rejects an unknown option with one line on stderr and exit code 2', () => {
    const r = runCli(['--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('a mistyped command or option: one line with the did-you-mean, exit 2', () => {
    const command = runCli(['plna', 'schedules/demo.json']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe("deforum: unknown command 'plna' (did you mean plan?)\n");
    const option = runCli(['plan', 'schedules/demo.json', '--jsn']);
    expect(option.code).toBe(2);
    expect(option.stderr).toBe("deforum: unknown option '--jsn' (did you mean --json?)\n");
  });

  it('an extra argument (an unquoted prompt) is refused, not dropped', () => {
    const r = runCli(['prompt', 'inspect', 'a', 'fox']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("deforum: too many arguments for 'inspect'. Expected 1 argument but got 2.\n");
  });

  it('output cut short by the reader (| head -1) ends quietly, exit 0', () => {
    const file = path.join(tmp, 'long.json');
    writeFileSync(file, JSON.stringify({ frames: 20_000, seed: 1, prompts: { 0: 'a fox' } }));
    for (const command of [`plan ${file} --json`, `plan ${file}`, 'schema']) {
      const r = spawnSync('bash', ['-c', `"$0" "$1" ${command} | head -1 > /dev/null; echo "exit \${PIPESTATUS[0]}"`, process.execPath, cliPath], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('exit 0\n');
    }
  }, 120_000);
});

describe('commands in messages are the ones the user can run', () => {
  const file = path.join(tmp, 'two-problems.json');
  writeFileSync(file, '{"prompts": {"0": "a"}, "frames": 0, "fps": 0}');
  const suggested = (options: { cwd: string; env?: NodeJS.ProcessEnv }) => {
    const r = runCli(['plan', file], options);
    expect(r.code).toBe(2);
    return /run '(.*) validate /.exec(r.stderr)?.[1];
  };

  it('inside the clone, where npm install puts no deforum on the PATH: npx deforum', () => {
    expect(suggested({ cwd: path.join(repoRoot, 'schedules'), env: { PATH: '' } })).toBe('npx deforum');
  });

  it('elsewhere: node with the absolute path of the CLI', () => {
    expect(suggested({ cwd: tmp, env: { PATH: '' } })).toBe(`node ${cliPath}`);
  });

  it('after npm link or a global install (a deforum on the PATH that is this CLI): deforum', () => {
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    symlinkSync(cliPath, path.join(bin, 'deforum'));
    expect(suggested({ cwd: tmp, env: { PATH: bin } })).toBe('deforum');
  });
});

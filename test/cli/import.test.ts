import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deforum-import-'));
const settings = 'schedules/imported/deforum_20240312180455_settings.txt';

describe('deforum import', () => {
  it('prints the converted keyframe file and lists the fields it could not carry on stderr', () => {
    const r = runCli(['import', settings]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(repoRoot, 'schedules/imported/deforum_20240312180455.json'), 'utf8'));
    // noise_multiplier_schedule is carried as schedules.noiseMultiplier (README's table); only the model is not.
    expect(r.stderr).toBe('deforum: import: 1 Deforum setting not carried over:\n  sd_model_name "v1-5-pruned-emaonly.safetensors" (set "model" to an ONNX model folder)\n');
  });

  it('-o writes a file that validates and plans', () => {
    const out = path.join(tmp, 'converted.json');
    expect(runCli(['import', settings, '-o', out]).code).toBe(0);
    const v = runCli(['validate', out]);
    expect(v.code).toBe(0);
    expect(runCli(['plan', out, '--json']).code).toBe(0);
  });

  it('a file that is not a settings file is exit 2', () => {
    const file = path.join(tmp, 'not.txt');
    writeFileSync(file, 'hello');
    const r = runCli(['import', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^deforum: ${file}: not a Deforum settings file: invalid JSON`));
    const noPrompts = path.join(tmp, 'empty.json');
    writeFileSync(noPrompts, '{"W": 512}');
    expect(runCli(['import', noPrompts]).stderr).toBe(`deforum: ${noPrompts}: prompts: missing; expected an object {"0": "a prompt", …}\n`);
  });

  it('a 3D settings file is imported with its camera; its zoom "0:(0)", which Deforum ignores in 3D, is left out', () => {
    const file = path.join(tmp, 'fly_settings.txt');
    const out = path.join(tmp, 'fly.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(path.join(repoRoot, settings), 'utf8')), animation_mode: '3D', zoom: '0:(0)', translation_z: '0:(2)' }, null, 4));
    const r = runCli(['import', file, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const animation = JSON.parse(readFileSync(out, 'utf8'));
    expect(animation).toMatchObject({ animationMode: '3D', schedules: { translationZ: '0:(2)' } });
    expect(animation.schedules).not.toHaveProperty('zoom');
    expect(runCli(['validate', out]).code).toBe(0);
  });

  it('a "__proto__" prompt key is refused naming the key where the settings file has it, not dropped', () => {
    const file = path.join(tmp, 'proto_settings.txt');
    writeFileSync(file, '{"max_frames": 5, "prompts": {"0": "a cat", "__proto__": "a dog"}}');
    const r = runCli(['import', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: ${file}:1:58: prompts.__proto__: '__proto__' cannot be a key (JavaScript objects reserve it)\n`);
    expect(r.stdout).toBe('');
  });

  it('-o naming a folder or inside a missing one: one line, exit 2, nothing written', () => {
    const folder = path.join(tmp, 'a-folder');
    mkdirSync(folder);
    const r = runCli(['import', settings, '-o', folder]);
    expect(r.stderr).toBe(`deforum: -o: ${folder} is a folder; expected a file name\n`);
    expect(r.code).toBe(2);
    expect(readdirSync(folder)).toEqual([]);
    const missing = runCli(['import', settings, '-o', path.join(tmp, 'missing', 'x.json')]);
    expect(missing.stderr).toBe(`deforum: -o: folder ${path.join(tmp, 'missing')} does not exist\n`);
    expect(missing.code).toBe(2);
  });

  it('a path holding a NUL character is one line naming the setting, not an internal error', () => {
    const file = path.join(tmp, 'nul_settings.txt');
    writeFileSync(file, '{"prompts": {"0": "a"}, "use_init": true, "init_image": "a\\u0000b.png"}');
    const r = runCli(['import', file]);
    expect(r.stderr).toBe(`deforum: ${file}:1:57: init_image: "a\\u0000b.png" is not a file name (it holds a NUL character)\n`);
    expect(r.code).toBe(2);
  });

  it('a ControlNet schedule that does not parse points at its setting in the settings file', () => {
    const file = path.join(tmp, 'cn_settings.txt');
    writeFileSync(path.join(tmp, 'p.mp4'), '');
    writeFileSync(file, JSON.stringify({ prompts: { 0: 'a' }, max_frames: 5, cn_1_enabled: true, cn_1_module: 'none', cn_1_model: 'openpose', cn_1_vid_path: 'p.mp4', cn_1_weight: '0:(' }, null, 4));
    const r = runCli(['import', file]);
    expect(r.stderr).toBe(`deforum: ${file}:10:20: cn_1_weight: position 3: unclosed '('\n`);
    expect(r.code).toBe(2);
  });
});

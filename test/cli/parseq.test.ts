import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deforum-parseq-'));
const fixture = path.join(repoRoot, 'test/fixtures/parseq/main.json');
const manifest = path.join(tmp, 'manifest.json');
copyFileSync(fixture, manifest);
const rendered = (JSON.parse(readFileSync(fixture, 'utf8')) as { rendered_frames: Array<Record<string, unknown>> }).rendered_frames;

const writeJson = (name: string, value: unknown) => {
  const file = path.join(tmp, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
};

describe('Parseq manifests on the command line', () => {
  it('deforum import manifest.json writes a keyframe file naming it; plan shows what comes from Parseq and its values', () => {
    const out = path.join(tmp, 'from-manifest.json');
    const r = runCli(['import', manifest, '-o', out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ parseq: 'manifest.json', frames: 17, fps: 24, diffusionCadence: 2 });
    const plan = runCli(['plan', out, '--seed', '1', '--frames', '5-7']);
    expect(plan.code).toBe(0);
    const lines = plan.stdout.split('\n');
    expect(lines[0]).toBe('manifest: 17 frames, 512x512 at 24 fps, model tiny-sd, seed 1 (option, iter), cadence 2');
    expect(lines[1]).toBe(
      'parseq manifest.json: from Parseq: frames, fps, cadence, prompts, seed, cfg, zoom, angle, translationX, translationY, transformCenterX, noise, contrast, antiBlurAmount, antiBlurKernel, noiseMultiplier; ' +
        'from the file: strength, transformCenterY, antiBlurSigma, antiBlurThreshold; in the manifest but not used in 2D without the perspective flip: translationZ, rotation3dY, fov, perspectiveFlipTheta, perspectiveFlipFv',
    );
    // Frame 6 is defined twice: the later entry (cfg 11.5, seed 1200.75, its own prompt) wins, and the plan says so once.
    expect(lines[4]).toMatch(/^\s+6\s+yes\s+1200\s+25\s+euler_a\s+11\.5\s+0\.65\s+.*a duplicated frame: 1 --neg nothing$/);
    expect(plan.stderr.match(/more than once/g)).toHaveLength(1);
    expect(plan.stderr).toContain('fields this renderer does not have, left out: clipskip, hybrid_comp_alpha, guided_blendFactorMax');
  });

  it('a bad manifest is exit 2 and one line naming the frame and field, from validate and plan', () => {
    const broken = writeJson('broken-manifest.json', { options: { output_fps: 24 }, rendered_frames: rendered.map((f) => (f.frame === 9 ? { ...f, zoom_delta: 'fast' } : f)) });
    const file = writeJson('broken.json', { prompts: { 0: 'x' }, parseq: path.basename(broken) });
    for (const command of ['validate', 'plan']) {
      const r = runCli(command === 'plan' ? [command, file, '--seed', '1'] : [command, file]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('broken-manifest.json: rendered_frames[10] (frame 9): zoom_delta: expected a number, got "fast"');
    }
    const missing = writeJson('missing.json', { prompts: { 0: 'x' }, parseq: 'nowhere.json' });
    const r = runCli(['plan', missing, '--seed', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: parseq: ${path.join(tmp, 'nowhere.json')}: no such file\n`);
    const notManifest = writeJson('not-manifest.json', { prompts: { 0: 'x' }, parseq: 'broken.json' });
    expect(runCli(['plan', notManifest, '--seed', '1']).stderr).toBe('deforum: broken.json: not a Parseq manifest: no "rendered_frames" (in Parseq, copy the manifest with its rendered frames, not the document)\n');
  });

  it("a settings file's pasted manifest is written beside the keyframe file; without -o, or as a URL, one line and nothing written", () => {
    const settings = JSON.parse(readFileSync(path.join(repoRoot, 'schedules/imported/deforum_20240312180455_settings.txt'), 'utf8')) as Record<string, unknown>;
    const pasted = writeJson('run_settings.txt', { ...settings, parseq_manifest: readFileSync(fixture, 'utf8'), parseq_use_deltas: false });
    const out = path.join(tmp, 'run.json');
    const r = runCli(['import', pasted, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('parseq');
    expect(JSON.parse(readFileSync(out, 'utf8')).parseq).toEqual({ manifest: 'run.parseq.json', useDeltas: false, overrides: true });
    expect(readFileSync(path.join(tmp, 'run.parseq.json'), 'utf8')).toBe(readFileSync(fixture, 'utf8'));
    expect(runCli(['plan', out]).code).toBe(0);

    const stdout = runCli(['import', pasted]);
    expect(stdout.code).toBe(2);
    expect(stdout.stdout).toBe('');
    expect(stdout.stderr).toBe(`deforum: ${pasted}: parseq_manifest: the manifest is written to a file beside the keyframe file; give one with -o <file>\n`);
    const url = writeJson('url_settings.txt', { ...settings, parseq_manifest: 'https://sd-parseq.web.app/api/v1/manifest/abc' });
    const u = runCli(['import', url, '-o', path.join(tmp, 'url.json')]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/parseq_manifest: https:\/\/sd-parseq\.web\.app\/api\/v1\/manifest\/abc is a URL, which is not downloaded: open it, save the manifest/);
    expect(existsSync(path.join(tmp, 'url.json'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { didYouMean, formatProblem, validateAnimationText } from '../../src/keyframes/validate.js';

const problems = (text: string) => validateAnimationText(text).problems.map((p) => formatProblem('f.json', p));

describe('validateAnimationText', () => {
  it('reports every problem at once with path, line:column and what was expected', () => {
    const text = ['{', '  "frames": "ten",', '  "fsp": 12,', '  "seedBehavior": "iterate",', '  "prompts": {"0": "a cat"},', '  "schedules": {"nois": 1}', '}'].join('\n');
    expect(problems(text)).toEqual([
      'f.json:2:13: frames: expected number, received string',
      expect.stringMatching(/^f\.json:3:3: fsp: unknown field 'fsp' \(did you mean 'fps'\?\); expected one of: \$schema, name, model/),
      'f.json:4:19: seedBehavior: Invalid option: expected one of "iter"|"fixed"|"random"|"ladder"|"alternate"|"schedule" (did you mean "iter"?)',
      expect.stringMatching(/^f\.json:6:17: schedules\.nois: unknown field 'nois' \(did you mean 'noise'\?\)/),
    ]);
  });

  it('suggests the right spelling of an option: LAB → lab', () => {
    expect(problems('{"prompts": {"0": "a"}, "colorCoherence": "LAB"}')).toEqual(['f.json:1:43: colorCoherence: Invalid option: expected one of "none"|"lab"|"hsv"|"rgb"|"image" (did you mean "lab"?)']);
  });

  it('suggests the camelCase field for a Deforum snake_case name, one level down if it lives there', () => {
    expect(problems('{"prompts": {"0": "a"}, "max_frames": 10}')[0]).toMatch(/unknown field 'max_frames'/);
    expect(problems('{"prompts": {"0": "a"}, "seed_behavior": "iter"}')[0]).toMatch(/did you mean 'seedBehavior'\?/);
    expect(problems('{"prompts": {"0": "a"}, "translation_x": "0:(1)"}')[0]).toMatch(/did you mean 'schedules\.translationX'\?/);
    expect(didYouMean('zzz', ['fps', 'seed'])).toBeUndefined();
  });

  it('points inside a schedule string at the broken character', () => {
    const text = '{\n  "prompts": {"0": "a"},\n  "schedules": {"zoom": "0:(1)5:(2)", "angle": "0:(foo)"}\n}';
    expect(problems(text)).toEqual([
      // Column 25 is the opening quote of "0:(1)5:(2)": 31 is the '5'.
      "f.json:3:31: schedules.zoom: position 6: expected ',' between keyframes, found '5'",
      "f.json:3:51: schedules.angle: position 3: value of key 0: unknown name 'foo' (an expression can use t, max_f, s, pi and e)",
    ]);
  });

  it('locates errors inside structured keyframes and prompts', () => {
    const text = '{"prompts": {"0": "a", "5": "b `nope`"}, "schedules": {"zoom": {"0": 1, "9": {"value": "sin(", "interpolation": "linear"}}, "cfg": {"0": {"value": 1, "interpolation": "wobble"}}}}';
    const found = problems(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^f\.json:1:\d+: schedules\.cfg\["0"\]\.interpolation: Invalid option: expected one of "linear"\|"step"\|"cubic"\|"easeInSine"/);
    const semantic = problems(text.replace('"wobble"', '"step"'));
    expect(semantic).toEqual([
      `f.json:1:29: prompts["5"]: backtick expression \`nope\`: unknown name 'nope' (an expression can use t, max_f, s, pi and e)`,
      'f.json:1:88: schedules.zoom["9"].value: Unexpected end of expression',
    ]);
  });

  it('reports invalid JSON with its position', () => {
    expect(problems('{\n  "frames": 10,\n}')).toEqual(['f.json:3:1: JSON: invalid JSON: property name expected']);
    expect(problems('')).toEqual(['f.json:1:1: JSON: invalid JSON: value expected']);
  });

  it('needs at least one prompt, a known sampler and a colour sample for colorCoherence image', () => {
    expect(problems('{"prompts": {}}')).toEqual(['f.json:1:13: prompts: expected at least one prompt, e.g. {"0": "a red circle"}']);
    expect(problems('{"prompts": {"0": "a"}, "sampler": "Euler b"}')[0]).toMatch(/^f\.json:1:36: sampler: unknown sampler 'Euler b' \(valid: /);
    expect(problems('{"prompts": {"0": "a"}, "colorCoherence": "image"}')[0]).toMatch(/colorCoherence "image" needs colorCoherenceImage/);
  });

  it('warns about keys outside the animation without failing', () => {
    const v = validateAnimationText('{"frames": 5, "prompts": {"0": "a"}, "schedules": {"cfg": "0:(7), 20:(3)"}}');
    expect(v.problems).toEqual([]);
    expect(v.warnings.map((w) => formatProblem('f.json', w))).toEqual(["f.json:1:59: schedules.cfg: key '20' is frame 20, outside 0-4; ignored"]);
  });

  it('checks numbers against the schema: seed range, size multiple of 8, cadence ≥ 1', () => {
    expect(problems('{"prompts": {"0": "a"}, "seed": 4294967296, "width": 100, "diffusionCadence": 0, "seedIterN": 0}')).toEqual([
      'f.json:1:33: seed: Too big: expected number to be <=4294967295',
      'f.json:1:54: width: Invalid number: must be a multiple of 8',
      'f.json:1:79: diffusionCadence: Too small: expected number to be >=1',
      'f.json:1:95: seedIterN: Too small: expected number to be >=1',
    ]);
  });
});

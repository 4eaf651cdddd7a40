import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../src/name-suggestions.js';
import { formatProblem, validateAnimationText } from '../../src/keyframes/validate.js';

const problems = (text: string) => validateAnimationText(text).problems.map((p) => formatProblem('f.json', p));

describe('validateAnimationText', () => {
  it('reports every problem at once with path, line:column and what was expected', () => {
    const text = ['{', '  "frames": "ten",', '  "fsp": 12,', '  "seedBehavior": "iterate",', '  "prompts": {"0": "a cat"},', '  "schedules": {"nois": 1}', '}'].join('\n');
    expect(problems(text)).toEqual([
      'f.json:2:13: frames: expected a number, got "ten"',
      "f.json:3:3: fsp: unknown field 'fsp' (did you mean 'fps'?)",
      'f.json:4:19: seedBehavior: expected one of "iter", "fixed", "random", "ladder", "alternate", "schedule", got "iterate" (did you mean "iter"?)',
      "f.json:6:17: schedules.nois: unknown field 'nois' (did you mean 'noise'?)",
    ]);
  });

  it('suggests the right spelling of an option: LAB → lab', () => {
    expect(problems('{"prompts": {"0": "a"}, "colorCoherence": "LAB"}')).toEqual(['f.json:1:43: colorCoherence: expected one of "none", "lab", "hsv", "rgb", "image", got "LAB" (did you mean "lab"?)']);
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
    expect(found[0]).toMatch(/^f\.json:1:\d+: schedules\.cfg\["0"\]\.interpolation: expected one of 33 names \(closest: "cubic", "linear", "step"\), got "wobble"$/);
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
      'f.json:1:33: seed: expected a number at most 4294967295, got 4294967296',
      'f.json:1:54: width: expected a multiple of 8, got 100',
      'f.json:1:79: diffusionCadence: expected a number at least 1, got 0',
      'f.json:1:95: seedIterN: expected a number at least 1, got 0',
    ]);
  });

  it('names Deforum settings fields by ours and lists at most three nearest names, never the whole list', () => {
    expect(problems('{"prompts": {"0": "a"}, "W": 512, "H": 512, "strength_schedule": "0:(0.6)", "schedules": {"kernel_schedule": "0:(5)"}}')).toEqual([
      "f.json:1:25: W: unknown field 'W' (did you mean 'width'?)",
      "f.json:1:35: H: unknown field 'H' (did you mean 'height'?)",
      "f.json:1:45: strength_schedule: unknown field 'strength_schedule' (did you mean 'schedules.strength'?)",
      "f.json:1:91: schedules.kernel_schedule: unknown field 'kernel_schedule' (did you mean 'antiBlurKernel'?)",
    ]);
    const [long] = problems(`{"prompts": {"0": "a"}, "${'x'.repeat(5_000_000)}": 1}`);
    expect(long).toBe(`f.json:1:25: ${'x'.repeat(60)}…: unknown field '${'x'.repeat(40)}…'`);
    expect(problems('{"prompts": {"0": "a"}, "samplingx": 1}')).toEqual(["f.json:1:25: samplingx: unknown field 'samplingx'; the closest accepted: 'sampler', 'samplingMode', 'perlinW'"]);
  });

  it('bounds what costs time or memory, in plain words: size, prompt length, ControlNet units', () => {
    expect(problems('{"prompts": {"0": "a"}, "width": 30000, "steps": 1000000}')).toEqual([
      'f.json:1:34: width: expected a number at most 2048, got 30000',
      'f.json:1:50: steps: expected a number at most 1000, got 1000000',
    ]);
    const prompt = 'a'.repeat(5_000_000);
    expect(problems(`{"prompts": {"0": "a", "10": "${prompt}"}, "negativePrompt": "${'b'.repeat(20_001)}"}`)).toEqual([
      'f.json:1:30: prompts["10"]: expected at most 20000 characters, got 5000000',
      `f.json:1:${5_000_053}: negativePrompt: expected at most 20000 characters, got 20001`,
    ]);
    const unit = '{"pose": "p.json"}';
    expect(problems(`{"prompts": {"0": "a"}, "controlnet": [${Array(11).fill(unit).join(', ')}]}`)).toEqual(['f.json:1:39: controlnet: expected at most 10 entries, got 11']);
  });

  it('checks steps and the anti-blur kernel on every frame, naming the first frame out of bounds', { timeout: 20_000 }, () => {
    expect(problems('{"prompts": {"0": "a"}, "frames": 30, "schedules": {"steps": "0:(20), 10:(20), 11:(1000000)"}}')).toEqual([
      'f.json:1:62: schedules.steps: frame 11 is 1000000, expected at most 1000',
    ]);
    expect(problems('{"prompts": {"0": "a"}, "frames": 3, "schedules": {"steps": {"0": 10, "2": 0}}}')).toEqual(['f.json:1:61: schedules.steps: frame 2 is 0, expected at least 1']);
    expect(problems('{"prompts": {"0": "a"}, "frames": 3, "schedules": {"antiBlurKernel": "0:(1000000001)"}}')).toEqual([
      'f.json:1:70: schedules.antiBlurKernel: frame 0 is 1000000001, expected at most 99',
    ]);
    expect(problems('{"prompts": {"0": "a"}, "frames": 5, "schedules": {"antiBlurKernel": "0:(5), 4:(9)"}}')).toEqual([
      'f.json:1:70: schedules.antiBlurKernel: frame 1 is 6, expected an odd number (1, 3, … 99)',
    ]);
    expect(validateAnimationText('{"prompts": {"0": "a"}, "frames": 1000000, "schedules": {"steps": "0:(1000)", "antiBlurKernel": "0:(99)"}}').problems).toEqual([]);
  });

  it('refuses a 2D zoom of 0 or below on any frame, naming the frame (a zoom of 0 draws every frame as flat colour)', () => {
    expect(problems('{"prompts": {"0": "a"}, "frames": 10, "schedules": {"zoom": "0:(1), 5:(0), 9:(1)"}}')).toEqual(['f.json:1:61: schedules.zoom: frame 5 is 0, expected above 0']);
    expect(problems('{"prompts": {"0": "a"}, "frames": 3, "schedules": {"zoom": "0:(-0.5)"}}')).toEqual(['f.json:1:60: schedules.zoom: frame 0 is -0.5, expected above 0']);
    expect(validateAnimationText('{"prompts": {"0": "a"}, "frames": 3, "schedules": {"zoom": "0:(0.25)"}}').problems).toEqual([]);
  });

  it('refuses a "__proto__" key where zod\'s records would drop it: prompts, structured keyframes, pose keyframes', () => {
    const text = [
      '{"frames": 3,',
      ' "prompts": {"0": "a", "__proto__": "b"},',
      ' "schedules": {"zoom": {"0": 1, "__proto__": 2}, "sampler": {"__proto__": "euler"}},',
      ' "controlnet": [{"model": "m", "pose": {"0": "a.json", "__proto__": "b.json"}}],',
      ' "output": {"__proto__": 1}}',
    ].join('\n');
    const reserved = "'__proto__' cannot be a key (JavaScript objects reserve it)";
    expect(problems(text)).toEqual([
      `f.json:2:24: prompts.__proto__: ${reserved}`,
      `f.json:3:33: schedules.zoom.__proto__: ${reserved}`,
      `f.json:3:62: schedules.sampler.__proto__: ${reserved}`,
      `f.json:4:56: controlnet[0].pose.__proto__: ${reserved}`,
      // A strict object reports it once, as an unknown field.
      expect.stringMatching(/^f\.json:5:13: output\.__proto__: unknown field '__proto__'/),
    ]);
  });

  it('checks the noise multiplier schedule like the others: every expression and a finite value on every frame', () => {
    expect(problems('{"prompts": {"0": "a"}, "frames": 3, "schedules": {"noiseMultiplier": "0:(1), 2:(nope)"}}')).toEqual([
      "f.json:1:81: schedules.noiseMultiplier: position 10: value of key 2: unknown name 'nope' (an expression can use t, max_f, s, pi and e)",
    ]);
    expect(problems('{"prompts": {"0": "a"}, "frames": 3, "schedules": {"noiseMultiplier": {"0": 1, "2": "1e400"}}}')).toEqual([
      'f.json:1:85: schedules.noiseMultiplier["2"]: a number beyond the double range (about ±1.8e308); expected a finite number',
    ]);
    expect(problems('{"prompts": {"0": "a"}, "frames": 3, "schedules": {"noiseMultiplier": "0:(1/(t-1))"}}')).toEqual([
      expect.stringMatching(/^f\.json:1:\d+: schedules\.noiseMultiplier: .*frame 1/),
    ]);
  });

  it('refuses JSON nested deeper than 100 levels at the bracket, without overflowing the stack', () => {
    const deep = `{"prompts": {"0": "a"},\n "x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(problems(deep)).toEqual(['f.json:2:106: JSON: invalid JSON: nested more than 100 levels deep']);
    // Brackets inside strings are text, not nesting.
    expect(validateAnimationText(`{"prompts": {"0": "${'['.repeat(1000)}"}, "frames": 2}`).problems).toEqual([]);
  });

  it('warns, naming the frames, where Deforum clamps strength, where CFG is negative and about prompts past the end', () => {
    const v = validateAnimationText(
      '{"frames": 20, "prompts": {"0": "a", "25": "b"}, "schedules": {"strength": "0:(2), 1:(0.5), 10:(1.5), 14:(1.5), 15:(0.5), 17:(-1), 18:(0.5), 19:(-1)", "cfg": "0:(-1), 3:(7)"}}',
    );
    expect(v.problems).toEqual([]);
    expect(v.warnings.map((w) => formatProblem('f.json', w))).toEqual([
      'f.json:1:159: schedules.cfg: frame 0 is negative (a negative CFG scale steers the image away from the prompt)',
      'f.json:1:76: schedules.strength: frames 6–14 are above 1 (Deforum clamps strength to 0–1)',
      'f.json:1:76: schedules.strength: frames 16–17, 19 are below 0 (Deforum clamps strength to 0–1)',
      "f.json:1:38: prompts[\"25\"]: key '25' is frame 25, past the last frame 19; its prompt is never used",
    ]);
    const multiplier = validateAnimationText('{"frames": 12, "prompts": {"0": "a"}, "schedules": {"noiseMultiplier": "0:(1.05), 4:(0), 6:(-0.5), 7:(1)"}}');
    expect(multiplier.problems).toEqual([]);
    expect(multiplier.warnings.map((w) => formatProblem('f.json', w))).toEqual([
      'f.json:1:72: schedules.noiseMultiplier: frames 4–6 are 0 or below (it scales the noise img2img starts from: 0 adds none)',
    ]);
    const manyLate = validateAnimationText(`{"frames": 4, "prompts": {${Array.from({ length: 40 }, (_, i) => `"${i * 10}": "p${i}"`).join(', ')}}}`);
    expect(manyLate.warnings.map((w) => formatProblem('f.json', w))).toEqual([
      "f.json:1:26: prompts: 39 keys are past the last frame 3; their prompts are never used: '10' is frame 10, '20' is frame 20, '30' is frame 30, …",
    ]);
    const alternating = validateAnimationText('{"frames": 9, "prompts": {"0": "a"}, "schedules": {"cfg": {"0": -1, "1": 1, "2": -1, "3": 1, "4": -1, "5": 1, "6": -1, "7": 1, "8": -1}}}');
    expect(alternating.warnings.map((w) => w.message)).toEqual(['frames 0, 2, 4 and 2 more runs are negative (a negative CFG scale steers the image away from the prompt)']);
  });
});

describe('ControlNet unit schedules (issue 16)', () => {
  it('are checked by validate, located, as the plan builds them; a disabled unit\'s are not', () => {
    const unit = (fields: Record<string, unknown>) => `{"frames": 5, "prompts": {"0": "a"}, "controlnet": [${JSON.stringify({ pose: 'p.json', ...fields })}]}`;
    expect(validateAnimationText(unit({ weight: '0:(' })).problems.map((p) => formatProblem('f.json', p))).toEqual(["f.json:1:82: controlnet[0].weight: position 3: unclosed '('"]);
    expect(validateAnimationText(unit({ enabled: false, weight: '0:(' })).problems).toEqual([]);
    expect(validateAnimationText(unit({ guidanceEnd: '0:(1), 50:(0.5)' })).warnings.map((p) => formatProblem('f.json', p))).toEqual([
      "f.json:1:84: controlnet[0].guidanceEnd: key '50' is frame 50, outside 0-4; ignored",
    ]);
  });
});

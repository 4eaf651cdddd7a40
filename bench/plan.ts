/**
 * Planning a 10,000-frame file with ten expression schedules (issue 7: must take < 2 s on the project machine).
 * Run: npx tsx bench/plan.ts
 */
import { performance } from 'node:perf_hooks';
import { compileExpression } from '../src/keyframes/expression.js';
import { validateAnimationText } from '../src/keyframes/validate.js';
import { planAnimation } from '../src/plan/plan.js';

const frames = 10_000;
const file = {
  frames,
  seed: 1234,
  seedBehavior: 'random',
  diffusionCadence: 1,
  prompts: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [String(i * 200), `a red circle \`0.5+0.5*sin(t/40)\` --neg blurry`])),
  negativePrompt: 'ugly',
  schedules: {
    cfg: '0:(7 + 2*sin(t/30)), 5000:(where(t % 100 < 50, 6, 8))',
    strength: '0:(0.6 + 0.1*cos(t/17))',
    zoom: '0:(1.0025+0.002*sin(1.25*3.14*t/30))',
    angle: '0:(3*sin(t/50) + min(t, 10)/10)',
    translationX: '0:(2*cos(t/25)), 2000:(arctan2(t, max_f))',
    translationY: '0:(sqrt(t)/10 - floor(t/1000))',
    transformCenterX: '0:(0.5 + 0.1*sin(t/100))',
    transformCenterY: '0:(0.5 + 0.1*cos(t/100))',
    noise: '0:(0.02 + 0.01*abs(sin(t/9)))',
    contrast: '0:(1 + 0.01*sin(t/11)), 9000:(1)',
    steps: '0:(20 + 5*sin(t/60))',
  },
};
const text = JSON.stringify(file);

function run(): { validate: number; plan: number } {
  const t0 = performance.now();
  const { animation, problems } = validateAnimationText(text);
  if (!animation) throw new Error(problems.map((p) => p.message).join('; '));
  const t1 = performance.now();
  const jobs = planAnimation(animation);
  const t2 = performance.now();
  if (jobs.length !== frames) throw new Error('wrong number of jobs');
  return { validate: t1 - t0, plan: t2 - t1 };
}

const load = performance.now();
compileExpression('1');
const loadTime = performance.now() - load;
const cold = run();
const times = Array.from({ length: 3 }, run);
const best = times.reduce((a, b) => (a.validate + a.plan <= b.validate + b.plan ? a : b));
console.log(`plan: ${frames} frames, 11 expression schedules, 50 prompts with backticks`);
console.log(`validate (parse + check every schedule and prompt): ${best.validate.toFixed(0)} ms`);
console.log(`planAnimation: ${best.plan.toFixed(0)} ms`);
console.log(`total: ${(best.validate + best.plan).toFixed(0)} ms best of 3 warm, ${(cold.validate + cold.plan).toFixed(0)} ms first (cold) run; limit 2000 ms`);
console.log(`(once per process: loading the expression engine, mathjs, ${loadTime.toFixed(0)} ms)`);

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { compileExpression, ExpressionError, formatNumber } from '../../src/keyframes/expression.js';
import { repoRoot } from '../helpers.js';

const scope = { t: 0, max_f: 9, s: 42 };
const evaluate = (source: string, t = 0) => compileExpression(source).evaluate({ ...scope, t });
const refusal = (source: string) => {
  try {
    compileExpression(source);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected ${source} to be refused`);
};

describe('sandbox: only numbers can be computed', () => {
  it.each([
    ['import({x: 1})', /function 'import' is not allowed/],
    ['createUnit("foo")', /function 'createUnit' is not allowed/],
    ['evaluate("1+1")', /function 'evaluate' is not allowed/],
    ['parse("1")', /function 'parse' is not allowed/],
    ['compile("1")', /function 'compile' is not allowed/],
    ['simplify("x")', /function 'simplify' is not allowed/],
    ['x = 5', /assignments are not allowed/],
    ['f(x) = x^2', /function definitions are not allowed/],
    ['[1, 2, 3]', /matrices are not allowed/],
    ['matrix([1])', /function 'matrix' is not allowed: matrices/],
    ['"text"', /strings are not allowed/],
    ['concat("a", "b")', /function 'concat' is not allowed/],
    ['5 cm', /units are not allowed \('5 cm'\)/],
    ['2 t', /missing operator between '2' and 't'/],
    ['unit(5, "cm")', /function 'unit' is not allowed: units/],
    ['1:3', /ranges/],
    ['range(1, 3)', /function 'range' is not allowed/],
    ['t[1]', /indexing and property access are not allowed/],
    ['t.constructor', /indexing and property access are not allowed/],
    ['{a: 1}', /objects are not allowed/],
    ['1; 2', /only one expression/],
    ['foo(1)', /unknown function 'foo'/],
    ['i', /unknown name 'i'/],
    ['sin', /'sin' is a function/],
    ['5!', /operator '!' is not allowed/],
    ['true', /'true' is not a number/],
  ])('refuses %s', (source, message) => {
    expect(refusal(source)).toMatch(message);
  });

  it('an unknown function gets a did-you-mean or the three closest functions, never all 42', () => {
    expect(refusal('sine(t)')).toBe("unknown function 'sine' (did you mean 'sin'?)");
    expect(refusal('arctn(t)')).toBe("unknown function 'arctn' (did you mean 'arctan'?)");
    expect(refusal('randint(1)')).toBe("unknown function 'randint'; the closest accepted: 'asin', 'asinh', 'sin'");
  });

  it('scope holds only t, max_f and s (plus the constants pi and e)', () => {
    expect(evaluate('t + max_f + s', 3)).toBe(54);
    expect(evaluate('pi + e')).toBe(Math.PI + Math.E);
    expect(refusal('x + 1')).toMatch(/unknown name 'x'/);
  });

  it('a refusal does not leak: mathjs functions stay unreachable after a refused call', () => {
    expect(refusal('import({evaluate: 1})')).toMatch(/not allowed/);
    expect(evaluate('1 + 1')).toBe(2);
  });
});

describe('numexpr compatibility (docs/deforum.md §a Expression evaluation)', () => {
  it('integer % truncates like C, float % is floored like Python', () => {
    expect(evaluate('(t-5)%3')).toBe(-2);
    expect(evaluate('(t-5.5)%3')).toBe(0.5);
    expect(evaluate('t % 4', 6)).toBe(2);
  });

  it('comparisons give 0 or 1 and & | combine them', () => {
    expect(evaluate('t > 2', 3)).toBe(1);
    expect(evaluate('t > 2', 2)).toBe(0);
    expect(evaluate('(t > 1) & (t < 4)', 2)).toBe(1);
    expect(evaluate('(t > 1) | (t < 0)', 0)).toBe(0);
    expect(evaluate('t & 1', 5)).toBe(1);
    expect(evaluate('1 < t < 3', 2)).toBe(1);
    expect(refusal('0.5 & 1')).toMatch(/'&' needs integers or comparisons/);
  });

  it('where, ** and numexpr function names', () => {
    expect(evaluate('where(t > 2, 1, -1)', 3)).toBe(1);
    expect(evaluate('2**3')).toBe(8);
    expect(evaluate('-2**2')).toBe(-4);
    expect(evaluate('arcsin(1) + arccos(1) + arctan(0)')).toBe(Math.PI / 2);
    expect(evaluate('arctan2(1, 1)')).toBe(Math.PI / 4);
    expect(evaluate('fmod(-7, 3)')).toBe(-1);
    expect(evaluate('log(e) + log10(100) + sqrt(16) + abs(-2) + floor(1.5) + ceil(1.5)')).toBe(1 + 2 + 4 + 2 + 1 + 2);
    expect(evaluate('t > 2 ? 10 : 20', 1)).toBe(20);
  });

  it('/ is true division', () => {
    expect(evaluate('t/2', 3)).toBe(1.5);
  });

  it('arity mistakes are clear', () => {
    expect(refusal('where(1, 2)')).toBe('where() takes 3 arguments, got 2');
    expect(refusal('sin(1, 2)')).toBe('sin() takes 1 argument, got 2');
  });

  it('reports the parse error position', () => {
    expect(() => compileExpression('1 +')).toThrow(/a value is expected|Unexpected end/);
  });
});

describe('formatNumber prints like Python str() of numexpr results', () => {
  it.each([
    [5, 'int', '5'],
    [-3, 'int', '-3'],
    [1, 'float', '1.0'],
    [0.5, 'float', '0.5'],
    [1 / 3, 'float', '0.3333333333333333'],
    [1e-5, 'float', '1e-05'],
    [0.0001, 'float', '0.0001'],
    [1.5e16, 'float', '1.5e+16'],
    [123456789.5, 'float', '123456789.5'],
    [1, 'bool', 'True'],
  ] as const)('%s (%s) → %s', (value, type, text) => {
    expect(formatNumber(value, type)).toBe(text);
  });

  it('types follow numexpr: int arithmetic stays int, / and functions give floats', () => {
    expect(compileExpression('t*2+1').type).toBe('int');
    expect(compileExpression('t/2').type).toBe('float');
    expect(compileExpression('sin(t)').type).toBe('float');
    expect(compileExpression('t > 1').type).toBe('bool');
  });
});

describe('numexpr folds constants in Python first', () => {
  it('an integer % of constants is floored, of variables truncated', () => {
    expect(evaluate('(0-5)%3')).toBe(1);
    expect(evaluate('-3%2')).toBe(1);
    expect(evaluate('(t-5)%3', 0)).toBe(-2);
    expect(evaluate('abs(-3)%2 - 1')).toBe(0);
  });

  it('with literal variables (prompt backticks), t is a constant too', () => {
    expect(compileExpression('(t-3)%2', { literal: true }).evaluate({ ...scope, t: 0 })).toBe(1);
  });
});

describe('bounded input: limits instead of a stack overflow (issue 13)', () => {
  const chain = (terms: number, op = '+') => Array(terms).fill('1').join(op);

  it.each([
    ['a 10,000-term sum', chain(10_000), /^expression is 19999 characters long; at most 1000 are allowed$/],
    ['min() with 200,000 arguments', `min(${chain(200_000, ',')})`, /^expression is 400004 characters long; at most 1000 are allowed$/],
    ['100,000 nested brackets', `${'('.repeat(100_000)}t${')'.repeat(100_000)}`, /^expression is 200001 characters long/],
    ['33 nested brackets', `${'('.repeat(33)}t${')'.repeat(33)}`, /^brackets nest more than 32 deep; at most 32 levels are allowed$/],
    ['33 nested calls', `${'sin('.repeat(33)}t${')'.repeat(33)}`, /^brackets nest more than 32 deep/],
    ['a 300-term sum', chain(300), /^expression nests 300 operations deep \(a chain like 1\+1\+… counts one per term\); at most 256 are allowed$/],
    ['900 signs', `${'-'.repeat(900)}1`, /^expression nests 901 operations deep/],
    ['a chain of 400 powers', chain(400, '^'), /^expression nests 400 operations deep/],
  ])('%s is refused with the limit', (_, source, message) => {
    expect(refusal(source)).toMatch(message);
    expect(() => compileExpression(source, { literal: true })).toThrow(message);
  });

  it('below the limits a long expression compiles and evaluates', () => {
    expect(evaluate(chain(256))).toBe(256);
    expect(evaluate(`min(${chain(498, ',')})`)).toBe(1);
    expect(evaluate(`${'('.repeat(32)}t${')'.repeat(32)}`, 7)).toBe(7);
  });

  it('the limit error points at the first character past the limit', () => {
    const error = (() => {
      try {
        return compileExpression(chain(600));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).offset).toBe(1000);
  });

  it('on a thread with a small stack, an expression within the limits compiles or is refused, never overflows', async () => {
    // The built module (npm test builds first): a worker cannot load TypeScript. 0.4 MB is under half the main
    // thread's stack (about 1 MB, where all of these compile); here some of them overflow (measured).
    const cases = [chain(250), chain(250).replaceAll('1', 't'), chain(250, '*'), `${'('.repeat(32)}t${')'.repeat(32)}`, `${'-'.repeat(255)}1`];
    const results = await new Promise<unknown[]>((resolve, reject) => {
      const worker = new Worker(
        `const { parentPort, workerData } = require('node:worker_threads');
        import(workerData.module).then(({ compileExpression }) => parentPort.postMessage(workerData.cases.map((source) => {
          try {
            compileExpression(source).evaluate({ t: 1, max_f: 1, s: 1 });
            return 'ok';
          } catch (error) {
            return error.constructor.name + ': ' + error.message;
          }
        })));`,
        { eval: true, workerData: { module: pathToFileURL(path.join(repoRoot, 'dist/keyframes/expression.js')).href, cases }, resourceLimits: { stackSizeMb: 0.4 } },
      );
      worker.once('message', (message) => resolve(message as unknown[]));
      worker.once('error', reject);
    });
    for (const result of results) expect(result).toMatch(/^ok$|^ExpressionError: too deeply nested for this thread's stack; at most 256 nested operations are allowed$/);
  });

  it.each(['1e400', '-1e400', 't + 1e309', '2e999 * 0'])('the literal in %s is beyond the double range', (source) => {
    expect(refusal(source)).toBe('a number beyond the double range (about ±1.8e308); expected a finite number');
  });
});

import { createRequire } from 'node:module';
import type { MathNode } from 'mathjs';
import { KeyframeError } from '../errors.js';
import { unknownNameMessage } from '../name-suggestions.js';

/**
 * The sandboxed expression language of schedules and prompt backticks.
 *
 * A private mathjs instance only *parses*; its dangerous functions are replaced by refusals so that even a leaked
 * reference cannot import, evaluate or define anything. The parse tree is then checked against a whitelist and compiled
 * into plain closures over three numbers (`t`, `max_f`, `s`): nothing a stranger's file writes can reach anything but
 * arithmetic. Each node also gets a numexpr-style static type (int, float, bool) so that `%` and printed values behave
 * as in Deforum, whose expressions run on numexpr (docs/deforum.md §a "Expression evaluation").
 */

/** Values an expression may read. `max_f` = frames − 1, `s` = the run's seed (docs/deforum.md §a). */
export interface ExpressionScope {
  t: number;
  max_f: number;
  s: number;
}

export type ExpressionType = 'int' | 'float' | 'bool';

export interface CompiledExpression {
  /** The source text as written. */
  readonly source: string;
  /** numexpr's result type: decides how a backtick result prints (`5`, `5.0`). */
  readonly type: ExpressionType;
  /** Whether the value depends on `t` (a constant expression never needs re-evaluating). */
  readonly usesT: boolean;
  evaluate(scope: ExpressionScope): number;
}

/** A bad expression; `offset` is the 0-based character in the source where the problem is, when known. */
export class ExpressionError extends KeyframeError {
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(message);
    this.offset = offset;
  }
}

/** A literal such as `1e400`, which JavaScript reads as Infinity. */
export const beyondDoubleRange = 'a number beyond the double range (about ±1.8e308); expected a finite number';

const refuse = (name: string) => () => {
  throw new ExpressionError(`'${name}' is not allowed in a schedule expression`);
};
const refusedCapabilities = [
  'import', 'createUnit', 'evaluate', 'parse', 'compile', 'simplify', 'derivative', 'resolve', 'reviver', 'replacer',
  'rationalize', 'symbolicEqual', 'leafCount', 'parser', 'chain', 'help',
] as const;

let parseExpression: ((text: string) => MathNode) | undefined;
let isUnitName: (name: string) => boolean = () => false;

/**
 * The private instance, made on first use. mathjs's single-file bundle (the same code) loads several times faster
 * than its ESM module tree, and commands that never see an expression do not load it at all: CLI start-up time.
 */
function mathParse(): (text: string) => MathNode {
  if (!parseExpression) {
    const { create, all } = createRequire(import.meta.url)('mathjs/lib/browser/math.js') as typeof import('mathjs');
    const math = create(all, { number: 'number' });
    parseExpression = math.parse;
    isUnitName = (name) => math.Unit.isValuelessUnit(name);
    math.import(Object.fromEntries(refusedCapabilities.map((name) => [name, refuse(name)])), { override: true });
  }
  return parseExpression;
}

type Eval = (scope: ExpressionScope) => number;
interface Compiled {
  fn: Eval;
  type: ExpressionType;
  usesT: boolean;
  /**
   * numexpr folds operations on constants in Python before compiling, so they get Python's semantics (floored `%`
   * on integers) while operations on variables get C's (docs/deforum.md §a; `(0-5)%3` = 1 but `(t-5)%3` = −2 at t = 0).
   */
  constant: boolean;
}

/*
 * Every name table is a Map: a name a stranger writes (`constructor`, `__proto__`, `toString`) must never find what
 * a plain object inherits from Object.prototype.
 */

/** `literal`: the variables are numbers pasted into the text, as Deforum does for prompt backticks. */
const variablesOf = (literal: boolean): ReadonlyMap<string, Compiled> => new Map<string, Compiled>([
  ['t', { fn: (v) => v.t, type: 'int', usesT: true, constant: literal }],
  ['max_f', { fn: (v) => v.max_f, type: 'int', usesT: false, constant: literal }],
  ['s', { fn: (v) => v.s, type: 'int', usesT: false, constant: literal }],
  ['pi', { fn: () => Math.PI, type: 'float', usesT: false, constant: true }],
  ['e', { fn: () => Math.E, type: 'float', usesT: false, constant: true }],
]);
const scheduleVariables = variablesOf(false);
const literalVariables = variablesOf(true);
type Variables = ReadonlyMap<string, Compiled>;

const numericType = (types: ExpressionType[]): ExpressionType => (types.every((t) => t !== 'float') ? 'int' : 'float');

interface FunctionSpec {
  arity: [number, number];
  fn: (...args: number[]) => number;
  type: (args: ExpressionType[]) => ExpressionType;
}
const float = () => 'float' as const;
const unary = (fn: (x: number) => number): FunctionSpec => ({ arity: [1, 1], fn, type: float });
const roundHalfAwayFromZero = (x: number) => Math.sign(x) * Math.round(Math.abs(x));
/** numexpr's names (docs/deforum.md §a list) plus the usual mathjs/JS spellings; `min`/`max` are element-wise here. */
const functions: ReadonlyMap<string, FunctionSpec> = new Map(Object.entries({
  abs: { arity: [1, 1], fn: Math.abs, type: (a) => (a[0] === 'float' ? 'float' : 'int') },
  sqrt: unary(Math.sqrt),
  cbrt: unary(Math.cbrt),
  exp: unary(Math.exp),
  expm1: unary(Math.expm1),
  log: unary(Math.log),
  log10: unary(Math.log10),
  log1p: unary(Math.log1p),
  log2: unary(Math.log2),
  sin: unary(Math.sin),
  cos: unary(Math.cos),
  tan: unary(Math.tan),
  sinh: unary(Math.sinh),
  cosh: unary(Math.cosh),
  tanh: unary(Math.tanh),
  arcsin: unary(Math.asin),
  arccos: unary(Math.acos),
  arctan: unary(Math.atan),
  arcsinh: unary(Math.asinh),
  arccosh: unary(Math.acosh),
  arctanh: unary(Math.atanh),
  asin: unary(Math.asin),
  acos: unary(Math.acos),
  atan: unary(Math.atan),
  asinh: unary(Math.asinh),
  acosh: unary(Math.acosh),
  atanh: unary(Math.atanh),
  floor: unary(Math.floor),
  ceil: unary(Math.ceil),
  trunc: unary(Math.trunc),
  round: unary(roundHalfAwayFromZero),
  sign: unary(Math.sign),
  arctan2: { arity: [2, 2], fn: Math.atan2, type: float },
  atan2: { arity: [2, 2], fn: Math.atan2, type: float },
  hypot: { arity: [2, 2], fn: Math.hypot, type: float },
  pow: { arity: [2, 2], fn: Math.pow, type: numericType },
  // numexpr's fmod truncates like C; `mod` is mathjs's floored modulo.
  fmod: { arity: [2, 2], fn: (a, b) => a % b, type: float },
  mod: { arity: [2, 2], fn: (a, b) => a - b * Math.floor(a / b), type: numericType },
  min: { arity: [1, Infinity], fn: Math.min, type: numericType },
  max: { arity: [1, Infinity], fn: Math.max, type: numericType },
  clamp: { arity: [3, 3], fn: (x, lo, hi) => Math.min(Math.max(x, lo), hi), type: numericType },
  where: { arity: [3, 3], fn: (c, a, b) => (c !== 0 ? a : b), type: (a) => numericType(a.slice(1)) },
} satisfies Record<string, FunctionSpec>));

/** Names a user might try, refused with the reason rather than "unknown function". */
const refused = (names: readonly string[], reason: string) => names.map((name): [string, string] => [name, reason]);
const refusedNames: ReadonlyMap<string, string> = new Map([
  ...refused(refusedCapabilities, 'only arithmetic is allowed'),
  ...refused(['matrix', 'range', 'zeros', 'ones', 'concat', 'subset', 'index', 'size', 'map', 'forEach', 'filter'], 'matrices are not allowed'),
  ...refused(['string', 'format', 'print', 'concat', 'bin', 'hex', 'oct'], 'strings are not allowed'),
  ...refused(['unit', 'to', 'splitUnit'], 'units are not allowed'),
]);

const functionNames = [...functions.keys()];

function fail(message: string): never {
  throw new ExpressionError(message);
}

const truthy = (x: number) => x !== 0;
const flag = (b: boolean) => (b ? 1 : 0);

const binary: ReadonlyMap<string, (a: number, b: number) => number> = new Map(Object.entries({
  add: (a, b) => a + b,
  subtract: (a, b) => a - b,
  multiply: (a, b) => a * b,
  divide: (a, b) => a / b,
  pow: Math.pow,
  smaller: (a, b) => flag(a < b),
  larger: (a, b) => flag(a > b),
  smallerEq: (a, b) => flag(a <= b),
  largerEq: (a, b) => flag(a >= b),
  equal: (a, b) => flag(a === b),
  unequal: (a, b) => flag(a !== b),
  and: (a, b) => flag(truthy(a) && truthy(b)),
  or: (a, b) => flag(truthy(a) || truthy(b)),
  xor: (a, b) => flag(truthy(a) !== truthy(b)),
}));
const comparisons = new Set(['smaller', 'larger', 'smallerEq', 'largerEq', 'equal', 'unequal', 'and', 'or', 'xor']);
const relational: ReadonlyMap<string, (a: number, b: number) => boolean> = new Map([
  ['smaller', (a, b) => a < b],
  ['larger', (a, b) => a > b],
  ['smallerEq', (a, b) => a <= b],
  ['largerEq', (a, b) => a >= b],
  ['equal', (a, b) => a === b],
  ['unequal', (a, b) => a !== b],
]);

function compileNode(node: MathNode, vars: Variables): Compiled {
  const n = node as MathNode & Record<string, any>;
  switch (node.type) {
    case 'ParenthesisNode':
      return compileNode(n.content, vars);
    case 'ConstantNode': {
      if (typeof n.value !== 'number') fail(typeof n.value === 'string' ? 'strings are not allowed (quotes may only surround a number)' : `'${String(n.value)}' is not a number`);
      const value: number = n.value;
      if (!Number.isFinite(value)) fail(beyondDoubleRange);
      return { fn: () => value, type: Number.isInteger(value) ? 'int' : 'float', usesT: false, constant: true };
    }
    case 'SymbolNode': {
      const v = vars.get(n.name);
      if (v) return v;
      if (functions.has(n.name)) fail(`'${n.name}' is a function: call it as ${n.name}(…)`);
      return fail(`unknown name '${n.name}' (an expression can use t, max_f, s, pi and e)`);
    }
    case 'OperatorNode':
      return compileOperator(n.fn as string, n.op as string, n.args as MathNode[], Boolean(n.implicit), vars);
    case 'ConditionalNode': {
      const [c, a, b] = [compileNode(n.condition, vars), compileNode(n.trueExpr, vars), compileNode(n.falseExpr, vars)];
      return {
        fn: (v) => (c.fn(v) !== 0 ? a.fn(v) : b.fn(v)),
        type: numericType([a.type, b.type]),
        usesT: c.usesT || a.usesT || b.usesT,
        constant: false,
      };
    }
    case 'RelationalNode': {
      const params = (n.params as MathNode[]).map((p) => compileNode(p, vars));
      const tests = (n.conditionals as string[]).map((c) => relational.get(c) ?? fail(`comparison '${c}' is not allowed`));
      return {
        fn: (v) => {
          const values = params.map((p) => p.fn(v));
          return flag(tests.every((test, i) => test(values[i], values[i + 1])));
        },
        type: 'bool',
        usesT: params.some((p) => p.usesT),
        constant: false,
      };
    }
    case 'FunctionNode':
      return compileFunction(n.fn as MathNode, n.args as MathNode[], vars);
    case 'AssignmentNode':
      return fail('assignments are not allowed');
    case 'FunctionAssignmentNode':
      return fail('function definitions are not allowed');
    case 'ArrayNode':
      return fail('matrices are not allowed');
    case 'ObjectNode':
      return fail('objects are not allowed');
    case 'AccessorNode':
    case 'IndexNode':
      return fail('indexing and property access are not allowed');
    case 'RangeNode':
      return fail("ranges ('a:b') are not allowed");
    case 'BlockNode':
      return fail('only one expression is allowed (no ";" or new lines)');
    default:
      return fail(`'${node.type}' is not allowed`);
  }
}

function compileOperator(fnName: string, op: string, args: MathNode[], implicit: boolean, vars: Variables): Compiled {
  if (implicit) {
    const unit = args[1].type === 'SymbolNode' ? (args[1] as MathNode & { name: string }).name : '';
    if (unit && !vars.has(unit) && isUnitName(unit)) fail(`units are not allowed ('${args[0].toString()} ${unit}')`);
    fail(`missing operator between '${args[0].toString()}' and '${args[1].toString()}'`);
  }
  const compiled = args.map((a) => compileNode(a, vars));
  const usesT = compiled.some((c) => c.usesT);
  const constant = compiled.every((c) => c.constant);
  if (compiled.length === 1) {
    const [a] = compiled;
    switch (fnName) {
      case 'unaryMinus':
        return { fn: (v) => -a.fn(v), type: a.type === 'float' ? 'float' : 'int', usesT, constant };
      case 'unaryPlus':
        return { fn: a.fn, type: a.type === 'bool' ? 'int' : a.type, usesT, constant };
      case 'not':
        return { fn: (v) => flag(!truthy(a.fn(v))), type: 'bool', usesT, constant };
      case 'bitNot':
        if (a.type === 'bool') return { fn: (v) => flag(!truthy(a.fn(v))), type: 'bool', usesT, constant };
        if (a.type === 'int') return { fn: (v) => ~a.fn(v), type: 'int', usesT, constant };
        return fail("'~' needs an integer or a comparison");
      default:
        return fail(`operator '${op}' is not allowed`);
    }
  }
  const [a, b] = compiled;
  if (fnName === 'mod') {
    // numexpr: integer % truncates like C, float % is floored like Python (docs/deforum.md §a, executed); constants are
    // folded by Python first, so an all-constant integer % is floored too.
    const type = numericType([a.type, b.type]);
    if (type === 'int' && !constant) return { fn: (v) => a.fn(v) % b.fn(v), type, usesT, constant };
    return { fn: (v) => { const x = a.fn(v); const y = b.fn(v); return x - y * Math.floor(x / y); }, type, usesT, constant };
  }
  if (fnName === 'bitAnd' || fnName === 'bitOr') {
    // numexpr: `&`/`|` are logical on comparisons and bitwise on integers; floats are an error.
    const and = fnName === 'bitAnd';
    if (a.type === 'bool' && b.type === 'bool') {
      return { fn: and ? (v) => flag(truthy(a.fn(v)) && truthy(b.fn(v))) : (v) => flag(truthy(a.fn(v)) || truthy(b.fn(v))), type: 'bool', usesT, constant };
    }
    if (a.type !== 'float' && b.type !== 'float') {
      return { fn: and ? (v) => a.fn(v) & b.fn(v) : (v) => a.fn(v) | b.fn(v), type: 'int', usesT, constant };
    }
    return fail(`'${op}' needs integers or comparisons on both sides`);
  }
  const f = binary.get(fnName) ?? fail(`operator '${op}' is not allowed`);
  const fa = a.fn;
  const fb = b.fn;
  const type: ExpressionType = comparisons.has(fnName) ? 'bool' : fnName === 'divide' ? 'float' : numericType([a.type, b.type]);
  return { fn: (v) => f(fa(v), fb(v)), type, usesT, constant };
}

function compileFunction(callee: MathNode, args: MathNode[], vars: Variables): Compiled {
  if (callee.type !== 'SymbolNode') return fail('only named functions can be called');
  const name = (callee as MathNode & { name: string }).name;
  const spec = functions.get(name);
  if (!spec) {
    const reason = refusedNames.get(name);
    if (reason) return fail(`function '${name}' is not allowed: ${reason}`);
    return fail(unknownNameMessage('function', name, functionNames));
  }
  const [min, max] = spec.arity;
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail(`${name}() takes ${expected} argument${min === 1 && max === 1 ? '' : 's'}, got ${args.length}`);
  }
  const compiled = args.map((a) => compileNode(a, vars));
  const fns = compiled.map((c) => c.fn);
  const type = spec.type(compiled.map((c) => c.type));
  const usesT = compiled.some((c) => c.usesT);
  // numexpr never folds function calls.
  const constant = false;
  const f = spec.fn;
  switch (fns.length) {
    case 1: {
      const [a] = fns;
      return { fn: (v) => f(a(v)), type, usesT, constant };
    }
    case 2: {
      const [a, b] = fns;
      return { fn: (v) => f(a(v), b(v)), type, usesT, constant };
    }
    default:
      return { fn: (v) => f(...fns.map((g) => g(v))), type, usesT, constant };
  }
}

/**
 * Bounds on one expression, so that a stranger's text costs bounded time and stack: mathjs parses recursively (about
 * 4 KB of stack per bracket level, measured with `node --stack-size`), and the compiled closures nest as deep as the
 * parse tree (`1+1+…` is a chain as deep as it is long). Real schedules stay far below: the longest expression in
 * schedules/ and in Deforum's examples is under 100 characters, and Python's parser under numexpr refuses 200 nested
 * brackets.
 */
export const expressionLimits = { characters: 1000, brackets: 32, depth: 256 } as const;

/** Refuses brackets nested past the limit, at the first one past it, before mathjs (which recurses on them) sees them. */
function checkBrackets(source: string): void {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (depth > expressionLimits.brackets) {
      throw new ExpressionError(`brackets nest more than ${expressionLimits.brackets} deep; at most ${expressionLimits.brackets} levels are allowed`, i);
    }
  }
}

/** The parse tree's depth, walked without recursion so that any tree can be measured. */
function treeDepth(root: MathNode): number {
  let deepest = 0;
  const pending: Array<[MathNode, number]> = [[root, 1]];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [node, depth] = item;
    deepest = Math.max(deepest, depth);
    node.forEach((child) => pending.push([child, depth + 1]));
  }
  return deepest;
}

/**
 * Parsing and compiling recurse as deep as the expression nests. Within the limits that fits the main thread's stack
 * with room to spare; on a thread with a small stack an overflow is a refusal, not a crash.
 */
function withinStack<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof RangeError) throw new ExpressionError(`too deeply nested for this thread's stack; at most ${expressionLimits.depth} nested operations are allowed`);
    throw error;
  }
}

/** mathjs's parse, its messages made ours. */
function parseText(text: string): MathNode {
  try {
    return mathParse()(text);
  } catch (error) {
    if (error instanceof RangeError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const char = (error as { char?: number }).char;
    throw new ExpressionError(message.replace(/\s*\(char \d+\)$/, '').replace(/^Value expected$/, 'a value is expected'), typeof char === 'number' ? Math.max(0, char - 1) : undefined);
  }
}

/**
 * Parses and compiles an expression once. `**` is accepted as Python's power (same as `^`).
 * Throws `ExpressionError` (with the character offset where mathjs reports one) for anything outside the whitelist.
 * `literal`: treat t, max_f and s as numbers written in the text (prompt backticks, where Deforum pastes them in).
 */
export function compileExpression(source: string, options: { literal?: boolean } = {}): CompiledExpression {
  if (source.trim() === '') throw new ExpressionError('empty expression', 0);
  if (source.length > expressionLimits.characters) {
    throw new ExpressionError(`expression is ${source.length} characters long; at most ${expressionLimits.characters} are allowed`, expressionLimits.characters);
  }
  if (/[\n;]/.test(source)) throw new ExpressionError('only one expression is allowed (no ";" or new lines)', source.search(/[\n;]/));
  checkBrackets(source);
  // Same length keeps mathjs's character offsets valid for the original text.
  const tree = withinStack(() => parseText(source.replaceAll('**', '^ ')));
  const depth = treeDepth(tree);
  if (depth > expressionLimits.depth) {
    throw new ExpressionError(`expression nests ${depth} operations deep (a chain like 1+1+… counts one per term); at most ${expressionLimits.depth} are allowed`);
  }
  const compiled = withinStack(() => compileNode(tree, options.literal ? literalVariables : scheduleVariables));
  return { source, type: compiled.type, usesT: compiled.usesT, evaluate: compiled.fn };
}

/** How numexpr's result prints in Python (`str()`): ints bare, floats as Python's repr (`1.0`, `1e-05`). */
export function formatNumber(value: number, type: ExpressionType): string {
  if (type === 'bool') return value !== 0 ? 'True' : 'False';
  if (type === 'int') return String(Math.trunc(value));
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const rest = digits.slice(1);
    const exp = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
    return `${sign}${digits[0]}${rest ? `.${rest}` : ''}e${exp}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction || '0'}`;
}

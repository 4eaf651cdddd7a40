import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { ALLOWED_EDGES } from './allowed-edges.js';
import {
  TOP, buildImportGraph, cyclicComponents, fileCycles, folderCycles, folderOf, layerViolations, nativeChains, readImports,
} from './import-graph.js';

/**
 * Where `src/` breaks the target layering today (issue 14). Each list is exact: a new violation fails the test, and so
 * does a fixed one, so the lists shrink to empty as the restructure lands. When a line moves, take the new text from
 * the failure's diff.
 */
const KNOWN_LAYER_VIOLATIONS: string[] = [
  'controlnet/pose-source.ts:19 → keyframes/schedule-keys.ts: controlnet may not import keyframes',
  'controlnet/unit-schema.ts:9 → keyframes/schedule-source.ts: controlnet may not import keyframes',
];

const KNOWN_FILE_CYCLES: string[] = [];

const KNOWN_FOLDER_CYCLES: string[] = [
  'controlnet → keyframes (controlnet/pose-source.ts:19 → keyframes/schedule-keys.ts), keyframes → controlnet (keyframes/deforum-controlnet.ts:1 → controlnet/modes.ts)',
];

/**
 * `deforum validate` and `deforum schema` must not load a native addon (issue 14). The process starts at `cli/main.ts`,
 * which loads every command it registers, so main must reach none either: commands load what they need dynamically.
 */
const KNOWN_NATIVE_CHAINS: Record<string, string[]> = {
  'cli/main.ts': [],
  'cli/validate.ts': [],
  'cli/schema.ts': [],
};

const UPDATE = 'lines with + are new, lines with - are gone: fix the new ones, and delete the gone ones from the known list';

/** A small `src/` in which keyframes reaches up into controlnet, closing a folder cycle, and two samplers files loop. */
const FIXTURE: Record<string, string> = {
  'errors.ts': 'export class KeyframeError extends Error {}\n',
  'keyframes/schedule.ts': "import { KeyframeError } from '../errors.js';\nexport const parseSchedule = (text: string) => { if (!text) throw new KeyframeError('empty'); };\n",
  'keyframes/schema.ts': "import { ControlNetUnitSchema } from '../controlnet/unit-schema.js';\nexport const AnimationSchema = { controlnet: ControlNetUnitSchema };\n",
  'controlnet/unit-schema.ts': "import { parseSchedule } from '../keyframes/schedule.js';\nimport { fitPose } from './pose-fit.js';\nexport const ControlNetUnitSchema = { parseSchedule, fitPose };\n",
  'controlnet/pose-fit.ts': "import sharp from 'sharp';\nexport const fitPose = (file: string) => sharp(file);\n",
  'sampler/samplers.ts': "import type { SigmaPlan } from './sigmas.js';\nexport const SAMPLERS = { euler: (plan: SigmaPlan) => plan };\n",
  'sampler/sigmas.ts': "import { SAMPLERS } from './samplers.js';\nexport type SigmaPlan = { sampler: keyof typeof SAMPLERS };\n",
  'cli/schema.ts': "import { AnimationSchema } from '../keyframes/schema.js';\nexport const schemaText = () => JSON.stringify(AnimationSchema);\n",
  'cli/plot.ts': "import type { Sharp } from 'sharp';\nexport const plot = async (): Promise<Sharp> => (await import('sharp')).default();\n",
};

const FIXTURE_TABLE = { cli: ['*'], keyframes: [TOP], controlnet: [TOP, 'keyframes'], sampler: [TOP], [TOP]: [] };

describe('the import checker, on a fixture src/', () => {
  const graph = buildImportGraph(FIXTURE);

  it('names an import that points up the layers, and a folder missing from the table', () => {
    const withVideo = buildImportGraph({ ...FIXTURE, 'video/encode.ts': "import { KeyframeError } from '../errors.js';\nexport { KeyframeError };\n" });
    expect(layerViolations(withVideo, FIXTURE_TABLE)).toEqual([
      'keyframes/schema.ts:1 → controlnet/unit-schema.ts: keyframes may not import controlnet',
      'video/encode.ts:1 → errors.ts: video is not in the allowed-edges table',
    ]);
  });

  it('names each import around a file cycle, type-only imports included', () => {
    expect(fileCycles(graph)).toEqual(['sampler/samplers.ts:1 → sampler/sigmas.ts, sampler/sigmas.ts:1 → sampler/samplers.ts']);
  });

  it('names an import behind each step of a folder cycle', () => {
    expect(folderCycles(graph)).toEqual([
      'controlnet → keyframes (controlnet/unit-schema.ts:1 → keyframes/schedule.ts), keyframes → controlnet (keyframes/schema.ts:1 → controlnet/unit-schema.ts)',
    ]);
  });

  it('finds nothing once the upward import is gone', () => {
    const fixed = buildImportGraph({ ...FIXTURE, 'keyframes/schema.ts': 'export const AnimationSchema = {};\n' });
    expect(layerViolations(fixed, FIXTURE_TABLE)).toEqual([]);
    expect(folderCycles(fixed)).toEqual([]);
    expect(nativeChains(fixed, 'cli/schema.ts')).toEqual([]);
  });

  it('follows static imports to a native package, but not dynamic or type-only ones', () => {
    expect(nativeChains(graph, 'cli/schema.ts')).toEqual(['cli/schema.ts → keyframes/schema.ts → controlnet/unit-schema.ts → controlnet/pose-fit.ts:1 → sharp']);
    expect(nativeChains(graph, 'cli/plot.ts')).toEqual([]);
  });

  it('reports a relative import of no file and a dynamic import it cannot read', () => {
    const broken = buildImportGraph({ 'a.ts': "import { b } from './b.js';\nexport const load = (name: string) => import(name);\n" });
    expect(broken.unresolved).toEqual(["a.ts:1: './b.js' is no file in src/", 'a.ts:2: import(name) is not a string literal']);
  });

  it('puts a sub-folder in its top folder unless the table names it, and src/*.ts in (top)', () => {
    expect(folderOf('sampler/prompt/attention.ts')).toBe('sampler');
    expect(folderOf('sampler/prompt/attention.ts', ['sampler', 'sampler/prompt'])).toBe('sampler/prompt');
    expect(folderOf('errors.ts')).toBe(TOP);
  });

  it('finds a cycle through 50 000 files without running out of stack (a recursive walk overflows near 10 000)', () => {
    const files = Array.from({ length: 50_000 }, (_, i) => `f${String(i).padStart(5, '0')}`);
    const next = new Map(files.map((file, i) => [file, [files[(i + 1) % files.length]]]));
    expect(cyclicComponents(files, (file) => next.get(file)!).map((component) => component.length)).toEqual([50_000]);
  });
});

describe('reading imports', () => {
  it('reads every kind of import, and is not fooled by comments, strings, templates or regular expressions', () => {
    const text = [
      "// import a from './line-comment.js';",
      "/* import b from './block-comment.js'; */",
      "const text = \"import c from './string.js'\";",
      "const template = `import('./template.js') ${text}`;",
      "const pattern = /import d from '.\\/regex.js'/;",
      "import type { T } from './type.js';",
      "import { type A, type B } from './inline-types.js';",
      "import { type C, d } from './mixed.js';",
      "export { e } from './re-export.js';",
      "export type { F } from './re-export-type.js';",
      "export * from './star.js';",
      "import './side-effect.js';",
      "const lazy = async () => import('./lazy.js');",
      "type Mathjs = typeof import('mathjs');",
      "import {",
      "  g,",
      "} from './multi-line.js';",
    ].join('\n');
    expect(readImports('x.ts', text)).toEqual([
      { specifier: './type.js', line: 6, kind: 'type' },
      { specifier: './inline-types.js', line: 7, kind: 'type' },
      { specifier: './mixed.js', line: 8, kind: 'static' },
      { specifier: './re-export.js', line: 9, kind: 'static' },
      { specifier: './re-export-type.js', line: 10, kind: 'type' },
      { specifier: './star.js', line: 11, kind: 'static' },
      { specifier: './side-effect.js', line: 12, kind: 'static' },
      { specifier: './lazy.js', line: 13, kind: 'dynamic' },
      { specifier: 'mathjs', line: 14, kind: 'type' },
      { specifier: './multi-line.js', line: 15, kind: 'static' },
    ]);
  });
});

/** Every `.ts` file under `src/`, keyed by its path relative to `src/` with `/` separators. */
function readSourceTree(dir: string): Record<string, string> {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((file) => file.endsWith('.ts'));
  return Object.fromEntries(files.map((file) => [file.split(path.sep).join('/'), readFileSync(path.join(dir, file), 'utf8')]));
}

describe('the src/ module graph', () => {
  const graph = buildImportGraph(readSourceTree(path.join(repoRoot, 'src')));

  it('follows every import in src/', () => {
    expect(graph.files.length).toBeGreaterThan(100);
    expect(graph.unresolved).toEqual([]);
  });

  it('the allowed-edges table points one way', () => {
    const folders = Object.keys(ALLOWED_EDGES);
    expect(cyclicComponents(folders, (folder) => ALLOWED_EDGES[folder].filter((to) => to !== '*'))).toEqual([]);
    expect(Object.values(ALLOWED_EDGES).flat().filter((to) => to !== '*' && !folders.includes(to))).toEqual([]);
  });

  it('imports across folders only along the allowed edges, apart from the known violations', () => {
    expect(layerViolations(graph, ALLOWED_EDGES), UPDATE).toEqual(KNOWN_LAYER_VIOLATIONS);
  });

  it('has no file cycle apart from the known one', () => {
    expect(fileCycles(graph), UPDATE).toEqual(KNOWN_FILE_CYCLES);
  });

  it('has no folder cycle apart from the known one', () => {
    expect(folderCycles(graph, Object.keys(ALLOWED_EDGES)), UPDATE).toEqual(KNOWN_FOLDER_CYCLES);
  });

  it.each(Object.keys(KNOWN_NATIVE_CHAINS))('%s loads no native addon statically, apart from the known chains', (entry) => {
    expect(nativeChains(graph, entry), UPDATE).toEqual(KNOWN_NATIVE_CHAINS[entry]);
  });
});

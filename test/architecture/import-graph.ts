import path from 'node:path';
import ts from 'typescript';

/**
 * The module graph of `src/`, read from its import statements: files, folders, cycles, layer checks and the native
 * addons a command loads. Pure: it takes the sources as `{ 'keyframes/schema.ts': text }` (paths relative to `src/`).
 */

/**
 * `static` loads the module when the importer loads; `type` is erased by tsc (`import type`, `export type`,
 * `import { type A }` with only type names, `typeof import('…')`) and loads nothing; `dynamic` is `import('…')`,
 * loaded when that line runs.
 */
export type ImportKind = 'static' | 'type' | 'dynamic';

export interface ImportSite {
  specifier: string;
  line: number;
  kind: ImportKind;
}

export interface FileEdge {
  from: string;
  line: number;
  kind: ImportKind;
  /** A file under `src/`, or a package name (`sharp`, `node:fs`, `@img/sharp`) for bare specifiers. */
  to: string;
  toPackage: boolean;
}

export interface ImportGraph {
  files: string[];
  edges: FileEdge[];
  /** Imports the checker cannot follow (a relative path to no file, `import(variable)`); the graph is incomplete. */
  unresolved: string[];
}

/** Packages with a native addon: loading them dlopens a shared library, which `validate` and `schema` must not. */
export const NATIVE_PACKAGES = ['sharp', 'onnxruntime-node'];

/** The layer where `src/*.ts` files (errors.ts, raw-image.ts, …) live. */
export const TOP = '(top)';

/**
 * Every import of one file, found by the TypeScript parser (so comments and strings that look like imports are not
 * imports). Type-only means erased by tsc: a declaration marked `type`, or named bindings that are all `type`.
 */
export function readImports(fileName: string, text: string): ImportSite[] {
  // JSDoc is never an import; skipping it roughly halves the parse time
  const options = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone };
  const source = ts.createSourceFile(fileName, text, options, false, ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const allTypeNames = (elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>): boolean =>
    elements.length > 0 && elements.every((element) => element.isTypeOnly);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly
        || (!clause.name && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && allTypeNames(clause.namedBindings.elements)));
      sites.push({ specifier: node.moduleSpecifier.text, line: lineOf(node), kind: typeOnly ? 'type' : 'static' });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && allTypeNames(node.exportClause.elements));
      sites.push({ specifier: node.moduleSpecifier.text, line: lineOf(node), kind: typeOnly ? 'type' : 'static' });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      const literal = argument && ts.isStringLiteralLike(argument) ? argument.text : undefined;
      sites.push({ specifier: literal ?? `import(${argument?.getText(source) ?? ''})`, line: lineOf(node), kind: 'dynamic' });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      sites.push({ specifier: node.argument.literal.text, line: lineOf(node), kind: 'type' });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** `@img/sharp-linux-x64/lib/x.node` → `@img/sharp-linux-x64`; `sharp` → `sharp`; `node:fs` stays. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Resolves relative specifiers as NodeNext does for our sources: `./x.js` names `./x.ts`. */
export function buildImportGraph(sources: Record<string, string>): ImportGraph {
  const files = Object.keys(sources).sort();
  const known = new Set(files);
  const edges: FileEdge[] = [];
  const unresolved: string[] = [];
  for (const from of files) {
    for (const site of readImports(from, sources[from])) {
      const at = `${from}:${site.line}`;
      if (site.specifier.startsWith('import(')) {
        unresolved.push(`${at}: ${site.specifier} is not a string literal`);
      } else if (site.specifier.startsWith('.')) {
        const to = path.posix.join(path.posix.dirname(from), site.specifier).replace(/\.js$/, '.ts');
        if (known.has(to)) edges.push({ from, line: site.line, kind: site.kind, to, toPackage: false });
        else unresolved.push(`${at}: '${site.specifier}' is no file in src/`);
      } else {
        edges.push({ from, line: site.line, kind: site.kind, to: packageName(site.specifier), toPackage: true });
      }
    }
  }
  return { files, edges, unresolved };
}

/** The layer a file belongs to: the deepest folder the table names (`sampler/prompt`), else its first folder. */
export function folderOf(file: string, tableFolders: readonly string[] = []): string {
  const segments = file.split('/').slice(0, -1);
  for (let depth = segments.length; depth > 1; depth -= 1) {
    const folder = segments.slice(0, depth).join('/');
    if (tableFolders.includes(folder)) return folder;
  }
  return segments[0] ?? TOP;
}

export interface FolderEdge {
  from: string;
  to: string;
  /** The file imports behind it, in file order. */
  sites: FileEdge[];
}

/** Folder → folder edges between different folders (imports within a folder are its own business). */
export function folderGraph(graph: ImportGraph, tableFolders: readonly string[] = []): FolderEdge[] {
  const byPair = new Map<string, FolderEdge>();
  for (const edge of graph.edges) {
    if (edge.toPackage) continue;
    const from = folderOf(edge.from, tableFolders);
    const to = folderOf(edge.to, tableFolders);
    if (from === to) continue;
    const key = `${from}\0${to}`;
    if (!byPair.has(key)) byPair.set(key, { from, to, sites: [] });
    byPair.get(key)!.sites.push(edge);
  }
  return [...byPair.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** `keyframes/schema.ts:2 → controlnet/unit-schema.ts` */
export const siteText = (edge: FileEdge): string => `${edge.from}:${edge.line} → ${edge.to}`;

/**
 * Tarjan's strongly connected components, with an explicit stack so a deep graph cannot overflow the call stack.
 * Returns the components that hold a cycle (two or more nodes, or one node importing itself), each sorted.
 */
export function cyclicComponents(nodes: readonly string[], successors: (node: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [];
    const open = (node: string): void => {
      index.set(node, index.size);
      low.set(node, index.get(node)!);
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: 0 });
    };
    open(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const targets = successors(frame.node);
      if (frame.next < targets.length) {
        const target = targets[frame.next++];
        if (!index.has(target)) open(target);
        else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || targets.includes(frame.node)) components.push(component.sort());
      }
    }
  }
  return components.sort((a, b) => a[0].localeCompare(b[0]));
}

/** One shortest cycle through the first node of a component (breadth-first, inside the component). */
export function cycleThrough(component: readonly string[], successors: (node: string) => readonly string[]): string[] {
  const start = component[0];
  const inside = new Set(component);
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let at = 0; at < queue.length; at += 1) {
    for (const next of successors(queue[at])) {
      if (!inside.has(next)) continue;
      if (next === start) {
        const cycle = [queue[at]];
        while (cycle[0] !== start) cycle.unshift(cameFrom.get(cycle[0])!);
        return [...cycle, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, queue[at]);
        queue.push(next);
      }
    }
  }
  return [start];
}

/** `{a, b, c}: ` when the component holds more than the loop shown, so a reader sees everything that must be cut. */
const membersBeyond = (component: readonly string[], cycle: readonly string[]): string =>
  component.length > cycle.length - 1 ? `{${component.join(', ')}}: ` : '';

const distinctTargets = (edges: readonly FileEdge[], from: string): string[] => [...new Set(edges.filter((edge) => edge.from === from).map((edge) => edge.to))];

/**
 * File cycles, each as its import sites around one shortest loop:
 * `sampler/samplers.ts:7 → sampler/sigmas.ts, sampler/sigmas.ts:11 → sampler/samplers.ts`. Type-only imports count:
 * they still make two files that cannot be understood (or moved) apart.
 */
export function fileCycles(graph: ImportGraph): string[] {
  const edges = graph.edges.filter((edge) => !edge.toPackage);
  const successors = (file: string): string[] => distinctTargets(edges, file);
  return cyclicComponents(graph.files, successors).map((component) => {
    const cycle = cycleThrough(component, successors);
    const steps = cycle.slice(1).map((to, i) => siteText(edges.find((edge) => edge.from === cycle[i] && edge.to === to)!));
    return membersBeyond(component, cycle) + steps.join(', ');
  });
}

/**
 * Folder cycles, each as one shortest loop with the first import that makes each step:
 * `controlnet → keyframes (controlnet/openpose-json.ts:12 → keyframes/issue-text.ts), keyframes → controlnet (…)`.
 */
export function folderCycles(graph: ImportGraph, tableFolders: readonly string[] = []): string[] {
  const folderEdges = folderGraph(graph, tableFolders);
  const folders = [...new Set(folderEdges.flatMap((edge) => [edge.from, edge.to]))].sort();
  const successors = (folder: string): string[] => folderEdges.filter((edge) => edge.from === folder).map((edge) => edge.to);
  return cyclicComponents(folders, successors).map((component) => {
    const cycle = cycleThrough(component, successors);
    const steps = cycle.slice(1).map((to, i) => {
      const edge = folderEdges.find((candidate) => candidate.from === cycle[i] && candidate.to === to)!;
      return `${edge.from} → ${edge.to} (${siteText(edge.sites[0])})`;
    });
    return membersBeyond(component, cycle) + steps.join(', ');
  });
}

/** Which folders each folder may import: `'*'` for any. A folder missing from the table may import nothing. */
export type AllowedEdges = Readonly<Record<string, readonly string[]>>;

/** Every import that crosses folders against the table: `keyframes/schema.ts:2 → controlnet/unit-schema.ts: keyframes may not import controlnet`. */
export function layerViolations(graph: ImportGraph, allowed: AllowedEdges): string[] {
  const tableFolders = Object.keys(allowed);
  return folderGraph(graph, tableFolders).flatMap((edge) => {
    const may = allowed[edge.from];
    if (may?.includes('*') || may?.includes(edge.to)) return [];
    const reason = may ? `${edge.from} may not import ${edge.to}` : `${edge.from} is not in the allowed-edges table`;
    return edge.sites.map((site) => `${siteText(site)}: ${reason}`);
  });
}

/**
 * The native packages a process that starts at `entry` loads before any dynamic import runs: for each import of a
 * native package reachable over static imports, one shortest chain,
 * `cli/schema.ts → keyframes/schema.ts → controlnet/unit-schema.ts → controlnet/pose-fit.ts:11 → sharp`.
 */
export function nativeChains(graph: ImportGraph, entry: string, natives: readonly string[] = NATIVE_PACKAGES): string[] {
  const loading = graph.edges.filter((edge) => edge.kind === 'static');
  const cameFrom = new Map<string, string>([[entry, entry]]);
  const queue = [entry];
  const chains: string[] = [];
  for (let at = 0; at < queue.length; at += 1) {
    const file = queue[at];
    for (const edge of loading.filter((candidate) => candidate.from === file)) {
      if (edge.toPackage && natives.includes(edge.to)) {
        const path = [`${file}:${edge.line}`, edge.to];
        for (let step = file; step !== entry; step = cameFrom.get(step)!) path.unshift(cameFrom.get(step)!);
        chains.push(path.join(' → '));
      } else if (!edge.toPackage && !cameFrom.has(edge.to)) {
        cameFrom.set(edge.to, file);
        queue.push(edge.to);
      }
    }
  }
  return chains.sort();
}

/**
 * The layering of src/, one way only (README, Layout). Every import of every src/**\/*.ts file (static imports and
 * re-exports, `import type`, side-effect imports and `import('…')` with a literal path) is mapped from its file's
 * folder to the imported file's folder, and fails when it runs back up the order, when two folders of one floor
 * import each other, or when folders import each other in a circle. Within a folder, files must not import each
 * other in a circle either (a type-only import counts: the files are then one module in pieces).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';

/** Floors from the top down; a folder may import its own floor's other folders one way, and every floor below. */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli', 'config', 'bench'],
  ['trading', 'backtest', 'server', 'sweep'],
  ['agents'],
  ['market', 'features', 'chart', 'nn'],
  ['data'],
  ['core'],
];

const SRC = path.join(PROJECT_ROOT, 'src');

export interface ImportEdge {
  /** Importing file, relative to src/. */
  file: string;
  /** The import as written. */
  spec: string;
  /** Imported file, relative to src/. */
  target: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const STATIC = /(?:^|[;\n])\s*(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/g;
const SIDE_EFFECT = /(?:^|[;\n])\s*import\s*(['"])([^'"]+)\1/g;
const DYNAMIC = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g;

/** The module specifiers a TypeScript source imports (comments removed first). */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  for (const re of [STATIC, SIDE_EFFECT, DYNAMIC]) for (const m of code.matchAll(re)) specs.push(m[2]);
  return specs;
}

/** Every relative import between files of src/. */
export function srcImports(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const abs of sourceFiles(SRC)) {
    const file = path.relative(SRC, abs).split(path.sep).join('/');
    for (const spec of importSpecifiers(readFileSync(abs, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path
        .relative(SRC, path.resolve(path.dirname(abs), spec))
        .split(path.sep)
        .join('/');
      edges.push({ file, spec, target });
    }
  }
  return edges;
}

const folderOf = (file: string): string =>
  file.includes('/') ? file.slice(0, file.indexOf('/')) : `(src root) ${file}`;

/** One line per violation of the layering, naming the file and the import. */
export function layeringProblems(
  edges: readonly ImportEdge[],
  layers: readonly (readonly string[])[] = LAYERS,
): string[] {
  const floor = new Map<string, number>();
  layers.forEach((folders, i) => folders.forEach((f) => floor.set(f, i)));
  const problems: string[] = [];
  const between = new Map<string, ImportEdge>();
  for (const e of edges) {
    const from = folderOf(e.file);
    const to = folderOf(e.target);
    if (from === to) continue;
    const a = floor.get(from);
    const b = floor.get(to);
    if (a === undefined || b === undefined) {
      problems.push(
        `${e.file} imports '${e.spec}': folder ${a === undefined ? from : to} has no floor in LAYERS (place it)`,
      );
      continue;
    }
    if (b < a)
      problems.push(`${e.file} imports '${e.spec}': ${from} (floor ${a + 1}) runs back up to ${to} (floor ${b + 1})`);
    if (!between.has(`${from}>${to}`)) between.set(`${from}>${to}`, e);
  }
  // two folders of one floor that import each other
  for (const [key, e] of between) {
    const [from, to] = key.split('>');
    const back = between.get(`${to}>${from}`);
    if (back && floor.get(from) === floor.get(to) && from < to) {
      problems.push(
        `${e.file} imports '${e.spec}' and ${back.file} imports ` +
          `'${back.spec}': ${from} and ${to} (one floor) import each other`,
      );
    }
  }
  // circles between folders (strongly connected components of the folder graph)
  const graph = new Map<string, string[]>();
  for (const key of between.keys()) {
    const [from, to] = key.split('>');
    graph.set(from, [...(graph.get(from) ?? []), to]);
  }
  for (const component of circles(graph)) {
    const ties = [...between.entries()]
      .filter(([key]) => key.split('>').every((f) => component.includes(f)))
      .map(([, e]) => `${e.file} → '${e.spec}'`);
    problems.push(`folders ${component.join(', ')} import each other in a circle: ${ties.join('; ')}`);
  }
  return problems;
}

/** Tarjan's strongly connected components with more than one node. */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** One line per circle of files that import each other, naming its files and the imports that tie it. */
export function fileCircles(edges: readonly ImportEdge[]): string[] {
  const graph = new Map<string, string[]>();
  for (const e of edges) graph.set(e.file, [...(graph.get(e.file) ?? []), e.target]);
  return circles(graph).map((component) => {
    const ties = edges
      .filter((e) => component.includes(e.file) && component.includes(e.target))
      .map((e) => `${e.file} → '${e.spec}'`);
    return `files ${component.join(', ')} import each other in a circle: ${ties.join('; ')}`;
  });
}

test('every import in src/ runs down the layers, with no folder cycle', () => {
  const edges = srcImports();
  assert.ok(edges.length > 300, `read ${edges.length} imports: the reader finds the imports`);
  assert.deepEqual(layeringProblems(edges), []);
});

test('the import reader sees static, type, re-export, side-effect and literal dynamic imports, not comments', () => {
  const src = [
    "import { a } from './a.ts';",
    "import type { B } from '../b.ts';",
    'import {\n  c,\n  type D,\n} from "./c.ts";',
    "export { e } from './e.ts';",
    "export type * from './f.ts';",
    "import './g.ts';",
    "const h = await import('./h.ts');",
    "// import { x } from './commented.ts';",
    "/* import('./block.ts') */",
    "const s = 'from nowhere';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(src).sort(), [
    '../b.ts',
    './a.ts',
    './c.ts',
    './e.ts',
    './f.ts',
    './g.ts',
    './h.ts',
  ]);
});

test('the check fails on an import back up, on one floor importing both ways and on a folder circle', () => {
  const edge = (file: string, target: string): ImportEdge => ({ file, spec: target, target });
  assert.match(
    layeringProblems([edge('core/log.ts', 'config/schema.ts')]).join('\n'),
    /core\/log\.ts imports 'config\/schema\.ts': core \(floor 6\) runs back up/,
  );
  const sameFloor = layeringProblems([edge('market/a.ts', 'nn/b.ts'), edge('nn/c.ts', 'market/d.ts')]).join('\n');
  assert.match(sameFloor, /market and nn \(one floor\) import each other/);
  assert.match(sameFloor, /folders market, nn import each other in a circle/);
  assert.match(
    layeringProblems([edge('newfolder/x.ts', 'core/errors.ts')]).join('\n'),
    /folder newfolder has no floor/,
  );
  assert.deepEqual(layeringProblems([edge('agents/x.ts', 'nn/y.ts'), edge('chart/a.ts', 'features/b.ts')]), []);
});

test('no files of src/ import each other in a circle', () => {
  assert.deepEqual(fileCircles(srcImports()), []);
});

test('the file check finds a circle through a type import and leaves a one-way chain alone', () => {
  const edge = (file: string, target: string): ImportEdge => ({ file, spec: target, target });
  const found = fileCircles([
    edge('agents/recipe.ts', 'agents/selection.ts'),
    edge('agents/selection.ts', 'agents/splits.ts'),
    edge('agents/splits.ts', 'agents/recipe.ts'),
    edge('agents/setup.ts', 'agents/recipe.ts'),
  ]);
  assert.equal(found.length, 1);
  assert.match(found[0], /^files agents\/recipe\.ts, agents\/selection\.ts, agents\/splits\.ts import each other/);
  assert.doesNotMatch(found[0], /setup/);
  assert.deepEqual(fileCircles([edge('a/x.ts', 'a/y.ts'), edge('a/y.ts', 'a/z.ts')]), []);
});

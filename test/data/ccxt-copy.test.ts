/**
 * One copy of ccxt: every file takes it from src/data/ccxt.ts, which loads it on first use. A value import of 'ccxt'
 * anywhere else loads its ES module build beside it, whose errors are no instances of the classes the retry and
 * refusal checks test against, and makes every command that imports the file load ccxt at start-up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { ccxtLib } from '../../src/data/ccxt.ts';
import { classifyError } from '../../src/data/exchange.ts';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `import x from 'ccxt'`, `import { a, type B } from 'ccxt'`, `import('ccxt')`: all but `import type … from`. */
const VALUE_IMPORT = /\bimport\s+(?!type\b)[^;'"]*?\bfrom\s*['"]ccxt['"]|\bimport\(\s*['"]ccxt['"]\s*\)/;

test('no file but src/data/ccxt.ts loads ccxt: a second copy would fail the error checks', () => {
  const roots = ['src', 'test', 'strategies', 'scripts'].map((d) => path.join(PROJECT_ROOT, d));
  const found = roots
    .flatMap(tsFiles)
    .filter((f) => VALUE_IMPORT.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '')))
    .map((f) => path.relative(PROJECT_ROOT, f));
  assert.deepEqual(found, [], 'import ccxtLib from src/data/ccxt.ts instead');
});

test('an error made from the shared ccxt is one the retry checks recognise', () => {
  const ccxt = ccxtLib();
  assert.equal(ccxtLib(), ccxt, 'one module, loaded once');
  assert.equal(classifyError(new ccxt.RequestTimeout('slow')), 'transient');
  assert.equal(classifyError(new ccxt.BadSymbol('no such market')), 'fatal');
});

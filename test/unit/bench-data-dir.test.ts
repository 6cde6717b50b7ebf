/** Where the benchmarks look for real data: BOT_BENCH_DATA, else ../shared/data beside the project, or nowhere. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchDataDir, benchDataFile } from '../../src/bench/data-dir.ts';

test('bench data folder: ../shared/data of the project root, BOT_BENCH_DATA over it, a note when none', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'bench-data-'));
  const root = path.join(base, 'checkout');
  const shared = path.join(base, 'shared', 'data');
  mkdirSync(root);

  const none = benchDataDir({}, root);
  assert.equal(none.dir, undefined);
  assert.equal(none.note, `no ${shared} (set BOT_BENCH_DATA to a folder of the CSVs): real-data figures left out`);
  assert.equal(benchDataFile(none, 'x.csv'), undefined);

  mkdirSync(shared, { recursive: true });
  writeFileSync(path.join(shared, 'x.csv'), 'timestamp,open,high,low,close,volume\n');
  const found = benchDataDir({}, root);
  assert.equal(found.dir, shared);
  assert.match(found.note, /^real data from .*shared\/data \(\.\.\/shared\/data of the project\)$/);
  assert.equal(benchDataFile(found, 'x.csv'), path.join(shared, 'x.csv'));
  assert.equal(benchDataFile(found, 'missing.csv'), undefined);

  const mine = path.join(base, 'mine');
  mkdirSync(mine);
  const override = benchDataDir({ BOT_BENCH_DATA: mine }, root);
  assert.equal(override.dir, mine);
  assert.equal(override.note, `real data from ${mine} (BOT_BENCH_DATA)`);
  assert.equal(benchDataFile(override, 'x.csv'), undefined, 'the override replaces ../shared/data, adds nothing');

  const wrong = benchDataDir({ BOT_BENCH_DATA: path.join(base, 'nope') }, root);
  assert.equal(wrong.dir, undefined);
  assert.match(wrong.note, /^BOT_BENCH_DATA=.*nope is not a folder: real-data figures left out$/);
  assert.equal(benchDataDir({ BOT_BENCH_DATA: '' }, root).dir, shared, 'an empty override is no override');
});

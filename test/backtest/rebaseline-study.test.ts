/**
 * scripts/rebaseline-study.ts end to end on a tiny study (one-epoch dqn-dnn, minHold 48, a series cut by --from):
 * rebaselining a report the current code made gives it back unchanged (the same windows, seeds and rules rebuilt);
 * baseline parts that do not match are rewritten from the candles, in a copy, the input kept; bad flags are one line.
 */
import '../helpers/state-dir.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { tinyStudyHome } from './tiny-study.ts';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', script), ...args],
      { cwd: PROJECT_ROOT, timeout: 300_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

test(`a report the current code made comes back unchanged; a copy's wrong random figures are recomputed; the input \
is never written`, async () => {
  const home = tinyStudyHome('rebaseline-study-');
  const study = path.join(home.dir, 'study');
  const made = await run('walk-forward-study.ts', [
    '--strategy',
    home.strategy,
    '--series',
    `syn=${home.csv}@2024-01-02`,
    '--folds',
    '2',
    '--seeds',
    '1',
    '--jobs',
    '1',
    '--out',
    study,
    '--',
    '--config',
    home.config,
  ]);
  assert.equal(made.code, 0, made.stderr);
  const input = path.join(study, 'tiny-a-syn', 'report.json');
  const text = readFileSync(input, 'utf8');
  const report = JSON.parse(text) as {
    baselines: { random: { rule?: unknown; metrics: { sharpe: number } } };
    extra: { agent: { targets: { randomPlusSd: { seedSpread: { bar: number } } } } };
  };
  assert.deepEqual(report.baselines.random.rule, { every: 1, minHold: 48 }, 'random trades under the rule');

  const out = path.join(home.dir, 'again');
  const same = await run('rebaseline-study.ts', ['--in', study, '--out', out, '--data', home.dir]);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(readFileSync(input, 'utf8'), text, 'the input is kept');
  assert.equal(
    JSON.stringify(JSON.parse(readFileSync(path.join(out, 'tiny-a-syn', 'report.json'), 'utf8'))),
    JSON.stringify(report),
  );
  assert.match(same.stdout, /^\| tiny-a-syn \| -?\d+\.\d\d \| .* \|$/m);
  assert.match(same.stdout, /^seed-spread bar met: ([01]) of 1 before, \1 of 1 after$/m);

  // a study whose stored random figures are not what its windows give: the copy has the recomputed ones
  const stale = path.join(home.dir, 'stale');
  cpSync(study, stale, { recursive: true });
  const wrong = structuredClone(report);
  wrong.baselines.random.metrics.sharpe = 99;
  wrong.extra.agent.targets.randomPlusSd.seedSpread.bar = 99;
  writeFileSync(path.join(stale, 'tiny-a-syn', 'report.json'), JSON.stringify(wrong));
  const fixed = path.join(home.dir, 'fixed');
  const redone = await run('rebaseline-study.ts', ['--in', stale, '--out', fixed, '--data', home.dir]);
  assert.equal(redone.code, 0, redone.stderr);
  assert.deepEqual(JSON.parse(readFileSync(path.join(fixed, 'tiny-a-syn', 'report.json'), 'utf8')), report);
  assert.match(redone.stdout, /^\| tiny-a-syn \| -?\d+\.\d\d \| -?\d+\.\d\d ± \d+\.\d\d \| 99\.00 \| /m, 'before');

  // bad input: one line, exit 2, nothing written
  const nowhere = path.join(home.dir, 'nowhere');
  const noData = await run('rebaseline-study.ts', ['--in', study, '--out', nowhere, '--data', nowhere]);
  assert.equal(noData.code, 2);
  assert.match(noData.stderr, /^rebaseline-study: .*report\.json: syn\.csv is in none of the --data folders\n$/);
  const inPlace = await run('rebaseline-study.ts', ['--in', study, '--out', study, '--data', home.dir]);
  assert.equal(inPlace.code, 2);
  assert.equal(inPlace.stderr, 'rebaseline-study: --out must differ from --in: the input is kept\n');
  assert.equal(existsSync(nowhere), false, 'nothing written');
});

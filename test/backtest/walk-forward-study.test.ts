/**
 * scripts/walk-forward-study.ts end to end: two one-epoch agent strategies × one synthetic series, two runs at once;
 * the same study again skips both runs because their reports exist; a bad --series stops before any run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { tinyStudyHome } from './tiny-study.ts';

const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'walk-forward-study.ts');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function study(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT, ...args],
      { cwd: PROJECT_ROOT, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test('a study runs each strategy × series, prints rows, targets and the verdict, and resumes by skipping', async () => {
  const home = tinyStudyHome('walk-forward-study-');
  // the second strategy: the same recipe with 8 hidden units
  const other = path.join(home.dir, 'tiny-b.ts');
  writeFileSync(other, readFileSync(home.strategy, 'utf8').replace(/"hidden": \[\s*4\s*\]/, '"hidden": [8]'));
  assert.match(readFileSync(other, 'utf8'), /"hidden": \[8\]/);
  const out = path.join(home.dir, 'study');
  const args = ['--strategy', home.strategy, '--strategy', other, '--series', `syn=${home.csv}@2024-01-02`];
  const flags = [...args, '--folds', '2', '--seeds', '2', '--jobs', '2', '--out', out, '--', '--config', home.config];

  const first = await study(flags);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^2 runs: 2 to run \(--jobs 2\), 0 skipped$/m);
  for (const name of ['tiny-a', 'tiny-b']) {
    assert.ok(existsSync(path.join(out, `${name}-syn`, 'report.json')), `${name}'s report is in --out`);
    assert.match(
      first.stdout,
      new RegExp(`^\\| ${name} \\| -?\\d+\\.\\d\\d ± \\d+\\.\\d\\d \\| .* (met|not met) \\|$`, 'm'),
    );
    assert.match(first.stdout, new RegExp(`^\\| ${name} \\| [01] of 1 \\| [01] of 1 \\|`, 'm'), 'its targets tally');
  }
  assert.match(first.stdout, /^### syn: syn\.csv from 2024-01-02 to the end, 2 fold\(s\) × 2 seed\(s\)$/m);
  assert.match(
    first.stdout,
    new RegExp(
      /^- tiny-b vs tiny-a: mean validation score -?\d+\.\d{3} vs -?\d+\.\d{3}, /.source +
        /higher on [01] of 1 series \(needs 1\) → (replaces|does not replace) tiny-a$/.source,
      'm',
    ),
  );
  assert.match(first.stdout, /^- with 1 series the rule cannot tell noise from an effect/m, 'one series is too few');

  // an interrupted study resumes: the reports exist, so nothing runs again and the tables are the same
  const report = path.join(out, 'tiny-a-syn', 'report.json');
  const before = readFileSync(report, 'utf8');
  const again = await study(flags);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^skipped tiny-a × syn: .*report\.json exists \(resuming; delete it to rerun\)$/m);
  assert.match(again.stderr, /^skipped tiny-b × syn: .*report\.json exists \(resuming; delete it to rerun\)$/m);
  assert.match(again.stderr, /^2 runs: 0 to run \(--jobs 2\), 2 skipped$/m);
  assert.doesNotMatch(again.stderr, /^start /m);
  assert.equal(again.stdout, first.stdout);
  assert.equal(readFileSync(report, 'utf8'), before);

  // a run interrupted before its report: its folder holds the backtest's other files, which the study clears and reruns
  // (a backtest's --out must be new or empty)
  const interrupted = path.join(out, 'tiny-b-syn');
  rmSync(path.join(interrupted, 'report.json'));
  assert.ok(readdirSync(interrupted).length > 0, 'the interrupted run left files');
  const resumed = await study(flags);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /^2 runs: 1 to run \(--jobs 2\), 1 skipped$/m);
  assert.match(resumed.stderr, /^done tiny-b × syn \(1 of 1\)$/m);
  assert.ok(existsSync(path.join(interrupted, 'report.json')));

  // a report made with other folds is an error, not silently reused
  const other4 = await study([...args, '--folds', '4', '--seeds', '2', '--out', out]);
  assert.equal(other4.code, 2);
  assert.match(other4.stderr, /^walk-forward-study: .*tiny-a-syn.report\.json was made with --folds 2 --seeds 2/);
});

test('a failed run is reported with its exit code and last stderr line; the others go on; exit 1', async () => {
  const home = tinyStudyHome('walk-forward-study-fail-');
  const short = path.join(home.dir, 'short.csv');
  writeFileSync(short, readFileSync(home.csv, 'utf8').split('\n').slice(0, 60).join('\n') + '\n');
  const out = path.join(home.dir, 'study');
  const series = ['--series', `short=${short}`, '--series', `syn=${home.csv}`];
  const flags = ['--folds', '2', '--seeds', '1', '--jobs', '1', '--out', out, '--', '--config', home.config];
  const r = await study(['--strategy', home.strategy, ...series, ...flags]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^FAILED tiny-a × short \(1 of 2\): exit 1: .*fewer than/m);
  assert.match(r.stderr, /^done tiny-a × syn \(2 of 2\)$/m);
  assert.match(r.stdout, /^\| tiny-a \| failed \(exit 1: .*fewer than/m);
  assert.match(r.stdout, /^\| tiny-a \| -?\d+\.\d\d ± \d+\.\d\d \|/m, 'the run that worked is summarised');
  assert.match(r.stdout, /^\| tiny-a \| [01] of 1 \|/m, 'the tally counts the series with a report');
});

test('a bad --series file or a rule strategy is one line and exit 2, before any run', async () => {
  const home = tinyStudyHome('walk-forward-study-bad-');
  const out = path.join(home.dir, 'never');
  const missing = path.join(home.dir, 'missing.csv');
  const badFile = await study([
    '--strategy',
    home.strategy,
    '--series',
    `a=${home.csv}`,
    '--series',
    `b=${missing}`,
    '--out',
    out,
  ]);
  assert.equal(badFile.code, 2);
  assert.equal(badFile.stderr, `walk-forward-study: --series b: no such file ${missing}\n`);
  assert.equal(badFile.stdout, '');
  assert.equal(existsSync(out), false, 'no run started');
  const rule = await study(['--strategy', 'sma-cross', '--series', `a=${home.csv}`, '--out', out]);
  assert.equal(rule.code, 2);
  assert.match(rule.stderr, /^walk-forward-study: --strategy sma-cross is a rule strategy: [^\n]*\n$/);
  assert.equal(existsSync(out), false, 'no run started');
});

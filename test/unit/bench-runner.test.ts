/** The bench's command line (help, unknown flags and groups) and its runner: a group that throws fails the bench. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import '../helpers/state-dir.ts';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { parseBenchArgs, runGroups } from '../../src/bench/runner.ts';
import type { BenchGroup } from '../../src/bench/table.ts';

const group = (name: string, run: BenchGroup['run']): BenchGroup => ({ name, description: `the ${name} group`, run });
const machine = group('machine', async (report) => report({ figure: 'cores', value: 2, unit: '' }));
const broken = group('broken', async () => {
  throw new Error('no redis');
});
const fine = group('fine', async (report) => report({ figure: 'speed', value: 1, unit: 'x/s' }));

test('bench runner: a group that throws leaves a FAILED row, the others still run, and failed counts it', async () => {
  const lines: string[] = [];
  const { rows, failed } = await runGroups([machine, broken, fine], (l) => lines.push(l));
  assert.equal(failed, 1);
  assert.deepEqual(
    rows.map((r) => [r.group, r.figure, r.value]),
    [
      ['machine', 'cores', 2],
      ['broken', 'FAILED', 'no redis'],
      ['fine', 'speed', 1],
    ],
  );
  assert.equal(lines.length, 6, 'a start and a took line per group');
  assert.equal((await runGroups([machine, fine], () => undefined)).failed, 0);
});

test('bench arguments: help lists the groups, an unknown flag or group is refused, machine always runs', () => {
  const groups = [machine, broken, fine];
  for (const flag of ['--help', '-h']) {
    const help = parseBenchArgs(['fine', flag], groups);
    assert.equal(help.kind, 'exit');
    if (help.kind !== 'exit') return;
    assert.equal(help.code, 0);
    for (const g of groups) assert.match(help.text, new RegExp(`^  ${g.name} +the ${g.name} group$`, 'm'));
  }
  assert.deepEqual(parseBenchArgs(['--fast'], groups), {
    kind: 'exit',
    code: 2,
    text: 'error: unknown bench flag --fast (see --help)',
  });
  const unknown = parseBenchArgs(['nope'], groups);
  assert.equal(unknown.kind === 'exit' && unknown.code, 2);
  const some = parseBenchArgs(['fine'], groups);
  assert.deepEqual(some.kind === 'run' && some.selected.map((g) => g.name), ['machine', 'fine']);
  const all = parseBenchArgs([], groups);
  assert.equal(all.kind === 'run' && all.selected.length, 3);
});

test('npm run bench -- --help lists the groups and exits 0 without running any; a bad flag exits 2 in one line', () => {
  const main = path.join(PROJECT_ROOT, 'src/bench/main.ts');
  // the timeout only stops a bench that wrongly starts running its groups
  const run = (flag: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', main, flag], { encoding: 'utf8', timeout: 120_000 });
  const help = run('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^ {2}learners +learner training speed/m);
  assert.doesNotMatch(help.stderr, /bench: machine/);
  const bad = run('--fast');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'error: unknown bench flag --fast (see --help)\n');
  assert.equal(bad.stdout, '');
});

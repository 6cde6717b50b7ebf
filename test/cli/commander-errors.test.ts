/**
 * commander's own errors through the real CLI: an unknown option or command is one line with the usage hint inside
 * it, and a did-you-mean only when it is right; the README's Offline line names exactly the commands that take
 * `--data FILE` and `--sample`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { runBot } from './run.ts';

test(`an unknown option is one line without a wrong did-you-mean (bot paper --sample offered --name, in three \
lines); a near typo keeps its suggestion inside the line`, async () => {
  const [paper, retrain, typo, command] = await Promise.all([
    runBot(['paper', '--model', 'models/none', '--sample', '--once']),
    runBot(['retrain', '--sample']),
    runBot(['backtest', '--symbl', 'BTC/KRW']),
    runBot(['bactest']),
  ]);
  for (const r of [paper, retrain]) {
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: unknown option '--sample' (run with --help for usage)\n");
  }
  assert.equal(typo.stderr, "error: unknown option '--symbl' (Did you mean --symbol?) (run with --help for usage)\n");
  assert.equal(
    command.stderr,
    "error: unknown command 'bactest' (Did you mean backtest?) (run with --help for usage)\n",
  );
  assert.equal(command.code, 1);
});

test("the README's Offline line names exactly the commands whose --help lists --data and --sample", async () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const line = /Offline: ((?:`bot \w+`(?:, | and )?)+) take `--data FILE`/.exec(readme);
  assert.ok(line, 'the Offline line names its commands');
  const named = [...line[1].matchAll(/`bot (\w+)`/g)].map((m) => m[1]);
  const commands = ['backtest', 'chart', 'predict', 'sweep', 'paper', 'live', 'retrain'];
  const helps = await Promise.all(commands.map((c) => runBot([c, '--help'])));
  const taking = commands.filter((_, i) => /--data <file>/.test(helps[i].stdout) && /--sample\b/.test(helps[i].stdout));
  assert.deepEqual(named, taking);
  assert.ok(!taking.includes('paper') && !taking.includes('retrain'));
});

/**
 * `bot sweep --save-strategy FILE` prints how to run the winner: that command, run as printed, gives the winner's
 * test figures of the sweep's report. It printed only `--strategy FILE`, which trained one seed on one fold of other
 * candles (audit, session 39): the sweep's seeds, folds and candles (its windows, laid out after the largest warm-up of
 * the grid) are in the line now.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runBot } from '../cli/run.ts';
import { loadStrategy } from '../../src/agents/strategy.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { walkForward, type Fold } from '../../src/agents/splits.ts';
import { loadConfig } from '../../src/config/load.ts';
import { filterRange } from '../../src/data/source.ts';
import { parseTime } from '../../src/data/timeframe.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { parseGridFlag } from '../../src/sweep/grid.ts';
import { configurations, planSweep } from '../../src/sweep/plan.ts';
import { replayFlags } from '../../src/sweep/replay-flags.ts';
import type { SweepReport } from '../../src/sweep/summary.ts';
import { sweepFolder, TINY_SWEEP } from './helpers.ts';

test('the saved winner, run with the flags the sweep prints, gives the test figures the sweep reported', async () => {
  const { dir, csv, config } = sweepFolder('bot-sweep-replay-', 500);
  // the backtest saves its model: inside the test's folder
  const settings = JSON.parse(readFileSync(config, 'utf8')) as { agent: Record<string, unknown> };
  writeFileSync(config, JSON.stringify({ ...settings, agent: { ...settings.agent, modelsDir: path.join(dir, 'm') } }));
  const saved = path.join(dir, 'tuned.ts');
  const out = path.join(dir, 'sweep');
  // window=3,5: two warm-ups, so the sweep's folds start after the larger; seeds from 3, not the config's seed
  const sweep = await runBot([
    'sweep',
    ...TINY_SWEEP,
    ...['--grid', 'window=3,5', '--seed', '3', '--seeds', '2', '--folds', '2', '--epochs', '1'],
    ...['--data', csv, '--workers', '2', '--db', path.join(dir, 'bot.db'), '--config', config, '--out', out],
    ...['--save-strategy', saved, '--log-level', 'info'],
  ]);
  assert.equal(sweep.code, 0, sweep.stderr);
  const line = sweep.stderr.split('\n').find((l) => l.includes(`winning configuration saved as ${saved}`));
  assert.ok(line, sweep.stderr);
  // the printed command's flags (the test's paths hold no spaces), as a user pastes them
  const printed = line
    .slice(line.indexOf(' with ') + ' with '.length)
    .replace(/^bot backtest /, '')
    .split(' ');
  assert.ok(printed.includes('--strategy') && printed.includes(saved), line);
  // the test's config, which keeps the model in the test's folder, whether the line names it or not
  const own = printed.includes('--config') ? [] : ['--config', config];
  const replayOut = path.join(dir, 'replay');
  const replay = await runBot(['backtest', ...printed, ...own, '--out', replayOut, '--json', '--log-level', 'error']);
  assert.equal(replay.code, 0, replay.stderr);

  const swept = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as SweepReport;
  const report = JSON.parse(readFileSync(path.join(replayOut, 'report.json'), 'utf8')) as {
    extra: { agent: { runs: { fold: number; seed: number }[]; mean: Record<string, number> } };
  };
  const { runs, mean } = report.extra.agent;
  assert.deepEqual(
    runs.map((r) => `fold ${r.fold} seed ${r.seed}`).sort(),
    ['fold 0 seed 3', 'fold 0 seed 4', 'fold 1 seed 3', 'fold 1 seed 4'],
    line,
  );
  const winner = swept.winner!.test.mean as Record<string, number>;
  for (const key of ['totalReturn', 'sharpe', 'trades', 'maxDrawdown'])
    assert.ok(Math.abs(mean[key] - winner[key]) < 1e-9, `${key}: backtest ${mean[key]}, sweep ${winner[key]}`);
});

test(`a winner with a smaller warm-up than the grid's largest: the printed --from lays bot backtest's folds on the \
sweep's very candles`, async () => {
  const strategy = await loadStrategy('dqn-dnn');
  if (strategy.kind !== 'agent') throw new Error('dqn-dnn is not an agent strategy');
  const settings = loadConfig({});
  const candles = syntheticCandles({ seed: 1, count: 500 });
  const request = { strategy: 'dqn-dnn', grid: [parseGridFlag('window=3,5')], seeds: 2, seed: 3, folds: 2 };
  const series = [{ candles, label: 'syn', fromGiven: false }];
  const plan = planSweep(request, configurations(request, strategy.recipe), series, settings, 'c0de');
  const times = (c: typeof candles, f: Fold) =>
    [f.train, f.validation, f.test].map((r) => [c.ts[r.from], c.ts[r.to - 1]]);
  for (const config of plan.configurations) {
    const [flags] = replayFlags(plan, { ...request, data: 'syn.csv' }, config.recipe);
    const value = (flag: string) => flags[flags.indexOf(flag) + 1];
    assert.deepEqual([value('--seed'), value('--seeds'), value('--folds')], ['3', '2', '2']);
    // as bot backtest --data reads the file and lays out its folds (src/backtest/agent-backtest.ts)
    const read = filterRange(candles, parseTime(value('--from'), '--from'), parseTime(value('--to'), '--to'));
    const warmup = recipeWarmup(config.recipe);
    const folds = walkForward(warmup, read.ts.length, settings.agent.split, 2, settings.agent.walkForward);
    assert.deepEqual(
      folds.map((f) => times(read, f)),
      plan.markets[0].folds.map((f) => times(candles, f)),
      config.label,
    );
  }
});

/**
 * A portfolio run's report.html shows the numbers the console table prints: the seeds' row (mean ± sd) carries the
 * mean fees+tax and turnover as the random weights' row does (its two cells were empty).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { equalWeightPolicy } from '../../src/agents/portfolio-strategy.ts';
import { runPortfolioRun } from '../../src/backtest/portfolio-backtest.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { tempDir } from '../data/helpers.ts';

/** The text of each cell of the HTML table row whose first cell starts with `name`. */
function cells(html: string, name: string): string[] {
  const row = html.split('<tr>').find((r) => r.startsWith(`<td>${name}`));
  assert.ok(row, `a row named ${name}`);
  return [...row.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1].trim());
}

test('report.html: the seeds row of a portfolio run has the mean fees+tax and turnover the console prints', () => {
  const dir = tempDir('bot-pf-html-');
  const series = ['A/KRW', 'B/KRW'].map((symbol, i) => ({
    candles: syntheticCandles({ seed: 31 + i, count: 200, timeframe: '1h', symbol, startPrice: 1_000_000 }),
    label: 'synthetic',
  }));
  const policies = [equalWeightPolicy(2, 5), equalWeightPolicy(2, 40)];
  const { report } = runPortfolioRun({
    name: 'pair',
    policy: policies[0],
    seedPolicies: policies,
    series,
    costs: series.map(() => COST_PRESETS['upbit-krw']),
    balance: 10_000_000,
    seed: 1,
    every: 20,
    band: 0,
    randomSeeds: 3,
    outDir: dir,
    out: path.join(dir, 'run'),
  });
  assert.ok(report.seeds);
  const html = readFileSync(path.join(dir, 'run', 'report.html'), 'utf8');
  const money = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const seeds = cells(html, 'pair (2 seeds, mean ± sd)');
  assert.ok(report.seeds.mean.feesPaid > 0 && report.seeds.mean.turnover > 0);
  assert.deepEqual(seeds.slice(4), [money(report.seeds.mean.feesPaid), money(report.seeds.mean.turnover)]);
  const random = cells(html, 'random weights (3 seeds, mean ± sd)');
  assert.deepEqual(random.slice(4), [
    money(report.randomWeights.mean.feesPaid),
    money(report.randomWeights.mean.turnover),
  ]);
});

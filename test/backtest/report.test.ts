import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { meanAndSd, runBaselines, type Baselines } from '../../src/backtest/baselines.ts';
import { runBacktest, type BacktestResult } from '../../src/market/backtest-engine.ts';
import { candlesFromRows, type Candles } from '../../src/core/candles.ts';
import type { Policy } from '../../src/core/policy.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import { readReport } from '../../src/backtest/report-file.ts';
import { summaryTable, writeReport, type ReportExtra } from '../../src/backtest/report.ts';
import { randomPolicy } from '../../src/agents/rule-policies.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';

/** A rule strategy's report of `result` in a fresh temporary folder. */
function writeRuleReport(name: string, result: BacktestResult, baselines: Baselines, extra?: ReportExtra) {
  return writeReport(path.join(mkdtempSync(path.join(tmpdir(), 'bot-report-')), 'run'), {
    runId: 'run',
    strategy: { name, kind: 'rule', description: name },
    data: { label: 'synthetic', origin: 'file' },
    settings: { balance: result.equity[0] },
    result,
    metrics: computeMetrics(result),
    baselines,
    extra,
  });
}

/** `policy` over all of `candles` without costs from 1,000, and the baselines (`randomSeeds` random ones). */
function runZeroCost(candles: Candles, policy: Policy, randomSeeds: number) {
  const range = { from: 0, to: candles.ts.length };
  const costs = COST_PRESETS.zero;
  const sizing = { kind: 'all' } as const;
  const baselines = runBaselines({ candles, range, costs, balance: 1000, sizing, randomSeeds, seed: 1 });
  const result = runBacktest({ candles, window: 0, range, costs, balance: 1000, sizing: { kind: 'all' }, policy });
  return { result, baselines };
}

/** The cells after `label` in a console summary table: strategy, buy & hold, flat, random, sma-cross. */
const cellsOf = (table: string, label: string) =>
  (table.split('\n').find((l) => l.startsWith(label)) ?? '')
    .slice(label.length)
    .trim()
    .split(/\s{2,}/);

test('writeReport takes extra sections (images, tables, JSON) for agent runs and stays self-contained', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bot-report-'));
  const candles = syntheticCandles({ seed: 4, count: 300 });
  const range = { from: 0, to: 300 };
  const costs = COST_PRESETS['upbit-krw'];
  const result = runBacktest({
    candles,
    window: 0,
    range,
    costs,
    balance: 1_000_000,
    sizing: { kind: 'all' },
    policy: randomPolicy(1),
  });
  const extraPng = path.join(dir, 'curve.png');
  await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toFile(extraPng);
  const sizing = { kind: 'all' } as const;
  const baselines = runBaselines({ candles, range, costs, balance: 1_000_000, sizing, randomSeeds: 3, seed: 1 });
  const files = await writeRuleReport('random', result, baselines, {
    sections: [
      {
        title: 'Learning curves',
        text: 'return per epoch',
        images: [{ file: extraPng, caption: 'curve <1>' }],
        tables: [{ columns: ['seed', 'sharpe'], rows: [[1, 0.5]] }],
      },
    ],
    json: { epochs: 3 },
  });
  const html = readFileSync(files.html, 'utf8');
  assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, 2);
  assert.match(html, /<h2>Learning curves<\/h2>/);
  assert.match(html, /curve &lt;1&gt;/);
  assert.match(html, /<td>seed<\/td>|<th>seed<\/th>/);
  // a run that ends holding is marked at the last close without exit costs: the report says so (README, metrics)
  assert.match(html, /held at the end is valued at the last close, without the fee, tax and slippage a sale would/);
  const stored = readReport(files.json);
  assert.deepEqual(stored.extra, { epochs: 3 });
  assert.equal(stored.trades, result.trades.length);
  const table = summaryTable(stored);
  assert.match(table, /random \(mean ± sd\)/);
  // buy & hold and flat never sell: their per-sell rows are dashes, not a 0% win rate beside the strategy's
  for (const label of ['win rate', 'profit factor', 'expectancy / sell']) {
    const [strategy, buyHold, flat] = cellsOf(table, label);
    assert.notEqual(strategy, '–', `${label}: the random strategy sold`);
    assert.deepEqual([buyHold, flat], ['–', '–'], `${label}: ${cellsOf(table, label).join(' | ')}`);
  }
  assert.throws(() => readReport(path.join(dir, 'missing.json')), /no report at/);
});

test('meanAndSd: the sample sd over two or more runs; one run has none (the report prints "–", not 0)', () => {
  const candles = syntheticCandles({ seed: 3, count: 120, timeframe: '1d', start: Date.UTC(2024, 0, 1) });
  const metrics = [1, 2].map((seed) =>
    computeMetrics(
      runBacktest({
        ...{ candles, window: 0, range: { from: 0, to: 119 }, costs: COST_PRESETS['upbit-krw'], balance: 1_000_000 },
        ...{ sizing: { kind: 'all' }, policy: randomPolicy(seed) },
      }),
      '1d',
    ),
  );
  const one = meanAndSd(metrics.slice(0, 1));
  assert.deepEqual(one.sd, {});
  assert.equal(one.mean.sharpe, metrics[0].sharpe);
  const two = meanAndSd(metrics);
  assert.notEqual(metrics[0].totalReturn, metrics[1].totalReturn, 'two seeds trade differently');
  assert.ok(
    Math.abs(two.sd.totalReturn! - Math.abs(metrics[0].totalReturn - metrics[1].totalReturn) / Math.SQRT2) < 1e-12,
  );
});

test(`the report shows an unbounded Sortino and Calmar as ∞ in the console table and report.html (it printed \
"Infinity"), "Infinity" in report.json, \
and random's mean over seeds (some only rose, one never bought) is "Infinity" without an sd, as a profit factor \
without losses is`, async () => {
  // closes rising 10% a day (open = close), no costs: buying never loses a candle
  const day = 86_400_000;
  const rows = [100, 110, 121, 133.1, 146.41].map((p, i) => ({ ts: i * day, open: p, high: p, low: p, close: p }));
  const candles = candlesFromRows(
    'test',
    'BTC/KRW',
    '1d',
    rows.map((r) => ({ ...r, volume: 1 })),
  );
  const buyOnce = { name: 'buy once', decide: () => ({ action: 'buy' as const, confidence: 1 }) };
  const { result, baselines } = runZeroCost(candles, buyOnce, 4);
  const files = await writeRuleReport('buy once', result, baselines);
  const stored = readReport(files.json);
  assert.deepEqual([stored.metrics.sortino, stored.metrics.calmar], ['Infinity', 'Infinity']);
  assert.equal(stored.baselines.random.metrics.sortino, 'Infinity');
  assert.equal(stored.baselines.random.sd?.sortino, undefined, 'an infinite mean has no sd');
  const table = summaryTable(stored);
  for (const label of ['Sortino', 'Calmar']) {
    // strategy, buy & hold, flat, random (mean ± sd), sma-cross (never crosses in five candles: flat)
    assert.deepEqual(cellsOf(table, label), ['∞', '∞', '0.00', '∞', '0.00'], label);
  }
  const html = readFileSync(files.html, 'utf8');
  assert.match(html, /<td>Sortino<\/td><td>∞<\/td><td>∞<\/td><td>0\.00<\/td><td>∞<\/td>/);
  assert.doesNotMatch(table + html, /Infinity/);
});

test(`a run too short to annualise (under 30 returns or a month) says so under the console table, in report.html \
and as data.tooShortToAnnualise in report.json; a longer one does not`, async () => {
  const report = async (count: number, timeframe: string) => {
    const { result, baselines } = runZeroCost(syntheticCandles({ seed: 3, count, timeframe }), randomPolicy(1), 2);
    const files = await writeRuleReport('random', result, baselines);
    const stored = readReport(files.json);
    return { stored, table: summaryTable(stored), html: readFileSync(files.html, 'utf8') };
  };
  const note = /too short \(under 30 returns or a month\) for the annualised figures/;
  // three daily candles (the user's `--from` two days before the end), then 400 hourly ones: many returns, 16 days
  for (const [count, timeframe] of [
    [3, '1d'],
    [400, '1h'],
  ] as const) {
    const short = await report(count, timeframe);
    assert.equal(short.stored.data.tooShortToAnnualise, true, `${count} × ${timeframe}`);
    const last = short.table.split('\n').at(-1) ?? '';
    assert.match(last, note, `${count} × ${timeframe}: the line under the table`);
    assert.match(last, new RegExp(`^note: ${count} candles over `));
    assert.match(short.html, note);
  }
  const long = await report(40, '1d');
  assert.equal(long.stored.data.tooShortToAnnualise, false);
  assert.doesNotMatch(long.table, note);
  assert.doesNotMatch(long.html, note);
});

test(`the note under a span too short to annualise says which annualisation its figures used: daily candles Monday \
to Friday cannot show a weekday market and take the calendar's 365, which it says; across a weekend 252`, async () => {
  const day = 86_400_000;
  const monday = Date.UTC(2024, 0, 8);
  const noteOf = async (days: number[]) => {
    const rows = days.map((d, i) => ({ ts: monday + d * day, open: 100 + i, high: 101 + i, low: 99 + i }));
    const candles = candlesFromRows(
      'test',
      '005930/KRW',
      '1d',
      rows.map((r) => ({ ...r, close: r.open, volume: 1 })),
    );
    const { result, baselines } = runZeroCost(candles, randomPolicy(1), 2);
    const files = await writeRuleReport('random', result, baselines);
    const stored = readReport(files.json);
    const html = readFileSync(files.html, 'utf8');
    return { line: summaryTable(stored).split('\n').at(-1) ?? '', html };
  };
  // before: the same note without the number, so a Sharpe over a weekday stock's week read as one annualised at 252
  const week = await noteOf([0, 1, 2, 3, 4]);
  const calendar =
    "; annualised at 365 periods a year (the calendar's: a span under a week with no gap cannot show a market " +
    'closed on weekends, whose would be 252)';
  assert.ok(week.line.endsWith(calendar), week.line);
  assert.ok(week.html.includes(calendar), 'report.html');
  const weekend = await noteOf([3, 4, 7, 8]);
  assert.ok(weekend.line.endsWith('to mean much; annualised at 252 periods a year'), weekend.line);
});

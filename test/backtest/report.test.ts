import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { meanAndSd, runBaselines } from '../../src/backtest/baselines.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import { readReport, summaryTable, writeReport } from '../../src/backtest/report.ts';
import { randomPolicy } from '../../src/agents/rule-policies.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';

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
  const files = await writeReport(path.join(dir, 'run'), {
    runId: 'run',
    strategy: { name: 'random', kind: 'rule', description: 'coin flips' },
    data: { label: 'synthetic', origin: 'file' },
    settings: { balance: 1_000_000 },
    result,
    metrics: computeMetrics(result),
    baselines: runBaselines({ candles, range, costs, balance: 1_000_000, randomSeeds: 3, seed: 1 }),
    extra: {
      sections: [
        {
          title: 'Learning curves',
          text: 'return per epoch',
          images: [{ file: extraPng, caption: 'curve <1>' }],
          tables: [{ columns: ['seed', 'sharpe'], rows: [[1, 0.5]] }],
        },
      ],
      json: { epochs: 3 },
    },
  });
  const html = readFileSync(files.html, 'utf8');
  assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, 2);
  assert.match(html, /<h2>Learning curves<\/h2>/);
  assert.match(html, /curve &lt;1&gt;/);
  assert.match(html, /<td>seed<\/td>|<th>seed<\/th>/);
  const stored = readReport(files.json);
  assert.deepEqual(stored.extra, { epochs: 3 });
  assert.equal(stored.trades, result.trades.length);
  const table = summaryTable(stored);
  assert.match(table, /random \(mean ± sd\)/);
  // buy & hold and flat never sell: their per-sell rows are dashes, not a 0% win rate beside the strategy's
  const cellsOf = (label: string) =>
    (table.split('\n').find((l) => l.startsWith(label)) ?? '')
      .slice(label.length)
      .trim()
      .split(/\s{2,}/);
  for (const label of ['win rate', 'profit factor', 'expectancy / sell']) {
    const [strategy, buyHold, flat] = cellsOf(label);
    assert.notEqual(strategy, '–', `${label}: the random strategy sold`);
    assert.deepEqual([buyHold, flat], ['–', '–'], `${label}: ${cellsOf(label).join(' | ')}`);
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

/** `bot backtest --strategy equal-weight --symbols A,B --data a.csv,b.csv` and `--sample`: report, baselines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sliceCandles } from '../../src/core/candles.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { PortfolioReport } from '../../src/backtest/portfolio-report.ts';
import { tempDir } from '../data/helpers.ts';
import { runBot } from '../cli/run.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { pairRecipe } from '../agents/portfolio-helpers.ts';
import { savePortfolioModel } from '../trading/agents.ts';

test('two CSV markets, one starting later and one with holes: report.json has the portfolio part', async () => {
  const dir = tempDir('bot-portfolio-');
  const a = syntheticCandles({ seed: 31, count: 400, timeframe: '1h' });
  const bFull = syntheticCandles({ seed: 32, count: 400, timeframe: '1h' });
  const b = sliceCandles(bFull, 50, 400); // starts 50 candles later
  const bCsv = candlesToCsv(b)
    .split('\n')
    .filter((_, i) => i === 0 || i % 37 !== 0) // holes
    .join('\n');
  writeFileSync(path.join(dir, 'a.csv'), candlesToCsv(a));
  writeFileSync(path.join(dir, 'b.csv'), bCsv);
  const out = path.join(dir, 'run');
  const args = ['backtest', '--strategy', 'equal-weight', '--symbols', 'AAA/KRW,BBB/KRW', '--rebalance-every', '10'];
  const r = await runBot([...args, '--data', `${dir}/a.csv,${dir}/b.csv`, '--out', out, '--log-level', 'error']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /start set by BBB\/KRW/);
  assert.match(r.stdout, /BBB\/KRW has no candle at \d+ of 350 times/);
  assert.match(r.stdout, /equal weights bought and held/);
  assert.match(r.stdout, /AAA\/KRW bought and held/);
  assert.match(r.stdout, /fixed 50\/50 split/);
  assert.match(r.stdout, /random weights \(10 seeds, mean ± sd\)/);
  // turnover is traded value in the quote currency, not the single-market report's ratio `turnover (×)`
  assert.match(r.stdout, /^run .* fees\+tax +turnover \(KRW\)$/m);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /<th>turnover \(KRW\)<\/th>/);
  // 350 hourly times are two weeks: the annualised Sharpe is noted as too short to mean much, as on one market
  const note = /note: 350 candles over 14\.5 days are too short .* for the annualised figures .* to mean much/;
  assert.match(r.stdout, note);
  assert.match(html, /<p class="note">note: 350 candles over 14\.5 days are too short/);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
  assert.equal(report.data.tooShortToAnnualise, true);
  assert.equal(report.schema, 'bot-portfolio-report/1');
  assert.deepEqual(report.portfolio.symbols, ['AAA/KRW', 'BBB/KRW']);
  assert.equal(report.portfolio.weights.length, 2);
  assert.equal(report.portfolio.weights[0].length, report.portfolio.timestamps.length);
  const pnl = report.portfolio.equity[report.portfolio.equity.length - 1] - report.portfolio.equity[0];
  const sum = report.portfolio.markets.reduce((s, m) => s + m.contribution, 0);
  assert.ok(Math.abs(sum - pnl) < 1e-3, `contributions ${sum} vs P/L ${pnl}`);
  assert.ok(report.portfolio.markets.every((m) => m.turnover > 0 && m.feesPaid > 0));
  assert.ok(report.portfolio.markets[1].missing > 0);
  const again = await runBot(['report', out, '--log-level', 'error']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /AAA\/KRW: mean weight \d+\.\d+%, P\/L -?\d/);
  assert.match(again.stdout, /report: .*report\.html/);
});

test('--sample: the 2× and −1× instruments labelled as derived from the bundled sample', async () => {
  const out = path.join(tempDir('bot-portfolio-'), 'run');
  const r = await runBot(['backtest', '--strategy', 'equal-weight', '--sample', '--out', out, '--log-level', 'error']);
  assert.equal(r.code, 0, r.stderr);
  // years of daily candles: no short-span note
  assert.doesNotMatch(r.stdout, /too short/);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
  assert.equal(report.data.tooShortToAnnualise, false);
  assert.match(
    r.stdout,
    /SP500-2X\/USD: derived from the bundled sample \(derived: 2× SP500\/USD rebalanced every 1d candle/,
  );
  assert.match(
    r.stdout,
    /SP500-INV\/USD: derived from the bundled sample \(derived: -1× SP500\/USD rebalanced every 1d candle/,
  );
});

test('bad portfolio flags are one-line errors before any work', async () => {
  const cases: [string[], RegExp][] = [
    [['--symbols', 'A/KRW'], /--symbols needs at least two markets/],
    [['--symbols', 'A/KRW,A/KRW'], /names a market twice/],
    [['--symbols', 'A/KRW,B/USD', '--sample'], /priced in different currencies \(KRW, USD\)/],
    [['--symbols', 'A/KRW,B/KRW', '--data', 'x.csv'], /--data: no such file x.csv/],
    [['--symbols', 'A/KRW,B/KRW', '--strategy', 'sma-cross', '--sample'], /trades one market/],
    [['--symbols', 'A/KRW,B/KRW', '--band', '2'], /--band must be a fraction/],
    [['--symbols', 'A/KRW,B/KRW', '--band', '0x0'], /--band: "0x0" is not a decimal number/],
    [['--symbols', 'A/KRW,B/KRW', '--band', ' '], /--band: " " is not a decimal number/],
  ];
  for (const [args, re] of cases) {
    const r = await runBot(['backtest', ...args, '--log-level', 'error']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
  }
  const single = await runBot(['backtest', '--strategy', 'equal-weight', '--db', path.join(tempDir(), 'x.db')]);
  assert.match(single.stderr, /trades several markets: give --symbols/);
});

test(`a saved portfolio model whose markets mix quotes is refused with one line when no --symbols names them (the
backtest takes the model's markets)`, async () => {
  // a real model folder (its early check reads meta.json, weights and scalers first), trading A/KRW and B/USDT
  await initBackend('auto');
  const dir = path.join(tempDir('bot-portfolio-'), 'mixed');
  const series = ['A/KRW', 'B/USDT', 'I/KRW'].map((symbol, i) => ({
    ...syntheticCandles({ seed: 41 + i, count: 360, timeframe: '1h', symbol }),
    exchange: 'upbit',
  }));
  await savePortfolioModel(dir, pairRecipe(), series, 'upbit');
  const r = await runBot(['backtest', '--model', dir, '--sample', '--log-level', 'error']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /model .*mixed: the markets are priced in different currencies \(KRW, USDT\)/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('--market-costs: one cost preset per market, in report.json per series; unknown markets refused', async () => {
  const out = path.join(tempDir('bot-portfolio-'), 'run');
  const args = ['backtest', '--strategy', 'equal-weight', '--sample', '--log-level', 'error'];
  const r = await runBot([...args, '--market-costs', 'SP500-INV/USD=krx-stock', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
  assert.equal(report.data.series[0].costs.quantityPrecision, 8, 'the account section for the others');
  assert.deepEqual(report.data.series[1].costs, {
    feeRate: 0.00015,
    sellTax: 0.0025,
    slippageBps: 0,
    minOrderValue: 0,
    quantityPrecision: 0,
  });
  assert.ok(report.portfolio.markets[1].taxPaid > 0 && report.portfolio.markets[0].taxPaid === 0);
  // --sample without --symbols trades the sample's two markets: another one is named, not ignored
  const unknown = await runBot([...args, '--market-costs', 'FOO/USD=zero', '--out', path.join(out, 'never')]);
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.stderr,
    'error: --market-costs names FOO/USD, which is not traded (SP500-2X/USD, SP500-INV/USD)\n',
  );
  const symbols = ['--symbols', 'SP500-2X/USD,SP500-INV/USD'];
  for (const [flag, re] of [
    ['X/USD=zero', /--market-costs names X\/USD, which is not traded/],
    ['SP500-2X/USD=cheap', /unknown cost preset "cheap"/],
    ['SP500-2X/USD', /SYMBOL=PRESET pairs/],
  ] as const) {
    const e = await runBot([...args, ...symbols, '--market-costs', flag]);
    assert.notEqual(e.code, 0);
    assert.match(e.stderr, re);
  }
});

test('the random-weights baseline runs over backtest.randomSeeds seeds, as on one market (it was 10)', async () => {
  const dir = tempDir('bot-portfolio-');
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ backtest: { randomSeeds: 3 } }));
  const out = path.join(dir, 'run');
  const args = ['backtest', '--strategy', 'equal-weight', '--sample', '--config', config, '--out', out];
  const r = await runBot([...args, '--log-level', 'error']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /random weights \(3 seeds, mean ± sd\)/);
});

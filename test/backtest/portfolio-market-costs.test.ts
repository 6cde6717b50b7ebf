/**
 * Per-market costs in the config file (issue 14): `account.markets` reaches the portfolio account's arithmetic (a
 * market's fees change, the others' do not), `--market-costs` overrides an entry, and a bad entry stops the command
 * in one line before any disk work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { PortfolioReport } from '../../src/backtest/portfolio-report.ts';
import { tempDir } from '../data/helpers.ts';
import { runBot } from '../cli/run.ts';
import { loadConfig } from '../../src/config/load.ts';
import { UserError } from '../../src/core/errors.ts';
import { parseMarketCosts, parsePortfolioFlags } from '../../src/cli/portfolio-flags.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';

const dir = tempDir('bot-pf-costs-');
// AAA is priced like a share (whole units under krx-stock), BBB like a coin
const files = [
  [31, 20_000],
  [32, 50_000_000],
].map(([seed, startPrice], i) => {
  const file = path.join(dir, `${i}.csv`);
  writeFileSync(file, candlesToCsv(syntheticCandles({ seed, count: 300, timeframe: '1h', startPrice })));
  return file;
});
const SYMBOLS = 'AAA/KRW,BBB/KRW';

interface Trade {
  market: string;
  units: number;
  gross: number;
  fee: number;
  tax: number;
}

async function backtest(name: string, config: object | undefined, extra: string[] = []) {
  const out = path.join(dir, name);
  const args = ['backtest', '--strategy', 'equal-weight', '--symbols', SYMBOLS, '--rebalance-every', '10'];
  if (config) {
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(config));
    args.push('--config', path.join(dir, `${name}.json`));
  }
  const r = await runBot([...args, '--data', files.join(','), '--out', out, '--log-level', 'error', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
  const trades = readFileSync(path.join(out, 'trades.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .map(([, market, , , units, gross, fee, tax]): Trade => ({
      market,
      units: +units,
      gross: +gross,
      fee: +fee,
      tax: +tax,
    }));
  return { report, trades };
}

const of = (trades: Trade[], market: string) => trades.filter((t) => t.market === market);

test('account.markets: a fee, and a preset with a field, reach the fills; other markets keep "account"', async () => {
  const base = await backtest('base', undefined);
  const file = await backtest('file', {
    account: { markets: { 'BBB/KRW': { feeRate: 0.004 }, 'AAA/KRW': { preset: 'krx-stock', sellTax: 0.001 } } },
  });
  assert.deepEqual(file.report.data.series[1].costs, { ...base.report.data.series[1].costs, feeRate: 0.004 });
  assert.deepEqual(file.report.data.series[0].costs, {
    feeRate: 0.00015,
    sellTax: 0.001,
    slippageBps: 0,
    minOrderValue: 0,
    quantityPrecision: 0,
  });
  const bbb = of(file.trades, 'BBB/KRW');
  assert.ok(bbb.length > 5, `BBB traded ${bbb.length} times`);
  for (const t of bbb) assert.ok(Math.abs(t.fee - 0.004 * t.gross) < 1e-6 * t.gross + 1e-9, `fee ${t.fee}`);
  const aaa = of(file.trades, 'AAA/KRW');
  assert.ok(aaa.length > 5, `AAA traded ${aaa.length} times`);
  for (const t of aaa) {
    assert.ok(Math.abs(t.fee - 0.00015 * t.gross) < 1e-6 * t.gross + 1e-9);
    assert.ok(Number.isInteger(t.units), `whole shares (krx-stock precision 0): ${t.units}`);
  }
  const [fa, fb] = file.report.portfolio.markets;
  const [ba, bb] = base.report.portfolio.markets;
  assert.ok(fb.feesPaid > 4 * bb.feesPaid, `BBB fees ${fb.feesPaid} vs ${bb.feesPaid} at the account's rate`);
  assert.ok(fa.taxPaid > 0 && ba.taxPaid === 0, 'the sell tax of AAA/KRW applies');
  assert.equal(bb.taxPaid, 0);
});

test("--market-costs overrides the file's entry for the market it names", async () => {
  const r = await backtest('flag', { account: { markets: { 'BBB/KRW': { feeRate: 0.004 } } } }, [
    '--market-costs',
    'BBB/KRW=zero',
  ]);
  assert.equal(r.report.data.series[1].costs.feeRate, 0);
  assert.equal(r.report.portfolio.markets[1].feesPaid, 0);
  assert.ok(r.report.portfolio.markets[0].feesPaid > 0);
});

test('a bad account.markets entry: one line naming the key; the CLI exits 1 before any disk work', async () => {
  const cases = [
    [{ 'BBB/KRW': { feeRate: 0.5 } }, /account\.markets\.BBB\/KRW\.feeRate: Too big/],
    [{ 'BBB/KRW': { fee: 0.001 } }, /account\.markets\.BBB\/KRW\.fee: unknown key/],
    [{ 'BBB/KRW': {} }, /account\.markets\.BBB\/KRW: give a preset or at least one cost field/],
    [{ 'BBB/KRW': { preset: 'cheap' } }, /account\.markets\.BBB\/KRW\.preset: Invalid option/],
    [{ 'bad key': { preset: 'zero' } }, /account\.markets\.bad key: bad key, "bad key" has a space; a market is BASE/],
    [{ 'BBB/KRW:KRW': { preset: 'zero' } }, /account\.markets\.BBB\/KRW:KRW: bad key, BBB\/KRW:KRW is a derivative/],
    [{ 'BBB/KRW': { quantityPrecision: 2.5 } }, /account\.markets\.BBB\/KRW\.quantityPrecision/],
    [[], /account\.markets: Invalid input: expected record/],
  ] as const;
  for (const [markets, message] of cases) {
    assert.throws(
      () => loadConfig({ overrides: { account: { markets } } }),
      (e: Error) => e instanceof UserError && message.test(e.message) && !e.message.includes('\n'),
    );
  }
  const db = path.join(dir, 'never.db');
  const out = path.join(dir, 'never');
  const cfg = path.join(dir, 'bad.json');
  writeFileSync(cfg, JSON.stringify({ account: { markets: cases[0][0] } }));
  for (const args of [
    ['backtest', '--symbols', SYMBOLS, '--data', files.join(','), '--out', out],
    ['paper', '--symbols', 'BTC/KRW,ETH/KRW', '--once'],
  ]) {
    const r = await runBot([...args, '--config', cfg, '--db', db]);
    assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /^error: config error \(.*bad\.json.*\): account\.markets\.BBB\/KRW\.feeRate: Too big/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(db), false, 'checked before any disk work');
  }
});

test('--market-costs on paper and live: parsed with --symbols, refused without them or for a market not traded', () => {
  const symbols = 'BTC/KRW,ETH/KRW';
  const choice = parsePortfolioFlags({ symbols, marketCosts: 'ETH/KRW=krx-stock' });
  assert.deepEqual(choice?.marketCosts, { 'ETH/KRW': 'krx-stock' });
  assert.deepEqual(parseMarketCosts('ETH/KRW=krx-stock').get('ETH/KRW'), COST_PRESETS['krx-stock']);
  for (const [flags, message] of [
    [{ marketCosts: 'ETH/KRW=zero' }, /--market-costs is for portfolios: give --symbols BTC\/KRW,ETH\/KRW/],
    [{ symbols, marketCosts: 'XRP/KRW=zero' }, /--market-costs names XRP\/KRW, which is not traded/],
    [{ symbols, marketCosts: 'ETH/KRW=cheap' }, /unknown cost preset "cheap"/],
  ] as const) {
    assert.throws(() => parsePortfolioFlags(flags), message);
  }
});

/**
 * A portfolio run's trades.csv lists a time's fills in the order the account executed them: sells, then the buys
 * their cash pays for. It used to list them by market, so replaying the file row by row bought with cash that only a
 * later row's sell brought in, and the cash went below zero (−322,499 in an audit) though the engine sells first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { runPortfolioBacktest, type PortfolioPolicy } from '../../src/market/portfolio-engine.ts';
import { portfolioTradesCsv } from '../../src/backtest/portfolio-trades.ts';

test('replaying trades.csv row by row never takes cash below zero: a time sells before it buys', () => {
  const series = ['A/KRW', 'B/KRW'].map((symbol, i) =>
    syntheticCandles({ seed: 7 + i, count: 40, timeframe: '1d', exchange: 'upbit', symbol }),
  );
  // fully invested, all in one market then all in the other: every switch buys the first market with the second's sale
  let k = 0;
  const policy: PortfolioPolicy = { name: 'switch', decide: () => (k++ % 2 === 0 ? [0, 1] : [1, 0]) };
  const costs = series.map(() => COST_PRESETS['upbit-krw']);
  const balance = 10_000_000;
  const r = runPortfolioBacktest({ series, costs, balance, policy, band: 0 });
  const rows = portfolioTradesCsv(r)
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  let cash = balance;
  let lowest = cash;
  const buysAfterSells = rows.filter((row, i) => row[2] === 'buy' && i > 0 && rows[i - 1][0] === row[0]).length;
  for (const [, , side, , , value, fee, tax] of rows) {
    cash += side === 'sell' ? Number(value) - Number(fee) - Number(tax) : -(Number(value) + Number(fee));
    lowest = Math.min(lowest, cash);
  }
  assert.ok(buysAfterSells > 10, `the case switches markets often (${buysAfterSells} buys after a sell at one time)`);
  assert.ok(lowest > -1e-6, `cash replayed from trades.csv fell to ${lowest}`);
});

/**
 * `bot live --symbols` against the fake Upbit serving BTC/KRW and ETH/KRW (real ccxt, real SQLite), for the portfolio
 * live tests, and the check they end with: every currency the exchange holds equals the start plus the recorded fills.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Candles } from '../../src/core/candles.ts';
import type { Logger } from '../../src/core/log.ts';
import { createExchange } from '../../src/data/exchange.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadPortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import { exchangeFeed } from '../../src/trading/feed.ts';
import type { LiveCaps } from '../../src/trading/live-orders.ts';
import { portfolioRuleSource, type PortfolioPolicySource } from '../../src/trading/portfolio-policy-source.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { addOrderEndpoints, type FakeOrderBook } from '../fake-exchange/orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { tempDir } from './helpers.ts';
import { liveCleanup, portfolioLiveTrader } from './live-setup.ts';

export const HOUR = 3_600_000;
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 0, minOrderValue: 5000, quantityPrecision: 8 };
export const SYMBOLS = ['BTC/KRW', 'ETH/KRW'];
export const MARKETS = ['KRW-BTC', 'KRW-ETH'];

/** The fake exchange, the database and `make()`: a trader on the run (equal-weight every `every` candles). */
export async function setup(caps: LiveCaps, every: number, logger?: Logger) {
  const tmp = tempDir('bot-pf-live-');
  const series: Candles[] = MARKETS.map((market, i) =>
    syntheticCandles({
      seed: 51 + i,
      count: 160,
      timeframe: '1h',
      start: Date.UTC(2024, 0, 1),
      tick: 10,
      symbol: market,
      startPrice: i === 0 ? 50_000_000 : 3_000_000,
      volatility: 0.02,
    }),
  );
  const clock = { now: series[0].ts[100] + HOUR + 10_000 };
  // how far the exchange's clock stands from the trader's (a machine clock that drifted): none unless a test says
  const exchangeSkew = { ms: 0 };
  const fake = await startFakeUpbit({
    now: () => clock.now + exchangeSkew.ms,
    series: series.map((candles, i) => ({ market: MARKETS[i], candles })),
  });
  const startKrw = 20_000_000;
  const book = addOrderEndpoints(fake, { KRW: startKrw });
  const env = { UPBIT_API_KEY: 'test-access-key-123', UPBIT_API_SECRET: 'test-secret-key-456' };
  Object.assign(process.env, env);
  const exchangeSection = { ccxt: fake.ccxtOptions(), retries: 3, backoffMs: 1, maxBackoffMs: 5, timeoutMs: 1500 };
  const db = path.join(tmp.dir, 'bot.db');
  const config = loadConfig({ overrides: { exchange: exchangeSection, data: { database: db }, log: { file: '' } } });
  const cfg = path.join(tmp.dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ exchange: exchangeSection, log: { file: '' } }));
  const store = CandleStore.open(db);
  const repo = new RunRepository(store.db);
  const exchange = createExchange(config);
  const retry = { retries: 3, backoffMs: 1, maxBackoffMs: 5 };
  const strategy = await loadPortfolioStrategy('equal-weight');
  /** A live trader on the run (`policies`: another source than equal-weight every `every` candles). */
  const make = (lateCandleWaitMs?: number, policies?: PortfolioPolicySource) =>
    portfolioLiveTrader({
      lateCandleWaitMs,
      repo,
      store,
      feeds: SYMBOLS.map((s) => exchangeFeed(exchange, s, '1h', retry, () => clock.now)),
      policies: policies ?? portfolioRuleSource(strategy, { symbols: SYMBOLS, seed: 1, every }),
      symbols: SYMBOLS,
      costs: COSTS,
      balance: 10_000_000,
      ...{ clock, exchange, caps, retry, logger },
    });
  const cleanup = liveCleanup(store, fake, tmp);
  return { series, clock, exchangeSkew, fake, book, store, repo, make, cleanup, startKrw, db, cfg, env };
}

/** Every currency the exchange holds equals the start plus the run's recorded fills, market by market. */
export function assertBooksAgree(
  s: { book: FakeOrderBook; repo: RunRepository; startKrw: number },
  runId: number,
): void {
  const held = new Map<string, number>([['KRW', s.startKrw]]);
  const add = (k: string, x: number) => held.set(k, (held.get(k) ?? 0) + x);
  for (const f of s.repo.trades(runId)) {
    const base = f.market.split('/')[0];
    add('KRW', f.side === 'buy' ? -(f.value + f.fee) : f.value - f.fee);
    add(base, f.side === 'buy' ? f.units : -f.units);
  }
  for (const [code, x] of held) {
    const tol = code === 'KRW' ? 1e-3 : 1e-9;
    assert.ok(
      Math.abs((s.book.balances.get(code) ?? 0) - x) < tol,
      `${code}: exchange ${s.book.balances.get(code)}, fills ${x}`,
    );
  }
  const run = s.repo.get(runId);
  const pf = run.portfolio;
  assert.ok(pf);
  SYMBOLS.forEach((sym, m) => {
    const units = held.get(sym.split('/')[0]) ?? 0;
    assert.ok(Math.abs(pf.account.books[m].units - units) < 1e-9, `${sym}: the run holds what its fills bought`);
  });
  assert.ok(Math.abs(pf.account.cash - (run.initialBalance - (s.startKrw - (held.get('KRW') ?? 0)))) < 1e-3);
}

/** The run's cash is the KRW the exchange holds and each market's units its coins (nothing else trades there). */
export function assertHeldByRun(s: { book: FakeOrderBook; repo: RunRepository }, runId: number): void {
  const pf = s.repo.get(runId).portfolio;
  assert.ok(pf);
  const krw = s.book.balances.get('KRW') ?? 0;
  assert.ok(Math.abs(pf.account.cash - krw) < 1e-3, `cash ${pf.account.cash} vs the exchange's ${krw} KRW`);
  SYMBOLS.forEach((sym, m) => {
    const base = sym.split('/')[0];
    const held = s.book.balances.get(base) ?? 0;
    const units = pf.account.books[m].units;
    assert.ok(Math.abs(units - held) < 1e-9, `${sym}: ${units} units vs the exchange's ${held} ${base}`);
  });
}

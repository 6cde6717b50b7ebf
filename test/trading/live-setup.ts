/**
 * A live trader against the fake Upbit (real ccxt, real SQLite) for the live-trading tests, and the check they all
 * end with: the exchange's balances equal the start plus the fills the bot recorded (issue 18).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Exchange } from 'ccxt';
import { createExchange, type RetryOptions } from '../../src/data/exchange.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { loadConfig } from '../../src/config/load.ts';
import { exchangeFeed } from '../../src/trading/feed.ts';
import { LiveTrader } from '../../src/trading/live.ts';
import { PortfolioLiveTrader } from '../../src/trading/portfolio-live.ts';
import type { PortfolioPolicySource } from '../../src/trading/portfolio-policy-source.ts';
import type { Costs } from '../../src/market/costs.ts';
import type { LiveCaps } from '../../src/trading/live-orders.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { Trader } from '../../src/trading/trader.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import type { RunStatus } from '../../src/trading/status.ts';
import type { CandleFeed, PolicySource } from '../../src/trading/types.ts';
import type { Logger } from '../../src/core/log.ts';
import type { Policy } from '../../src/core/policy.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import type { SizingOptions } from '../../src/market/execution.ts';
import { addOrderEndpoints, type FakeOrderBook } from '../fake-exchange/orders.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { startBot, type BotResult } from './cli.ts';
import { momentumSource, quietLogger, tempDir, waitFor } from './helpers.ts';
import { capturingLogger } from '../helpers/log.ts';

export const HOUR = 3_600_000;
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 0, minOrderValue: 5000, quantityPrecision: 8 };

export interface LiveSetupOptions {
  /** KRW the exchange account holds (default 20,000,000). */
  krw?: number;
  policies?: PolicySource;
  /** ccxt's request timeout (a reply held longer is lost). */
  timeoutMs?: number;
  /** Where the traders log (default: nowhere). */
  logger?: Logger;
  /** How the live and paper traders size their orders (default: all in, all out). */
  sizing?: SizingOptions;
}

/** The options every live trader of these tests takes alike: the test's clock, a quiet log, no waits between polls. */
export function liveTraderBasics(clock: { now: number }, exchange: Exchange, caps: LiveCaps, retry: RetryOptions) {
  return { clock: () => clock.now, logger: quietLogger(), exchange, caps, retry, sleep: async () => {} };
}

/** Closes what a live setup opened (database, fake exchange, temp folder) and takes its API keys out of the env. */
export function liveCleanup(store: CandleStore, fake: FakeUpbit, tmp: { cleanup(): void }): () => Promise<void> {
  return async () => {
    store.close();
    await fake.close();
    tmp.cleanup();
    delete process.env.UPBIT_API_KEY;
    delete process.env.UPBIT_API_SECRET;
  };
}

/** Order requests (POST /v1/orders) the fake Upbit received. */
export function orderPosts(s: { fake: FakeUpbit }) {
  return s.fake.state.requests.filter((r) => r.method === 'POST' && r.path === '/v1/orders');
}

/** The logged lines (capturingLogger's JSON) at level error, as their messages. */
export function errorLines(lines: string[]): string[] {
  return lines
    .map((l) => JSON.parse(l) as { level: string; message: string })
    .filter((l) => l.level === 'error')
    .map((l) => l.message);
}

/** `n` ticks of a trader, the test's clock one hour on after each. */
export async function ticks(s: { clock: { now: number } }, trader: { tick(): Promise<unknown> }, n: number) {
  for (let k = 0; k < n; k++) {
    await trader.tick();
    s.clock.now += HOUR;
  }
}

/** A portfolio live trader (`bot live --symbols`) on `symbols` of `exchange`, each market with the same costs. */
export function portfolioLiveTrader(o: {
  repo: RunRepository;
  store: CandleStore;
  feeds: CandleFeed[];
  policies: PortfolioPolicySource;
  symbols: string[];
  costs: Costs;
  balance: number;
  clock: { now: number };
  exchange: Exchange;
  caps: LiveCaps;
  retry: RetryOptions;
  logger?: Logger;
  /** How long a tick looks again for a late candle (trading.lateCandleWaitSeconds in ms); absent: not at all. */
  lateCandleWaitMs?: number;
}): PortfolioLiveTrader {
  return new PortfolioLiveTrader({
    repo: o.repo,
    store: o.store,
    feeds: o.feeds,
    policies: o.policies,
    key: { mode: 'live', name: 'default', exchange: o.exchange.id, symbol: o.symbols.join(','), timeframe: '1h' },
    symbols: o.symbols,
    costs: o.symbols.map(() => o.costs),
    band: 0.01,
    balance: o.balance,
    historyCandles: 5,
    lateCandleWaitMs: o.lateCandleWaitMs,
    ...liveTraderBasics(o.clock, o.exchange, o.caps, o.retry),
    ...(o.logger ? { logger: o.logger } : {}),
  });
}

/**
 * A live setup whose policy buys at every candle, each order capped at 1,000,000 KRW, logging into `lines` (the
 * logger's JSON lines).
 */
export function buyingSetup(lines: string[]) {
  return liveSetup(
    { maxOrderValue: 1_000_000, maxDailyLoss: 1e12 },
    { policies: alwaysBuy(), logger: capturingLogger(lines) },
  );
}

/** The statuses of run `runId`'s order rows, oldest first. */
export function orderStatuses(repo: RunRepository, runId: number): string[] {
  return repo.orders(runId).map((o) => o.status);
}

/** A policy that buys at every candle. */
export function alwaysBuy(): PolicySource {
  const policy: Policy = { name: 'always-buy', decide: () => ({ action: 'buy', confidence: 1 }) };
  return {
    label: 'strategy:always-buy',
    forCandles(candles) {
      const builder = new ObservationBuilder({ candles, window: 0 });
      return { policy, label: 'strategy:always-buy', warmup: 0, observe: (t, a) => builder.build(t, a) };
    },
  };
}

export async function liveSetup(caps: LiveCaps, opts: LiveSetupOptions = {}) {
  const tmp = tempDir('bot-live-');
  const candles = syntheticCandles({
    seed: 41,
    count: 160,
    timeframe: '1h',
    start: Date.UTC(2024, 0, 1),
    tick: 1000,
    symbol: 'KRW-BTC',
  });
  const clock = { now: candles.ts[100] + HOUR + 10_000 };
  // how far the exchange's clock stands from the trader's (a machine clock that drifted): none unless a test says
  const exchangeSkew = { ms: 0 };
  const fake = await startFakeUpbit({
    now: () => clock.now + exchangeSkew.ms,
    series: [{ market: 'KRW-BTC', candles }],
  });
  const startKrw = opts.krw ?? 20_000_000;
  const book = addOrderEndpoints(fake, { KRW: startKrw });
  process.env.UPBIT_API_KEY = 'test-access-key-123';
  process.env.UPBIT_API_SECRET = 'test-secret-key-456';
  const url = fake.url;
  const exchangeSection = {
    ccxt: { urls: { api: { public: url, private: url } } },
    retries: 3,
    backoffMs: 1,
    maxBackoffMs: 5,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  };
  const config = loadConfig({
    overrides: { exchange: exchangeSection, data: { database: path.join(tmp.dir, 'bot.db') }, log: { file: '' } },
  });
  const store = CandleStore.open(config.data.database);
  const repo = new RunRepository(store.db);
  const exchange = createExchange(config);
  const retry = { retries: 3, backoffMs: 1, maxBackoffMs: 5 };
  const sizing: SizingOptions = opts.sizing ?? { kind: 'all' };
  const key = { mode: 'live' as const, name: 'default', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' };
  /**
   * A live trader on the run (`policies`: another policy than the setup's, e.g. for a run created after --reset;
   * `through`: another ccxt client, e.g. one behind a fault proxy; `lateCandleWaitMs`: how long a tick looks again
   * for a candle the exchange publishes late, default not at all).
   */
  const make = (policies?: PolicySource, through: Exchange = exchange, lateCandleWaitMs?: number) =>
    new LiveTrader({
      repo,
      store,
      feed: exchangeFeed(through, 'BTC/KRW', '1h', retry, () => clock.now),
      market: new PaperMarket(COSTS, sizing),
      policies: policies ?? opts.policies ?? momentumSource(),
      key,
      balance: 10_000_000,
      historyCandles: 20,
      lateCandleWaitMs,
      ...liveTraderBasics(clock, through, caps, retry),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  /** A paper trader of the market on the same store and exchange, as `bot paper` makes one (`policies`: its policy). */
  const makePaper = (policies: PolicySource = momentumSource()) =>
    new Trader({
      repo,
      store,
      feed: exchangeFeed(exchange, 'BTC/KRW', '1h', { retries: 1, backoffMs: 1, maxBackoffMs: 1 }, () => clock.now),
      market: new PaperMarket(COSTS, sizing),
      policies,
      key: { ...key, mode: 'paper' },
      balance: 10_000_000,
      historyCandles: 20,
      clock: () => clock.now,
      logger: opts.logger ?? quietLogger(),
    });
  const cleanup = liveCleanup(store, fake, tmp);
  return { candles, clock, exchangeSkew, fake, book, store, repo, exchange, key, startKrw, make, makePaper, cleanup };
}

/** The exchange's balances equal the start plus the run's recorded fills, and the run's account agrees with them. */
export function assertBooksAgree(
  s: { book: FakeOrderBook; repo: RunRepository; startKrw: number },
  runId: number,
): void {
  let krw = s.startKrw;
  let btc = 0;
  for (const f of s.repo.trades(runId)) {
    if (f.side === 'buy') {
      krw -= f.value + f.fee;
      btc += f.units;
    } else {
      krw += f.value - f.fee;
      btc -= f.units;
    }
  }
  assert.ok(
    Math.abs((s.book.balances.get('KRW') ?? 0) - krw) < 1e-3,
    `exchange KRW ${s.book.balances.get('KRW')} vs start + recorded fills ${krw}`,
  );
  assert.ok(
    Math.abs((s.book.balances.get('BTC') ?? 0) - btc) < 1e-9,
    `exchange BTC ${s.book.balances.get('BTC')} vs recorded fills ${btc}`,
  );
  const run = s.repo.get(runId);
  for (const [k, v] of Object.entries(run.account)) {
    if (k !== 'rejected')
      assert.ok(
        typeof v === 'number' && Number.isFinite(v),
        `account.${k} is a finite number, got ${JSON.stringify(v)}`,
      );
  }
  assert.ok(Math.abs(run.account.units - btc) < 1e-9, 'the run holds what its fills bought');
  assert.ok(
    Math.abs(run.initialBalance - (s.startKrw - krw) - run.account.cash) < 1e-3,
    "the run's cash moved as the exchange's did",
  );
}

/**
 * After a `bot live` process in `db` settled its one order: recorded `filled`, placed once on `book`, and the books
 * agree with the exchange's balances from `startKrw`.
 */
export function assertFilledOnce(db: string, book: FakeOrderBook, startKrw: number): void {
  const store = CandleStore.open(db);
  try {
    const repo = new RunRepository(store.db);
    const run = repo.list()[0];
    assert.deepEqual(
      repo.orders(run.id).map((o) => o.status),
      ['filled'],
    );
    assert.equal(book.orders.length, 1, 'placed once');
    assertBooksAgree({ book, repo, startKrw }, run.id);
  } finally {
    store.close();
  }
}

/** The run's orders in `db`: status, client id and proof, read through a fresh connection. */
export function ordersIn(db: string) {
  const store = CandleStore.open(db);
  try {
    const repo = new RunRepository(store.db);
    return repo.orders(repo.list()[0].id);
  } finally {
    store.close();
  }
}

/**
 * For `bot live` run as a process: a temp folder, the fake Upbit with order endpoints holding `krw`, a config file
 * pointing ccxt at it (plus the sections `extra` gives for the temp folder), the database path and the candle time
 * the clock stands after.
 */
export async function liveCliSetup(
  seed: number,
  krw: number,
  extra: (dir: string) => Record<string, unknown> = () => ({}),
) {
  const tmp = tempDir('bot-live-cli-');
  const candles = syntheticCandles({
    seed,
    count: 120,
    timeframe: '1h',
    start: Date.UTC(2024, 0, 1),
    tick: 1000,
    symbol: 'KRW-BTC',
  });
  const now = candles.ts[100] + HOUR + 10_000;
  // the exchange's clock: a live run's --now must agree with it (live-start.ts), so a test that moves on moves it
  let exchangeNow = now;
  const setExchangeNow = (t: number) => {
    exchangeNow = t;
  };
  const fake = await startFakeUpbit({ now: () => exchangeNow, series: [{ market: 'KRW-BTC', candles }] });
  const book = addOrderEndpoints(fake, { KRW: krw });
  const cfg = path.join(tmp.dir, 'config.json');
  const exchange = { ccxt: fake.ccxtOptions(), retries: 2, backoffMs: 10, maxBackoffMs: 50 };
  writeFileSync(cfg, JSON.stringify({ exchange, log: { file: '' }, ...extra(tmp.dir) }));
  return { tmp, candles, now, setExchangeNow, fake, book, cfg, db: path.join(tmp.dir, 'bot.db') };
}

/**
 * Starts `bot <args>` (a trader that keeps running) and waits until `book` holds its first order; `exited()` says
 * whether the process has stopped since. A trader that never orders is killed before the wait's error is thrown.
 */
export async function startTraderUntilOrder(args: string[], env: NodeJS.ProcessEnv, book: { orders: unknown[] }) {
  const bot = startBot(args, env);
  let exited = false;
  void bot.done.then(() => (exited = true));
  try {
    await waitFor(
      () => (book.orders.length > 0 ? true : undefined),
      60_000,
      'the first order',
      () => exited,
    );
  } catch (e) {
    bot.child.kill('SIGTERM');
    await bot.done;
    throw e;
  }
  return { ...bot, exited: () => exited };
}

/**
 * Runs `bot <args>`, a trader that keeps running, until it exits or tries a failed tick again (`retried`: then it is
 * stopped), for a start that must end at its first tick rather than retry it.
 */
export async function untilExitOrRetry(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ r: BotResult; retried: boolean }> {
  const bot = startBot(args, env);
  let stderr = '';
  bot.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  void bot.done.then(() => (exited = true));
  const retried = await waitFor(
    () => (/trying the tick again/.test(stderr) ? true : undefined),
    60_000,
    'a retry',
    () => exited,
  ).catch(() => false);
  if (retried) bot.child.kill('SIGTERM');
  return { r: await bot.done, retried };
}

/**
 * A new live run (10,000,000 KRW of the exchange's 20,000,000) whose first two ticks fail after their withdrawal check,
 * as on a model that does not load, the user withdrawing down to 4,000,000 KRW in between: the cut is taken out
 * before the run ever decided. Returns the run's id.
 */
export async function withdrawnBeforeFirstDecision(
  s: { clock: { now: number }; book: FakeOrderBook; repo: RunRepository },
  trader: { tick(): Promise<unknown> },
): Promise<number> {
  await assert.rejects(() => trader.tick(), /cannot be loaded/);
  s.clock.now += HOUR;
  const runId = s.repo.list()[0].id;
  assert.equal(s.repo.get(runId).initialBalance, 10_000_000);
  s.book.balances.set('KRW', 4_000_000);
  await assert.rejects(() => trader.tick(), /cannot be loaded/);
  s.clock.now += HOUR;
  assert.equal(s.repo.get(runId).account.withdrawn, 6_000_000, 'the withdrawal was taken out of the run');
  return runId;
}

/** After a restart over withdrawnBeforeFirstDecision and one tick: the run started from what was there. */
export function assertStartedFromWhatIsThere(status: RunStatus | undefined): void {
  assert.ok(status, 'the run has a status');
  assert.equal(status.initialBalance, 4_000_000, 'the run starts from what the exchange holds');
  assert.equal(status.withdrawn, 0, 'nothing was withdrawn from the run since it started');
  assert.ok(Math.abs(status.pnl) < 0.01, `no made-up profit: ${status.pnl}`);
}

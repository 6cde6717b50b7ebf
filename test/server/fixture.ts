/**
 * A real paper run for the dashboard tests: a Trader on a recorded series writing a real SQLite file, backtest
 * report folders (two written by hand in bot backtest's shape, a portfolio one by its real writer) and a model home on
 * disk, and the dashboard server on 127.0.0.1 reading them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import { acquireLock, runLockName, type Lock } from '../../src/trading/lock.ts';
import type { RunKey } from '../../src/trading/types.ts';
import { createDashboardServer, type DashboardServer } from '../../src/server/app.ts';
import { Credentials, readTokens, createToken } from '../../src/server/auth.ts';
import { REPORT_SCHEMA } from '../../src/backtest/report.ts';
import { runPortfolioRun } from '../../src/backtest/portfolio-backtest.ts';
import type { PortfolioReport } from '../../src/backtest/portfolio-report.ts';
import { equalWeightPolicy } from '../../src/agents/portfolio-strategy.ts';
import { momentumSource, quietLogger, seriesFeed, tempDir } from '../trading/helpers.ts';

export const HOUR = 3_600_000;
export const candles = syntheticCandles({
  seed: 7,
  count: 400,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1000,
  gapProbability: 0,
});
export const START = candles.ts[100];
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 5, minOrderValue: 5000, quantityPrecision: 8 };
export const KEY: RunKey = { mode: 'paper', name: 'default', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' };

export interface PaperFixture {
  dir: string;
  dbFile: string;
  backtestsDir: string;
  modelsDir: string;
  logFile: string;
  /** backtests/pf-run's report, a portfolio backtest's. */
  portfolio: PortfolioReport;
  clock: { now: number };
  store: CandleStore;
  repo: RunRepository;
  trader: Trader;
  runId: number;
  /** The run's lock, held as a running trader holds it. */
  lock: Lock;
  /** Moves the clock on by `hours` and ticks. */
  advance(hours: number): Promise<void>;
  cleanup(): void;
}

/** Writes a report folder as `bot backtest` does (the parts the dashboard reads). */
export function writeBacktest(dir: string, id: string, totalReturn: number): void {
  const run = path.join(dir, id);
  mkdirSync(run, { recursive: true });
  const metrics = { totalReturn, sharpe: totalReturn * 10, maxDrawdown: 0.1, trades: 4, sells: 2, winRate: 0.5 };
  const report = {
    schema: REPORT_SCHEMA,
    runId: id,
    createdAt: new Date(Date.UTC(2024, 5, 1) + totalReturn * 1e6).toISOString(),
    title: `sma-cross on test ${id}`,
    strategy: { name: 'sma-cross', kind: 'rule', description: 'test' },
    data: {
      label: 'test',
      origin: 'test',
      exchange: 'upbit',
      symbol: 'BTC/KRW',
      timeframe: '1h',
      from: '2024-01-01T00:00:00Z',
      to: '2024-02-01T00:00:00Z',
      candles: 744,
    },
    settings: {},
    metrics,
    baselines: {
      // the key bot backtest writes (src/backtest/baselines.ts BASELINE_NAMES)
      buy_and_hold: {
        description: 'buy and hold',
        // a run without sells: metricsToJson keeps its per-sell metrics as 0
        metrics: { totalReturn: 0.05, sharpe: 0.5, maxDrawdown: 0.2, trades: 1, sells: 0, winRate: 0 },
      },
      // every baseline bot backtest writes: a report without one is incomplete (src/backtest/report-file.ts)
      flat: { description: 'flat', metrics: { totalReturn: 0, sharpe: 0, maxDrawdown: 0, trades: 0, sells: 0 } },
      random: { description: 'random', metrics: { totalReturn: -0.01, sharpe: -0.1, maxDrawdown: 0.15, trades: 9 } },
      sma_cross: { description: 'sma cross', metrics: { totalReturn: 0.02, sharpe: 0.2, maxDrawdown: 0.1, trades: 3 } },
    },
    tradesFingerprint: 'x',
    trades: 2,
    files: { trades: 'trades.csv', png: 'equity.png', html: 'report.html' },
  };
  writeFileSync(path.join(run, 'report.json'), JSON.stringify(report));
  // the columns bot backtest writes (src/backtest/report.ts); equity at a trade = cash + units_after × price
  const end = 1_000_000 * (1 + totalReturn);
  writeFileSync(
    path.join(run, 'trades.csv'),
    'index,time,side,price,units,gross,fee,tax,realized_pnl,cash,units_after\n' +
      '3,2024-01-02T00:00:00Z,buy,100,1,100,0,0,0,0,10000\n' +
      `9,2024-01-20T00:00:00Z,sell,110,1,110,0,0,0,${end},0\n`,
  );
}

/**
 * A portfolio report folder written by the writer `bot backtest --symbols` uses (runPortfolioRun: report.json of
 * schema bot-portfolio-report/1, trades.csv with a market column, report.html): equal weights over two markets.
 */
export function writePortfolioBacktest(dir: string, id: string): PortfolioReport {
  const series = [
    { seed: 11, symbol: 'BTC/KRW', startPrice: 50_000_000 },
    { seed: 12, symbol: 'ETH/KRW', startPrice: 3_000_000 },
  ].map((o) => ({
    candles: syntheticCandles({ ...o, count: 120, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 }),
    label: 'synthetic',
  }));
  return runPortfolioRun({
    name: 'equal-weight',
    policy: equalWeightPolicy(2, 24),
    series,
    costs: [COSTS, COSTS],
    balance: 10_000_000,
    seed: 1,
    every: 24,
    band: 0,
    randomSeeds: 3,
    outDir: dir,
    out: path.join(dir, id),
  }).report;
}

export async function paperFixture(): Promise<PaperFixture> {
  const tmp = tempDir('bot-dashboard-');
  const dbFile = path.join(tmp.dir, 'bot.db');
  const backtestsDir = path.join(tmp.dir, 'backtests');
  const modelsDir = path.join(tmp.dir, 'models');
  const logFile = path.join(tmp.dir, 'bot.log');
  writeBacktest(backtestsDir, 'run-a', 0.12);
  writeBacktest(backtestsDir, 'run-b', -0.03);
  const portfolio = writePortfolioBacktest(backtestsDir, 'pf-run');
  const home = path.join(modelsDir, 'btc-dqn');
  mkdirSync(path.join(home, 'versions', 'v2'), { recursive: true });
  // meta.json's metrics as the writers nest them: bot backtest's test set (src/backtest/agent-backtest.ts), a
  // retrain's validation set (src/trading/train-challenger.ts), each beside the validation Sharpe and the market
  const market = { symbol: 'BTC/KRW', timeframe: '1h', exchange: 'upbit' };
  const measured = (totalReturn: number, sharpe: number) => ({ totalReturn, sharpe, maxDrawdown: 0.1, trades: 6 });
  const meta = (createdAt: string, metrics: Record<string, unknown>) =>
    JSON.stringify({ name: 'btc-dqn', strategy: 'dqn-dnn', createdAt, metrics: { ...metrics, ...market } });
  writeFileSync(
    path.join(home, 'meta.json'),
    meta('2024-01-01T00:00:00Z', { test: measured(0.04, 1), validationSharpe: 1.25 }),
  );
  writeFileSync(
    path.join(home, 'versions', 'v2', 'meta.json'),
    meta('2024-02-01T00:00:00Z', { validation: measured(0.07, 2), validationSharpe: 2.5 }),
  );
  writeFileSync(path.join(home, 'CURRENT'), 'v2\n');
  writeFileSync(
    logFile,
    [
      JSON.stringify({ level: 'info', message: 'paper run started', timestamp: '2024-01-05T00:00:00Z' }),
      JSON.stringify({
        level: 'error',
        message: 'tick failed, the next tick catches up: exchange down',
        timestamp: '2024-01-05T01:00:00Z',
      }),
      JSON.stringify({ level: 'debug', message: 'tick: no new closed candle', timestamp: '2024-01-05T02:00:00Z' }),
    ].join('\n') + '\n',
  );

  const clock = { now: START + 60 * HOUR + 10_000 };
  const store = CandleStore.open(dbFile);
  const repo = new RunRepository(store.db);
  // the trader's process holds the run's lock while it runs, as bot paper's session does: bot status and the API
  // show a next tick only for a run that is running
  const lock = acquireLock(store.db, runLockName(KEY), 120_000);
  const trader = new Trader({
    repo,
    store,
    feed: seriesFeed(candles, HOUR),
    market: new PaperMarket(COSTS, { kind: 'all' }),
    policies: momentumSource(),
    key: KEY,
    balance: 10_000_000,
    historyCandles: 50,
    start: START,
    clock: () => clock.now,
    logger: quietLogger(),
  });
  await trader.tick();
  const runId = repo.list()[0].id;
  return {
    dir: tmp.dir,
    dbFile,
    backtestsDir,
    modelsDir,
    logFile,
    portfolio,
    clock,
    store,
    repo,
    trader,
    runId,
    async advance(hours) {
      clock.now += hours * HOUR;
      await trader.tick();
    },
    lock,
    cleanup() {
      lock.release();
      store.close();
      tmp.cleanup();
    },
  };
}

let served = 0;

export interface Served {
  server: DashboardServer;
  url: string;
  token?: string;
}

/**
 * The dashboard over a fixture; `token: true` makes an API token first (stored hashed beside the database);
 * `credentials` replaces the ones built from `password` and `token` (e.g. with a clock of the test's own).
 */
export async function serve(
  f: PaperFixture,
  o: {
    token?: boolean;
    password?: string;
    host?: string;
    pollMs?: number;
    credentials?: Credentials;
    maxEventStreams?: number;
    /** Config `trading.live.unknownOrderGraceSeconds` (the server's default 600 s when not given). */
    unknownOrderGraceSeconds?: number;
  } = {},
): Promise<Served> {
  const tokensFile = path.join(f.dir, `api-tokens-${++served}.json`);
  const token = o.token ? createToken(tokensFile, 'test').token : undefined;
  const credentials =
    o.credentials ?? new Credentials({ password: o.password, tokens: readTokens(tokensFile), sessionHours: 1 });
  const server = await createDashboardServer({
    dbFile: f.dbFile,
    backtestsDir: f.backtestsDir,
    modelsDir: f.modelsDir,
    logFile: f.logFile,
    tickDelaySeconds: 10,
    lockStaleSeconds: 120,
    unknownOrderGraceSeconds: o.unknownOrderGraceSeconds,
    credentials,
    corsOrigins: [],
    pollMs: o.pollMs ?? 100,
    maxEventStreams: o.maxEventStreams,
    logger: quietLogger(),
    clock: () => f.clock.now,
  });
  const url = await server.listen(o.host ?? '127.0.0.1', 0);
  return { server, url, token };
}

/** A paper fixture and its server for a test file's tests: made before them, closed and removed after them. */
export function servedFixture(): { f: PaperFixture; s: Served } {
  const o = {} as { f: PaperFixture; s: Served };
  before(async () => {
    o.f = await paperFixture();
    o.s = await serve(o.f);
  });
  after(async () => {
    await o.s.server.close();
    o.f.cleanup();
  });
  return o;
}

/** A raw GET of `p` from the server at `url`: the path goes out exactly as written (fetch would normalise it). */
export function rawGet(
  url: string,
  p: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Three retrains in the fixture's database as `bot retrain` records them (trading schema 14): a winner refused after
 * an earlier loser on its holdout (with the time a retrain is free of it), one promoted with --retry-holdout by a
 * schedule, and one whose process was killed right after promoting; `secret` stands in the costs and a reason, as an
 * exchange's error might quote a key. Returns a function that removes them.
 */
export function writeRetrains(f: PaperFixture, secret: string): () => void {
  const insert = f.repo.db.prepare(
    `INSERT INTO trading_retrains (started_at, finished_at, exchange, symbol, timeframe, strategy, model_dir,
     champion_version, challenger_version, champion_score, challenger_score, buy_hold_score, outcome, reason,
     holdout_from, holdout_to, holdout_trial, scheduled, retry_holdout, costs, killed, free_from)
     VALUES (@at, @at, 'upbit', 'BTC/KRW', '1h', 'dqn-dnn', @dir, 'v1', @v, 0.01, 0.05, -0.02, @outcome, @reason,
     @from, @to, @trial, @scheduled, @retry, @costs, @killed, @free)`,
  );
  const common = { dir: path.join(f.modelsDir, 'btc-dqn'), from: Date.UTC(2024, 0, 10), to: Date.UTC(2024, 0, 11) };
  const rows = [
    {
      ...common,
      at: 1,
      v: 'v2',
      outcome: 'rejected',
      reason: 'the 2nd challenger judged on this holdout: … not promoted',
      trial: 2,
      scheduled: 0,
      retry: 0,
      costs: 'account.preset upbit-krw',
      killed: 0,
      free: Date.UTC(2024, 0, 12, 17),
    },
    {
      ...common,
      at: 2,
      v: 'v3',
      outcome: 'promoted',
      reason: 'the 3rd challenger judged on this holdout: … (promoted with --retry-holdout)',
      trial: 3,
      scheduled: 1,
      retry: 1,
      costs: `cost preset ${secret}`,
      killed: 0,
      free: null,
    },
    {
      ...common,
      at: 3,
      v: 'v4',
      outcome: 'promoted',
      reason: `beats; its process (pid 7) ended right after promoting it (CURRENT names it) ${secret}`,
      trial: 1,
      scheduled: 0,
      retry: 0,
      costs: 'account.preset upbit-krw',
      killed: 1,
      free: null,
    },
  ];
  const ids = rows.map((r) => Number(insert.run(r).lastInsertRowid));
  return () => {
    for (const id of ids) f.repo.db.prepare('DELETE FROM trading_retrains WHERE id = ?').run(id);
  };
}

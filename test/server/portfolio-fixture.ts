/**
 * A real portfolio paper run for the dashboard tests (issue 14): `bot paper --symbols BTC/KRW,ETH/KRW --once` through
 * the real CLI against the fake Upbit serving two markets with holes, writing a real SQLite file (with a config file
 * that gives ETH/KRW its own fee), a single-market run beside it, and the dashboard server reading that file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { createDashboardServer, type DashboardServer } from '../../src/server/app.ts';
import { Credentials } from '../../src/server/auth.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { runBot } from '../trading/cli.ts';
import { quietLogger, tempDir } from '../trading/helpers.ts';

const HOUR = 3_600_000;
const make = (seed: number, market: string, startPrice: number) =>
  syntheticCandles({
    seed,
    count: 260,
    timeframe: '1h',
    start: Date.UTC(2024, 0, 1),
    tick: 10,
    symbol: market,
    startPrice,
  });

export const SYMBOLS = ['BTC/KRW', 'ETH/KRW'];
/** The fee the config file gives ETH/KRW (BTC/KRW keeps `account`'s 0.0005). */
export const ETH_FEE = 0.002;

export interface PortfolioFixture {
  dir: string;
  dbFile: string;
  /** The recorded series the fake exchange served, with its holes. */
  series: Candles[];
  start: number;
  now: number;
  cleanup(): void;
}

/** Runs the paper trader once over the whole recorded series; throws with its stderr if it fails. */
export async function portfolioFixture(): Promise<PortfolioFixture> {
  const tmp = tempDir('bot-pf-dash-');
  const btc = make(41, 'KRW-BTC', 50_000_000);
  const eth = make(42, 'KRW-ETH', 3_000_000);
  const start = btc.ts[100];
  const last = btc.ts[btc.ts.length - 1];
  const now = last + HOUR + 10_000;
  const fake = await startFakeUpbit({
    now: () => now,
    series: [
      { market: 'KRW-BTC', candles: btc },
      { market: 'KRW-ETH', candles: eth },
    ],
  });
  // Upbit skips hours without trades: holes in each market (never at the start or the end)
  const hole = (ts: number, k: number, r: number) => ts !== start && ts < last && Math.floor(ts / HOUR) % k === r;
  fake.dropCandles('KRW-BTC', '1h', (ts) => hole(ts, 19, 4));
  fake.dropCandles('KRW-ETH', '1h', (ts) => hole(ts, 13, 6));
  try {
    const cfg = path.join(tmp.dir, 'config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        exchange: { ccxt: fake.ccxtOptions(), retries: 3, backoffMs: 10, maxBackoffMs: 50 },
        log: { file: '' },
        account: { markets: { 'ETH/KRW': { feeRate: ETH_FEE } } },
      }),
    );
    const dbFile = path.join(tmp.dir, 'bot.db');
    const common = ['--start', isoTime(start), '--now', isoTime(now), '--db', dbFile, '--config', cfg, '--once'];
    for (const args of [
      ['paper', '--symbols', SYMBOLS.join(','), '--rebalance-every', '5', ...common],
      ['paper', '--strategy', 'sma-cross', '--symbol', 'BTC/KRW', ...common],
    ]) {
      const r = await runBot([...args, '--log-level', 'warn']);
      if (r.code !== 0) throw new Error(`bot ${args.join(' ')} failed: ${r.stderr}`);
    }
    const series = ['KRW-BTC', 'KRW-ETH'].map((m) => fake.state.series.get(`${m}|${HOUR}`) as Candles);
    return { dir: tmp.dir, dbFile, series, start, now, cleanup: tmp.cleanup };
  } finally {
    await fake.close();
  }
}

/**
 * The dashboard over the fixture's database (or any database in a folder `dir`, on the clock `now`) on 127.0.0.1 (no
 * credentials: read-only from loopback).
 */
export async function servePortfolio(
  f: Pick<PortfolioFixture, 'dir' | 'dbFile' | 'now'>,
): Promise<{ server: DashboardServer; url: string }> {
  mkdirSync(path.join(f.dir, 'backtests'), { recursive: true });
  mkdirSync(path.join(f.dir, 'models'), { recursive: true });
  const server = await createDashboardServer({
    dbFile: f.dbFile,
    backtestsDir: path.join(f.dir, 'backtests'),
    modelsDir: path.join(f.dir, 'models'),
    logFile: path.join(f.dir, 'bot.log'),
    tickDelaySeconds: 10,
    lockStaleSeconds: 120,
    credentials: new Credentials({ tokens: [], sessionHours: 1 }),
    corsOrigins: [],
    pollMs: 100,
    logger: quietLogger(),
    clock: () => f.now,
  });
  return { server, url: await server.listen('127.0.0.1', 0) };
}

/**
 * Bench group: the dashboard's API latency (p50, and p99 or the max under 100 requests; HTTP on 127.0.0.1) for a run
 * with 100,000 decisions — a decisions page at random cursors, the equity series, a candles window — and the run
 * page's time to first contentful paint and to its decisions table in headless Chromium (issue 15).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import winston from 'winston';
import type { CandleRow } from '../../core/candles.ts';
import { CandleStore } from '../../data/store.ts';
import { RunRepository } from '../../trading/run-repository.ts';
import { createDashboardServer } from '../../server/app.ts';
import { Credentials } from '../../server/auth.ts';
import { CHROMIUM, launchGuardedChromium } from '../chromium.ts';
import { guardDir } from '../cleanup.ts';
import { quantile, tail } from '../quantile.ts';
import type { BenchGroup } from '../table.ts';

const H = 3_600_000;

/** How big the group's run is and how many requests each latency case sends. */
interface DashboardSize {
  /** Hourly candles, and decisions and equity rows, of the run. */
  rows: number;
  /** Multiplies every case's request count (1: 300 decisions pages, 100 equity series, …). */
  requestScale: number;
}

/** The bench's size. The signal test (test/unit/bench-cleanup.test.ts) runs the same code at a small one. */
const BENCH_SIZE: DashboardSize = { rows: 100_000, requestScale: 1 };

/** A run with N hourly candles, decisions and equity rows and a fill every 50 candles, written directly. */
function fillDatabase(file: string, N: number): number {
  const store = CandleStore.open(file);
  const repo = new RunRepository(store.db);
  const t0 = Date.UTC(2012, 0, 1);
  const key = { mode: 'paper' as const, name: 'bench', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' };
  const account = {
    initialBalance: 1e7,
    cash: 1e7,
    units: 0,
    avgBuyPrice: 0,
    avgCost: 0,
    feesPaid: 0,
    taxPaid: 0,
    buys: 0,
    sells: 0,
    rejected: { below_min_order: 0, no_cash: 0, no_position: 0, below_precision: 0 },
  };
  const run = repo.create(key, {
    policy: 'strategy:bench',
    historyFrom: t0,
    startTs: t0,
    initialBalance: 1e7,
    account,
    now: t0,
  });
  const rows: CandleRow[] = [];
  let price = 50_000_000;
  for (let i = 0; i < N; i++) {
    price *= 1 + Math.sin(i * 0.37) * 0.004;
    rows.push({ ts: t0 + i * H, open: price, high: price * 1.002, low: price * 0.998, close: price, volume: 1 });
  }
  store.upsert(key.exchange, key.symbol, key.timeframe, rows);
  store.db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const ts = t0 + i * H;
      const action = i % 50 === 0 ? 'buy' : i % 50 === 25 ? 'sell' : 'hold';
      repo.insertDecision(run.id, ts, { action, confidence: 0.5 }, rows[i].close, 'bench', 'v1', ts);
      repo.insertEquity(run.id, { ts, cash: 1e7, units: 0, price: rows[i].close, equity: 1e7 });
      if (action !== 'hold') {
        const id = repo.insertOrder(run.id, ts, action, 1, 'filled', ts);
        repo.insertFill(run.id, id, ts + H, {
          side: action,
          price: rows[i].close,
          units: 0.1,
          value: rows[i].close * 0.1,
          fee: 1,
        });
      }
    }
    repo.saveState({ ...run, lastTs: t0 + (N - 1) * H, startPrice: rows[0].close });
  })();
  store.close();
  return run.id;
}

async function latency(
  url: string,
  paths: () => string,
  n: number,
): Promise<{ p50: number; worst: ReturnType<typeof tail> }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url + paths());
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${res.status} for ${paths()}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), worst: tail(times) };
}

export const dashboardGroup: BenchGroup = {
  name: 'dashboard',
  description: 'API latency for a run with 100,000 decisions, and the run page paint in headless Chromium',
  run: (report) => runDashboard(report, BENCH_SIZE),
};

/** The group at `size`: its temp folder, the filled run, the latency cases and the paint in Chromium. */
export async function runDashboard(report: Parameters<BenchGroup['run']>[0], size: DashboardSize): Promise<void> {
  const N = size.rows;
  const dir = mkdtempSync(path.join(tmpdir(), 'bot-bench-dashboard-'));
  const removeDir = guardDir(dir);
  const logger = winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
  try {
    const db = path.join(dir, 'bot.db');
    const runId = fillDatabase(db, N);
    const server = await createDashboardServer({
      dbFile: db,
      backtestsDir: dir,
      modelsDir: dir,
      logFile: '',
      tickDelaySeconds: 10,
      lockStaleSeconds: 120,
      credentials: new Credentials({ tokens: [], sessionHours: 1 }),
      corsOrigins: [],
      pollMs: 1000,
      logger,
    });
    const url = await server.listen('127.0.0.1', 0);
    try {
      const t0 = Date.UTC(2012, 0, 1);
      const cursor = () => t0 + Math.floor(Math.random() * N) * H;
      const cases: [string, () => string, number][] = [
        [
          'decisions page (100 rows, random cursor)',
          () => `/api/v1/runs/${runId}/decisions?limit=100&before=${cursor()}`,
          300,
        ],
        ['equity series (5,000 points)', () => `/api/v1/runs/${runId}/equity?limit=5000`, 100],
        ['candles window (500, random end)', () => `/api/v1/runs/${runId}/candles?limit=500&to=${cursor()}`, 300],
        ['runs overview', () => '/api/v1/runs', 100],
      ];
      for (const [name, p, full] of cases) {
        const n = Math.max(1, Math.round(full * size.requestScale));
        const { p50, worst } = await latency(url, p, n);
        report({ figure: `${name} p50`, value: p50, unit: 'ms', note: `${n} requests` });
        report({ figure: `${name} ${worst.label}`, value: worst.value, unit: 'ms' });
      }
      await paint(url, runId, N, dir, report);
    } finally {
      await server.close();
    }
  } finally {
    await removeDir();
  }
}

async function paint(
  url: string,
  runId: number,
  N: number,
  dir: string,
  report: Parameters<BenchGroup['run']>[0],
): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    report({
      figure: 'run page first paint',
      value: 'skipped',
      unit: '',
      note: `no ${CHROMIUM} (node scripts/ensure-system-tools.mjs)`,
    });
    return;
  }
  const { context, close } = await launchGuardedChromium(path.join(dir, 'profile'));
  try {
    const page = await context.newPage();
    await page.goto(url + '/'); // warm caches once
    const t = performance.now();
    await page.goto(`${url}/#/run/${runId}`);
    await page.locator('#decisions-table tbody tr').first().waitFor();
    const table = performance.now() - t;
    const fcp = (await page.evaluate(
      "performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')?.startTime ?? -1",
    )) as number;
    report({ figure: 'run page first contentful paint', value: fcp, unit: 'ms', note: 'headless Chromium' });
    report({
      figure: 'run page to decisions table',
      value: table,
      unit: 'ms',
      note: `${N.toLocaleString('en-US')}-decision run`,
    });
  } finally {
    await close();
  }
}

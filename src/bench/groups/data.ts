/** Bench group: candle download from the fake exchange, CSV import and store load speed. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { PROJECT_ROOT } from '../../core/project-root.ts';
import { parseCandlesCsvDetailed } from '../../data/csv.ts';
import { downloadToStore } from '../../data/download.ts';
import { createExchange, retryOptionsFrom } from '../../data/exchange.ts';
import { CandleStore } from '../../data/store.ts';
import type { BenchGroup } from '../table.ts';
import { benchDataDir, benchDataFile } from '../data-dir.ts';
import { guardChild, guardDir } from '../cleanup.ts';

const H = 3_600_000;
/** Upbit: 10 candle requests a second, 200 candles each. */
const CEILING = 2000;
const BINANCE_1H = 'binance_btc_usdt_1h_2022-2025.csv';

/**
 * Starts test/fake-exchange/serve.ts in its own process, so its arrival times are not held up by the downloader's work.
 * `stop` kills it and waits for its exit; a SIGINT/SIGTERM to the bench does the same (src/bench/cleanup.ts).
 */
export async function startFakeProcess(args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/fake-exchange/serve.ts'), ...args],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const stop = guardChild(child);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`fake exchange exited with ${code}`)));
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { url: (JSON.parse(line) as { url: string }).url, stop };
}

async function downloadThroughput(report: Parameters<BenchGroup['run']>[0], dir: string): Promise<void> {
  const count = 8000;
  const start = Date.UTC(2024, 0, 1);
  const now = start + (count + 1) * H;
  const { url, stop } = await startFakeProcess([
    '--config-out',
    path.join(dir, 'fake.json'),
    '--count',
    String(count),
    '--start',
    String(start),
    '--now',
    String(now),
    '--rate',
    '10',
  ]);
  try {
    const config = loadConfig({
      overrides: {
        exchange: { ccxt: { urls: { api: { public: url, private: url } } } },
        data: { database: path.join(dir, 'bench.db') },
        log: { level: 'error', file: '' },
      },
    });
    const store = CandleStore.open(config.data.database);
    const ex = createExchange(config);
    await ex.loadMarkets();
    const started = performance.now();
    const result = await downloadToStore(
      store,
      ex,
      { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h', since: start },
      { retry: retryOptionsFrom(config), now: () => now },
    );
    const seconds = (performance.now() - started) / 1000;
    store.close();
    const stats = (await (await fetch(`${url}/__fake/stats`)).json()) as { throttled: number };
    const perSecond = result.fetched / seconds;
    report({
      figure: 'download candles/s (fake Upbit, 10 req/s enforced)',
      value: perSecond,
      unit: 'candles/s',
      note: `${result.fetched} candles, ${result.pages} requests`,
    });
    report({
      figure: 'download vs 2,000/s ceiling',
      value: (100 * perSecond) / CEILING,
      unit: '%',
      note: 'target ≥ 90',
    });
    report({ figure: 'download 429 answers', value: stats.throttled, unit: 'replies', note: 'target 0' });
  } finally {
    await stop();
  }
}

function csvImport(report: Parameters<BenchGroup['run']>[0], dir: string): void {
  const data = benchDataDir();
  report({ figure: 'real data folder', value: data.dir ? 'found' : 'none', unit: '', note: data.note });
  const file = benchDataFile(data, BINANCE_1H);
  if (file === undefined) {
    report({ figure: 'CSV import', value: 'skipped', unit: '', note: `${BINANCE_1H} not found` });
    return;
  }
  const text = readFileSync(file, 'utf8');
  const t0 = performance.now();
  const parsed = parseCandlesCsvDetailed(text, { file: BINANCE_1H });
  const t1 = performance.now();
  const store = CandleStore.open(path.join(dir, 'import.db'));
  store.upsert('binance', 'BTC/USDT', parsed.timeframe, parsed.rows);
  const t2 = performance.now();
  const loaded = store.load('binance', 'BTC/USDT', parsed.timeframe);
  const t3 = performance.now();
  store.close();
  const n = parsed.rows.length;
  report({
    figure: 'CSV import rows/s (parse + store, Binance 1h)',
    value: n / ((t2 - t0) / 1000),
    unit: 'rows/s',
    note: `${n} rows`,
  });
  report({ figure: 'CSV parse rows/s', value: n / ((t1 - t0) / 1000), unit: 'rows/s' });
  report({ figure: 'store load rows/s', value: loaded.ts.length / ((t3 - t2) / 1000), unit: 'rows/s' });
}

export const dataGroup: BenchGroup = {
  name: 'data',
  description: 'candle download throughput against the fake Upbit at its real rate limit; CSV import speed',
  async run(report) {
    const dir = mkdtempSync(path.join(tmpdir(), 'bot-bench-data-'));
    const removeDir = guardDir(dir);
    try {
      await downloadThroughput(report, dir);
      csvImport(report, dir);
    } finally {
      await removeDir();
    }
  },
};

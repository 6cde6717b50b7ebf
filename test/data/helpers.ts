import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import type { Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';

export function tempDir(prefix = 'bot-data-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Config pointing ccxt at the fake exchange, with quick retries and a database in `dir`. */
export function fakeConfig(
  fake: FakeUpbit | { url: string },
  dir: string,
  exchange: Record<string, unknown> = {},
): Config {
  return loadConfig({
    overrides: {
      exchange: {
        ccxt: { urls: { api: { public: fake.url, private: fake.url } } },
        retries: 4,
        backoffMs: 5,
        maxBackoffMs: 20,
        timeoutMs: 2000,
        ...exchange,
      },
      data: { database: path.join(dir, 'bot.db') },
      log: { level: 'error', file: '' },
    },
  });
}

/** An index future's hourly candles in UTC: 09:30–11:30 and 13:00–15:00 in Shanghai, bucketed to whole hours. */
export const CHINA_FUTURE_OPENS = ['01:30', '02:30', '05:00', '06:00'] as const;

/**
 * Candles of a market that trades in sessions: a synthetic series moved onto the open times `opens` ("HH:MM" UTC) of
 * each weekday from `start` on, so steps between candles are one timeframe inside a session and anything between
 * sessions (lunch, night, weekend).
 */
export function sessionCandles(o: {
  seed: number;
  count: number;
  opens: readonly string[];
  start?: number;
  timeframe?: string;
}): Candles {
  const c = syntheticCandles({ seed: o.seed, count: o.count, timeframe: o.timeframe ?? '1h' });
  const offsets = o.opens.map((hm) => {
    const [h, m] = hm.split(':').map(Number);
    return (h * 60 + m) * 60_000;
  });
  let day = o.start ?? Date.UTC(2024, 0, 1);
  let n = 0;
  while (n < o.count) {
    const weekday = new Date(day).getUTCDay();
    if (weekday !== 0 && weekday !== 6) for (const off of offsets) if (n < o.count) c.ts[n++] = day + off;
    day += 86_400_000;
  }
  return c;
}

/** Where nothing listens: an exchange that cannot be reached. */
export const DEAD_EXCHANGE = 'http://127.0.0.1:1';

/**
 * A config.json in `dir` pointing ccxt at `url` (a fake exchange's, or DEAD_EXCHANGE) with quick retries, for the CLI
 * in a child process; `log` defaults to a log file in `dir`. Returns its path.
 */
export function exchangeConfigFile(dir: string, url: string, log: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'config.json');
  const exchange = { ccxt: { urls: { api: { public: url, private: url } } }, backoffMs: 5 };
  writeFileSync(file, JSON.stringify({ exchange, log: { file: path.join(dir, 'bot.log'), ...log } }));
  return file;
}

/**
 * A fake Upbit serving `count` hourly KRW-BTC candles (seed `seed`) that end long before the real clock (so which are
 * closed cannot change while the CLI runs), a temp folder and a config.json pointing ccxt at it; closed after `fn`.
 */
export async function withHourlyFake(
  o: { seed: number; count: number; hoursBack: number; prefix: string },
  fn: (f: { fake: FakeUpbit; dir: string; config: string; truth: Candles }) => Promise<void>,
): Promise<void> {
  const H = 3_600_000;
  const start = Math.floor(Date.now() / H) * H - o.hoursBack * H;
  const truth = syntheticCandles({ seed: o.seed, count: o.count, timeframe: '1h', start, tick: 1000 });
  const fake = await startFakeUpbit({ series: [{ market: 'KRW-BTC', candles: truth }] });
  try {
    const dir = tempDir(o.prefix);
    await fn({ fake, dir, config: exchangeConfigFile(dir, fake.url), truth });
  } finally {
    await fake.close();
  }
}

/**
 * Another process that takes `file`'s write lock (BEGIN IMMEDIATE), says `locked` on stdout, holds it for `holdMs`
 * (undefined: until `release` kills it) and commits; resolves once it holds the lock, with its exit.
 */
export async function holdWriteLock(
  file: string,
  holdMs?: number,
): Promise<{ exited: Promise<number | null>; release(): void }> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const hold =
    holdMs !== undefined
      ? `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${holdMs});\ndb.exec('COMMIT');`
      : 'setInterval(() => {}, 60_000);';
  const source = `
const Database = require(${JSON.stringify(driver)});
const db = new Database(${JSON.stringify(file)});
db.exec('BEGIN IMMEDIATE');
db.prepare("INSERT OR IGNORE INTO candle_coverage VALUES ('other', 'X/KRW', '1h', 0, 1)").run();
process.stdout.write('locked\\n');
${hold}
`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let out = '';
  for await (const chunk of child.stdout) {
    out += String(chunk);
    if (out.includes('locked')) break;
  }
  assert.match(out, /locked/, 'the other process never took the write lock');
  return { exited, release: () => child.kill('SIGKILL') };
}

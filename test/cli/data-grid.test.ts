// Candles off a stored series' time grid (a file read in another time zone) are refused before anything is written,
// by `bot data import` and by `bot data download` onto a series imported that way (real CLI, SQLite, fake exchange).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { tempDir, withHourlyFake } from '../data/helpers.ts';
import { runBot } from './run.ts';

const DAY = 86_400_000;
const H = 3_600_000;

/** `count` rows of daily candles at `clock` (a wall-clock time, e.g. "09:00:00") from 2024-01-01, pyupbit layout. */
function pyupbitDaily(count: number, clock: string): string {
  const rows = Array.from({ length: count }, (_, i) => {
    const day = new Date(Date.UTC(2024, 0, 1) + i * DAY).toISOString().slice(0, 10);
    return `${day} ${clock},10,12,9,11,1,11`;
  });
  return ',open,high,low,close,volume,value\n' + rows.join('\n') + '\n';
}

/** The store's series hold these many candles each (nothing was stored by a refused command). */
async function assertStoredCounts(db: string, counts: number[]): Promise<void> {
  assert.deepEqual(
    (await stored(db)).map((s) => s.count),
    counts,
  );
}

/** A generic CSV row at time `t`. */
function row(t: string): string {
  return `${t},10,12,9,11,1\n`;
}

async function stored(db: string): Promise<{ symbol: string; count: number }[]> {
  const listed = await runBot(['data', 'list', '--json', '--db', db, '--log-level', 'error']);
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as { symbol: string; count: number }[];
}

test('bot data import of a series again in another --tz is refused in one line; the store keeps one grid', async () => {
  const dir = tempDir('bot-cli-grid-');
  const db = path.join(dir, 'bot.db');
  const file = path.join(dir, 'upbit.csv');
  writeFileSync(file, pyupbitDaily(20, '09:00:00'));
  const imp = (...extra: string[]) =>
    runBot(['data', 'import', file, '--symbol', 'BTC/KRW', '--exchange', 'upbit', '--db', db, ...extra]);
  const first = await imp();
  assert.equal(first.code, 0, first.stderr);
  const again = await imp('--tz', 'UTC');
  assert.equal(again.code, 1, again.stdout);
  assert.equal(
    again.stderr,
    'error: upbit.csv: candle 2024-01-01T09:00:00Z is off the grid of the stored upbit BTC/KRW 1d series ' +
      '(stored 1d candles open at 00:00 UTC): the file' +
      "'s times were likely read in another time zone (check --tz); nothing stored\n",
  );
  assert.equal(again.stdout, '');
  await assertStoredCounts(db, [20]);
  // the same file read as before is still welcome: 0 new
  const same = await imp();
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /, 0 new, 0 replaced/);
});

test('bot data import: a file with +09:00 offsets after one in UTC is refused, naming the stored grid', async () => {
  const dir = tempDir('bot-cli-grid-offsets-');
  const db = path.join(dir, 'bot.db');
  const head = 'timestamp,open,high,low,close,volume\n';
  writeFileSync(path.join(dir, 'utc.csv'), head + ['2024-01-01', '2024-01-02', '2024-01-03'].map(row).join(''));
  const kst = ['2024-01-04T00:00+09:00', '2024-01-05T00:00+09:00', '2024-01-06T00:00+09:00'];
  writeFileSync(path.join(dir, 'kst.csv'), head + kst.map(row).join(''));
  const imp = (name: string) =>
    runBot(['data', 'import', path.join(dir, name), '--symbol', 'ETH/KRW', '--db', db, '--log-level', 'error']);
  assert.equal((await imp('utc.csv')).code, 0);
  const off = await imp('kst.csv');
  assert.equal(off.code, 1);
  assert.match(
    off.stderr,
    /^error: kst\.csv: candle 2024-01-03T15:00:00Z is off the grid .*\(stored 1d candles open at 00:00 UTC\).*--tz/,
  );
  assert.equal(off.stderr.split('\n').length, 2, 'one line');
  await assertStoredCounts(db, [3]);
});

test('import: daily candles an hour off (DST), session hours on two phases: welcome', async () => {
  const dir = tempDir('bot-cli-grid-ok-');
  const db = path.join(dir, 'bot.db');
  const head = 'timestamp,open,high,low,close,volume\n';
  // New York midnights: 05:00 UTC in winter, 04:00 UTC after 2024-03-10
  const winter = ['2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08'];
  const summer = ['2024-03-11', '2024-03-12', '2024-03-13', '2024-03-14'];
  writeFileSync(path.join(dir, 'winter.csv'), head + winter.map((d) => `${d},10,12,9,11,1\n`).join(''));
  writeFileSync(path.join(dir, 'summer.csv'), head + summer.map((d) => `${d},10,12,9,11,1\n`).join(''));
  // hourly candles of a session 09:30–11:30 and 13:00–15:00: opens at :30 and :00
  const session = ['09:30', '10:30', '13:00', '14:00'].flatMap((t) => [`2024-01-02 ${t}`, `2024-01-03 ${t}`]).sort();
  writeFileSync(path.join(dir, 'session.csv'), head + session.map((t) => `${t},10,12,9,11,1\n`).join(''));
  const imp = (name: string, ...extra: string[]) =>
    runBot(['data', 'import', path.join(dir, name), '--db', db, '--log-level', 'error', ...extra]);
  const ny = ['--symbol', 'SPY/USD', '--tz', 'America/New_York'];
  assert.equal((await imp('winter.csv', ...ny)).code, 0);
  const dst = await imp('summer.csv', ...ny);
  assert.equal(dst.code, 0, dst.stderr);
  assert.match(dst.stdout, /4 new, 0 replaced/);
  const fut = ['--symbol', 'KOSPI/KRW', '--timeframe', '1h'];
  assert.equal((await imp('session.csv', ...fut)).code, 0);
  const again = await imp('session.csv', ...fut);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 new, 0 replaced/);
});

test('bot data download onto a series imported on another grid is refused in one line, storing nothing', async () => {
  const o = { seed: 5, count: 200, hoursBack: 300, prefix: 'bot-cli-grid-download-' };
  await withHourlyFake(o, async ({ dir, config, truth }) => {
    const start = truth.ts[0];
    const db = path.join(dir, 'bot.db');
    // the exchange's hours, read as if they were India's wall clock: 30 minutes off its grid
    const rows = Array.from({ length: 5 }, (_, i) => {
      const t = new Date(start - (10 - i) * H).toISOString().slice(0, 16).replace('T', ' ');
      return `${t},10,12,9,11,1\n`;
    });
    writeFileSync(path.join(dir, 'ist.csv'), 'timestamp,open,high,low,close,volume\n' + rows.join(''));
    const base = ['--config', config, '--db', db, '--log-level', 'error'];
    const ist = ['--symbol', 'BTC/KRW', '--tz', 'Asia/Kolkata'];
    const imported = await runBot(['data', 'import', path.join(dir, 'ist.csv'), ...ist, ...base]);
    assert.equal(imported.code, 0, imported.stderr);
    const since = new Date(start).toISOString();
    const down = await runBot(['data', 'download', '--since', since, ...base]);
    assert.equal(down.code, 1, down.stdout);
    assert.match(
      down.stderr,
      new RegExp(
        "^error: the exchange's upbit BTC/KRW 1h candle \\S+ is off the grid of the stored series " +
          '\\(stored 1h candles open at 00:30, 01:30, … UTC\\).*--tz',
      ),
    );
    assert.equal(down.stderr.split('\n').length, 2, 'one line');
    await assertStoredCounts(db, [5]);
  });
});

/**
 * Imports `first` as BTC/KRW into a new store (it must succeed), then `second` (name and CSV text each) with flags
 * `extra`, which must be refused with `error` (the whole output, or a pattern) and leave the store as `first` did.
 */
async function refusedAfter(
  prefix: string,
  first: [string, string],
  second: [string, string],
  error: string | RegExp,
  extra: string[] = [],
): Promise<void> {
  const dir = tempDir(prefix);
  const db = path.join(dir, 'bot.db');
  const imp = ([name, text]: [string, string], ...flags: string[]) => {
    writeFileSync(path.join(dir, name), text);
    const to = ['--symbol', 'BTC/KRW', '--db', db, '--log-level', 'error'];
    return runBot(['data', 'import', path.join(dir, name), ...to, ...flags]);
  };
  const ok = await imp(first);
  assert.equal(ok.code, 0, ok.stderr);
  const before = await stored(db);
  const refused = await imp(second, ...extra);
  assert.equal(refused.code, 1, refused.stdout);
  if (typeof error === 'string') assert.equal(refused.stderr, error);
  else assert.match(refused.stderr, error);
  assert.deepEqual(await stored(db), before, 'nothing stored');
}

/** A generic CSV of `count` candles `step` apart from `first`, all at `price`. */
function evenCsv(first: number, step: number, count: number, price: number): string {
  const p = `${price},${price},${price},${price}`;
  const rows = Array.from({ length: count }, (_, i) => `${new Date(first + i * step).toISOString()},${p},1\n`);
  return 'timestamp,open,high,low,close,volume\n' + rows.join('');
}

test('bot data import: daily candles an hour before stored ones (another --tz) are refused, naming both', async () => {
  const days = 'timestamp,open,high,low,close,volume\n' + ['2024-01-01', '2024-01-02', '2024-01-03'].map(row).join('');
  await refusedAfter(
    'bot-cli-grid-overlap-',
    ['good.csv', days],
    ['good.csv', days],
    'error: good.csv: candle 2023-12-31T23:00:00Z is off the grid of the stored upbit BTC/KRW 1d series ' +
      '(it overlaps the stored 1d candle 2024-01-01T00:00:00Z, 1h later): the file' +
      "'s times were likely read in another time zone (check --tz); nothing stored\n",
    ['--tz', 'Europe/Berlin'],
  );
});

test('bot data import: weekly candles stamped on Sundays beside stored Monday ones are refused', async () => {
  await refusedAfter(
    'bot-cli-grid-weekly-',
    ['mon.csv', evenCsv(Date.UTC(2024, 0, 1), 7 * DAY, 8, 10)],
    ['sun.csv', evenCsv(Date.UTC(2024, 0, 7), 7 * DAY, 8, 10)],
    'error: sun.csv: candle 2024-01-07T00:00:00Z is off the grid of the stored upbit BTC/KRW 1w series (it overlaps ' +
      'the stored 1w candle 2024-01-08T00:00:00Z, 1d later): the file likely stamps its candles on another weekday ' +
      'than the stored ones; nothing stored\n',
  );
});

test(`bot data import: weekly candles stamped on Sundays after the stored Monday ones, overlapping none, are \
refused`, async () => {
  await refusedAfter(
    'bot-cli-grid-weekly-after-',
    ['mon.csv', evenCsv(Date.UTC(2024, 0, 1), 7 * DAY, 8, 10)],
    ['sun.csv', evenCsv(Date.UTC(2024, 2, 31), 7 * DAY, 8, 10)],
    'error: sun.csv: candle 2024-03-31T00:00:00Z is off the grid of the stored upbit BTC/KRW 1w series (stored 1w ' +
      'candles open on Mondays at 00:00 UTC): the file likely stamps its candles on another weekday than the stored ' +
      'ones; nothing stored\n',
  );
});

test('bot data import: a file 500× from the stored prices beside it (USDT as KRW) is refused in one line', async () => {
  const t0 = Date.UTC(2024, 10, 1);
  await refusedAfter(
    'bot-cli-grid-price-',
    ['krw.csv', evenCsv(t0, H, 5, 50_000_000)],
    ['usdt.csv', evenCsv(t0 + 5 * H, H, 5, 93_000)],
    'error: usdt.csv: candle 2024-11-01T05:00:00Z closes at 93000 and the stored upbit BTC/KRW 1h candle ' +
      '2024-11-01T04:00:00Z before it at 50000000: 538× apart, more than the 100× no market moves between two ' +
      "candles: the file is likely another market's or currency's (check --symbol and --exchange); nothing stored\n",
  );
});

test('an import over downloaded candles forgets them as downloaded: the next download restores them', async () => {
  const o = { seed: 9, count: 60, hoursBack: 100, prefix: 'bot-cli-grid-restore-' };
  await withHourlyFake(o, async ({ dir, config, truth }) => {
    const db = path.join(dir, 'bot.db');
    const base = ['--config', config, '--db', db, '--log-level', 'error'];
    const since = new Date(truth.ts[0]).toISOString();
    const first = await runBot(['data', 'download', '--since', since, ...base]);
    assert.equal(first.code, 0, first.stderr);
    // the same hours with prices 1% off: another source's candles on the exchange's grid
    const rows = [10, 11, 12].map((i) => {
      const p = truth.close[i] * 1.01;
      return `${new Date(truth.ts[i]).toISOString()},${p},${p},${p},${p},1\n`;
    });
    writeFileSync(path.join(dir, 'other.csv'), 'timestamp,open,high,low,close,volume\n' + rows.join(''));
    const imported = await runBot(['data', 'import', path.join(dir, 'other.csv'), '--symbol', 'BTC/KRW', ...base]);
    assert.equal(imported.code, 0, imported.stderr);
    const from = new Date(truth.ts[10]).toISOString().replace('.000Z', 'Z');
    assert.match(
      imported.stdout,
      new RegExp(
        "note: 3 stored candles had other values and now hold the file's \\(check --tz and --exchange if the file " +
          'should have matched them; run `bot data download --config \\S+ --db \\S+ --exchange upbit --symbol ' +
          `BTC/KRW --timeframe 1h --since ${from}\` to restore the exchange's\\)`,
      ),
    );
    const again = await runBot(['data', 'download', '--since', since, ...base]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /: 3 closed candles fetched in \d+ requests, 0 new, 3 replaced/);
    const store = CandleStore.open(db);
    try {
      assert.deepEqual([...store.load('upbit', 'BTC/KRW', '1h').close], [...truth.close]);
    } finally {
      store.close();
    }
  });
});

test('bot data download beside imported candles 500× from its prices is refused, storing nothing', async () => {
  const o = { seed: 6, count: 50, hoursBack: 100, prefix: 'bot-cli-grid-price-download-' };
  await withHourlyFake(o, async ({ dir, config, truth }) => {
    const db = path.join(dir, 'bot.db');
    const base = ['--config', config, '--db', db, '--log-level', 'error'];
    // the hours just before the exchange's first, at a price far below its (USDT-like beside KRW)
    const price = truth.close[0] / 500;
    const rows = [3, 2, 1].map(
      (k) => `${new Date(truth.ts[0] - k * H).toISOString()},${price},${price},${price},${price},1\n`,
    );
    writeFileSync(path.join(dir, 'usdt.csv'), 'timestamp,open,high,low,close,volume\n' + rows.join(''));
    const imported = await runBot(['data', 'import', path.join(dir, 'usdt.csv'), '--symbol', 'BTC/KRW', ...base]);
    assert.equal(imported.code, 0, imported.stderr);
    const down = await runBot(['data', 'download', '--since', new Date(truth.ts[0]).toISOString(), ...base]);
    assert.equal(down.code, 1, down.stdout);
    assert.match(
      down.stderr,
      new RegExp(
        `^error: the exchange's candle ${new Date(truth.ts[0]).toISOString().replace('.000Z', 'Z')} closes at ` +
          '\\S+ and the stored upbit BTC/KRW 1h candle \\S+ before it at \\S+: 500× apart.*another market or currency',
      ),
    );
    assert.equal(down.stderr.split('\n').length, 2, 'one line');
    await assertStoredCounts(db, [3]);
  });
});

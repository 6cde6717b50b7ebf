// Candles off a stored series' time grid (a file read in another time zone) are refused before anything is written,
// by `bot data import` and by `bot data download` onto a series imported that way (real CLI, SQLite, fake exchange).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
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
  assert.deepEqual(
    (await stored(db)).map((s) => s.count),
    [20],
  );
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
  assert.deepEqual(
    (await stored(db)).map((s) => s.count),
    [3],
  );

  function row(t: string): string {
    return `${t},10,12,9,11,1\n`;
  }
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
    assert.deepEqual(
      (await stored(db)).map((s) => s.count),
      [5],
    );
  });
});

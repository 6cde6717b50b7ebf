/**
 * `bot paper --now` over candles the store already holds: a replay of a recorded series runs from the store when the
 * exchange cannot be reached or does not answer (and stops when it refuses), and a tick that cannot start leaves no run
 * behind; a `--start` after the clock is one line before any disk or network work. Real `bot` processes, the fake
 * Upbit (real ccxt), a real SQLite file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { paperRunFlags, runBot, runNames, startBot, writeDeadExchangeConfig, writeFakeExchangeConfig } from './cli.ts';
import { tempDir, waitFor } from './helpers.ts';

const DAY = 86_400_000;
const candles = syntheticCandles({
  seed: 32,
  count: 120,
  timeframe: '1d',
  start: Date.UTC(2024, 11, 1),
  tick: 1000,
  symbol: 'KRW-BTC',
});
// the rule's warm-up reaches before the first candle the exchange has, so every tick asks it for those again
const START = candles.ts[30];
const NOW = candles.ts[candles.ts.length - 1] + DAY + 10_000;
const tmp = tempDir('bot-paper-offline-');
let fake: FakeUpbit;
let cfg: string;
let deadCfg: string;

before(async () => {
  fake = await startFakeUpbit({ now: () => NOW, series: [{ market: 'KRW-BTC', candles }] });
  cfg = writeFakeExchangeConfig(tmp.dir, fake);
  deadCfg = writeDeadExchangeConfig(tmp.dir);
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

const paper = (name: string, start: number, now: number, db: string, config: string) => [
  'paper',
  '--strategy',
  'sma-cross',
  '--timeframe',
  '1d',
  '--name',
  name,
  '--once',
  ...paperRunFlags(start, now, db, config),
];

test(`bot paper --now over stored candles with the exchange unreachable: a replay past the stored candles fails \
leaving no run behind; one within them runs from the store and acts as it did online`, async () => {
  const db = path.join(tmp.dir, 'replay.db');
  const online = await runBot(paper('online', START, NOW, db, cfg), { NO_COLOR: '1' });
  assert.equal(online.code, 0, online.stderr);
  assert.match(online.stdout, /acted on [1-9]\d* candle/);
  const past = await runBot(paper('past', START, NOW + 5 * DAY, db, deadCfg), { NO_COLOR: '1' });
  assert.equal(past.code, 1, past.stdout);
  assert.deepEqual(runNames(db), ['online'], `no run "past" left behind:\n${past.stderr}`);

  const offline = await runBot(paper('offline', START, NOW, db, deadCfg), { NO_COLOR: '1' });
  assert.equal(offline.code, 0, offline.stderr);
  const acted = (out: string) => out.replace(/^.*?acted on/s, 'acted on').trim();
  assert.equal(acted(offline.stdout), acted(online.stdout), 'the offline replay acts as the online run did');
  assert.match(offline.stderr, /upbit cannot be reached \(.*\); replaying BTC\/KRW on the stored candles up to/);
  assert.deepEqual(runNames(db), ['online', 'offline']);
});

test(`bot paper --now over stored candles when the exchange refuses (no such market) or answers only 500s: the \
refusal stops the replay with one line; the 500s replay from the store with a warning that says the exchange did not \
answer, not that it cannot be reached`, async () => {
  const db = path.join(tmp.dir, 'refused.db');
  const online = await runBot(paper('online', START, NOW, db, cfg), { NO_COLOR: '1' });
  assert.equal(online.code, 0, online.stderr);
  const configOf = (name: string, f: FakeUpbit): string => {
    const home = path.join(tmp.dir, name);
    mkdirSync(home);
    return writeFakeExchangeConfig(home, f);
  };

  const unlisted = await startFakeUpbit({
    now: () => NOW,
    markets: [{ market: 'KRW-ETH', korean_name: 'ETH', english_name: 'Ethereum' }],
  });
  try {
    const r = await runBot(paper('refused', START, NOW, db, configOf('unlisted', unlisted)), { NO_COLOR: '1' });
    assert.equal(r.code, 1, r.stdout);
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    assert.match(lines[lines.length - 1], /^error: --symbol: upbit has no market "BTC\/KRW"/);
    assert.doesNotMatch(r.stderr, /cannot be reached|replaying/);
    assert.deepEqual(runNames(db), ['online'], 'no run "refused" left behind');
  } finally {
    await unlisted.close();
  }

  const failing = await startFakeUpbit({ now: () => NOW, series: [{ market: 'KRW-BTC', candles }] });
  try {
    failing.addFault({ kind: '500', times: 1000 });
    const r = await runBot(paper('storm', START, NOW, db, configOf('storm', failing)), { NO_COLOR: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /upbit did not answer after 4 tries \(.*\); replaying BTC\/KRW on the stored candles up to/);
    assert.doesNotMatch(r.stderr, /cannot be reached/);
  } finally {
    await failing.close();
  }
});

test(`bot paper --start after the clock (--now) is one line before any disk or network work`, async () => {
  const db = path.join(tmp.dir, 'late-start.db');
  const cases: [number, number][] = [
    [Date.UTC(2030, 0, 1), NOW],
    [NOW + 6 * DAY, NOW],
  ];
  const asked = fake.state.requests.length;
  for (const [start, now] of cases) {
    const r = await runBot(paper('late', start, now, db, cfg), { NO_COLOR: '1' });
    assert.equal(r.code, 1, r.stdout);
    const errors = r.stderr.split('\n').filter((l) => l.trim());
    assert.deepEqual(errors, [
      `error: --start ${isoTime(start)} is after the clock (--now ${isoTime(now)}): ` +
        'no candle would be acted on; give an earlier --start',
    ]);
  }
  assert.equal(existsSync(db), false, 'no database was made');
  assert.equal(fake.state.requests.length, asked, 'nothing was asked of the exchange');
});

test(`bot paper --once on the wall clock with the exchange unreachable over stored candles: the error names the \
offline way, a replay on a fixed clock with --now`, async () => {
  const db = path.join(tmp.dir, 'wall-clock.db');
  const online = await runBot(paper('online', START, NOW, db, cfg), { NO_COLOR: '1' });
  assert.equal(online.code, 0, online.stderr);
  const flags = paper('wall', START, NOW, db, deadCfg);
  const nowAt = flags.indexOf('--now');
  flags.splice(nowAt, 2);
  const r = await runBot(flags, { NO_COLOR: '1' });
  assert.equal(r.code, 1, r.stdout);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.match(
    lines[lines.length - 1],
    new RegExp(
      String.raw`^error: upbit: .* the exchange cannot be reached \(no network\?\); offline, replay the stored ` +
        String.raw`candles on a fixed clock: --now <time> \(within them\) and --start T$`,
    ),
  );
  assert.deepEqual(runNames(db), ['online'], 'no run "wall" left behind');
});

test(`a clocked bot paper (no --once) on the wall clock with the exchange unreachable: its first failed tick names \
the offline way, a replay on a fixed clock with --now, and the retries after it do not repeat it`, async () => {
  const db = path.join(tmp.dir, 'clocked.db');
  const online = await runBot(paper('online', START, NOW, db, cfg), { NO_COLOR: '1' });
  assert.equal(online.code, 0, online.stderr);
  const flags = paper('clocked', START, NOW, db, deadCfg).filter((f) => f !== '--once');
  flags.splice(flags.indexOf('--now'), 2);
  const bot = startBot(flags, { NO_COLOR: '1' });
  let out = '';
  bot.child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  void bot.done.then(() => (exited = true));
  const failed = () => out.split('\n').filter((l) => l.includes('tick failed'));
  try {
    // the dead exchange's retries wait milliseconds: the third failure comes at once
    await waitFor(
      () => (failed().length >= 3 ? true : undefined),
      30_000,
      'three failed ticks',
      () => exited,
    );
  } finally {
    bot.child.kill('SIGTERM');
  }
  const r = await bot.done;
  assert.equal(r.code, 0, r.stderr);
  const [first, ...later] = failed();
  assert.match(first, /cannot be reached \(no network\?\)/);
  assert.ok(
    first.endsWith('; offline, replay the stored candles on a fixed clock: --now <time> (within them) and --start T'),
    first,
  );
  for (const line of later) assert.doesNotMatch(line, /--now/);
});

/**
 * `bot paper`'s lines in its log file: a `--once` tick leaves the clocked loop's `tick: acted on …` line there too (it
 * only printed on stdout), and a halt ends a clocked run with one `trading halted` line, on stderr and in the file
 * (the loop logged it, then the command's ending error again).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { haltFirstRun, paperRunFlags, runBot, writeFakeExchangeConfig } from '../trading/cli.ts';
import { tempDir } from '../trading/helpers.ts';

const HOUR = 3_600_000;
const candles = syntheticCandles({ seed: 31, count: 120, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
const START = candles.ts[80];
const END = candles.ts[candles.ts.length - 1] + HOUR + 10_000;
const tmp = tempDir('bot-paper-log-');
let fake: FakeUpbit;
let cfg: string;
const logFile = path.join(tmp.dir, 'bot.log');

before(async () => {
  fake = await startFakeUpbit({ now: () => END, series: [{ market: 'KRW-BTC', candles }] });
  cfg = writeFakeExchangeConfig(tmp.dir, fake);
  writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(cfg, 'utf8')), log: { file: logFile } }));
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

const logged = () =>
  readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: string; message: string });

const paperFlags = (db: string) => [
  'paper',
  '--strategy',
  'sma-cross',
  ...paperRunFlags(START, END, db, cfg),
  '--log-level',
  'info',
];

test('bot paper --once logs the tick line of the clocked loop in the log file', async () => {
  const once = await runBot([...paperFlags(path.join(tmp.dir, 'once.db')), '--once'], { NO_COLOR: '1' });
  assert.equal(once.code, 0, once.stderr);
  const acted = /^acted on (\d+) candle\(s\); last (\S+) → (\w+)/.exec(once.stdout);
  assert.ok(acted, once.stdout);
  const tick = logged().filter((e) => e.message.startsWith('tick: '));
  assert.deepEqual(
    tick.map((e) => [e.level, e.message]),
    [['info', `tick: acted on ${acted[1]} candle(s), last ${acted[2]} → ${acted[3]}`]],
  );
  assert.doesNotMatch(once.stderr, /tick: acted/, 'stdout has the line already');
});

test('a halt ends a clocked bot paper with one line, on stderr and in the log file', async () => {
  const db = path.join(tmp.dir, 'halted.db');
  const first = await runBot([...paperFlags(db), '--once'], { NO_COLOR: '1' });
  assert.equal(first.code, 0, first.stderr);
  haltFirstRun(db, END);
  const clocked = await runBot(paperFlags(db), { NO_COLOR: '1' });
  assert.equal(clocked.code, 1, clocked.stderr);
  assert.equal(clocked.stderr.match(/trading halted/g)?.length, 1, clocked.stderr);
  assert.match(clocked.stderr, /error: trading halted: halted by token:ci at .*: stop it\n$/);
  assert.equal(logged().filter((e) => /trading halted/.test(e.message)).length, 1);
});

/**
 * The retrain lock (`retrain:<model home>`) between real `bot retrain` processes: a second retrain of a home is refused
 * while the first trains, however long its training blocks its main thread, whichever path names the home (a symlink),
 * whichever database (`--db`) it writes to and whatever fixed clock (`--now`, as a replaying trader's child has)
 * either side runs on.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { promotedChampion, riseThenFall } from './agents.ts';
import { startBot, writeFakeExchangeConfig, type BotResult } from './cli.ts';
import { tempDir, waitFor } from './helpers.ts';

const HOUR = 3_600_000;

interface Training {
  dir: string;
  home: string;
  /** The pid of the first `bot retrain`, training. */
  pid: number;
  /**
   * Starts another `bot retrain` of `model` with the same config, on the same database unless `db` names another;
   * its end, or that it began to train.
   */
  second(model: string, db?: string): Promise<{ result?: BotResult; trained: boolean }>;
}

/**
 * Starts `bot retrain --model <champion home>` (so many epochs that it trains until killed) against a fake Upbit whose
 * series ends at the last closed hour, waits until it trains (its staging folder exists), then runs `body`; kills
 * what is left.
 */
async function whileRetraining(
  o: { lockStaleSeconds: number; firstFlags: (end: number) => string[] },
  body: (t: Training) => Promise<void>,
): Promise<void> {
  const tmp = tempDir('bot-retrain-lock-');
  // the series ends at the last closed hour
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const candles = riseThenFall(300, 100, end - 400 * HOUR);
  const fake = await startFakeUpbit({ series: [{ market: 'KRW-BTC', candles }] });
  const pids: number[] = [];
  try {
    const cfg = writeFakeExchangeConfig(tmp.dir, fake, {
      ml: { backend: 'wasm' },
      agent: { patience: 0 },
      trading: {
        lockStaleSeconds: o.lockStaleSeconds,
        retrain: { trainCandles: 150, holdoutCandles: 60, epochs: 100_000 },
      },
    });
    const home = path.join(tmp.dir, 'models', 'btc');
    await promotedChampion(home, candles);
    const versions = path.join(home, 'versions');
    const common = ['--strategy', 'dqn-dnn', '--config', cfg];
    const ownDb = ['--db', path.join(tmp.dir, 'bot.db')];
    const first = startBot([
      'retrain',
      '--model',
      home,
      ...common,
      ...ownDb,
      ...o.firstFlags(end),
      '--log-level',
      'warn',
    ]);
    const pid = first.child.pid;
    assert.ok(pid !== undefined);
    pids.push(pid);
    let firstExit: BotResult | undefined;
    void first.done.then((r) => (firstExit = r));
    const staging = (writer: number) => `-${writer.toString(36)}`;
    await waitFor(
      () => readdirSync(versions).some((f) => f.startsWith('.staging-') && f.endsWith(staging(pid))) || undefined,
      60_000,
      'the first retrain to train',
      () => {
        if (firstExit) assert.fail(`the first retrain exited:\n${firstExit.stderr}`);
        return false;
      },
    );
    await body({
      dir: tmp.dir,
      home,
      pid,
      async second(model, db) {
        const bot = startBot([
          'retrain',
          '--model',
          model,
          ...common,
          ...(db ? ['--db', db] : ownDb),
          '--log-level',
          'warn',
        ]);
        const other = bot.child.pid;
        assert.ok(other !== undefined);
        pids.push(other);
        let result: BotResult | undefined;
        void bot.done.then((r) => (result = r));
        const trained = await waitFor(
          () =>
            result
              ? false
              : readdirSync(versions).some((f) => f.startsWith('.staging-') && f.endsWith(staging(other))) || undefined,
          60_000,
          'the second retrain to stop or train',
        );
        assert.equal(firstExit, undefined, `the first retrain still trains:\n${firstExit?.stderr}`);
        return { result, trained };
      },
    });
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL'); // both train until killed
      } catch {
        // already gone
      }
    }
    await fake.close();
    tmp.cleanup();
  }
}

/** The second retrain was refused in one line naming the first as the holder, and did not train. */
function assertRefused(second: { result?: BotResult; trained: boolean }, holder: number): void {
  assert.equal(second.trained, false, 'the second retrain trains beside the first');
  assert.equal(second.result?.code, 1, second.result?.stderr);
  assert.match(second.result?.stderr ?? '', new RegExp(`^error: retrain:.* is already running \\(pid ${holder} `, 'm'));
}

test(
  `a second bot retrain of a home is refused while the first trains longer than trading.lockStaleSeconds (its \
training blocks its main thread), also through a symlink to the home or with another --db`,
  { timeout: 180_000 },
  () =>
    whileRetraining({ lockStaleSeconds: 2, firstFlags: () => [] }, async ({ dir, home, pid, second }) => {
      // training blocks the first retrain's main thread well past the stale time before the second asks
      await new Promise((r) => setTimeout(r, 3_000));
      const link = path.join(dir, 'btc-link');
      symlinkSync(home, link);
      // the lock lives in the home, not in the database: a retrain through another --db is refused too
      const [same, linked, otherDb] = await Promise.all([
        second(home),
        second(link),
        second(home, path.join(dir, 'other.db')),
      ]);
      assertRefused(same, pid);
      assertRefused(linked, pid);
      assertRefused(otherDb, pid);
      assert.equal(readFileSync(path.join(home, 'CURRENT'), 'utf8').trim(), 'champion');
    }),
);

test(
  `a bot retrain on a fixed clock (--now, as the child of a replaying trader runs) holds its lock against one on the \
wall clock: lock times are the wall clock's`,
  { timeout: 180_000 },
  () =>
    whileRetraining(
      { lockStaleSeconds: 120, firstFlags: (end) => ['--now', isoTime(end - 40 * HOUR)] },
      async ({ home, pid, second }) => assertRefused(await second(home), pid),
    ),
);

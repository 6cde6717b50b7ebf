/**
 * A whole `bot paper … --retrain CRON` process shut down while its scheduled retrain child trains: SIGTERM to the
 * trader, and a terminal's Ctrl-C (SIGINT to the whole process group, which reaches the child too). Either way the
 * trader exits 0, the child is gone, the log says the retrain was stopped (not failed), CURRENT still names the
 * champion and no `.staging-*` folder is left. And the trader killed alone (SIGKILL): its orphaned child stops itself
 * and promotes nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { promotedChampion, riseThenFall } from './agents.ts';
import { startBot, writeFakeExchangeConfig, type BotResult } from './cli.ts';
import { alive, tempDir, waitFor } from './helpers.ts';

const HOUR = 3_600_000;

interface RetrainingTrader {
  bot: ReturnType<typeof startBot>;
  parent: number;
  child: number;
  home: string;
  versions: string;
  /** Everything written to the trader's stderr so far, its child's lines included (they share the pipe). */
  stderr(): string;
}

/**
 * Starts `bot paper --model <champion home> --retrain "every second"` against a fake Upbit, waits until its retrain
 * child trains (it logs its pid; its challenger's staging folder exists), then runs `body`; kills whatever is left.
 */
async function withRetrainingTrader(body: (t: RetrainingTrader) => Promise<void>): Promise<void> {
  const tmp = tempDir('bot-retrain-stop-cli-');
  // the run and its child are on the wall clock: the series ends at the last closed hour
  const candles = riseThenFall(300, 100, Math.floor(Date.now() / HOUR) * HOUR - 400 * HOUR);
  const fake = await startFakeUpbit({ series: [{ market: 'KRW-BTC', candles }] });
  let parent: number | undefined;
  let child: number | undefined;
  try {
    const cfg = writeFakeExchangeConfig(tmp.dir, fake, {
      ml: { backend: 'wasm' },
      // so many epochs, and no early stop, that the child is still training when the trader stops
      agent: { patience: 0 },
      trading: { retrain: { trainCandles: 150, holdoutCandles: 60, epochs: 100_000 } },
    });
    const home = path.join(tmp.dir, 'models', 'btc');
    await promotedChampion(home, candles);
    const versions = path.join(home, 'versions');
    const bot = startBot(
      [
        'paper',
        '--model',
        home,
        '--retrain',
        '* * * * * *',
        '--retrain-strategy',
        'dqn-dnn',
        '--db',
        path.join(tmp.dir, 'bot.db'),
        '--config',
        cfg,
        '--log-level',
        'info',
      ],
      {},
      { detached: true },
    );
    parent = bot.child.pid;
    assert.ok(parent !== undefined);
    let stderr = '';
    bot.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let result: BotResult | undefined;
    void bot.done.then((r) => (result = r));
    const exited = () => result !== undefined;
    child = await waitFor(
      () => {
        const m = /scheduled retrain starting .*"pid":(\d+)/.exec(stderr);
        return m ? Number(m[1]) : undefined;
      },
      30_000,
      'the retrain child to start',
      exited,
    );
    await waitFor(
      () => (readdirSync(versions).some((f) => f.startsWith('.staging-')) ? true : undefined),
      30_000,
      'the retrain child to train',
      exited,
    );
    assert.ok(alive(child), 'the child trains');
    await body({ bot, parent, child, home, versions, stderr: () => stderr });
  } finally {
    for (const pid of [child, parent]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL'); // only when the test failed with a process still running
      } catch {
        // already gone
      }
    }
    await fake.close();
    tmp.cleanup();
  }
}

/**
 * Stops the trader with `stopIt` while its child trains and checks the end: a stop by `expectedSignal` (a regular
 * expression), exit 0, nothing left.
 */
function stopWhileRetraining(
  stopIt: (pids: { parent: number; child: number }) => unknown,
  expectedSignal: string,
): Promise<void> {
  return withRetrainingTrader(async ({ bot, parent, child, home, versions }) => {
    await stopIt({ parent, child });
    const r = await bot.done;
    const log = r.stderr;
    assert.equal(r.code, 0, log);
    assert.equal(alive(child), false, 'the retrain child is gone once the trader has exited');
    assert.match(
      log,
      new RegExp(
        `scheduled retrain stopped by the shutdown \\(${expectedSignal}\\); nothing was promoted, ` +
          'the current model keeps serving',
      ),
    );
    assert.doesNotMatch(log, /scheduled retrain failed/);
    assert.equal(readFileSync(path.join(home, 'CURRENT'), 'utf8').trim(), 'champion');
    assert.deepEqual(readdirSync(versions), ['champion'], 'no staging folder is left');
  });
}

test(
  'SIGTERM to `bot paper --retrain` while its retrain child trains: stopped, exit 0, nothing left',
  {
    timeout: 90_000,
  },
  () => stopWhileRetraining(({ parent }) => process.kill(parent, 'SIGTERM'), 'SIGTERM'),
);

test(
  `Ctrl-C (SIGINT to the process group) on \`bot paper --retrain\` while its retrain child trains: the child's \
SIGINT death is a stop, not a failure; exit 0, nothing left`,
  { timeout: 90_000 },
  // both get the SIGINT; on a loaded machine the trader's own stop (a SIGTERM to the child) may reach the child
  // before its SIGINT has ended it, so the child's death names either signal: both are a stop
  () => stopWhileRetraining(({ parent }) => process.kill(-parent, 'SIGINT'), '(?:SIGINT|SIGTERM)'),
);

test(
  `a Ctrl-C whose SIGINT the trader handles after its retrain child's death (the other order of the same two \
events) is a stop too: exit 0, nothing left`,
  { timeout: 90_000 },
  () =>
    stopWhileRetraining(async ({ parent, child }) => {
      process.kill(child, 'SIGINT');
      await new Promise((r) => setTimeout(r, 300));
      process.kill(parent, 'SIGINT');
    }, 'SIGINT'),
);

/** Whether `pid` runs (a zombie, killed but not yet reaped by whoever adopted it, does not). */
function running(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false; // gone between the two looks
  }
}

test(
  `the trader SIGKILLed alone while its retrain child trains: the orphaned child notices and stops itself, nothing is \
promoted`,
  { timeout: 90_000 },
  () =>
    withRetrainingTrader(async ({ bot, parent, child, home, versions, stderr }) => {
      process.kill(parent, 'SIGKILL');
      assert.equal((await bot.done).signal, 'SIGKILL');
      await waitFor(() => (running(child) ? undefined : true), 20_000, 'the orphaned retrain child to stop');
      assert.match(stderr(), new RegExp(`the trader that started it \\(pid ${parent}\\) is gone; stopping`));
      assert.equal(readFileSync(path.join(home, 'CURRENT'), 'utf8').trim(), 'champion');
      // its staging folder may be left; the next retrain's start removes it (test/trading/retrain.test.ts)
      assert.deepEqual(
        readdirSync(versions).filter((f) => !f.startsWith('.staging-')),
        ['champion'],
        'no version was promoted',
      );
    }),
);

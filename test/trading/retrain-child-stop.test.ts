/**
 * `bot paper … --retrain CRON` shutting down while its scheduled retrain runs: the trader loop's stop ends the real
 * child `bot retrain` (SIGTERM, SIGKILL after a grace period), waits for it, logs one line, and leaves CURRENT where it
 * was; the half-written staged challenger never becomes CURRENT.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { resolveModel } from '../../src/agents/model-pointer.ts';
import Database from 'better-sqlite3';
import { startTraderLoop } from '../../src/trading/loop.ts';
import { retrainChildRunner } from '../../src/trading/retrain-child.ts';
import { RETRAIN_PARENT_ENV } from '../../src/trading/parent-watch.ts';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { HOME_LOCK_FILE } from '../../src/trading/retrain.ts';
import { CandleStore } from '../../src/data/store.ts';
import { ensureTradingSchema } from '../../src/trading/db.ts';
import type { Trader } from '../../src/trading/trader.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { promotedChampion, riseThenFall } from './agents.ts';
import { writeFakeExchangeConfig } from './cli.ts';
import { alive, quietLogger, tempDir, waitFor } from './helpers.ts';

const HOUR = 3_600_000;

/** A model home whose CURRENT names a promoted champion, a fake Upbit serving its market, and a config for both. */
async function retrainSetup() {
  const tmp = tempDir('bot-retrain-child-stop-');
  // the child runs on the wall clock: the series ends at the last closed hour
  const candles = riseThenFall(300, 100, Math.floor(Date.now() / HOUR) * HOUR - 400 * HOUR);
  const fake = await startFakeUpbit({ series: [{ market: 'KRW-BTC', candles }] });
  const db = path.join(tmp.dir, 'bot.db');
  const config = writeFakeExchangeConfig(tmp.dir, fake, {
    ml: { backend: 'wasm' },
    // so many epochs, and no early stop, that the child is still training when it is stopped
    agent: { patience: 0 },
    trading: { retrain: { trainCandles: 150, holdoutCandles: 60, epochs: 100_000 } },
  });
  const home = path.join(tmp.dir, 'models', 'btc');
  await promotedChampion(home, candles);
  const lines: string[] = [];
  const logger = quietLogger();
  for (const level of ['info', 'warn', 'error'] as const)
    logger[level] = ((msg: string) => (lines.push(`${level} ${msg}`), logger)) as typeof logger.info;
  return {
    dir: tmp.dir,
    home,
    lines,
    logger,
    flags: { retrainStrategy: 'dqn-dnn', db, config, logLevel: 'warn' },
    /** The child's name for its challenger's staging folder once it trains, and its pid (from its retrain lock). */
    async training(): Promise<{ staging: string; pid: number }> {
      const staging = await waitFor(
        () => readdirSync(path.join(home, 'versions')).find((f) => f.startsWith('.staging-')),
        25_000,
        'the child to start training',
      );
      // the retrain lock lives in the home (src/trading/retrain.ts, lockHome)
      const lockFile = new Database(path.join(home, HOME_LOCK_FILE), { readonly: true, fileMustExist: true });
      try {
        const row = lockFile.prepare("SELECT pid FROM trading_locks WHERE name LIKE 'retrain:%'").get() as
          { pid: number } | undefined;
        assert.ok(row && row.pid !== process.pid && alive(row.pid), 'a live child holds the retrain lock');
        return { staging, pid: row.pid };
      } finally {
        lockFile.close();
      }
    },
    /** The champion still serves; no challenger version was committed. */
    assertChampionServes(): void {
      assert.equal(readFileSync(path.join(home, 'CURRENT'), 'utf8').trim(), 'champion');
      assert.equal(resolveModel(home).version, 'champion');
      assert.deepEqual(
        readdirSync(path.join(home, 'versions')).filter((f) => !f.startsWith('.')),
        ['champion'],
      );
    },
    async cleanup(pid: number | undefined): Promise<void> {
      if (pid !== undefined && pid !== process.pid) {
        try {
          process.kill(pid, 'SIGKILL'); // only when the test failed with the child still running
        } catch {
          // already gone
        }
      }
      await fake.close();
      tmp.cleanup();
    },
  };
}

test(`stopping the trader loop stops its scheduled retrain child mid-training: the process is gone when stop() \
resolves, one line says so, CURRENT does not move and no new retrain starts`, async () => {
  const s = await retrainSetup();
  let pid: number | undefined;
  try {
    const runner = retrainChildRunner(s.flags, s.home, s.logger);
    const jobs = new Map<string, () => Promise<void>>();
    const loop = startTraderLoop({
      trader: { tick: async () => ({ fetched: 0, acted: 0, decisions: [] }) } as unknown as Trader,
      expression: '0 * * * * *',
      logger: quietLogger(),
      handleSignals: false,
      retrain: { expression: '0 3 * * *', run: runner, stop: runner.stop },
      schedule: (_expr, name, fn) => (jobs.set(name, fn), { stop: async () => {}, nextRun: () => null }),
    });
    const firing = jobs.get('retrain')?.();
    assert.ok(firing, 'the loop schedules the retrain');
    const child = await s.training();
    pid = child.pid;

    await loop.stop();
    assert.equal(alive(pid), false, 'the child is gone once the loop has stopped');
    await firing;
    assert.deepEqual(s.lines, [
      'info scheduled retrain starting',
      'warn scheduled retrain stopped by the shutdown (SIGTERM); nothing was promoted, the current model keeps serving',
      `warn scheduled retrain: removed its staging folder(s) ${child.staging}`,
    ]);
    // the half-written challenger never became a version, and its staging folder is gone; the champion serves
    assert.ok(!existsSync(path.join(s.home, 'versions', child.staging)));
    s.assertChampionServes();

    // a firing after the stop starts no child
    s.lines.length = 0;
    await runner();
    assert.deepEqual(s.lines, []);
  } finally {
    await s.cleanup(pid);
  }
});

test(
  `a retrain child that ignores SIGTERM is killed with SIGKILL after the grace period, and its trading_retrains row \
is closed as failed (killed) when stop() resolves, not left running until the home's next retrain`,
  { timeout: 60_000 },
  async () => {
    const s = await retrainSetup();
    let pid: number | undefined;
    let store: CandleStore | undefined;
    try {
      // the real child bot retrain, with a preload that ignores SIGTERM (it reaches the child through NODE_OPTIONS)
      const preload = path.join(s.dir, 'ignore-sigterm.mjs');
      writeFileSync(preload, "process.on('SIGTERM', () => {});\n");
      // the trader's own connection to the database the child records its retrain in (as bot paper's session)
      store = CandleStore.open(s.flags.db);
      ensureTradingSchema(store.db);
      const runner = retrainChildRunner(s.flags, s.home, s.logger, { db: store.db, graceMs: 1_000 });
      const saved = process.env.NODE_OPTIONS;
      process.env.NODE_OPTIONS = `${saved ?? ''} --import=${pathToFileURL(preload).href}`.trim();
      let firing: Promise<void>;
      try {
        firing = runner(); // spawns at once, with this environment
      } finally {
        if (saved === undefined) delete process.env.NODE_OPTIONS;
        else process.env.NODE_OPTIONS = saved;
      }
      const child = await s.training();
      pid = child.pid;
      // bounded, so that a stop() that never ends fails here and the finally below still kills the child
      const late = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('stop() did not resolve within 15 s')), 15_000).unref(),
      );
      await Promise.race([runner.stop(), late]);
      assert.equal(alive(pid), false, 'the child is gone once stop() resolved');
      const version = child.staging.slice('.staging-'.length);
      assert.deepEqual(store.db.prepare('SELECT id, challenger_version, outcome, reason FROM trading_retrains').all(), [
        {
          id: 1,
          challenger_version: version,
          outcome: 'failed',
          reason: `killed: its process (pid ${pid}) ended before the verdict; nothing was promoted`,
        },
      ]);
      await firing;
      assert.deepEqual(s.lines, [
        'info scheduled retrain starting',
        'warn scheduled retrain stopped by the shutdown (SIGKILL); nothing was promoted, ' +
          'the current model keeps serving',
        `warn scheduled retrain: removed its staging folder(s) ${child.staging}`,
        `warn retrain: closed the trading_retrains row 1 of a killed retrain (${version}) as failed`,
      ]);
      assert.ok(!existsSync(path.join(s.home, 'versions', child.staging)));
      s.assertChampionServes();
    } finally {
      store?.close();
      await s.cleanup(pid);
    }
  },
);

test(
  `a retrain child that dies of a stop signal is logged as stopped, never failed: by the shutdown when the \
trader's stop() comes after the child's death (a Ctrl-C reaches both, in either order), from outside otherwise`,
  {
    timeout: 90_000,
  },
  async () => {
    const s = await retrainSetup();
    let pid: number | undefined;
    try {
      const stopping = retrainChildRunner(s.flags, s.home, s.logger);
      const firing = stopping();
      const first = await s.training();
      pid = first.pid;
      // the child's SIGINT is handled before the trader's own (its stop() comes 300 ms later)
      process.kill(pid, 'SIGINT');
      await new Promise((r) => setTimeout(r, 300));
      await stopping.stop();
      await firing;
      assert.equal(alive(pid), false);
      assert.deepEqual(s.lines, [
        'info scheduled retrain starting',
        'warn scheduled retrain stopped by the shutdown (SIGINT); nothing was promoted, ' +
          'the current model keeps serving',
        `warn scheduled retrain: removed its staging folder(s) ${first.staging}`,
      ]);
      s.assertChampionServes();

      // no shutdown follows: someone stopped the child alone (a supervisor, `kill`); the trader carries on
      s.lines.length = 0;
      const carrying = retrainChildRunner(s.flags, s.home, s.logger);
      const second = carrying();
      const child = await s.training();
      pid = child.pid;
      process.kill(pid, 'SIGTERM');
      await second;
      assert.deepEqual(s.lines, [
        'info scheduled retrain starting',
        'warn scheduled retrain stopped by SIGTERM from outside the trader; nothing was promoted, ' +
          'the current model keeps serving',
        `warn scheduled retrain: removed its staging folder(s) ${child.staging}`,
      ]);
      s.assertChampionServes();
    } finally {
      await s.cleanup(pid);
    }
  },
);

test(
  `a retrain child whose trader is SIGKILLed closes its trading_retrains row as failed ("stopped: its trader (pid N) \
is gone") and removes its staging folder before it exits: no trader is left to do it, and the row read as running`,
  { timeout: 60_000 },
  async () => {
    const s = await retrainSetup();
    let pid: number | undefined;
    let trader: ChildProcess | undefined;
    try {
      // a stand-in trader: a real process that starts the real child bot retrain as a trader does (its pid in the
      // environment, retrain-child.ts), then is killed with SIGKILL and stops nothing
      const script = path.join(s.dir, 'trader.mjs');
      writeFileSync(
        script,
        `import { spawn } from 'node:child_process';
const [bot, ...args] = process.argv.slice(2);
spawn(process.execPath, [bot, 'retrain', ...args], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, ${RETRAIN_PARENT_ENV}: String(process.pid) },
});
setInterval(() => {}, 60_000);
`,
      );
      const f = s.flags;
      const args = ['--model', s.home, '--strategy', f.retrainStrategy, '--config', f.config, '--db', f.db];
      const bot = path.join(PROJECT_ROOT, 'src/cli/bot.js');
      trader = spawn(process.execPath, [script, bot, ...args, '--log-level', 'warn'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      trader.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const child = await s.training();
      pid = child.pid;
      trader.kill('SIGKILL');
      await waitFor(() => !alive(child.pid) || undefined, 20_000, 'the child to stop itself');
      assert.match(stderr, /the trader that started it \(pid \d+\) is gone; stopping \(SIGTERM\)/);
      const db = new Database(f.db, { readonly: true, fileMustExist: true });
      try {
        assert.deepEqual(db.prepare('SELECT challenger_version, outcome, reason, killed FROM trading_retrains').all(), [
          {
            challenger_version: child.staging.slice('.staging-'.length),
            outcome: 'failed',
            reason: `stopped: its trader (pid ${trader.pid}) is gone`,
            killed: 1,
          },
        ]);
      } finally {
        db.close();
      }
      assert.ok(!existsSync(path.join(s.home, 'versions', child.staging)), 'its staging folder is removed');
      s.assertChampionServes();
    } finally {
      trader?.kill('SIGKILL');
      await s.cleanup(pid);
    }
  },
);

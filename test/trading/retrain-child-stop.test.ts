/**
 * `bot paper … --retrain CRON` shutting down while its scheduled retrain runs: the trader loop's stop ends the real
 * child `bot retrain` (SIGTERM, SIGKILL after a grace period), waits for it, logs one line, and leaves CURRENT where it
 * was; the half-written staged challenger never becomes CURRENT.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promoteVersion, resolveModel, stageVersion } from '../../src/agents/model-pointer.ts';
import { CandleStore } from '../../src/data/store.ts';
import { startTraderLoop } from '../../src/trading/loop.ts';
import { retrainChildRunner } from '../../src/trading/retrain-child.ts';
import type { Trader } from '../../src/trading/trader.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { riseThenFall, saveAgent } from './agents.ts';
import { quietLogger, tempDir } from './helpers.ts';

const HOUR = 3_600_000;

/** Resolves once `ready()` holds, polling every 100 ms; rejects after `ms`. */
async function waitFor<T>(ready: () => T | undefined, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = ready();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
}

test(`stopping the trader loop stops its scheduled retrain child mid-training: the process is gone when stop() \
resolves, one line says so, CURRENT does not move and no new retrain starts`, async () => {
  const tmp = tempDir('bot-retrain-child-stop-');
  // the child runs on the wall clock: the series ends at the last closed hour
  const candles = riseThenFall(300, 100, Math.floor(Date.now() / HOUR) * HOUR - 400 * HOUR);
  const fake = await startFakeUpbit({ series: [{ market: 'KRW-BTC', candles }] });
  let pid: number | undefined;
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const config = path.join(tmp.dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        exchange: { ccxt: fake.ccxtOptions(), retries: 3, backoffMs: 10, maxBackoffMs: 50 },
        ml: { backend: 'wasm' },
        log: { file: '' },
        // so many epochs that the child is still training when the loop stops
        trading: { retrain: { trainCandles: 150, holdoutCandles: 60, epochs: 100_000 } },
      }),
    );
    // the champion: a promoted version, so CURRENT names it
    const home = path.join(tmp.dir, 'models', 'btc');
    const champion = stageVersion(home, 'champion');
    await saveAgent(champion.dir, 'buy', candles);
    champion.commit();
    promoteVersion(home, 'champion');

    const lines: string[] = [];
    const logger = quietLogger();
    for (const level of ['info', 'warn', 'error'] as const)
      logger[level] = ((msg: string) => (lines.push(`${level} ${msg}`), logger)) as typeof logger.info;
    const runner = retrainChildRunner({ retrainStrategy: 'dqn-dnn', db, config, logLevel: 'warn' }, home, logger);
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

    // the child is training once its challenger's staging folder exists; its retrain lock names its pid
    const versions = path.join(home, 'versions');
    const staging = await waitFor(
      () => readdirSync(versions).find((f) => f.startsWith('.staging-')),
      25_000,
      'the child to start training',
    );
    const store = CandleStore.open(db);
    try {
      const row = store.db.prepare("SELECT pid FROM trading_locks WHERE name LIKE 'retrain:%'").get() as
        { pid: number } | undefined;
      pid = row?.pid;
    } finally {
      store.close();
    }
    assert.ok(pid !== undefined && pid !== process.pid && alive(pid), 'a live child holds the retrain lock');

    await loop.stop();
    assert.equal(alive(pid), false, 'the child is gone once the loop has stopped');
    await firing;
    assert.deepEqual(lines, [
      'info scheduled retrain starting',
      'warn scheduled retrain stopped by the shutdown (SIGTERM); nothing was promoted, the current model keeps serving',
    ]);
    // the half-written challenger stays a staging folder that no pointer names; the champion serves
    assert.equal(readFileSync(path.join(home, 'CURRENT'), 'utf8').trim(), 'champion');
    assert.equal(resolveModel(home).version, 'champion');
    assert.ok(existsSync(path.join(versions, staging)));
    assert.deepEqual(
      readdirSync(versions).filter((f) => !f.startsWith('.')),
      ['champion'],
    );

    // a firing after the stop starts no child
    lines.length = 0;
    await runner();
    assert.deepEqual(lines, []);
  } finally {
    if (pid !== undefined && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL'); // only when the test failed with the child still running
      } catch {
        // already gone
      }
    }
    await fake.close();
    tmp.cleanup();
  }
});

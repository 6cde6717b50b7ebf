/**
 * The real `bot` CLI as a child process for the end-to-end tests, and the pieces of a paper run's call they share:
 * a config file pointing ccxt at the fake exchange, and the flags that fix the run's start, clock and files.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isoTime } from '../../src/data/timeframe.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { requestCommand } from '../../src/trading/commands.ts';
import type { FakeUpbit } from '../fake-exchange/server.ts';
import { TEST_STATE_DIR } from '../helpers/state-dir.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BOT = path.join(ROOT, 'src/cli/bot.js');

export interface BotResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `bot <args>` as a real process; `done` resolves when it exits. `detached`: in its own process group (its pid
 * is the group's id), so that a test can signal the group as a terminal's Ctrl-C does.
 */
export function startBot(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { detached?: boolean } = {},
): { child: ChildProcess; done: Promise<BotResult> } {
  const child = spawn(process.execPath, [BOT, ...args], {
    cwd: ROOT,
    env: { ...process.env, BOT_STATE_DIR: TEST_STATE_DIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<BotResult>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Fails when one of `outputs` (name → text: stderr, a log file, …) contains one of `secrets`. */
export function assertNoSecrets(outputs: Record<string, string>, secrets: string[]): void {
  for (const [name, text] of Object.entries(outputs))
    for (const secret of secrets) assert.ok(!text.includes(secret), `${name} leaks a secret: ${text}`);
}

export function runBot(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BotResult> {
  return startBot(args, env).done;
}

/** The dashboard's address a `bot serve` / `--serve` process prints, once it listens (rejects if the bot exits). */
export function dashboardUrl(bot: { child: ChildProcess; done: Promise<BotResult> }): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    bot.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve(m[1]);
    });
    void bot.done.then((r) => reject(new Error(`the bot exited before serving: ${r.stderr}`)));
  });
}

/** Writes `dir`/config.json: ccxt pointed at the fake exchange with quick retries, no log file, then `extra`. */
export function writeFakeExchangeConfig(dir: string, fake: FakeUpbit, extra: Record<string, unknown> = {}): string {
  const cfg = path.join(dir, 'config.json');
  const exchange = { ccxt: fake.ccxtOptions(), retries: 3, backoffMs: 10, maxBackoffMs: 50 };
  writeFileSync(cfg, JSON.stringify({ exchange, log: { file: '' }, ...extra }));
  return cfg;
}

/**
 * Writes `dir`/dead.json: Upbit at 127.0.0.1:9, where nothing listens (discard), so every request is refused at once,
 * one quick retry, no log file. Returns its path.
 */
export function writeDeadExchangeConfig(dir: string): string {
  const dead = 'http://127.0.0.1:9';
  const cfg = path.join(dir, 'dead.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      exchange: { ccxt: { urls: { api: { public: dead, private: dead } } }, retries: 1, backoffMs: 1, maxBackoffMs: 2 },
      log: { file: '' },
    }),
  );
  return cfg;
}

/**
 * A config in `dir` for a retrain offline: the dead exchange address, models and database in `dir`, the wasm backend
 * and `retrain` as trading.retrain (window, holdout, epochs).
 */
export function writeRetrainConfig(dir: string, retrain: Record<string, number>): string {
  const cfg = path.join(dir, 'config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      ...(JSON.parse(readFileSync(writeDeadExchangeConfig(dir), 'utf8')) as object),
      agent: { modelsDir: path.join(dir, 'models') },
      data: { database: path.join(dir, 'bot.db') },
      ml: { backend: 'wasm' },
      trading: { retrain },
    }),
  );
  return cfg;
}

/** The names of the runs stored in the database `db`, oldest first. */
export function runNames(db: string): string[] {
  const store = CandleStore.open(db);
  try {
    return new RunRepository(store.db).list().map((r) => r.name);
  } finally {
    store.close();
  }
}

/** The flags ending a `bot paper` call in the CLI tests: first candle, the clock's now, database, config, warn logs. */
export function paperRunFlags(start: number, now: number, db: string, cfg: string): string[] {
  return ['--start', isoTime(start), '--now', isoTime(now), '--db', db, '--config', cfg, '--log-level', 'warn'];
}

/** Halts the first run in database `db` as the dashboard does (a `halt` row asked by token:ci at `now`: "stop it"). */
export function haltFirstRun(db: string, now: number): void {
  const store = CandleStore.open(db);
  try {
    const run = new RunRepository(store.db).list()[0];
    requestCommand(store.db, { runId: run.id, kind: 'halt', requestedBy: 'token:ci', reason: 'stop it', now });
  } finally {
    store.close();
  }
}

/** The flags of the `bot backtest` a paper CLI test compares with: from the run's first candle, same database. */
export function backtestRunFlags(from: number, db: string, cfg: string, out: string): string[] {
  return ['--from', isoTime(from), '--db', db, '--config', cfg, '--out', out];
}

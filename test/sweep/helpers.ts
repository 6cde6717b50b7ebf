/** Sweep test helpers: a synthetic candle CSV, a real redis-server on a free port, and `bot` processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/bench/redis-server.ts';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { loadStrategy } from '../../src/agents/strategy.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Candles } from '../../src/core/candles.ts';
import { parseGridFlag } from '../../src/sweep/grid.ts';
import { configurations, planSweep, type SweepPlan } from '../../src/sweep/plan.ts';

/** Writes `count` synthetic hourly candles (a sine in the log price, so agents have something to learn) as CSV. */
export function writeCandlesCsv(file: string, count = 600): string {
  const c = syntheticCandles({ seed: 5, count, sine: { period: 30, amplitude: 0.04 } });
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < c.ts.length; i++)
    lines.push(`${new Date(c.ts[i]).toISOString()},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** A dqn-dnn sweep small enough for tests: the strategy and a grid of one tiny configuration (add --grid keys). */
export const TINY_SWEEP = [
  '--strategy',
  'dqn-dnn',
  '--grid',
  'network.hidden=[8]',
  '--grid',
  'learner.warmup=32',
  '--grid',
  'learner.batchSize=16',
];

/**
 * A test's folder: `syn.csv` with `candles` synthetic candles and `config.json` (no log file, wasm, no early stopping
 * or summaries, plus the `extra` sections).
 */
export function sweepFolder(
  prefix: string,
  candles: number,
  extra: Record<string, unknown> = {},
): { dir: string; csv: string; config: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const csv = writeCandlesCsv(path.join(dir, 'syn.csv'), candles);
  const config = path.join(dir, 'config.json');
  const quiet = { log: { file: '' }, ml: { backend: 'wasm' }, agent: { patience: 0, summaryEvery: 0 } };
  writeFileSync(config, JSON.stringify({ ...quiet, ...extra }));
  return { dir, csv, config };
}

/**
 * A PATH with no programs on it: `nvidia-smi` cannot answer there, so the `node-gpu` backend is unavailable on every
 * machine (not installed, or installed and no GPU answers; src/nn/backend/backend.ts). Bot processes need nothing
 * from PATH (children are forked with process.execPath).
 */
export function pathWithoutGpu(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'no-programs-'));
}

/**
 * A planned two-job sweep of dqn-dnn (window=3,5) over synthetic candles, and its markets by data key; `code` is the
 * coordinator's code fingerprint the jobs carry (a worker runs only jobs with its own).
 */
export async function tinyPlan(code = 'c0de'): Promise<{ plan: SweepPlan; markets: Map<string, Candles> }> {
  const strategy = await loadStrategy('dqn-dnn');
  if (strategy.kind !== 'agent') throw new Error('dqn-dnn is not an agent strategy');
  const candles = syntheticCandles({ seed: 1, count: 400 });
  const request = { strategy: 'dqn-dnn', grid: [parseGridFlag('window=3,5')], seeds: 1, seed: 1, folds: 1 };
  const series = [{ candles, label: 'syn', fromGiven: false }];
  const plan = planSweep(request, configurations(request, strategy.recipe), series, loadConfig({}), code);
  return { plan, markets: new Map([[plan.markets[0].ref.dataKey, candles]]) };
}

// one free-port lookup for the bench's redis-server and the tests'
export { freePort };

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/** A real redis-server on 127.0.0.1 and a free port (or `port`, to restart one), nothing saved to disk. */
export async function startRedis(port?: number, extra: string[] = []): Promise<RedisServer> {
  port ??= await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface BotProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts `bot …` (node src/cli/bot.js of the checkout at `root`) without waiting for it. */
export function startBot(args: string[], cwd = PROJECT_ROOT, root = PROJECT_ROOT): BotProcess {
  const child = spawn(process.execPath, [path.join(root, 'src/cli/bot.js'), ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const feed = (d: Buffer) => {
    text += d.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', feed);
  child.stderr!.on('data', feed);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in:\n${text}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

/** Stops a bot process with SIGTERM (or `signal`: SIGKILL where a test may have left it hung) and waits for it. */
export async function stopBot(p: BotProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exited;
}

/**
 * The exit code of a bot process, or a failed assertion if it is still running after `ms` (then it is killed): a
 * hang detector for commands that used to wait forever, not a speed check.
 */
export async function exitWithin(p: BotProcess, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const r = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (r === 'late') {
    p.child.kill('SIGKILL');
    await p.exited;
    throw new Error(`still running after ${ms / 1000} s (hung); output:\n${p.output().slice(-3000)}`);
  }
  return r;
}

/**
 * A copy of this checkout in `dir` (sources, strategies, config, package files; node_modules linked), as another
 * machine's checkout at another commit would be once `change` has edited it. Returns the copy's root.
 */
export function copyCheckout(dir: string, change: (root: string) => void): string {
  mkdirSync(dir, { recursive: true });
  for (const name of ['src', 'strategies', 'config', 'package.json', 'package-lock.json', 'tsconfig.json'])
    cpSync(path.join(PROJECT_ROOT, name), path.join(dir, name), { recursive: true });
  symlinkSync(realpathSync(path.join(PROJECT_ROOT, 'node_modules')), path.join(dir, 'node_modules'));
  change(dir);
  return dir;
}

/** The pids of `parent`'s sweep children (not tsx's esbuild), read from /proc (stat field 4 is the parent's pid). */
export function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (Number(fields[1]) === parent && fields[0] !== 'Z' && cmd.includes('child.ts')) out.push(Number(name));
    } catch {
      // the process ended while the list was read
    }
  }
  return out;
}

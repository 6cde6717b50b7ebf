/**
 * What a newcomer tripped over (issue 17), through the real CLI: a named market or time is never swapped for the
 * sample, flags are checked before any network work, colour only where it belongs, `bot status` for every run,
 * and `bot doctor` naming a native part that did not build.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkSqlite } from '../../src/cli/commands/doctor.ts';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { createRun } from '../helpers/runs.ts';
import { runBot } from './run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-newcomer-'));
const ESC = '\u001b[';
let fake: FakeUpbit;
let offline: string;
let counted: string;

/** `bot …` with exactly the colour variables given (none by default), stderr piped as in `2>file`. */
const bot = (args: string[], env: Record<string, string> = {}) =>
  runBot(args, { NO_COLOR: '', FORCE_COLOR: '', ...env }, dir);

before(async () => {
  // an exchange that cannot be reached (nothing listens on port 1), and one that counts every request it gets
  offline = path.join(dir, 'offline.json');
  writeFileSync(
    offline,
    JSON.stringify({
      exchange: {
        ccxt: { urls: { api: { public: 'http://127.0.0.1:1', private: 'http://127.0.0.1:1' } } },
        retries: 1,
        backoffMs: 1,
        maxBackoffMs: 2,
      },
      log: { file: '' },
    }),
  );
  fake = await startFakeUpbit();
  counted = path.join(dir, 'counted.json');
  writeFileSync(
    counted,
    JSON.stringify({
      exchange: { ccxt: fake.ccxtOptions(), retries: 1, backoffMs: 1, maxBackoffMs: 2 },
      log: { file: '' },
    }),
  );
});
after(async () => {
  await fake.close();
});

test(`bot chart with a named market that is not stored and an unreachable exchange: one line and the ways out, not the \
sample`, async () => {
  const r = await bot([
    'chart',
    '--symbol',
    'NOPE/KRW',
    '--at',
    '2023-06-01T00:00Z',
    '--db',
    path.join(dir, 'a.db'),
    '--config',
    offline,
    '--out',
    path.join(dir, 'x.png'),
  ]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, '', 'no chart written');
  assert.match(
    r.stderr,
    new RegExp(
      String.raw`^error: nothing is stored for upbit NOPE/KRW 1h and upbit cannot be reached: ` +
        String.raw`store a CSV with \x60bot data import FILE\x60, or use --data FILE or --sample\n$`,
      'm',
    ),
  );
  assert.doesNotMatch(r.stderr + r.stdout, /sample \(S&P 500/);
});

test('bot chart --at outside the data says which range exists', async () => {
  const r = await bot([
    'chart',
    '--sample',
    '--at',
    '2030-01-01',
    '--db',
    path.join(dir, 'a.db'),
    '--config',
    offline,
    '--out',
    path.join(dir, 'y.png'),
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^error: --at 2030-01-01 is after the data; bundled sample S&P 500 1d covers 2000-01-03T\S+ … 2020-\S+\n$/,
  );
  const early = await bot([
    'chart',
    '--sample',
    '--at',
    '1990-01-01',
    '--db',
    path.join(dir, 'a.db'),
    '--config',
    offline,
    '--out',
    path.join(dir, 'y.png'),
  ]);
  assert.equal(early.code, 1);
  assert.match(
    early.stderr,
    /^error: --at 1990-01-01: no candle opens at or before it; bundled sample S&P 500 1d covers 2000-01-03/,
  );
});

test('bot backtest checks its flags before any network work', async () => {
  const before = fake.state.requests.length;
  for (const [flag, value] of [
    ['--epochs', '-3'],
    ['--folds', '0'],
    ['--seeds', '1.5'],
  ]) {
    const r = await bot(['backtest', flag, value, '--db', path.join(dir, 'b.db'), '--config', counted]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: ${flag} must be a whole number ≥ 1, got "${value}"\n`);
  }
  assert.equal(fake.state.requests.length, before, 'the exchange was not asked anything');
});

test(`bot backtest onto a retrain's model home is refused before any network or disk work, naming --name and \
--model`, async () => {
  // a home bot retrain promoted into: the refusal used to come after the exchange's retries and the candles' loading
  const models = path.join(dir, 'homes');
  const cfg = path.join(dir, 'homes.json');
  writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(counted, 'utf8')), agent: { modelsDir: models } }));
  for (const [strategy, extra] of [
    ['dqn-dnn', []],
    ['ppo-etf-pair', ['--symbols', 'BTC-2X/KRW,BTC-INV/KRW']],
  ] as const) {
    const home = path.join(models, strategy);
    mkdirSync(path.join(home, 'versions', 'v1'), { recursive: true });
    writeFileSync(path.join(home, 'CURRENT'), 'v1\n');
    const db = path.join(dir, `home-${strategy}.db`);
    const before = fake.state.requests.length;
    const r = await bot(['backtest', '--strategy', strategy, ...extra, '--db', db, '--config', cfg]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(fake.state.requests.length, before, 'the exchange was not asked anything');
    assert.equal(existsSync(db), false, 'no store opened');
    assert.equal(
      r.stderr,
      `error: ${home} holds CURRENT, versions besides a saved model: a model home, which bot retrain promotes ` +
        'versions into and a paper or live run may serve; a backtest does not replace it: choose another --name, ' +
        `or evaluate its current model with --model ${home}\n`,
    );
  }
});

test(`console colour only on a terminal or when forced (FORCE_COLOR), none under NO_COLOR; the JSON log file never has \
colour`, async () => {
  const log = path.join(dir, 'colour.log');
  // each run its own report folder: a backtest refuses a folder that holds an earlier run
  const runs = { n: 0 };
  const args = () => {
    const out = ['--out', path.join(dir, `bt${++runs.n}`)];
    return [
      'backtest',
      '--strategy',
      'sma-cross',
      '--sample',
      '--log-level',
      'info',
      ...out,
      '--db',
      path.join(dir, 'c.db'),
    ];
  };
  const withFile = path.join(dir, 'file-log.json');
  writeFileSync(withFile, JSON.stringify({ log: { file: log } }));
  const piped = await bot([...args(), '--config', withFile]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stderr, / info backtest sma-cross on bundled sample/);
  assert.ok(!piped.stderr.includes(ESC), 'stderr to a file: no escapes');
  const forced = await bot([...args(), '--config', withFile], { FORCE_COLOR: '1' });
  assert.equal(forced.code, 0, forced.stderr);
  assert.ok(forced.stderr.includes(ESC), 'FORCE_COLOR=1 colours');
  const noColour = await bot([...args(), '--config', withFile], { NO_COLOR: '1' });
  assert.equal(noColour.code, 0, noColour.stderr);
  assert.ok(!noColour.stderr.includes(ESC), 'NO_COLOR');
  const file = readFileSync(log, 'utf8');
  assert.match(file, /"message":"backtest sma-cross on bundled sample/);
  assert.ok(!file.includes(ESC), 'the JSON log file has no escapes, even when the console was forced to colour');
});

test(`bot status with no market flags shows every run (a table), and the detailed view when there is exactly \
one`, async () => {
  const db = path.join(dir, 'runs.db');
  const store = CandleStore.open(db);
  const repo = new RunRepository(store.db);
  const open = (timeframe: string, symbol: string) =>
    createRun(
      repo,
      { mode: 'paper', name: 'default', exchange: 'upbit', symbol, timeframe },
      1_000_000,
      'strategy:sma-cross',
    );
  open('1m', 'BTC/KRW');
  store.close();
  const one = await bot(['status', '--db', db]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(
    one.stdout,
    /^paper run "default" {2}upbit BTC\/KRW 1m {2}strategy:sma-cross/,
    'a 1m run is found without --timeframe 1m',
  );
  const again = CandleStore.open(db);
  createRun(
    new RunRepository(again.db),
    { mode: 'live', name: 'eth', exchange: 'upbit', symbol: 'ETH/KRW', timeframe: '1h' },
    500_000,
    'model:models/x',
  );
  again.close();
  const all = await bot(['status', '--db', db]);
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.match(lines[0], /^run\s+market\s+policy\s+value\s+P&L\s+last decision\s+next tick$/);
  assert.match(lines[1], /^paper default\s+upbit BTC\/KRW 1m\s+strategy:sma-cross\s+1,000,000\s+0\.00%\s+—/);
  assert.match(lines[2], /^live eth\s+upbit ETH\/KRW 1h\s+model:models\/x\s+500,000\s+0\.00%/);
  const json = JSON.parse((await bot(['status', '--json', '--db', db])).stdout) as { symbol: string }[];
  assert.deepEqual(
    json.map((s) => s.symbol),
    ['BTC/KRW', 'ETH/KRW'],
  );
  const live = await bot(['status', '--live', '--db', db]);
  assert.match(live.stdout, /^live run "eth" {2}upbit ETH\/KRW 1h/, '--live alone: the one live run in detail');
  const named = await bot(['status', '--timeframe', '4h', '--db', db]);
  assert.equal(named.code, 1);
  assert.match(named.stderr, /^error: no paper run "default" for upbit BTC\/KRW 4h/);
});

test('bot doctor names a native part that did not build, with the fix', async () => {
  const ok = await checkSqlite();
  assert.equal(ok.ok, true);
  assert.match(ok.detail, /^\d+\.\d+\.\d+ \(better-sqlite3 \d+/);
  const broken = await checkSqlite(path.join(dir, 'missing', 'better_sqlite3.node'));
  assert.equal(broken.ok, false);
  assert.match(
    broken.detail,
    new RegExp(
      String.raw`native part did not build or load; run \x60npm rebuild better-sqlite3\x60 ` +
        String.raw`\(its install script must be allowed: allowScripts in package.json\)`,
    ),
  );
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    allowScripts?: Record<string, boolean>;
  };
  assert.equal(
    pkg.allowScripts?.['better-sqlite3'],
    true,
    'the SQLite binding is built at install: its script must be allowed',
  );
});

test('bot backtest | head: a reader that goes away ends the command quietly, exit 0', async () => {
  const child = spawn(
    process.execPath,
    [
      path.join(PROJECT_ROOT, 'src/cli/bot.js'),
      'backtest',
      '--strategy',
      'sma-cross',
      '--sample',
      '--db',
      path.join(dir, 'e.db'),
      '--out',
      path.join(dir, 'epipe'),
      '--log-level',
      'error',
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.once('data', () => child.stdout.destroy()); // as `head -1` closes the pipe after its line
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr, '', 'no stack trace');
  assert.equal(code, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../data/helpers.ts';
import { runBot, type CliResult } from './run.ts';

const PROC = existsSync('/proc/self') ? '/proc' : undefined;

/** A folder with a file `afile`, a config whose log file is inside it, and a database holding two daily candles. */
async function home(prefix: string): Promise<{ dir: string; afile: string; logFile: string; common: string[] }> {
  const dir = tempDir(prefix);
  const afile = path.join(dir, 'afile');
  writeFileSync(afile, 'not a folder\n');
  const logFile = path.join(dir, 'bot.log');
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ log: { file: logFile } }));
  const csv = path.join(dir, 'a.csv');
  writeFileSync(csv, 'timestamp,open,high,low,close,volume\n2024-01-01,10,12,9,11,1\n2024-01-02,11,13,10,12,2\n');
  const common = ['--config', config, '--db', path.join(dir, 'bot.db')];
  const imported = await runBot(['data', 'import', csv, '--symbol', 'BTC/KRW', ...common]);
  assert.equal(imported.code, 0, imported.stderr);
  return { dir, afile, logFile, common };
}

/** One line naming --out, nothing on stdout, and no "unexpected failure" with its stack in the log file. */
function oneLine(r: CliResult, pattern: RegExp, logFile?: string): void {
  assert.notEqual(r.code, 0, r.stdout);
  assert.notEqual(r.code, null, 'the command ended by itself');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
  assert.equal(r.stdout, '', 'no work before the refusal');
  if (logFile !== undefined && existsSync(logFile))
    assert.doesNotMatch(readFileSync(logFile, 'utf8'), /unexpected failure|\bat \w+/);
}

test('bot data export --out: a missing folder is made; under a file or in /proc it is one line, no stack', async () => {
  const { dir, afile, logFile, common } = await home('bot-out-export-');
  const exp = (out: string) =>
    runBot(['data', 'export', '--symbol', 'BTC/KRW', '--timeframe', '1d', ...common, '--out', out]);
  const made = path.join(dir, 'nodir', 'deeper', 'x.csv');
  const ok = await exp(made);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    readFileSync(made, 'utf8'),
    /^timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,10,12,9,11,1\n/,
  );

  // an existing file used to be overwritten silently (backtest --out refuses a folder that holds files)
  oneLine(await exp(made), /^error: --out .*x\.csv already exists; pass --force to replace it$/, logFile);
  writeFileSync(made, 'mine\n');
  oneLine(await exp(made), /already exists/, logFile);
  assert.equal(readFileSync(made, 'utf8'), 'mine\n', 'left as it was');
  const forced = await runBot([
    'data',
    'export',
    '--symbol',
    'BTC/KRW',
    '--timeframe',
    '1d',
    ...common,
    '--out',
    made,
    '--force',
  ]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(readFileSync(made, 'utf8'), /^timestamp,open,high,low,close,volume\n/);

  oneLine(
    await exp(path.join(afile, 'x.csv')),
    /^error: --out .*afile.x\.csv: .*afile is a file, not a folder$/,
    logFile,
  );
  if (PROC)
    oneLine(await exp(path.join(PROC, 'x.csv')), /^error: --out \/proc\/x\.csv: cannot write in \/proc /, logFile);
});

test('bot backtest, portfolio backtest and chart: an --out under a file is one line before the run', async () => {
  const { afile, logFile, common } = await home('bot-out-backtest-');
  const under = path.join(afile, 'sub');
  const runs = await Promise.all([
    runBot(['backtest', '--strategy', 'sma-cross', '--sample', '--out', under, ...common]),
    runBot(['backtest', '--strategy', 'equal-weight', '--sample', '--out', under, ...common]),
    runBot(['chart', '--sample', '--out', path.join(under, 'c.png'), ...common]),
  ]);
  for (const r of runs) oneLine(r, /^error: --out .*afile.sub.*: .*afile is a file, not a folder$/, logFile);
});

test('bot backtest --out /proc/xx: one line (it used to hang at full CPU)', { skip: !PROC }, async () => {
  const { logFile, common } = await home('bot-out-proc-');
  // Node's recursive mkdir loops for ever under /proc: the child is killed if it gets there
  const proc = await runBot(
    ['backtest', '--strategy', 'sma-cross', '--sample', '--out', '/proc/xx', ...common],
    {},
    undefined,
    60_000,
  );
  oneLine(proc, /^error: --out \/proc\/xx: cannot write in \/proc /, logFile);
});

test('bot backtest --out a folder that holds files (an earlier run) is refused and nothing in it changes', async () => {
  const { dir, common } = await home('bot-out-again-');
  const out = path.join(dir, 'run');
  mkdirSync(out);
  const args = ['backtest', '--strategy', 'sma-cross', '--sample', '--out', out, '--log-level', 'error', ...common];
  const first = await runBot(args);
  assert.equal(first.code, 0, first.stderr);
  // an agent run's files beside the report: a second run used to leave them, listed as its own
  writeFileSync(path.join(out, 'learning_curves_seed1.png'), 'earlier run');
  const before = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(path.join(out, f), 'utf8')]));
  const again = await runBot(args);
  const held = /already holds equity\.png, learning_curves_seed1\.png, report\.html, … \(5 entries\)/.source;
  oneLine(again, new RegExp(`^error: --out .*run ${held}: give a new or empty folder`));
  const after = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(path.join(out, f), 'utf8')]));
  assert.deepEqual(after, before, 'nothing deleted or rewritten');
});

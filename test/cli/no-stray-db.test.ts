// A command that needs stored candles and fails before storing any leaves no database (nor folder) it created behind,
// and never removes a database that was there before, even an empty one. Real CLI, offline exchange, real SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { DEAD_EXCHANGE, exchangeConfigFile, tempDir } from '../data/helpers.ts';
import { runBot, type CliResult } from './run.ts';

/** `bot backtest` of a market with nothing stored, the exchange unreachable, on `db`: it fails in one line. */
async function backtestOffline(dir: string, db: string): Promise<CliResult> {
  const config = exchangeConfigFile(dir, DEAD_EXCHANGE, { file: '', level: 'error' });
  const r = await runBot([
    'backtest',
    '--strategy',
    'sma-cross',
    '--symbol',
    'ETH/KRW',
    '--config',
    config,
    '--db',
    db,
  ]);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^error: nothing is stored for upbit ETH\/KRW 1h and upbit cannot be reached/);
  return r;
}

test('bot backtest offline with a new --db: one line, and neither the file nor its new folder is left', async () => {
  const dir = tempDir('bot-cli-stray-db-');
  const db = path.join(dir, 'x', 'y', 'new.db');
  await backtestOffline(dir, db);
  assert.equal(existsSync(db), false, 'no empty database');
  assert.equal(existsSync(path.join(dir, 'x')), false, 'no folder made for it');
});

test('bot backtest offline with an existing empty --db keeps the file', async () => {
  const dir = tempDir('bot-cli-kept-db-');
  const db = path.join(dir, 'mine.db');
  CandleStore.open(db).close();
  await backtestOffline(dir, db);
  assert.equal(existsSync(db), true, "the user's database stays");
});

// A command that needs stored candles and fails before storing any leaves no database (nor folder) it created behind,
// and never removes a database that was there before, even an empty one. Real CLI, offline exchange, real SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { tempDir } from '../data/helpers.ts';
import { runBot } from './run.ts';

function offlineConfig(dir: string): string {
  const config = path.join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      exchange: {
        ccxt: { urls: { api: { public: 'http://127.0.0.1:1', private: 'http://127.0.0.1:1' } } },
        backoffMs: 5,
      },
      log: { file: '', level: 'error' },
    }),
  );
  return config;
}

test('bot backtest offline with a new --db: one line, and neither the file nor its new folder is left', async () => {
  const dir = tempDir('bot-cli-stray-db-');
  const db = path.join(dir, 'x', 'y', 'new.db');
  const r = await runBot([
    'backtest',
    '--strategy',
    'sma-cross',
    '--symbol',
    'ETH/KRW',
    '--config',
    offlineConfig(dir),
    '--db',
    db,
  ]);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^error: nothing is stored for upbit ETH\/KRW 1h and upbit cannot be reached/);
  assert.equal(existsSync(db), false, 'no empty database');
  assert.equal(existsSync(path.join(dir, 'x')), false, 'no folder made for it');
});

test('bot backtest offline with an existing empty --db keeps the file', async () => {
  const dir = tempDir('bot-cli-kept-db-');
  const db = path.join(dir, 'mine.db');
  CandleStore.open(db).close();
  const r = await runBot([
    'backtest',
    '--strategy',
    'sma-cross',
    '--symbol',
    'ETH/KRW',
    '--config',
    offlineConfig(dir),
    '--db',
    db,
  ]);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(existsSync(db), true, "the user's database stays");
});

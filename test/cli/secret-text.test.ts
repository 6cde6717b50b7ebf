/**
 * Plain-text output masks the environment's secrets as `--json` does (src/core/redact.ts, printText): `bot status`
 * on a real SQLite file prints a run's halt reason, pause reason and data fault as stored, and each may quote what an
 * exchange said, a key included.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import type { TradingMode } from '../../src/trading/types.ts';
import { createRun } from '../helpers/runs.ts';
import { runBot } from './run.ts';

const KEY = 'sk-live-text-secret-0123';
const PASSWORD = 'pw-dashboard-9876543';

test(`bot status masks secrets quoted in a run's halt reason, pause reason and data fault, in the detail view and \
the table`, async () => {
  const db = path.join(mkdtempSync(path.join(tmpdir(), 'bot-secret-text-')), 'runs.db');
  const store = CandleStore.open(db);
  const repo = new RunRepository(store.db);
  const open = (into: RunRepository, mode: TradingMode, name: string, symbol: string) =>
    createRun(into, { mode, name, exchange: 'upbit', symbol, timeframe: '1h' }, 1_000_000, 'strategy:sma-cross');
  const paper = open(repo, 'paper', 'default', 'BTC/KRW');
  repo.saveState({ ...paper, halted: `exchange refused order: invalid access key ${KEY}` });
  repo.setDataFault(paper.id, `fetchOHLCV: 401 {"error":"bad password ${PASSWORD}"}`, Date.UTC(2024, 0, 2));
  store.close();
  const env = { UPBIT_API_SECRET: KEY, BOT_API_PASSWORD: PASSWORD };

  const one = await runBot(['status', '--db', db], env);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^HALTED: exchange refused order: invalid access key \*\*\*$/m);
  assert.match(one.stdout, /^NO DECISIONS since .*: fetchOHLCV: 401 \{"error":"bad password \*\*\*"\}$/m);

  const again = CandleStore.open(db);
  const liveRepo = new RunRepository(again.db);
  const live = open(liveRepo, 'live', 'eth', 'ETH/KRW');
  liveRepo.saveState({ ...live, paused: `paused after the exchange answered ${KEY}` });
  again.close();
  const table = await runBot(['status', '--db', db], env);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^run\s+market/);
  const detail = await runBot(['status', '--live', '--db', db], env);
  assert.equal(detail.code, 0, detail.stderr);
  assert.match(detail.stdout, /^PAUSED: paused after the exchange answered \*\*\*$/m);

  for (const [name, out] of Object.entries({ one, table, detail }))
    for (const secret of [KEY, PASSWORD])
      assert.ok(!out.stdout.includes(secret), `${name} prints a secret: ${out.stdout}`);
});

/**
 * `bot paper --model` with a new run's balance below the minimum order: the balance line comes before the model's
 * network is loaded (TensorFlow), the database made or the exchange asked. The minimum is the one the model trades
 * under, read from its meta.json. A meta.json that cannot be read is refused first, by the model folder check made
 * before the config (session 39).
 * Real `bot` processes, real tfjs model files, an exchange where nothing listens.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { saveAgent, SMALL_RECIPE } from './agents.ts';
import { runBot, writeDeadExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

const tmp = tempDir('bot-paper-model-balance-');
after(() => tmp.cleanup());

const NOW = '2024-01-20T00:00:00Z';
const paper = (db: string, config: string, args: string[]) =>
  runBot(['paper', '--now', NOW, '--once', '--db', db, '--config', config, '--balance', '3000', ...args]);

test(`bot paper --model whose weights cannot be loaded, with a --balance below the minimum order of the costs the \
model trades under: the balance line, exit 1, no database made`, async () => {
  const candles = syntheticCandles({ seed: 11, count: 300, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
  const home = path.join(tmp.dir, 'upbit-model');
  await saveAgent(home, 'seeded', candles, { ...SMALL_RECIPE, costs: 'upbit-krw' });
  // a layer TensorFlow does not know: loading the network would fail, so only a check made before it can answer (the
  // folder check before the config reads meta.json, the weights' sizes and the input layer, which all still fit)
  const topology = path.join(home, 'model.json');
  const json = readFileSync(topology, 'utf8');
  assert.match(json, /"class_name":"Dense"/);
  writeFileSync(topology, json.replace('"class_name":"Dense"', '"class_name":"NoSuchLayer"'));
  // the config's own costs have no minimum: only the model's recipe's can refuse
  const zero = path.join(tmp.dir, 'zero.json');
  const dead = JSON.parse(readFileSync(writeDeadExchangeConfig(tmp.dir), 'utf8')) as Record<string, unknown>;
  writeFileSync(zero, JSON.stringify({ ...dead, account: { preset: 'zero' } }));
  const db = path.join(tmp.dir, 'weights.db');
  const r = await paper(db, zero, ['--model', home]);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(
    r.stderr,
    "error: balance 3000 is below the minimum order value 5000 (the recipe's costs upbit-krw): no order could be " +
      'placed; raise --balance or account.balance\n',
  );
  assert.equal(existsSync(db), false, 'no database made');
});

test(`bot paper --model (one market, or a portfolio with --symbols) whose meta.json cannot be read, with a --balance \
below the account's minimum order: the folder check's line, before the config, exit 1, no database made`, async () => {
  const home = path.join(tmp.dir, 'broken-model');
  mkdirSync(path.join(home, 'meta.json'), { recursive: true }); // a folder: reading it fails
  const dead = writeDeadExchangeConfig(tmp.dir);
  // the model folder is checked before the config and the balance (session 39): its minimum cannot be known anyway
  const want = `error: model ${home}: meta.json is not valid JSON (truncated or corrupt)\n`;
  for (const extra of [[], ['--symbols', 'BTC/KRW,ETH/KRW']]) {
    const db = path.join(tmp.dir, `broken${extra.length}.db`);
    const r = await paper(db, dead, ['--model', home, ...extra]);
    assert.deepEqual([r.code, r.stderr], [1, want], extra.join(' '));
    assert.equal(existsSync(db), false, 'no database made');
  }
});

/**
 * config/default.json's costs are Upbit KRW's, and they used to apply to any series without a word: a balance below
 * their minimum order now names them as the default's and the settings that choose a market's own; a run on a series
 * not quoted in KRW under them says so in one line; and a balance that leaves the random baseline's orders below the
 * minimum says how many were refused under the table (it used to be a quieter, different coin-flipper).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { checkBalance, COST_PRESETS, defaultAccountCosts, runCosts } from '../../src/market/costs.ts';
import { defaultCostsNote, quotedInKrw } from '../../src/market/default-costs-note.ts';
import { runBot } from '../cli/run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-default-costs-'));

test("config/default.json's account is upbit-krw's costs under preset custom (defaultAccountCosts)", () => {
  const { account } = loadConfig();
  const { preset, feeRate, sellTax, slippageBps, minOrderValue, quantityPrecision } = account;
  assert.equal(preset, 'custom');
  assert.deepEqual({ feeRate, sellTax, slippageBps, minOrderValue, quantityPrecision }, COST_PRESETS['upbit-krw']);
  assert.equal(defaultAccountCosts(account), true);
  assert.equal(defaultAccountCosts({ ...account, minOrderValue: 10 }), false);
  assert.equal(defaultAccountCosts({ ...account, preset: 'krx-stock' }), false);
});

test("a balance below the default's minimum order names it as the default's Upbit KRW one and other costs", () => {
  const { account } = loadConfig();
  assert.throws(
    () => checkBalance({ balance: 1000 }, runCosts('config', account)),
    (e: Error) =>
      e.message ===
      "balance 1000 is below the minimum order value 5000 (account.minOrderValue, config/default.json's Upbit KRW " +
        "minimum): no order could be placed; raise --balance or account.balance, or choose your market's costs: " +
        'account.preset (krx-stock, zero) or account.minOrderValue in a --config file',
  );
  // a minimum the user set is theirs: named as before, no advice on presets
  assert.throws(
    () => checkBalance({ balance: 1000 }, runCosts('config', { ...account, minOrderValue: 2000 })),
    (e: Error) =>
      e.message.endsWith('2000 (account.minOrderValue): no order could be placed; raise --balance or account.balance'),
  );
});

test('the default costs note: markets not quoted in KRW under the default account, none otherwise', () => {
  const { account } = loadConfig();
  for (const krw of ['BTC/KRW', 'upbit_btc_krw_1d_2024-2025', 'KRW-BTC']) assert.equal(quotedInKrw(krw), true, krw);
  for (const other of ['BTC/USDT', 'SP500/USD', 'binance_btc_usdt_1h_2022-2025', '005930', 'krwx'])
    assert.equal(quotedInKrw(other), false, other);
  assert.equal(defaultCostsNote(account, ['BTC/KRW']), undefined);
  assert.equal(defaultCostsNote({ ...account, preset: 'krx-stock' }, ['005930']), undefined);
  assert.equal(
    defaultCostsNote(account, ['BTC/KRW', 'binance_btc_usdt_1h']),
    "costs: binance_btc_usdt_1h trades under config/default.json's costs, Upbit KRW's (fee 0.05%, no sell tax, " +
      'slippage 5 bps, minimum order 5000, quantities to 8 decimals); choose others with account.preset in a ' +
      '--config file (krx-stock for KRX stocks, zero for none) or the account.* cost fields',
  );
});

test(`bot backtest on the sample (USD) under the default costs with a small balance: the costs line, and the random \
baseline's orders refused below the minimum counted under the table; under preset zero neither`, async () => {
  const zero = path.join(dir, 'zero.json');
  writeFileSync(zero, JSON.stringify({ account: { preset: 'zero' }, log: { file: '' } }));
  const run = (out: string, extra: string[]) =>
    runBot([
      'backtest',
      '--strategy',
      'sma-cross',
      '--sample',
      '--balance',
      '8000',
      '--out',
      path.join(dir, out),
      ...extra,
    ]);
  const small = await run('small', ['--log-level', 'info']);
  assert.equal(small.code, 0, small.stderr);
  const notes = small.stderr.split('\n').filter((l) => l.includes("config/default.json's costs"));
  assert.equal(notes.length, 1, small.stderr);
  assert.match(notes[0], /info costs: SP500\/USD trades under config\/default\.json's costs, Upbit KRW's/);
  const line = small.stdout.split('\n').find((l) => l.startsWith("baselines' rejected orders"));
  assert.ok(line, small.stdout);
  const report = JSON.parse(readFileSync(path.join(dir, 'small', 'report.json'), 'utf8'));
  const refused: number = report.baselines.random.rejected.below_min_order;
  assert.ok(refused > 0);
  assert.ok(line.endsWith(`: random ${refused} (below_min_order ${refused}) over its 10 seeds`), line);

  const none = await run('zero', ['--config', zero, '--log-level', 'info']);
  assert.equal(none.code, 0, none.stderr);
  assert.ok(!none.stderr.includes("config/default.json's costs"), none.stderr);
  assert.ok(!none.stdout.includes("baselines' rejected orders"), none.stdout);
  const zeroReport = JSON.parse(readFileSync(path.join(dir, 'zero', 'report.json'), 'utf8'));
  assert.equal(zeroReport.baselines.random.rejected, undefined);
});

test('a portfolio backtest under the default costs names its markets under them, not one given a preset', async () => {
  const run = (out: string, extra: string[]) =>
    runBot(['backtest', '--strategy', 'equal-weight', '--sample', '--out', path.join(dir, out), ...extra]);
  const [both, one] = await Promise.all([
    run('pf-both', []),
    run('pf-one', ['--market-costs', 'SP500-2X/USD=krx-stock']),
  ]);
  const note = (stderr: string) => stderr.split('\n').filter((l) => l.includes("config/default.json's costs"));
  assert.equal(both.code, 0, both.stderr);
  assert.deepEqual(
    note(both.stderr).map((l) => l.replace(/^.*? info /, '').split(' under ')[0]),
    ['costs: SP500-2X/USD, SP500-INV/USD trade'],
  );
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual(
    note(one.stderr).map((l) => l.replace(/^.*? info /, '').split(' under ')[0]),
    ['costs: SP500-INV/USD trades'],
  );
});

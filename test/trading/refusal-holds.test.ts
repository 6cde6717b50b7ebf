/**
 * Refusal holds (src/trading/refusal-holds.ts) read the free balance as the withdrawal check does (heldFree), through
 * ccxt's own CoinSpot client against the fake exchange: CoinSpot reports totals only (ccxt leaves `free` undefined),
 * and a reply may leave a currency's amount out altogether (unknown).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Exchange } from 'ccxt';
import { ccxtLib } from '../../src/data/ccxt.ts';
import { RefusalHolds } from '../../src/trading/refusal-holds.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { capturingLogger } from '../helpers/log.ts';

const ccxt = ccxtLib();

/** A fake CoinSpot balance endpoint (`POST /api/my/balances`): AUD's total as `aud` says, absent: amount left out. */
async function coinspot(): Promise<{ fake: FakeUpbit; ex: Exchange; aud: { total?: number } }> {
  const fake = await startFakeUpbit();
  const aud: { total?: number } = {};
  fake.route('POST', '/api/my/balances', () => ({
    json: { status: 'ok', balances: [{ AUD: aud.total === undefined ? {} : { balance: aud.total } }] },
  }));
  const ex = new ccxt.coinspot({
    urls: { api: { public: fake.url, private: `${fake.url}/api` } },
    apiKey: 'coinspot-test-key',
    secret: 'coinspot-test-secret',
    enableRateLimit: false,
  });
  return { fake, ex, aud };
}

const REFUSED = {
  symbol: 'BTC/AUD',
  side: 'buy',
  why: 'insufficient funds',
  kind: 'funds',
  minOrderValue: 10,
} as const;

function warnings(lines: string[]): string[] {
  return lines
    .map((l) => JSON.parse(l) as { level: string; message: string })
    .filter((l) => l.level === 'warn')
    .map((l) => l.message);
}

test(`refusal holds on an exchange that reports totals only (CoinSpot): the line says the total is free, and a \
deposit lifts the hold`, async () => {
  const { fake, ex, aud } = await coinspot();
  try {
    const holds = new RefusalHolds(ex, (_what, fn) => fn(), capturingLogger([]));
    aud.total = 100;
    const line = await holds.note({ ...REFUSED, counted: 500 });
    assert.match(line, /^the exchange has 100 AUD free and this run counts 500 AUD of cash \(funds withdrawn/);
    // what the run's own orders still in flight may have spent is said apart: not the user's doing
    const own = await holds.note({ ...REFUSED, counted: 500, inFlight: 300 });
    assert.match(own, /counts 500 AUD of cash, 300 AUD of it held for its own orders in flight \(/);
    // amounts as the withdrawal line shows them, not the float noise of the arithmetic that made them
    aud.total = 0.1 + 0.2;
    const noisy = await holds.note({ ...REFUSED, side: 'sell', symbol: 'AUD/USDT', counted: 0.44323491000000004 });
    assert.match(noisy, /^the exchange has 0\.3 AUD free and this run counts 0\.44323491 AUD \(funds/);
    aud.total = 100;
    await holds.note({ ...REFUSED, counted: 500 });
    assert.match((await holds.holds('BTC/AUD', 'buy')) ?? '', /^not sent: the exchange refused the last buy/);
    aud.total = 600; // a deposit
    assert.equal(await holds.holds('BTC/AUD', 'buy'), undefined, 'the deposit lifts the hold');
  } finally {
    await fake.close();
  }
});

test(`refusal holds: a reply that does not say what is free neither lifts a hold nor keeps it without a word; a \
hold begun while it was unknown is lifted by the first reply that says it`, async () => {
  const { fake, ex, aud } = await coinspot();
  const lines: string[] = [];
  try {
    const holds = new RefusalHolds(ex, (_what, fn) => fn(), capturingLogger(lines));
    aud.total = 100;
    await holds.note({ ...REFUSED, counted: 500 });
    aud.total = undefined; // a reply that leaves AUD's amount out
    for (let k = 0; k < 2; k++)
      assert.match((await holds.holds('BTC/AUD', 'buy')) ?? '', /how much AUD is free is not known$/);
    const warned = warnings(lines);
    assert.equal(warned.length, 1, `one warning for the hold: ${warned.join('\n')}`);
    assert.match(warned[0], /does not say how much AUD is free: buy orders on BTC\/AUD stay held/);
    aud.total = 100;
    assert.ok(await holds.holds('BTC/AUD', 'buy'), 'the amount said again and unchanged: still held');
    aud.total = 600;
    assert.equal(await holds.holds('BTC/AUD', 'buy'), undefined, 'a deposit lifts it');

    aud.total = undefined;
    const line = await holds.note({ ...REFUSED, counted: 500 });
    assert.match(line, /^the exchange does not say how much AUD is free and this run counts 500 AUD of cash/);
    assert.ok(await holds.holds('BTC/AUD', 'buy'), 'still unknown: held');
    aud.total = 600;
    assert.equal(await holds.holds('BTC/AUD', 'buy'), undefined, 'the first reply that says it lifts the hold');
  } finally {
    await fake.close();
  }
});

/**
 * A paper or live run's fee side when account.feeSide names none: its exchange's, as ccxt's market structure says
 * (`feeSide`): Binance spot's `get` (ccxt's own Binance client, its market set as binance-orders.ts sets it), Upbit's
 * none, which is `quote`; the config's own side wins; a side the account does not model is one line. No request is
 * sent: ccxt knows it without loading the markets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { createExchange } from '../../src/data/exchange.ts';
import { exchangeFeeSide, withExchangeFeeSide } from '../../src/trading/exchange-fee-side.ts';
import { binanceClient } from '../fake-exchange/binance-orders.ts';

test("a market's fee side is ccxt's: Binance spot takes a buy's fee from the coins (get), Upbit's: quote", () => {
  assert.equal(exchangeFeeSide(binanceClient(), 'BTC/USDT'), 'get', 'a loaded Binance market');
  const binance = createExchange(loadConfig({ overrides: { exchange: { id: 'binance' } } }));
  assert.equal(exchangeFeeSide(binance, 'BTC/USDT'), 'get', 'Binance before its markets are loaded');
  const upbit = createExchange(loadConfig({}));
  assert.equal(exchangeFeeSide(upbit, 'BTC/KRW'), 'quote');
});

test("a run's config takes its exchange's fee side unless account.feeSide names one; none without an exchange", () => {
  const config = loadConfig({});
  const ex = binanceClient();
  assert.equal(withExchangeFeeSide(config, ex, ['BTC/USDT']).account.feeSide, 'get');
  assert.equal(config.account.feeSide, undefined, 'the given config is left alone');
  const named = loadConfig({ overrides: { account: { feeSide: 'quote' } } });
  assert.equal(withExchangeFeeSide(named, ex, ['BTC/USDT']).account.feeSide, 'quote', "the config's own wins");
  assert.equal(withExchangeFeeSide(config, undefined, ['BTC/KRW']), config, 'a stored-only replay: as configured');
});

test('a fee side the account does not model (ccxt says base) is one line naming account.feeSide', () => {
  const ex = binanceClient();
  const market = ex.markets?.['BTC/USDT'] as { feeSide?: string } | undefined;
  assert.ok(market, 'the market is set');
  market.feeSide = 'base';
  assert.throws(
    () => withExchangeFeeSide(loadConfig({}), ex, ['BTC/USDT']),
    /^UserError: binance BTC\/USDT: ccxt says its fee side is "base", which the account does not model; set/,
  );
});

/** The one spot-symbol parser: base and quote of a spot market, one line naming the problem of anything else. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.ts';
import { parseSpotSymbol, parseSymbolList, spotSymbolProblem } from '../../src/core/market-symbol.ts';

test('a spot market splits into base and quote, hyphenated names included', () => {
  assert.deepEqual(parseSpotSymbol('BTC/KRW', '--symbol'), { base: 'BTC', quote: 'KRW' });
  assert.deepEqual(parseSpotSymbol('1000SHIB/USDT', '--symbol'), { base: '1000SHIB', quote: 'USDT' });
  assert.deepEqual(parseSpotSymbol('SP500-2X/USD', '--symbol'), { base: 'SP500-2X', quote: 'USD' });
  assert.deepEqual(parseSymbolList('BTC/KRW, ETH/KRW', '--symbols'), ['BTC/KRW', 'ETH/KRW']);
});

test('a derivative or a malformed name: one line naming where it came from and the problem', () => {
  const cases: [string, string][] = [
    [
      'BTC/USDT:USDT',
      '--symbol: BTC/USDT:USDT is a derivative (settled in USDT); this bot trades spot markets only, e.g. BTC/USDT',
    ],
    [
      'BTC/USDT:USDT-250328',
      '--symbol: BTC/USDT:USDT-250328 is a derivative (settled in USDT); this bot trades spot markets only, ' +
        'e.g. BTC/USDT',
    ],
    [
      'BTC/USD:BTC',
      '--symbol: BTC/USD:BTC is a derivative (settled in BTC); this bot trades spot markets only, e.g. BTC/USD',
    ],
    ['BTCUSDT', '--symbol: "BTCUSDT" is not BASE/QUOTE; name the quote too, e.g. BTC/KRW'],
    ['BTC/', '--symbol: "BTC/" has no quote after the "/", e.g. BTC/KRW'],
    ['/USDT', '--symbol: "/USDT" has no base before the "/", e.g. BTC/KRW'],
    ['BTC/USDT/X', '--symbol: "BTC/USDT/X" has more than one "/"; a market is BASE/QUOTE such as BTC/KRW'],
    ['BTC /KRW', '--symbol: "BTC /KRW" has a space; a market is BASE/QUOTE such as BTC/KRW'],
    [
      'btc/krw',
      '--symbol: "btc/krw": expected BASE/QUOTE in capitals and digits (a hyphen may join parts), e.g. BTC/KRW',
    ],
    ['', '--symbol: "" is not BASE/QUOTE; name the quote too, e.g. BTC/KRW'],
  ];
  for (const [symbol, line] of cases) {
    assert.throws(
      () => parseSpotSymbol(symbol, '--symbol'),
      (e: Error) => e instanceof UserError && e.message === line,
      symbol,
    );
    assert.equal(`--symbol: ${spotSymbolProblem(symbol)}`, line);
  }
  assert.throws(() => parseSymbolList('BTC/KRW,ETH/KRW:KRW', '--symbols'), /^UserError: --symbols: ETH\/KRW:KRW is a/);
});

/**
 * Every place a user names a market refuses a derivative (`BTC/USDT:USDT`) or a malformed name through the one spot
 * parser: one line naming the flag (or config key) and the problem, exit 1, before any network or disk work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBot } from './run.ts';

const SPOT_ONLY = 'this bot trades spot markets only';

test('a derivative or malformed market: one line naming the flag, exit 1, the working folder untouched', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-cli-symbols-'));
  // an exchange nothing listens on: a check that came too late fails fast instead of reaching the internet
  const offline = {
    exchange: { ccxt: { urls: { api: { public: 'http://127.0.0.1:1' } } }, retries: 1, backoffMs: 1, maxBackoffMs: 2 },
  };
  writeFileSync(path.join(cwd, 'offline.json'), JSON.stringify(offline));
  writeFileSync(path.join(cwd, 'swap.json'), JSON.stringify({ ...offline, symbol: 'BTC/USDT:USDT' }));
  writeFileSync(path.join(cwd, 'a.csv'), 'date,open,high,low,close,volume\n2024-01-01,1,1,1,1,1\n');
  const before = readdirSync(cwd, { recursive: true }).sort();
  const derivative = (flag: string, symbol: string, settle: string, spot: string) =>
    new RegExp(
      `^error: ${flag}: ${escape(symbol)} is a derivative \\(settled in ${settle}\\); ` +
        `${SPOT_ONLY}, e\\.g\\. ${escape(spot)}$`,
    );
  const paper = ['paper', '--once', '--strategy', 'random', '--config', 'offline.json'];
  const cases: [string[], RegExp][] = [
    [
      ['backtest', '--strategy', 'sma-cross', '--symbol', 'BTC/USDT:USDT'],
      derivative('--symbol', 'BTC/USDT:USDT', 'USDT', 'BTC/USDT'),
    ],
    [
      [...paper, '--symbol', 'BTC/USDT:USDT-250328'],
      derivative('--symbol', 'BTC/USDT:USDT-250328', 'USDT', 'BTC/USDT'),
    ],
    [
      ['live', '--once', '--strategy', 'random', '--config', 'offline.json', '--symbol', 'BTC/USD:BTC'],
      derivative('--symbol', 'BTC/USD:BTC', 'BTC', 'BTC/USD'),
    ],
    [
      ['paper', '--once', '--config', 'offline.json', '--symbols', 'BTC/KRW,ETH/KRW:KRW'],
      derivative('--symbols', 'ETH/KRW:KRW', 'KRW', 'ETH/KRW'),
    ],
    [
      ['data', 'download', '--config', 'offline.json', '--symbol', 'BTCUSDT'],
      /^error: --symbol: "BTCUSDT" is not BASE\/QUOTE; name the quote too, e\.g\. BTC\/KRW$/,
    ],
    [
      ['data', 'download', '--config', 'offline.json', '--symbols', 'BTC/USDT,ETH/'],
      /^error: --symbols: "ETH\/" has no quote after the "\/", e\.g\. BTC\/KRW$/,
    ],
    [
      ['data', 'import', 'a.csv', '--symbol', 'BTC /KRW'],
      /^error: --symbol: "BTC \/KRW" has a space; a market is BASE\/QUOTE such as BTC\/KRW$/,
    ],
    [
      ['data', 'derive', '--from', 'SP500/USD:USD', '--symbol', 'SP500-2X/USD', '--leverage', '2'],
      derivative('--from', 'SP500/USD:USD', 'USD', 'SP500/USD'),
    ],
    [
      ['data', 'list', '--config', 'swap.json'],
      new RegExp(
        '^error: config error \\(config/default\\.json \\+ swap\\.json \\+ flags\\): ' +
          `symbol: BTC/USDT:USDT is a derivative \\(settled in USDT\\); ${SPOT_ONLY}`,
      ),
    ],
    [
      ['backtest', '--strategy', 'equal-weight', '--sample', '--symbols', '/USDT,ETH/USDT'],
      /^error: --symbols: "\/USDT" has no base before the "\/", e\.g\. BTC\/KRW$/,
    ],
    [
      ['backtest', '--strategy', 'equal-weight', '--sample', '--informative', 'SP500/USD/X'],
      /^error: --informative: "SP500\/USD\/X" has more than one "\/"/,
    ],
    [
      [
        'backtest',
        '--strategy',
        'equal-weight',
        '--symbols',
        'A/KRW,B/KRW',
        '--data',
        'a.csv,a.csv',
        '--market-costs',
        'A/KRW:KRW=zero',
      ],
      derivative('--market-costs', 'A/KRW:KRW', 'KRW', 'A/KRW'),
    ],
    [
      ['sweep', '--strategy', 'dqn-dnn', '--grid', 'window=5', '--symbols', 'BTC/KRW:KRW'],
      derivative('--symbols', 'BTC/KRW:KRW', 'KRW', 'BTC/KRW'),
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => runBot(args, {}, cwd)));
  results.forEach((r, i) => {
    const what = cases[i][0].join(' ');
    assert.equal(r.code, 1, `${what}: exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
    assert.match(r.stderr.trimEnd(), cases[i][1], what);
    assert.equal(r.stdout, '', what);
  });
  assert.deepEqual(readdirSync(cwd, { recursive: true }).sort(), before, 'nothing created in the working folder');
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * What `bot data derive` writes and what it must not: no download or import into a derived series (it would keep the
 * label over real prices, and the next derive drop them), and no rewrite of a series a paper or live run trades.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import '../helpers/state-dir.ts';
import { candlesFromRows } from '../../src/core/candles.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { CandleStore } from '../../src/data/store.ts';
import { Account } from '../../src/market/account.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { DEAD_EXCHANGE, exchangeConfigFile, tempDir } from './helpers.ts';
import { runBot, type CliResult } from '../cli/run.ts';

const D = 86_400_000;
const index = candlesFromRows(
  'demo',
  'IDX/USD',
  '1d',
  [100, 101, 103, 98].map((c, i) => ({ ts: i * D, open: c, high: c + 2, low: c - 2, close: c, volume: 10 })),
);

/** `bot data derive` of IDX/USD with leverage `k` as `symbol`. */
const deriveArgs = (k: string, symbol: string) => [
  'data',
  'derive',
  '--from',
  'IDX/USD',
  '--leverage',
  k,
  '--symbol',
  symbol,
];

/** A database holding the index as demo IDX/USD 1d and its inverse as INV/USD; the flags that name them. */
async function derivedSeries(): Promise<{ dir: string; db: string; common: string[] }> {
  const dir = tempDir('bot-derived-target-');
  const db = path.join(dir, 'bot.db');
  const csv = path.join(dir, 'idx.csv');
  writeFileSync(csv, candlesToCsv(index));
  const common = ['--exchange', 'demo', '--timeframe', '1d', '--db', db, '--log-level', 'error'];
  const imported = await runBot(['data', 'import', csv, '--symbol', 'IDX/USD', ...common]);
  assert.equal(imported.code, 0, imported.stderr);
  const derived = await runBot([...deriveArgs('-1', 'INV/USD'), ...common]);
  assert.equal(derived.code, 0, derived.stderr);
  return { dir, db, common };
}

/** `fn` on the store in `db`, closed after. */
function inStore<T>(db: string, fn: (store: CandleStore) => T): T {
  const store = CandleStore.open(db);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const storedCount = (db: string, symbol: string) => inStore(db, (s) => s.load('demo', symbol, '1d').ts.length);
const closes = (db: string, symbol: string) => inStore(db, (s) => [...s.load('demo', symbol, '1d').close]);

const LABEL = 'derived: -1× IDX/USD rebalanced every 1d candle, fee 0%/yr';

/** The one line a download or import into INV/USD gets, exit 1, and the derived series left as it was. */
function assertRefused(r: CliResult, article: string, verb: string, db: string): void {
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `error: demo INV/USD 1d is ${LABEL}: ${article} ${verb} into it would mix real prices with derived ones; nothing ` +
      `stored: \`bot data derive\` rebuilds it from its index, or ${verb} under another --symbol\n`,
  );
  assert.equal(storedCount(db, 'INV/USD'), 4);
}

test(`bot data import and download into a derived series are refused in one line saying what it is derived from \
and that derive rebuilds it; nothing stored`, async () => {
  // the import used to store them ("1 new, 1 replaced") under the derived label, and the next derive dropped them
  const { dir, db, common } = await derivedSeries();
  const more = path.join(dir, 'more.csv');
  writeFileSync(more, 'timestamp,open,high,low,close,volume\n1970-01-04,1,2,1,1,1\n1970-01-05,1,2,1,1,1\n');
  assertRefused(await runBot(['data', 'import', more, '--symbol', 'INV/USD', ...common]), 'an', 'import', db);
  // checked before the exchange is asked (this one cannot be reached), every market of --symbols first
  const config = exchangeConfigFile(dir, DEAD_EXCHANGE, { file: '', level: 'error' });
  const download = ['data', 'download', '--config', config, '--since', '1970-01-01', ...common];
  assertRefused(await runBot([...download, '--symbols', 'IDX/USD,INV/USD']), 'a', 'download', db);
});

/** Opens a paper run in `db` as `bot paper` records one (RunRepository); `portfolio`: its markets and informative. */
function openRun(db: string, name: string, symbol: string, portfolio?: { symbols: string[]; informative: string[] }) {
  return inStore(db, (store) => {
    const repo = new RunRepository(store.db);
    const costs = { feeRate: 0.0005, sellTax: 0, slippageBps: 0, minOrderValue: 1, quantityPrecision: 8 };
    const account = new Account(1_000, costs).snapshot();
    const init = { policy: 'strategy:sma-cross', historyFrom: 0, startTs: 0, initialBalance: 1_000, account, now: 0 };
    const pf = portfolio && {
      ...portfolio,
      account: { symbols: portfolio.symbols, initialBalance: 1_000, cash: 1_000, books: [], skips: [0, 0] },
      clock: 0,
    };
    return repo.create(
      { mode: 'paper', name, exchange: 'demo', symbol, timeframe: '1d' },
      { ...init, ...(pf ? { portfolio: pf } : {}) },
    );
  });
}

const endRunIn = (db: string, id: number) => inStore(db, (s) => new RunRepository(s.db).end(id, 5 * D));

test(`bot data derive refuses to rewrite a series a paper run that has not ended trades, or a portfolio run reads \
(informative), naming the run and how to end it; once ended, the series is derived again`, async () => {
  // it rewrote the series under the run (exit 0), whose next decisions and buy-and-hold used the new prices
  const { db, common } = await derivedSeries();
  const before = closes(db, 'INV/USD');
  const run = openRun(db, 'inv', 'INV/USD');
  const derive = [...deriveArgs('2', 'INV/USD'), ...common];
  const r = await runBot(derive);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `error: --symbol INV/USD: the paper run "inv" (id ${run.id}) trades demo INV/USD 1d and has not ended; deriving ` +
      'would rewrite the prices under it; nothing stored: end it first ' +
      '(bot paper --end --name inv --symbol INV/USD --timeframe 1d) or name a new series\n',
  );
  assert.deepEqual(closes(db, 'INV/USD'), before, 'nothing rewritten');
  endRunIn(db, run.id);
  const pf = openRun(db, 'pf', 'IDX/USD,OTHER/USD', { symbols: ['IDX/USD', 'OTHER/USD'], informative: ['INV/USD'] });
  const read = await runBot(derive);
  assert.equal(read.code, 1);
  assert.match(
    read.stderr,
    new RegExp(
      `^error: --symbol INV/USD: the paper run "pf" \\(id ${pf.id}\\) reads demo INV/USD 1d and has not ended; .*` +
        '\\(bot paper --end --name pf --symbols IDX/USD,OTHER/USD --timeframe 1d\\)',
    ),
  );
  endRunIn(db, pf.id);
  const again = await runBot(derive);
  assert.equal(again.code, 0, again.stderr);
  assert.notDeepEqual(closes(db, 'INV/USD'), before, 'ended runs keep their fills; the series is derived anew');
});

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
import { DEAD_EXCHANGE, exchangeConfigFile, tempDir } from './helpers.ts';
import { runBot } from '../cli/run.ts';

const D = 86_400_000;
const index = candlesFromRows(
  'demo',
  'IDX/USD',
  '1d',
  [100, 101, 103, 98].map((c, i) => ({ ts: i * D, open: c, high: c + 2, low: c - 2, close: c, volume: 10 })),
);

/** A database holding the index as demo IDX/USD 1d and its inverse as INV/USD; the flags that name them. */
async function derivedSeries(): Promise<{ dir: string; db: string; common: string[] }> {
  const dir = tempDir('bot-derived-target-');
  const db = path.join(dir, 'bot.db');
  const csv = path.join(dir, 'idx.csv');
  writeFileSync(csv, candlesToCsv(index));
  const common = ['--exchange', 'demo', '--timeframe', '1d', '--db', db, '--log-level', 'error'];
  const imported = await runBot(['data', 'import', csv, '--symbol', 'IDX/USD', ...common]);
  assert.equal(imported.code, 0, imported.stderr);
  const derived = await runBot([
    'data',
    'derive',
    '--from',
    'IDX/USD',
    '--leverage',
    '-1',
    '--symbol',
    'INV/USD',
    ...common,
  ]);
  assert.equal(derived.code, 0, derived.stderr);
  return { dir, db, common };
}

function storedCount(db: string, symbol: string): number {
  const store = CandleStore.open(db);
  try {
    return store.load('demo', symbol, '1d').ts.length;
  } finally {
    store.close();
  }
}

const LABEL = 'derived: -1× IDX/USD rebalanced every 1d candle, fee 0%/yr';

test(`bot data import and download into a derived series are refused in one line saying what it is derived from \
and that derive rebuilds it; nothing stored`, async () => {
  // the import used to store them ("1 new, 1 replaced") under the derived label, and the next derive dropped them
  const { dir, db, common } = await derivedSeries();
  const more = path.join(dir, 'more.csv');
  writeFileSync(more, 'timestamp,open,high,low,close,volume\n1970-01-04,1,2,1,1,1\n1970-01-05,1,2,1,1,1\n');
  const imported = await runBot(['data', 'import', more, '--symbol', 'INV/USD', ...common]);
  assert.equal(imported.code, 1);
  assert.equal(
    imported.stderr,
    `error: demo INV/USD 1d is ${LABEL}: an import into it would mix real prices with derived ones; nothing stored: ` +
      '`bot data derive` rebuilds it from its index, or import under another --symbol\n',
  );
  assert.equal(storedCount(db, 'INV/USD'), 4);
  // checked before the exchange is asked (this one cannot be reached), every market of --symbols first
  const config = exchangeConfigFile(dir, DEAD_EXCHANGE, { file: '', level: 'error' });
  const download = ['data', 'download', '--config', config, '--since', '1970-01-01', ...common];
  const r = await runBot([...download, '--symbols', 'IDX/USD,INV/USD']);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `error: demo INV/USD 1d is ${LABEL}: a download into it would mix real prices with derived ones; nothing stored: ` +
      '`bot data derive` rebuilds it from its index, or download under another --symbol\n',
  );
  assert.equal(storedCount(db, 'INV/USD'), 4);
});

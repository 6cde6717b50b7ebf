/** What a portfolio run did (its account, decisions and fills), read from its database, and a backtest's trades.csv. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';

export interface Trade {
  ts: number;
  market: string;
  side: string;
  price: number;
  units: number;
  fee: number;
}

export interface Outcome {
  portfolio: unknown;
  decisions: [number, string][];
  trades: Trade[];
}

/** The first run of a database: its portfolio state, decisions (time, action) and fills. */
export function outcome(db: string): Outcome {
  const store = CandleStore.open(db);
  try {
    const repo = new RunRepository(store.db);
    const run = repo.list()[0];
    return {
      portfolio: run.portfolio,
      decisions: repo.decisions(run.id).map((d) => [d.ts, d.action]),
      trades: repo.trades(run.id).map((t) => ({
        ts: t.ts,
        market: t.market,
        side: t.side,
        price: t.price,
        units: t.units,
        fee: t.fee,
      })),
    };
  } finally {
    store.close();
  }
}

/** Decision rows written so far (0 while the database or its tables do not exist yet). */
export function decisionCount(db: string): number {
  try {
    const store = CandleStore.open(db);
    try {
      const has = store.db
        .prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'trading_decisions'")
        .get() as {
        n: number;
      };
      return has.n ? (store.db.prepare('SELECT count(*) AS n FROM trading_decisions').get() as { n: number }).n : 0;
    } finally {
      store.close();
    }
  } catch {
    return 0;
  }
}

/** The fills of a portfolio backtest's trades.csv, in the paper run's units (fee = fee + tax). */
export function backtestTrades(outDir: string): Trade[] {
  return readFileSync(path.join(outDir, 'trades.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .map(([time, market, side, price, units, , fee, tax]) => ({
      ts: Date.parse(time),
      market,
      side,
      price: Number(price),
      units: Number(units),
      fee: Number(fee) + Number(tax),
    }));
}

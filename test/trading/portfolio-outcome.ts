/** What a portfolio run did (its account, decisions and fills), read from its database, and a backtest's trades.csv. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../../src/core/random.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { startBot } from './cli.ts';

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

/**
 * Starts `bot ARGS` on `db` up to `attempts` times and SIGKILLs each start at a random decision between those already
 * committed and half of what is left of `total` (the first start after a random sleep under 300 ms when `sleepFirst`:
 * during its start-up); stops after 3 kills. Returns how many starts were killed mid-run.
 */
export async function killAtRandomMoments(
  db: string,
  args: string[],
  o: { seed: number; total: number; attempts: number; sleepFirst?: boolean },
): Promise<number> {
  const rng = new Rng(o.seed);
  let kills = 0;
  for (let attempt = 0; attempt < o.attempts && kills < 3; attempt++) {
    const before = decisionCount(db);
    const target = before + 1 + rng.int(Math.max(1, Math.floor((o.total - before) / 2)));
    const { child, done } = startBot(args);
    let exited = false;
    void done.then(() => (exited = true));
    const deadline = Date.now() + 60_000;
    // within the first 300 ms: node and tsx alone take longer to start, so the kill lands before the first decision
    // (a random sleep of up to 1.7 s outlived a whole rule portfolio run once bot stopped loading tfjs for rules)
    if (attempt === 0 && o.sleepFirst) await new Promise((r) => setTimeout(r, rng.int(300)));
    else
      while (!exited && Date.now() < deadline && decisionCount(db) < target) await new Promise((r) => setTimeout(r, 2));
    if (!exited) {
      child.kill('SIGKILL');
      kills++;
    }
    await done;
  }
  return kills;
}

/**
 * What the dashboard reads about a portfolio run (issue 14: one account over several markets): its markets, the
 * weights per candle time (trading_positions, written at each close in the trader's transaction), per-market fill
 * totals. The portfolio's buy-and-hold is src/trading/portfolio-hold.ts's, shared with `bot status`. Every query is
 * parameterised.
 */
import type Database from 'better-sqlite3';

interface WeightsPoint {
  ts: number;
  /** The cash share of the value: 1 − Σ weights. */
  cash: number;
  /** Per market, in the run's market order: units × close / value at this candle time's close. */
  weights: number[];
}

export interface WeightsView {
  markets: string[];
  points: WeightsPoint[];
}

interface MarketStats {
  market: string;
  fills: number;
  buys: number;
  sells: number;
  /** Σ units × price of the fills (before fees). */
  traded: number;
  /** Fees and sell tax paid. */
  fees: number;
}

/** A portfolio run's markets in its own order, or undefined for a single-market run. */
export function portfolioMarkets(db: Database.Database, runId: number): string[] | undefined {
  const row = db.prepare('SELECT portfolio FROM trading_runs WHERE id = ?').get(runId) as
    { portfolio: string | null } | undefined;
  if (!row?.portfolio) return undefined;
  const symbols = (JSON.parse(row.portfolio) as { symbols?: unknown }).symbols;
  return Array.isArray(symbols) ? symbols.map(String) : undefined;
}

/** The weights at each candle time in [from, to], the newest `limit` times, oldest first. */
export function weightsOverTime(
  db: Database.Database,
  runId: number,
  markets: readonly string[],
  q: { from?: number; to?: number; limit: number },
): WeightsView {
  const rows = db
    .prepare(
      `SELECT ts, market, weight FROM trading_positions WHERE run_id = ? AND ts IN (
         SELECT DISTINCT ts FROM trading_positions WHERE run_id = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC LIMIT ?)
       ORDER BY ts`,
    )
    .all(runId, runId, q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.limit) as {
    ts: number;
    market: string;
    weight: number;
  }[];
  const points: WeightsPoint[] = [];
  for (const r of rows) {
    let p = points[points.length - 1];
    if (!p || p.ts !== r.ts) {
      p = { ts: r.ts, cash: 1, weights: markets.map(() => 0) };
      points.push(p);
    }
    const m = markets.indexOf(r.market);
    if (m >= 0) p.weights[m] = r.weight;
  }
  for (const p of points) p.cash = Math.max(0, 1 - p.weights.reduce((a, w) => a + w, 0));
  return { markets: [...markets], points };
}

/** Fills, buys, sells, traded value and fees of each market, in the run's market order. */
export function marketStats(db: Database.Database, runId: number, markets: readonly string[]): MarketStats[] {
  const rows = db
    .prepare(
      `SELECT o.market AS market, count(*) AS fills, sum(f.side = 'buy') AS buys, sum(f.side = 'sell') AS sells,
         sum(f.value) AS traded, sum(f.fee) AS fees
       FROM trading_fills f JOIN trading_orders o ON o.id = f.order_id WHERE f.run_id = ? GROUP BY o.market`,
    )
    .all(runId) as MarketStats[];
  return markets.map(
    (market) => rows.find((r) => r.market === market) ?? { market, fills: 0, buys: 0, sells: 0, traded: 0, fees: 0 },
  );
}

/**
 * A portfolio run's buy-and-hold, for `bot status` and the dashboard alike: equal weights bought at the first acted
 * candle time's close and held, the report's "equal weights bought and held" baseline without its costs, valued from
 * the closes the trader wrote with each candle time (trading_positions). Every query is parameterised.
 */
import type Database from 'better-sqlite3';

/**
 * Equal weights bought at the first acted candle time's close and held, as a value per candle time: the initial
 * balance × the mean of each market's close over its close at that first time (a portfolio's buy-and-hold).
 */
export function equalWeightHold(
  db: Database.Database,
  runId: number,
  markets: readonly string[],
  initial: number,
  times: readonly number[],
): Map<number, number> {
  const out = new Map<number, number>();
  if (times.length === 0 || markets.length === 0) return out;
  const first = db
    .prepare(
      `SELECT market, price FROM trading_positions
       WHERE run_id = ? AND ts = (SELECT min(ts) FROM trading_positions WHERE run_id = ?)`,
    )
    .all(runId, runId) as { market: string; price: number }[];
  const start = markets.map((m) => first.find((r) => r.market === m)?.price ?? 0);
  if (start.some((p) => !(p > 0))) return out;
  const rows = db
    .prepare(
      `SELECT ts, market, price FROM trading_positions WHERE run_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, market`,
    )
    .all(runId, times[0], times[times.length - 1]) as { ts: number; market: string; price: number }[];
  const ratio = new Map<number, number>();
  for (const r of rows) {
    const m = markets.indexOf(r.market);
    if (m >= 0) ratio.set(r.ts, (ratio.get(r.ts) ?? 0) + r.price / start[m] / markets.length);
  }
  for (const [ts, x] of ratio) out.set(ts, initial * x);
  return out;
}

/** The buy-and-hold P&L at `lastTs` (the last candle time acted on): null before any, or without a close to mark. */
export function equalWeightHoldPnl(
  db: Database.Database,
  runId: number,
  markets: readonly string[],
  initial: number,
  lastTs: number | undefined,
): number | null {
  if (lastTs === undefined) return null;
  const held = equalWeightHold(db, runId, markets, initial, [lastTs]).get(lastTs);
  return held !== undefined ? held / initial - 1 : null;
}

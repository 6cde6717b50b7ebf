/**
 * The paper and live runs that have not ended and trade or read a stored series: what `bot data derive` must not
 * rewrite under them (their next decisions and their buy-and-hold comparison would use the new prices). Read-only:
 * a database without trading tables has no runs, and nothing is migrated.
 */
import type Database from 'better-sqlite3';
import type { TradingMode } from './types.ts';

/** A run that uses the series: how it names its markets (`symbol`, or a portfolio's `symbols` joined) and how. */
interface SeriesUser {
  id: number;
  mode: TradingMode;
  name: string;
  /** The run's key: one market, or a portfolio's markets joined by commas. */
  symbol: string;
  portfolio: boolean;
  /** 'trades' a market of the run; 'reads' an informative series of a portfolio run's model. */
  use: 'trades' | 'reads';
}

interface Row {
  id: number;
  mode: TradingMode;
  name: string;
  symbol: string;
  portfolio: string | null;
}

/** Runs not ended (`--end`) on `exchange` and `timeframe` that trade `symbol` or read it as an informative series. */
export function openRunsUsing(
  db: Database.Database,
  series: { exchange: string; symbol: string; timeframe: string },
): SeriesUser[] {
  const columns = new Set(
    (db.prepare("SELECT name FROM pragma_table_info('trading_runs')").all() as { name: string }[]).map((c) => c.name),
  );
  if (columns.size === 0) return [];
  // a file from before `--end` (trading schema 7) or portfolios (3) has no such column: no run there ended
  const ended = columns.has('ended_at') ? 'AND ended_at IS NULL' : '';
  const portfolio = columns.has('portfolio') ? 'portfolio' : 'NULL AS portfolio';
  const rows = db
    .prepare(
      `SELECT id, mode, name, symbol, ${portfolio} FROM trading_runs
       WHERE exchange = ? AND timeframe = ? ${ended} ORDER BY id`,
    )
    .all(series.exchange, series.timeframe) as Row[];
  const users: SeriesUser[] = [];
  for (const r of rows) {
    const state = r.portfolio ? (JSON.parse(r.portfolio) as { symbols?: string[]; informative?: string[] }) : undefined;
    const base = { id: r.id, mode: r.mode, name: r.name, symbol: r.symbol, portfolio: state !== undefined };
    if ((state?.symbols ?? [r.symbol]).includes(series.symbol)) users.push({ ...base, use: 'trades' });
    else if (state?.informative?.includes(series.symbol)) users.push({ ...base, use: 'reads' });
  }
  return users;
}

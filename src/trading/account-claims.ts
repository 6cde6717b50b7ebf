/**
 * A live run's claim on its exchange account, which outlives its process: the run's row records the account's key
 * (account-lock.ts's hash of exchange, API address and API key; never the key) until the run is ended (`--end`,
 * end-run.ts) or removed.
 * The account lock alone kept two runs from trading one account at the same time, but `--once` runs from cron never
 * overlap, so each new one took all the free cash as its own and read the others' trades as withdrawals. A halted or
 * paused run still holds its cash and position, so it still claims the account.
 */
import type Database from 'better-sqlite3';
import { UserError } from '../core/errors.ts';
import type { RunKey } from './types.ts';

interface ClaimRow {
  name: string;
  exchange: string;
  symbol: string;
  timeframe: string;
}

/**
 * The name (`live:<name>:<exchange>:<symbol>:<timeframe>`) of a live run in `db` that claims `accountKey`, other than
 * the run `except`; undefined when none does. A database from before the claims (no account_key column) has none.
 */
export function accountClaimant(db: Database.Database, accountKey: string, except?: RunKey): string | undefined {
  let rows: ClaimRow[];
  try {
    rows = db
      .prepare("SELECT name, exchange, symbol, timeframe FROM trading_runs WHERE mode = 'live' AND account_key = ?")
      .all(accountKey) as ClaimRow[];
  } catch (e) {
    if (e instanceof Error && /no such (column|table)/.test(e.message)) return undefined;
    throw e;
  }
  const other = rows.find(
    (r) =>
      !except ||
      r.name !== except.name ||
      r.exchange !== except.exchange ||
      r.symbol !== except.symbol ||
      r.timeframe !== except.timeframe,
  );
  return other && `live:${other.name}:${other.exchange}:${other.symbol}:${other.timeframe}`;
}

/** The one line a live run gets when another live run (`claimant` in database `dbFile`) claims its account. */
export function claimedAccountError(exchange: string, claimant: string, dbFile: string): UserError {
  const name = claimant.split(':')[1];
  return new UserError(
    `this ${exchange} account (same API key) is claimed by the live run ${claimant} in ${dbFile}, which still holds ` +
      'its cash and position there until it is ended, even while stopped or halted; two runs would each count the ' +
      "same free cash as theirs and read the other's trades as withdrawals: trade under that run's --name, end it " +
      `(bot live --end --name ${name}, with its --db and market flags), or add --allow-shared-account`,
  );
}

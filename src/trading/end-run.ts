/**
 * `bot live --end` / `bot paper --end`: ends a run for good without removing it (`--reset` removes it and its
 * history). The ended run keeps its decisions, orders and equity for `bot status` and reports, releases its claim on
 * its exchange account (account-claims.ts), and is refused if started again. A live run with an order the exchange has
 * not settled is refused: ending it would leave that order unknown.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CandleStore } from '../data/store.ts';
import { UserError } from '../core/errors.ts';
import { isoTime } from '../data/timeframe.ts';
import type { TradingSettings } from './config.ts';
import { acquireLock, runLockName } from './lock.ts';
import { RunRepository } from './run-repository.ts';
import type { RunKey, RunState } from './types.ts';

/** `the live run "x" for BTC/KRW 1h`: how the lines about a run name it. */
const runTitle = (key: RunKey): string => `the ${key.mode} run "${key.name}" for ${key.symbol} ${key.timeframe}`;

/** The one line a start of an ended run gets (session.ts), saying what to do instead. */
export function endedRunError(run: RunState): UserError {
  const over = run.mode === 'paper' ? ' (or --reset to forget it and start over under this name)' : '';
  return new UserError(
    `${runTitle(run)} was ended at ${isoTime(run.endedAt ?? 0)} (--end) and does not trade again: ` +
      `give another --name for a new run${over}`,
  );
}

/**
 * Ends the run `key` in the config's database; returns the line to print. Refuses (one line) a run that does not
 * exist or has ended already, one whose trader is running (its lock), and a live run with orders still `submitting`.
 */
export function endRun(config: Pick<TradingSettings, 'data' | 'trading'>, key: RunKey, now: number): string {
  const file = path.resolve(config.data.database);
  // before a database file would be made
  if (!existsSync(file)) throw new UserError(`no ${key.mode} run "${key.name}" to end: ${file} does not exist`);
  const store = CandleStore.open(file);
  try {
    const lock = acquireLock(store.db, runLockName(key), config.trading.lockStaleSeconds * 1000);
    try {
      const repo = new RunRepository(store.db);
      const run = repo.find(key);
      if (!run)
        throw new UserError(`no ${key.mode} run "${key.name}" for ${key.symbol} ${key.timeframe} in ${file} to end`);
      if (run.endedAt !== undefined)
        throw new UserError(`${runTitle(key)} was ended already, at ${isoTime(run.endedAt)}`);
      const unsettled = repo.orders(run.id, 'submitting');
      if (unsettled.length > 0) {
        const ids = unsettled.map((o) => o.clientId ?? `row ${o.id}`).join(', ');
        throw new UserError(
          `${runTitle(key)} has ${unsettled.length} order(s) the exchange has not settled (client id ${ids}): ` +
            `run it once (bot ${key.mode} --once with its flags) to settle them, then --end` +
            (key.mode === 'live' ? ' (one no look-up finds: --settle-order, as bot status --live says)' : ''),
        );
      }
      repo.end(run.id, now);
      const claim = key.mode === 'live' ? ' and claims no account' : '';
      return `ended ${runTitle(key)}: it trades no more${claim}; its history stays for bot status`;
    } finally {
      lock.release();
    }
  } finally {
    store.close();
  }
}

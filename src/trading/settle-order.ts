/**
 * `bot live --settle-order CLIENT_ID`: the user's way out of an order left `submitting` that no look-up by its client
 * id finds (an exchange that archived it, or does not show it under that id), which holds its market back for good
 * when the exchange refused a resend for the id (OrderDesk.lookUp). After checking the exchange's own order history,
 * the user names its order (`--exchange-order-id`: fetched by that id, checked against the order sent, and booked as
 * a look-up that found it books it) or states there is none (`--never-placed`: written off, the reason saying who
 * decided it). Only while the run is not running: the run's lock is taken as a start takes it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Exchange } from 'ccxt';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { createExchange, retryOptionsFrom } from '../data/exchange.ts';
import { CandleStore } from '../data/store.ts';
import { modelMarketCosts, runCosts } from '../market/costs.ts';
import type { TradingSettings } from './config.ts';
import { bookSettled, writeOff } from './live.ts';
import { acquireLock, runLockName } from './lock.ts';
import { NEVER_PLACED_REASON, OrderDesk, sentOrderId } from './order-desk.ts';
import { bookPortfolioSettled } from './portfolio-live.ts';
import { RunRepository } from './run-repository.ts';
import type { RunKey, RunState } from './types.ts';

/** How the user settles the order: by the exchange's id for it, or by stating the exchange has none. */
export type SettleBy = { exchangeOrderId: string } | { neverPlaced: true };

/**
 * Settles the live run `key`'s order `clientId` (still `submitting`) as `by` says; returns the line to print. One line
 * refuses, before any request to the exchange, a database or run that does not exist, a run whose trader is running
 * (its lock), and an order the run does not have or has settled already (a second settle among them).
 */
export async function settleOrder(
  config: TradingSettings,
  key: RunKey,
  clientId: string,
  by: SettleBy,
  logger: Logger,
  /** The exchange's client (default: the config's, createExchange); a test's against its fake. */
  o: { exchange?: Exchange } = {},
): Promise<string> {
  const file = path.resolve(config.data.database);
  // before a database file would be made
  if (!existsSync(file)) throw new UserError(`no live run "${key.name}" to settle an order of: ${file} does not exist`);
  const store = CandleStore.open(file);
  try {
    // as a live start: the booking must outlast a power cut (session.ts)
    store.db.pragma('synchronous = FULL');
    const lock = acquireLock(store.db, runLockName(key), config.trading.lockStaleSeconds * 1000);
    try {
      const repo = new RunRepository(store.db);
      const run = repo.find(key);
      if (!run) throw new UserError(`no live run "${key.name}" for ${key.symbol} ${key.timeframe} in ${file}`);
      const symbols = run.portfolio?.symbols;
      const order = repo.orders(run.id).find((o) => sentOrderId(run, o) === clientId);
      if (!order) throw new UserError(`--settle-order: the live run "${key.name}" has no order ${clientId}`);
      if (order.status !== 'submitting')
        throw new UserError(`--settle-order: order ${clientId} is ${order.status}, not unknown: nothing to settle`);
      const commit = (fn: () => RunState) => store.db.transaction(fn).immediate();
      if ('neverPlaced' in by) {
        logger.warn(
          `--never-placed: order ${clientId} is written off on your statement that ${key.exchange} has no such ` +
            'order; if it has one, the run does not know of that position',
        );
        commit(() => writeOff(repo, run, order.id, NEVER_PLACED_REASON));
        return `order ${clientId}: written off as never placed (${NEVER_PLACED_REASON}); ${order.market} trades again`;
      }
      const exchangeId = by.exchangeOrderId;
      // the order's own row keeps the id the exchange's reply gave it (recordAccepted): only another row is a booking
      const booked = repo.orders(run.id).find((o) => o.exchangeId === exchangeId && o.id !== order.id);
      if (booked)
        throw new UserError(
          `--exchange-order-id: the exchange's order ${exchangeId} is booked already, ` +
            `as order ${sentOrderId(run, booked)}`,
        );
      const ex = o.exchange ?? createExchange(config);
      const desk = new OrderDesk({ exchange: ex, retry: retryOptionsFrom(config), logger });
      const sent = { clientId, side: order.side, quantity: order.quantity };
      const seen = await desk.fetchSent(order.market, exchangeId, sent);
      if ('missing' in seen) throw new UserError(`--exchange-order-id: ${seen.missing}: nothing booked`);
      if ('open' in seen) throw new UserError(`order ${clientId}: ${seen.open}; nothing booked`);
      if ('mismatch' in seen) throw new UserError(`order ${clientId}: ${seen.mismatch}: not booked`);
      const m = symbols ? symbols.indexOf(order.market) : 0;
      const costs = symbols
        ? modelMarketCosts(symbols, 'config', config.account).map((c) => c.costs)
        : [runCosts('config', config.account).costs];
      const s = await desk.settle(order.market, seen.order, costs[m].feeRate);
      if ('unsettled' in s)
        throw new UserError(`order ${clientId}: the exchange's order ${exchangeId} is ${s.unsettled}; nothing booked`);
      if (symbols) {
        const at = { orderId: order.id, m, ts: order.decisionTs };
        commit(() => bookPortfolioSettled(repo, repo.get(run.id), { symbols, costs }, at, s));
      } else commit(() => bookSettled(repo, repo.get(run.id), order.id, s, order.decisionTs));
      const what = repo.orders(run.id).find((o) => o.id === order.id);
      // a fee in a third currency (Binance's BNB): valued at its market's price, or at the config's account.feeRate
      const fee = s.thirdFeeNote ? `; ${s.thirdFeeNote}` : '';
      return (
        `order ${clientId}: the exchange's order ${exchangeId} (${seen.order.status}) recorded as ${what?.status}` + fee
      );
    } finally {
      lock.release();
    }
  } finally {
    store.close();
  }
}

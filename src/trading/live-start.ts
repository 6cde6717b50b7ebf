/**
 * The checks a `bot live` start makes before its run is opened: the clock the run decides by (the machine's, or
 * --now) agrees with the exchange's, and the per-order cap can buy the minimum order at all.
 */
import type { Exchange } from 'ccxt';
import { UserError } from '../core/errors.ts';
import { loadMarkets, replyTime, type RetryOptions } from '../data/exchange.ts';
import { isoTime } from '../data/timeframe.ts';
import type { CostsFrom } from '../market/costs.ts';

/**
 * How far the run's clock may stand from the exchange's, either way. A clock behind decides on a candle the exchange
 * closed long ago and buys at today's price; one ahead takes the still-open candle for closed. NTP keeps a machine
 * within a second; the Date header's whole seconds and a slow reply add a few more.
 */
const MAX_CLOCK_SKEW_MS = 60_000;

/**
 * Refuses a live start whose clock (`clockFrom`: '--now' or 'this machine's clock') is more than MAX_CLOCK_SKEW_MS
 * from the exchange's, read from the Date header of its markets reply (the markets the run trades by, loaded here
 * once). An exchange that sends no Date header cannot check a --now: refused; the machine's clock then goes on.
 */
export async function checkExchangeClock(
  ex: Exchange,
  retry: RetryOptions,
  clock: () => number,
  clockFrom: string,
): Promise<void> {
  await loadMarkets(ex, retry);
  const at = replyTime(ex);
  if (at === undefined) {
    if (clockFrom === '--now')
      throw new UserError(`--now: ${ex.id} sends no Date header to check it against; live trading runs on its clock`);
    return;
  }
  // the header drops the milliseconds: the exchange's time is in [at, at + 1 s)
  const now = clock();
  const off = now - at;
  if (off >= -MAX_CLOCK_SKEW_MS && off <= MAX_CLOCK_SKEW_MS + 999) return;
  const ahead = off > 0 ? 'ahead of' : 'behind';
  throw new UserError(
    `${clockFrom} (${isoTime(now)}) is ${Math.round(Math.abs(off) / 1000)} s ${ahead} ${ex.id}'s clock ` +
      `(${isoTime(at)}): live trading acts on the exchange's candles and prices now` +
      (clockFrom === '--now' ? ': drop --now' : ': sync the clock of this machine'),
  );
}

/**
 * Refuses a per-order cap (`capFrom`: the flag or config key that set it) below a traded market's minimum order
 * value: every order of the run would be skipped.
 */
export function checkOrderCap(maxOrderValue: number, costs: CostsFrom | readonly CostsFrom[], capFrom: string): void {
  const all: readonly CostsFrom[] = 'costs' in costs ? [costs] : costs;
  const top = all.reduce<CostsFrom | undefined>(
    (a, c) => (a === undefined || c.costs.minOrderValue > a.costs.minOrderValue ? c : a),
    undefined,
  );
  if (top === undefined || maxOrderValue >= top.costs.minOrderValue) return;
  throw new UserError(
    `${capFrom} ${maxOrderValue} is below the minimum order value ${top.costs.minOrderValue} ` +
      `(${top.minimumFrom}): no order could be placed; raise ${capFrom}`,
  );
}

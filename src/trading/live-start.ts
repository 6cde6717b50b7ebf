/**
 * The clock checks of a `bot live` run (the clock the run decides by, the machine's or --now, against the exchange's:
 * at its start, and before each tick decides) and a start's check that the per-order cap can buy the minimum order.
 */
import type { Exchange } from 'ccxt';
import { UserError } from '../core/errors.ts';
import { loadMarkets, replyTime, withRetry, type RetryOptions } from '../data/exchange.ts';
import { isoTime } from '../data/timeframe.ts';
import type { CostsFrom } from '../market/costs.ts';

/**
 * How far the run's clock may stand from the exchange's, either way. A clock behind decides on a candle the exchange
 * closed long ago and buys at today's price; one ahead takes the still-open candle for closed. NTP keeps a machine
 * within a second; the Date header's whole seconds and a slow reply add a few more.
 */
const MAX_CLOCK_SKEW_MS = 60_000;

/**
 * How far `now` on the run's clock (`clockFrom`) stands from the exchange's clock `at` (its last reply's Date header),
 * said in a line naming both, when more than MAX_CLOCK_SKEW_MS either way; undefined when within it.
 */
function clockSkew(ex: Exchange, now: number, at: number, clockFrom: string): string | undefined {
  // the header drops the milliseconds: the exchange's time is in [at, at + 1 s)
  const off = now - at;
  if (off >= -MAX_CLOCK_SKEW_MS && off <= MAX_CLOCK_SKEW_MS + 999) return undefined;
  const ahead = off > 0 ? 'ahead of' : 'behind';
  return (
    `${clockFrom} (${isoTime(now)}) is ${Math.round(Math.abs(off) / 1000)} s ${ahead} ${ex.id}'s clock ` +
    `(${isoTime(at)}): live trading acts on the exchange's candles and prices now`
  );
}

const clockAdvice = (clockFrom: string) => (clockFrom === '--now' ? 'drop --now' : 'sync the clock of this machine');

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
  const skew = clockSkew(ex, clock(), at, clockFrom);
  if (skew !== undefined) throw new UserError(`${skew}: ${clockAdvice(clockFrom)}`);
}

/** ccxt's copy of the last reply's headers, which replyTime reads the Date header from. */
type WithReplyHeaders = { last_response_headers?: Record<string, unknown> };

/**
 * The start's clock check again before each live tick decides: a service whose machine clock drifts later (time sync
 * stopped, a VM suspended and resumed) would trade the wrong candle. It reads the Date header of a reply the tick got
 * anyway (orders looked up, the balance, candles), asking for the markets only when the tick asked nothing yet.
 */
export class TickClockCheck {
  constructor(
    private readonly ex: Exchange,
    private readonly retry: RetryOptions,
    /** '--now' or "this machine's clock", as at the start. */
    private readonly clockFrom = "this machine's clock",
  ) {}

  /** At a tick's start: forgets the replies of earlier ticks, so that the check reads one of this tick's. */
  begin(): void {
    (this.ex as unknown as WithReplyHeaders).last_response_headers = undefined;
  }

  /**
   * The line saying how far the run's clock at `now` stands from the exchange's, when more than MAX_CLOCK_SKEW_MS;
   * undefined when within it, or when the exchange sends no Date header (the start refused a --now then).
   */
  async skew(now: () => number): Promise<string | undefined> {
    const ex = this.ex;
    if ((ex as unknown as WithReplyHeaders).last_response_headers === undefined)
      await withRetry(`${ex.id}: loading markets`, () => ex.loadMarkets(true), this.retry);
    const at = replyTime(ex);
    const skew = at === undefined ? undefined : clockSkew(ex, now(), at, this.clockFrom);
    return (
      skew && `${skew}: no decision or order this tick, the next tick checks again (${clockAdvice(this.clockFrom)})`
    );
  }
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

/**
 * The clock checks of a run (the clock the run decides by, the machine's or --now, against the exchange's): a live
 * run's at its start and before each tick decides; every run's, paper or live, when the clock went back before the
 * run's last decided candle. And a live start's check that the per-order cap can buy the minimum order.
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
  const off = skewMs(now, at);
  if (off === undefined) return undefined;
  return (
    `${clockFrom} (${isoTime(now)}) is ${offText(off)} ${ex.id}'s clock ` +
    `(${isoTime(at)}): live trading acts on the exchange's candles and prices now`
  );
}

/** How far `now` stands from the exchange's clock `at` (its Date header), when more than MAX_CLOCK_SKEW_MS. */
function skewMs(now: number, at: number): number | undefined {
  // the header drops the milliseconds: the exchange's time is in [at, at + 1 s)
  const off = now - at;
  return off >= -MAX_CLOCK_SKEW_MS && off <= MAX_CLOCK_SKEW_MS + 999 ? undefined : off;
}

const offText = (off: number) => `${Math.round(Math.abs(off) / 1000)} s ${off > 0 ? 'ahead of' : 'behind'}`;

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
 * Every trader holds one (src/trading/run-holder.ts), paper and live alike: a paper tick's clock gone back is said as a
 * live tick's (behindRun). Without an exchange (a trader on a feed of its own, in tests) it has no clock to compare.
 */
export class TickClockCheck {
  constructor(
    private readonly ex: Exchange | undefined,
    private readonly retry: RetryOptions,
    /** '--now' or "this machine's clock", as at the start. */
    private readonly clockFrom = "this machine's clock",
  ) {}

  /** At a tick's start: forgets the replies of earlier ticks, so that the check reads one of this tick's. */
  begin(): void {
    if (this.ex) (this.ex as unknown as WithReplyHeaders).last_response_headers = undefined;
  }

  /** The exchange's clock by a reply of this tick's (undefined: no Date header), asking the markets when none came. */
  private async replyTime(ex: Exchange): Promise<number | undefined> {
    if ((ex as unknown as WithReplyHeaders).last_response_headers === undefined)
      await withRetry(`${ex.id}: loading markets`, () => ex.loadMarkets(true), this.retry);
    return replyTime(ex);
  }

  /**
   * The line saying how far the run's clock at `now` stands from the exchange's, when more than MAX_CLOCK_SKEW_MS;
   * undefined when within it, or when the exchange sends no Date header (the start refused a --now then).
   */
  async skew(now: () => number): Promise<string | undefined> {
    const ex = this.ex;
    if (ex === undefined) return undefined;
    const at = await this.replyTime(ex);
    const skew = at === undefined ? undefined : clockSkew(ex, now(), at, this.clockFrom);
    return (
      skew && `${skew}: no decision or order this tick, the next tick checks again (${clockAdvice(this.clockFrom)})`
    );
  }

  /**
   * The line for a tick whose clock (`now`) puts the newest closed candle (opened at `closedOpen`) before the run's
   * last decided one (`lastTs`): the clock went back (a VM restored, a bad time sync), so no candle is new and the
   * tick decides nothing. It names the run's clock and the exchange's, read as `skew` reads it (a reply of this tick's,
   * the markets asked for only when there was none). Undefined when the newest closed candle is not before the last
   * decided one: no new candle yet, the normal case, stays quiet.
   */
  async behindRun(now: () => number, closedOpen: number, lastTs: number | undefined): Promise<string | undefined> {
    if (lastTs === undefined || closedOpen >= lastTs) return undefined;
    const ex = this.ex;
    const at = ex === undefined ? undefined : await this.replyTime(ex);
    const t = now();
    const off = at === undefined ? undefined : skewMs(t, at);
    const exchange =
      ex === undefined
        ? 'no exchange clock to compare it with'
        : at === undefined
          ? `${ex.id} sends no Date header to compare it with`
          : off === undefined
            ? `${ex.id}'s clock (${isoTime(at)}) agrees with it: the run decided those candles on a clock ahead`
            : `it is ${offText(off)} ${ex.id}'s clock (${isoTime(at)}): ${clockAdvice(this.clockFrom)}`;
    return (
      `${this.clockFrom} (${isoTime(t)}) puts the newest closed candle at ${isoTime(closedOpen)}, before ` +
      `${isoTime(lastTs)}, the run's last decided candle; ${exchange}; no decision or order until a candle after ` +
      `${isoTime(lastTs)} closes`
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

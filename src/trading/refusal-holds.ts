/**
 * Orders a live run holds back after the exchange refused one for a reason that recurs (order-desk.ts,
 * RecurringRefusal), per market and side, for single-market and portfolio live alike: the refusal is one error line
 * saying what to change, and orders on that market and side are not sent again while the free balance they spend
 * (quote for a buy, base for a sell) stays what it was — a deposit, a sale or a restart after a config change lifts
 * it. Sending them at every candle only repeated the refusal and its error line.
 *
 * The free balance is read as the withdrawal check reads it (withdrawals.ts heldFree): the total on an exchange that
 * reports only totals (CoinSpot), where a missing `free` read as 0 said "0 free" and never saw a deposit. A reply
 * that says neither (unknown) is not a change: it neither lifts a hold (a glitching reply would send the refused
 * order again) nor starts one's count; the hold's reason says the amount is unknown and one warning per hold says
 * the orders wait for a reply that says it. A hold begun while the amount was unknown (or unreadable) is lifted by the
 * first reply that says it: the order goes out once more and, refused again, is held against that amount.
 */
import type { Exchange } from 'ccxt';
import type { Logger } from '../core/log.ts';
import { parseSpotSymbol } from '../core/market-symbol.ts';
import type { Retried } from './exchange-orders.ts';
import type { RecurringRefusal } from './order-desk.ts';
import { amountText, heldFree } from './withdrawals.ts';

type Side = 'buy' | 'sell';

/** A refusal that recurs, with what the run counts of the currency the order spends, for the line saying what to do. */
interface Refusal {
  symbol: string;
  side: Side;
  /** The exchange's reason (shortError). */
  why: string;
  kind: RecurringRefusal;
  /** What the run counts of the currency the order spends: its cash for a buy, the market's units for a sell. */
  counted: number;
  /** The run's `account.minOrderValue` for the market (what to raise when the order is below the exchange's). */
  minOrderValue: number;
  /** What the run's own orders still in flight may have spent of it (inFlightSpend), not the user's doing. */
  inFlight?: number;
}

interface Hold {
  why: string;
  /** The free balance the orders spend when the refusal came; NaN when the exchange did not say it. */
  free: number;
  kind: RecurringRefusal;
  /** Whether the warning that the free balance is unknown was logged for this hold. */
  warned?: boolean;
}

/** The currency an order on `side` of `symbol` spends: the quote for a buy, the base for a sell. */
function spentCode(symbol: string, side: Side): string {
  const { base, quote } = parseSpotSymbol(symbol, 'market');
  return side === 'buy' ? quote : base;
}

export class RefusalHolds {
  /** Per `symbol side`: why its orders are held and the free balance they spend when the refusal came. */
  private readonly held = new Map<string, Hold>();

  constructor(
    private readonly exchange: Exchange,
    private readonly retried: Retried,
    private readonly logger: Logger,
  ) {}

  /** What the exchange has free of `code` (heldFree: the total where it reports only that; NaN when unsaid). */
  private async freeOf(code: string): Promise<number> {
    const balance = await this.retried('balance', () => this.exchange.fetchBalance());
    return heldFree(balance, code);
  }

  /** Why an order on `side` of `symbol` is not sent (the last was refused for good, the free balance is unchanged). */
  async holds(symbol: string, side: Side): Promise<string | undefined> {
    const key = `${symbol} ${side}`;
    const h = this.held.get(key);
    if (!h) return undefined;
    const code = spentCode(symbol, side);
    const free = await this.freeOf(code);
    if (Number.isNaN(free)) {
      if (!h.warned)
        this.logger.warn(
          `the exchange's balance reply does not say how much ${code} is free: ${side} orders on ${symbol} stay ` +
            'held (their last was refused) until a reply says it, or the bot restarts',
        );
      h.warned = true;
      return `not sent: ${h.why}; how much ${code} is free is not known`;
    }
    if (Math.abs(free - h.free) <= 1e-9 * Math.max(1, Math.abs(h.free))) return `not sent: ${h.why}`;
    this.held.delete(key);
    return undefined;
  }

  /** Lets `symbol`'s orders held for want of funds out again (the run's account was cut to what the exchange holds). */
  releaseFunds(symbol: string): void {
    for (const side of ['buy', 'sell'] as const) {
      if (this.held.get(`${symbol} ${side}`)?.kind === 'funds') this.held.delete(`${symbol} ${side}`);
    }
  }

  /** Remembers a refusal that recurs; what the user can change, for its one error line. */
  async note(r: Refusal): Promise<string> {
    const { symbol, side } = r;
    const code = spentCode(symbol, side);
    // a balance that cannot be read now is unknown: the first reply that says it lifts the hold
    const free = await this.freeOf(code).catch(() => NaN);
    const has = Number.isNaN(free) ? `does not say how much ${code} is free` : `has ${amountText(free)} ${code} free`;
    const own = r.inFlight ? `, ${amountText(r.inFlight)} ${code} of it held for its own orders in flight` : '';
    const counted = `${amountText(r.counted)} ${code}${side === 'buy' ? ' of cash' : ''}${own}`;
    const fix =
      r.kind === 'funds'
        ? `the exchange ${has} and this run counts ${counted} (funds withdrawn, or spent by ` +
          'another run or order): deposit the difference, or start a new run (--reset) on what is free'
        : `below the exchange's minimum order or outside its rules: raise account.minOrderValue ` +
          `(now ${r.minOrderValue}) to the exchange's minimum and restart`;
    this.held.set(`${symbol} ${side}`, { why: `the exchange refused the last ${side} (${r.why})`, free, kind: r.kind });
    return `${fix}; ${side} orders on ${symbol} are not sent again until the free ${code} changes or the bot restarts`;
  }
}

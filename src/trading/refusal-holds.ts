/**
 * Orders a live run holds back after the exchange refused one for a reason that recurs (order-desk.ts,
 * RecurringRefusal), per market and side, for single-market and portfolio live alike: the refusal is one error line
 * saying what to change, and orders on that market and side are not sent again while the free balance they spend
 * (quote for a buy, base for a sell) stays what it was — a deposit, a sale or a restart after a config change lifts
 * it. Sending them at every candle only repeated the refusal and its error line.
 */
import type { Exchange } from 'ccxt';
import type { Retried } from './exchange-orders.ts';
import { balanceOf } from './live-orders.ts';
import type { RecurringRefusal } from './order-desk.ts';

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
}

export class RefusalHolds {
  /** Per `symbol side`: why its orders are held and the free balance they spend when the refusal came. */
  private readonly held = new Map<string, { why: string; free: number; kind: RecurringRefusal }>();

  constructor(
    private readonly exchange: Exchange,
    private readonly retried: Retried,
  ) {}

  /** What the exchange has free of the currency an order on `side` of `symbol` spends. */
  private async freeToSpend(symbol: string, side: Side): Promise<{ code: string; free: number }> {
    const [base, quote] = symbol.split(/[/:]/);
    const code = side === 'buy' ? quote : base;
    const balance = await this.retried('balance', () => this.exchange.fetchBalance());
    return { code, free: balanceOf(balance, code, 'free') };
  }

  /** Why an order on `side` of `symbol` is not sent (the last was refused for good, the free balance is unchanged). */
  async holds(symbol: string, side: Side): Promise<string | undefined> {
    const key = `${symbol} ${side}`;
    const h = this.held.get(key);
    if (!h) return undefined;
    const { free } = await this.freeToSpend(symbol, side);
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
    // a balance that cannot be read now holds nothing (NaN equals no later balance): the next order is sent
    const { code, free } = await this.freeToSpend(symbol, side).catch(() => ({ code: '?', free: NaN }));
    const counted = side === 'buy' ? `${r.counted} ${code} of cash` : `${r.counted} ${code}`;
    const fix =
      r.kind === 'funds'
        ? `the exchange has ${free} ${code} free and this run counts ${counted} (funds withdrawn, or spent by ` +
          'another run or order): deposit the difference, or start a new run (--reset) on what is free'
        : `below the exchange's minimum order or outside its rules: raise account.minOrderValue ` +
          `(now ${r.minOrderValue}) to the exchange's minimum and restart`;
    this.held.set(`${symbol} ${side}`, { why: `the exchange refused the last ${side} (${r.why})`, free, kind: r.kind });
    return `${fix}; ${side} orders on ${symbol} are not sent again until the free ${code} changes or the bot restarts`;
  }
}

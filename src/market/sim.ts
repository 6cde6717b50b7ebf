/** MarketSim: the one rule of time (decide at a close, fill at the next open, mark at its close). */
import type { Candles } from '../core/candles.ts';
import { Account, type Costs } from './account.ts';
import { checkSizing, executeOrder, HOLD, newOrder, planOrder, type Order, type SizingOptions } from './execution.ts';

/**
 * The one rule of time, shared by the RL environment, the backtest engine and the paper trader:
 * a decision made after candle t's close fills at candle t+1's open (plus slippage and fees), and the
 * portfolio is then marked at t+1's close. Nothing here allocates per step.
 */
export class MarketSim {
  readonly account: Account;
  readonly candles: Candles;
  readonly sizing: SizingOptions;
  /** Index of the candle that has just closed. */
  t = 0;
  /** The action asked for at the last advance (BUY, SELL, HOLD). */
  requested = HOLD;
  /** The action that happened: the requested one if it filled, otherwise HOLD. */
  executed = HOLD;
  /** Whether the last advance produced a fill (details in account.lastFill). */
  filled = false;
  /** Whether the last advance's order was refused by a rule (reason in account.lastReject). */
  refused = false;
  readonly order: Order = newOrder();

  constructor(candles: Candles, balance: number, costs: Costs, sizing: SizingOptions) {
    checkSizing(sizing);
    this.candles = candles;
    this.sizing = sizing;
    this.account = new Account(balance, costs);
  }

  /** Starts over at candle t with a fresh account. */
  start(t: number, balance = this.account.initialBalance): void {
    this.account.reset(balance);
    this.t = t;
    this.requested = HOLD;
    this.executed = HOLD;
    this.filled = false;
    this.refused = false;
  }

  /** Close of the candle that just closed. */
  price(): number {
    return this.candles.close[this.t];
  }

  /** Portfolio value marked at the close of candle t. */
  value(): number {
    return this.account.value(this.candles.close[this.t]);
  }

  /**
   * Acts on a decision taken after candle t's close: plans with t's close, fills at t+1's open, then moves to t+1.
   * The caller guarantees t+1 exists.
   */
  advance(action: number, confidence: number, targetPosition?: number): boolean {
    const t = this.t;
    const order = planOrder(
      this.account,
      this.sizing,
      action,
      confidence,
      targetPosition,
      this.candles.close[t],
      this.order,
    );
    this.requested = order.side === HOLD ? (action === 0 || action === 1 ? action : HOLD) : order.side;
    const filled = order.side === HOLD ? false : executeOrder(this.account, order, this.candles.open[t + 1]);
    this.filled = filled;
    this.refused = order.side !== HOLD && !filled;
    this.executed = filled ? order.side : HOLD;
    this.t = t + 1;
    return filled;
  }
}

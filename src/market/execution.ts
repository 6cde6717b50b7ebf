/** Order sizing and planning: from a decision to an order. */
import { UserError } from '../core/errors.ts';
import type { Account } from './account.ts';
import { spendFor, unsellable } from './costs.ts';

/**
 * How big an order is.
 * - `confidence`: RLTrader's trading unit: value = min + confidence × (max − min), for buys and sells alike.
 * - `all`: all-in on buy, all-out on sell.
 * - `target`: the decision's `targetPosition` (0..1) is the fraction of portfolio value to hold in the asset
 *   (continuous-action agents); without one, buy means 1 and sell means 0.
 */
export type SizingOptions =
  { kind: 'confidence'; minTradeValue: number; maxTradeValue: number } | { kind: 'all' } | { kind: 'target' };

export const BUY = 0;
export const SELL = 1;
export const HOLD = 2;

/** An order planned at a decision, executed at the next candle's open. Reused between calls. */
export interface Order {
  /** BUY, SELL or HOLD (nothing to do). */
  side: number;
  /** Buys: cash to commit, fee included. */
  spend: number;
  /** Sells: units to sell. */
  units: number;
}

export function newOrder(): Order {
  return { side: HOLD, spend: 0, units: 0 };
}

export function checkSizing(s: SizingOptions): void {
  if (s.kind === 'confidence') {
    if (!(s.minTradeValue > 0 && s.maxTradeValue >= s.minTradeValue && Number.isFinite(s.maxTradeValue))) {
      throw new UserError(
        `sizing: need 0 < minTradeValue ≤ maxTradeValue, got ${s.minTradeValue} and ${s.maxTradeValue}`,
      );
    }
  } else if (s.kind !== 'all' && s.kind !== 'target') {
    throw new UserError(`sizing: unknown kind "${(s as { kind: string }).kind}" (use confidence, all or target)`);
  }
}

/**
 * Turns a decision made after candle t's close (`price` = t's close) into an order, writing into `out`.
 * Only the account and t's close are read: nothing from the candle the order will fill in.
 */
export function planOrder(
  account: Account,
  sizing: SizingOptions,
  action: number,
  confidence: number,
  targetPosition: number | undefined,
  price: number,
  out: Order,
): Order {
  out.side = HOLD;
  out.spend = 0;
  out.units = 0;
  if (sizing.kind === 'target') {
    let target = targetPosition;
    if (target === undefined || Number.isNaN(target)) {
      if (action === BUY) target = 1;
      else if (action === SELL) target = 0;
      else return out;
    }
    target = target < 0 ? 0 : target > 1 ? 1 : target;
    const value = account.value(price);
    const diff = target * value - account.units * price;
    // a rebalance too small to be an order is no order at all, not a refused one
    if (Math.abs(diff) < Math.max(account.costs.minOrderValue, value * 1e-9)) return out;
    if (diff > 0) {
      out.side = BUY;
      out.spend = target >= 1 ? account.cash : spendFor(diff, account.costs);
    } else {
      out.side = SELL;
      // a sell that would leave a remainder no later order could sell sells everything
      out.units = target <= 0 || unsellable(target * value, account.costs) ? account.units : -diff / price;
    }
    return out;
  }
  if (action !== BUY && action !== SELL) return out;
  out.side = action;
  if (sizing.kind === 'all') {
    out.spend = account.cash;
    out.units = account.units;
    return out;
  }
  const c = Number.isFinite(confidence) ? (confidence < 0 ? 0 : confidence > 1 ? 1 : confidence) : 0;
  const tradeValue = sizing.minTradeValue + c * (sizing.maxTradeValue - sizing.minTradeValue);
  if (action === BUY) {
    out.spend = tradeValue;
  } else {
    const units = tradeValue / price;
    // selling all but a sliver that could never be sold sells everything
    out.units = unsellable((account.units - units) * price, account.costs) ? account.units : units;
  }
  return out;
}

/**
 * Executes a planned order at `refPrice` (the next candle's open). Returns true on a fill; a refused order is counted
 * by the account.
 */
export function executeOrder(account: Account, order: Order, refPrice: number): boolean {
  if (order.side === BUY) return account.buy(refPrice, order.spend);
  if (order.side === SELL) return account.sell(refPrice, order.units);
  return false;
}

/**
 * The live broker's order arithmetic (issue 18): the capped and rounded amount of a market order, or the reason it
 * is a hold, the cash a balance reply leaves to spend, and the account after a real fill, with every figure checked to
 * be a finite number.
 */
import type { AccountState, RejectReason } from '../market/account.ts';
import { BUY, type Order } from '../market/execution.ts';
import type { FillRecord } from './types.ts';
import { largestBuyValue } from '../market/costs.ts';

export interface LiveCaps {
  /** Largest single order, quote currency. */
  maxOrderValue: number;
  /** Kill switch: loss from the UTC day's first equity, quote currency. */
  maxDailyLoss: number;
  /**
   * Seconds an order not found under its client id stays unknown, from when it was sent, before it is written off as
   * never placed (trading.live; default UNKNOWN_ORDER_GRACE_SECONDS in order-desk.ts).
   */
  unknownOrderGraceSeconds?: number;
}

/** The rounding an exchange applies to order amounts; it may throw for an amount below its precision. */
interface OrderRounding {
  cost(x: number): number;
  amount(x: number): number;
}

/** A capped market order, or why it is a hold (the account's reject reasons, as the paper market counts them). */
type CappedOrder = { amount: number; skip?: undefined } | { amount: 0; skip: RejectReason };

/**
 * `round` applied to x; a throw (ccxt: "amount … must be greater than minimum amount precision") or a non-finite result
 * is 0.
 */
function rounded(round: (x: number) => number, x: number): number {
  if (!(x > 0)) return 0;
  try {
    const r = round(x);
    return Number.isFinite(r) && r > 0 ? r : 0;
  } catch {
    return 0;
  }
}

/**
 * Market-order amount after the caps: the value bought (buys, quote: the exchange's cost, so `order.spend` is the
 * value, not fee included; live.ts turns a paper order's by buyValue) or units (sells), rounded to the exchange's
 * precision. `feeOnTop` is the fee rate charged on top of a buy's cost (costs.ts buyFeeOnTop: the fee rate on Upbit,
 * 0 where the coins bought pay it), which the cash must leave room for.
 * Nothing to sell, no cash, or an amount that rounds to zero is a hold with a reason (issue 18: ccxt throws on
 * rounding 0, which killed the tick before its decision was saved). A sell's units are capped at `sellBound`, the
 * price it is expected to fill at most (sellPriceBound; default the close): a sell sized at the close went over
 * maxOrderValue when it filled higher. A buy spends a quote amount, which a higher fill cannot push over.
 */
export function cappedOrder(
  order: Order,
  account: AccountState,
  close: number,
  caps: LiveCaps,
  minOrderValue: number,
  feeOnTop: number,
  round: OrderRounding,
  sellBound = close,
): CappedOrder {
  if (order.side === BUY) {
    const room = Math.min(order.spend, caps.maxOrderValue, largestBuyValue(account.cash, feeOnTop));
    if (!(room > 0)) return { amount: 0, skip: 'no_cash' };
    const spend = rounded(round.cost, room);
    if (!(spend > 0)) return { amount: 0, skip: 'below_precision' };
    return spend >= Math.max(minOrderValue, 1e-9) ? { amount: spend } : { amount: 0, skip: 'below_min_order' };
  }
  const want = Math.min(order.units, account.units, caps.maxOrderValue / Math.max(close, sellBound));
  if (!(account.units > 0) || !(want > 0)) return { amount: 0, skip: 'no_position' };
  const units = rounded(round.amount, want);
  if (!(units > 0)) return { amount: 0, skip: 'below_precision' };
  return units * close >= minOrderValue ? { amount: units } : { amount: 0, skip: 'below_min_order' };
}

/**
 * The price a market sell is sized against so that its value stays within maxOrderValue: the larger of the decision
 * candle's close and the exchange's last price (`last`, its ticker just before the order; undefined when it could not
 * be read), raised by the market's slippage allowance (`slippageBps`, account.slippageBps), which covers a fill below
 * the top of the book moving up to it, not a jump of the market between the ticker and the fill.
 */
export function sellPriceBound(close: number, last: number | undefined, slippageBps: number): number {
  const top = last !== undefined && Number.isFinite(last) && last > close ? last : close;
  return top * (1 + slippageBps / 10_000);
}

/**
 * Whether a position of `units` is dust: the whole of it, rounded to the exchange's precision, is worth less than the
 * minimum order at `price` (or rounds to nothing), so no sell can take it and an exit is done.
 */
export function isDust(units: number, price: number, minOrderValue: number, roundAmount: (x: number) => number) {
  const u = rounded(roundAmount, units);
  return !(u > 0) || u * price < minOrderValue;
}

/** What an exit note says of the units a position kept below the minimum order. */
export function dustText(units: number, base: string): string {
  return `dust left: ${units} ${base}, below the minimum order`;
}

/**
 * One currency's total in a ccxt balance, as a number (0 when absent): what is free plus what open orders have
 * locked. What orders can spend is withdrawals.ts heldFree.
 */
export function totalOf(balance: object, code: string): number {
  const entry = (balance as Record<string, { total?: number | string } | undefined>)[code];
  return Number(entry?.total ?? 0);
}

/**
 * The quote-currency value of the fees a live run paid in a third currency (Binance's BNB), kept with its account:
 * they leave neither its cash nor its units, yet the daily-loss cap counts them (its equity is net of them).
 */
export function offBookFees(a: AccountState): number {
  return a.offBookFees ?? 0;
}

/** The account after paying `value` (quote currency) in fees in a third currency. */
export function payOffBook(a: AccountState, value: number): AccountState {
  if (!(value > 0)) return a;
  return { ...a, feesPaid: a.feesPaid + value, offBookFees: offBookFees(a) + value };
}

/** A fill's fee in a third currency (Binance's BNB): its amount and its value in the quote (OrderDesk.settle). */
export interface ThirdFee {
  currency: string;
  units: number;
  value: number;
}

/**
 * A portfolio's books after market m's fill paid `fees` in a third currency. A fee in the base of another market of
 * the run (BNB while it trades BNB/USDT) comes out of that market's units, as far as they go, since the exchange takes
 * it from the coins the run counts; it is still market m's fee (its fill paid it), so the equity drops by it once, as
 * those units' value. The rest is off the books (payOffBook): `offBook`, its quote value.
 */
export function payFromBooks(
  books: readonly AccountState[],
  bases: readonly string[],
  m: number,
  fees: readonly ThirdFee[],
): { books: AccountState[]; offBook: number } {
  const next = books.map((b) => ({ ...b }));
  let offBook = 0;
  for (const f of fees) {
    const k = bases.indexOf(f.currency);
    const taken = k >= 0 && k !== m && f.units > 0 ? Math.min(f.units, next[k].units) : 0;
    const share = taken > 0 ? (f.value * taken) / f.units : 0;
    if (taken > 0) next[k] = withUnitsLeft(next[k], next[k].units - taken);
    next[m].feesPaid += share;
    offBook += f.value - share;
  }
  return { books: next, offBook };
}

/**
 * The account holding `left` units (fewer than before: a sale, a withdrawal, a fee paid in its coin); an emptied
 * position (below a rounding's worth) has no average buy price or cost left.
 */
export function withUnitsLeft(a: AccountState, left: number): AccountState {
  return left < 1e-12 ? { ...a, units: 0, avgBuyPrice: 0, avgCost: 0 } : { ...a, units: left };
}

/** Throws unless every figure of a fill is a finite number (the account never holds a string or NaN). */
function checkFill(f: FillRecord): void {
  for (const k of ['price', 'units', 'value', 'fee'] as const) {
    if (typeof f[k] !== 'number' || !Number.isFinite(f[k]) || f[k] < 0)
      throw new Error(`fill ${k} is not a finite amount: ${JSON.stringify(f[k])}`);
  }
}

/** The account after a real fill (same bookkeeping as core's Account: average buy price, cost with fees, counters). */
export function applyFill(a: AccountState, f: FillRecord): AccountState {
  checkFill(f);
  let next: AccountState = { ...a, rejected: { ...a.rejected } };
  if (f.side === 'buy') {
    const held = a.units + f.units;
    next.avgBuyPrice = held > 0 ? (a.avgBuyPrice * a.units + f.value) / held : 0;
    next.avgCost = held > 0 ? (a.avgCost * a.units + f.value + f.fee) / held : 0;
    next.units = held;
    next.cash = a.cash - f.value - f.fee;
    next.buys = a.buys + 1;
  } else {
    next = withUnitsLeft(next, Math.max(0, a.units - f.units));
    next.cash = a.cash + f.value - f.fee;
    next.sells = a.sells + 1;
  }
  next.feesPaid = a.feesPaid + f.fee;
  return next;
}

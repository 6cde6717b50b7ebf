/** The Account: cash, units, average prices, fills and rejections, as plain arithmetic. */
import { UserError } from '../core/errors.ts';
import { buyFeeOnTop, buyValue, checkCosts, largestBuyValue, type Costs } from './costs.ts';

export type { Costs } from './costs.ts';

/** Why an order became a hold. */
export type RejectReason = 'below_min_order' | 'no_cash' | 'no_position' | 'below_precision';
export const REJECT_REASONS: readonly RejectReason[] = ['below_min_order', 'no_cash', 'no_position', 'below_precision'];

/**
 * The refusals of orders too small to trade (below the minimum order or the quantity precision) among `rejected`, as
 * [reason, count] with a count above 0. A buy while all in (`no_cash`) or a sell while flat (`no_position`) is an
 * all-in / all-out policy asking for the position it holds: a hold, counted but not a refusal worth a line.
 */
export function sizeRefusals(rejected: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(rejected).filter(([why, n]) => n > 0 && why !== 'no_cash' && why !== 'no_position');
}

/** The last fill, overwritten by the next one: copy what you keep (`{ ...account.lastFill }`). */
export interface Fill {
  side: 'buy' | 'sell';
  /** Reference price the order was filled against (a candle's open), before slippage. */
  refPrice: number;
  /** Price paid or received per unit, slippage included. */
  price: number;
  units: number;
  /** units × price. */
  gross: number;
  fee: number;
  tax: number;
  /** Sells: net proceeds − units × average cost (buy fees included). Buys: 0. */
  realizedPnl: number;
}

/** Everything needed to restore an Account exactly (plain JSON). */
export interface AccountState {
  initialBalance: number;
  cash: number;
  units: number;
  avgBuyPrice: number;
  avgCost: number;
  feesPaid: number;
  taxPaid: number;
  buys: number;
  sells: number;
  rejected: Record<RejectReason, number>;
  /**
   * A live run's: the quote-currency value taken out of it for funds the exchange no longer held (withdrawn by the
   * user; src/trading/withdrawals.ts). Absent when nothing was; the account's arithmetic never reads it.
   */
  withdrawn?: number;
  /**
   * A live run's: the quote-currency value of the fees it paid in a third currency (Binance's BNB), which leave
   * neither its cash nor its units (src/trading/live-orders.ts). Absent when none; the arithmetic never reads it.
   */
  offBookFees?: number;
}

const CASH_EPSILON = 1e-6;

/**
 * A spot account in plain arithmetic, no I/O. Portfolio value is `cash + units × price` at any price, by construction;
 * fills move value only by their fee, tax and slippage. An order that breaks a rule changes nothing and is counted
 * in `rejected` (the caller treats it as a hold).
 */
export class Account {
  readonly costs: Readonly<Costs>;
  initialBalance: number;
  cash: number;
  units = 0;
  /** Volume-weighted fill price of the units held, fees excluded (RLTrader's avg_buy_price); 0 when flat. */
  avgBuyPrice = 0;
  /** Cost per unit held including buy fees, for realized P/L. */
  avgCost = 0;
  feesPaid = 0;
  taxPaid = 0;
  buys = 0;
  sells = 0;
  rejected: Record<RejectReason, number> = { below_min_order: 0, no_cash: 0, no_position: 0, below_precision: 0 };
  /** Carried for a live run (AccountState.withdrawn); 0 elsewhere. */
  withdrawn = 0;
  /** Carried for a live run (AccountState.offBookFees); 0 elsewhere. */
  offBookFees = 0;
  /** Reason of the last refused order, null after a fill. */
  lastReject: RejectReason | null = null;
  readonly lastFill: Fill = { side: 'buy', refPrice: 0, price: 0, units: 0, gross: 0, fee: 0, tax: 0, realizedPnl: 0 };
  private readonly scale: number;
  private readonly slip: number;

  constructor(balance: number, costs: Costs) {
    if (!(Number.isFinite(balance) && balance > 0))
      throw new UserError(`balance must be a positive amount, got ${balance}`);
    checkCosts(costs);
    this.costs = { ...costs };
    this.initialBalance = balance;
    this.cash = balance;
    this.scale = 10 ** costs.quantityPrecision;
    this.slip = costs.slippageBps / 10_000;
  }

  static restore(state: AccountState, costs: Costs): Account {
    const a = new Account(state.initialBalance, costs);
    a.load(state);
    return a;
  }

  /** Takes over a snapshot's balances and counters (this account's costs stay). */
  load(state: AccountState): void {
    this.initialBalance = state.initialBalance;
    this.cash = state.cash;
    this.units = state.units;
    this.avgBuyPrice = state.avgBuyPrice;
    this.avgCost = state.avgCost;
    this.feesPaid = state.feesPaid;
    this.taxPaid = state.taxPaid;
    this.buys = state.buys;
    this.sells = state.sells;
    this.rejected = { ...state.rejected };
    this.withdrawn = state.withdrawn ?? 0;
    this.offBookFees = state.offBookFees ?? 0;
    this.lastReject = null;
  }

  snapshot(): AccountState {
    return {
      initialBalance: this.initialBalance,
      cash: this.cash,
      units: this.units,
      avgBuyPrice: this.avgBuyPrice,
      avgCost: this.avgCost,
      feesPaid: this.feesPaid,
      taxPaid: this.taxPaid,
      buys: this.buys,
      sells: this.sells,
      rejected: { ...this.rejected },
      ...(this.withdrawn > 0 ? { withdrawn: this.withdrawn } : {}),
      ...(this.offBookFees > 0 ? { offBookFees: this.offBookFees } : {}),
    };
  }

  /** Back to the starting balance with nothing held and all counters at zero. */
  reset(balance = this.initialBalance): void {
    if (!(Number.isFinite(balance) && balance > 0))
      throw new UserError(`balance must be a positive amount, got ${balance}`);
    this.initialBalance = balance;
    this.cash = balance;
    this.units = 0;
    this.avgBuyPrice = 0;
    this.avgCost = 0;
    this.feesPaid = 0;
    this.taxPaid = 0;
    this.buys = 0;
    this.sells = 0;
    this.rejected.below_min_order = 0;
    this.rejected.no_cash = 0;
    this.rejected.no_position = 0;
    this.rejected.below_precision = 0;
    this.withdrawn = 0;
    this.offBookFees = 0;
    this.lastReject = null;
  }

  /** Portfolio value at a price: cash + units × price. */
  value(price: number): number {
    return this.cash + this.units * price;
  }

  /** Fraction of portfolio value held in the asset (0..1). */
  holdRatio(price: number): number {
    const v = this.value(price);
    return v > 0 ? (this.units * price) / v : 0;
  }

  /** value / initial balance − 1. */
  profitLoss(price: number): number {
    return this.value(price) / this.initialBalance - 1;
  }

  /** price / average buy price − 1, or 0 when flat. */
  priceToAvgBuy(price: number): number {
    return this.avgBuyPrice > 0 ? price / this.avgBuyPrice - 1 : 0;
  }

  get totalRejected(): number {
    return (
      this.rejected.below_min_order + this.rejected.no_cash + this.rejected.no_position + this.rejected.below_precision
    );
  }

  /** Units rounded down to the quantity precision. */
  roundUnits(units: number): number {
    // the relative nudge keeps float noise (0.3 / 0.1 = 2.9999999999999996) from rounding a whole step away
    const steps = units * this.scale;
    return Math.floor(steps + Math.max(1e-7, steps * 1e-12)) / this.scale;
  }

  /** Largest cash amount (fee included) a buy at `refPrice` can commit. */
  buyingPower(): number {
    return this.cash;
  }

  /**
   * Buys for up to `spend` of cash (fee included) at `refPrice` plus slippage. Returns true on a fill
   * (details in `lastFill`), false when refused (reason in `lastReject`, counted in `rejected`). The fee is charged
   * on top of the value bought (fee side `quote`, Upbit's), or taken from the units bought (`get`, Binance spot's):
   * then the whole spend buys units, a fee rate of them is the fee, and the fill is the units left at the same price,
   * as the live broker books a fee taken in the coin (src/trading/exchange-orders.ts fillFromOrder).
   */
  buy(refPrice: number, spend: number): boolean {
    const budget = Math.min(spend, this.cash);
    if (!(budget > 0) || this.cash < this.costs.minOrderValue || this.cash <= CASH_EPSILON)
      return this.refuse('no_cash');
    const price = refPrice * (1 + this.slip);
    const bought = this.roundUnits(buyValue(spend, this.cash, buyFeeOnTop(this.costs)) / price);
    if (bought <= 0) return this.refuse(this.allIn(price) ? 'no_cash' : 'below_precision');
    // the order's cost: what the minimum order is checked against on either fee side
    const cost = bought * price;
    if (cost < this.costs.minOrderValue) return this.refuse('below_min_order');
    // a fee in coins, as fillFromOrder books one: fewer units, the value less their worth, the fee their worth
    const inCoins = this.costs.feeSide === 'get' ? bought * this.costs.feeRate : 0;
    const units = bought - inCoins;
    const gross = cost - inCoins * price;
    const fee = this.costs.feeSide === 'get' ? inCoins * price : gross * this.costs.feeRate;
    let cash = this.cash - gross - fee;
    if (cash < 0) {
      if (cash < -CASH_EPSILON * Math.max(1, gross)) return this.refuse('no_cash');
      cash = 0;
    }
    const held = this.units + units;
    this.avgBuyPrice = (this.avgBuyPrice * this.units + price * units) / held;
    this.avgCost = (this.avgCost * this.units + gross + fee) / held;
    this.units = held;
    this.cash = cash;
    this.feesPaid += fee;
    this.buys++;
    return this.filled('buy', refPrice, price, units, gross, fee, 0, 0);
  }

  /**
   * Whether a position is held and all the cash left cannot buy one step of the quantity precision at `price`: the
   * leftover of an all-in buy (a KRX share's change), so a further buy is the no-cash case, as it is where the minimum
   * order value is what the leftover falls below. Flat, the cash is the balance: too small to trade, below_precision.
   */
  private allIn(price: number): boolean {
    return this.units > 0 && this.roundUnits(largestBuyValue(this.cash, buyFeeOnTop(this.costs)) / price) <= 0;
  }

  /** Sells up to `units` (capped at what is held) at `refPrice` minus slippage. Same return convention as `buy`. */
  sell(refPrice: number, units: number): boolean {
    if (this.units <= 0) return this.refuse('no_position');
    const wanted = units >= this.units ? this.units : this.roundUnits(units);
    if (wanted <= 0) return this.refuse('below_precision');
    const price = refPrice * (1 - this.slip);
    const gross = wanted * price;
    if (gross < this.costs.minOrderValue) return this.refuse('below_min_order');
    const fee = gross * this.costs.feeRate;
    const tax = gross * this.costs.sellTax;
    const realized = gross - fee - tax - wanted * this.avgCost;
    const left = wanted === this.units ? 0 : Math.round((this.units - wanted) * this.scale) / this.scale;
    this.units = left;
    if (left === 0) {
      this.avgBuyPrice = 0;
      this.avgCost = 0;
    }
    this.cash += gross - fee - tax;
    this.feesPaid += fee;
    this.taxPaid += tax;
    this.sells++;
    return this.filled('sell', refPrice, price, wanted, gross, fee, tax, realized);
  }

  private refuse(reason: RejectReason): false {
    this.rejected[reason]++;
    this.lastReject = reason;
    return false;
  }

  private filled(
    side: 'buy' | 'sell',
    refPrice: number,
    price: number,
    units: number,
    gross: number,
    fee: number,
    tax: number,
    realizedPnl: number,
  ): true {
    const f = this.lastFill;
    f.side = side;
    f.refPrice = refPrice;
    f.price = price;
    f.units = units;
    f.gross = gross;
    f.fee = fee;
    f.tax = tax;
    f.realizedPnl = realizedPnl;
    this.lastReject = null;
    return true;
  }
}

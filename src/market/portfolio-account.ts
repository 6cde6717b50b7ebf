/**
 * One account over N markets (issue 14): shared cash, and per market a book of units, average cost, fees, tax and
 * rejections. Every fill runs through the single-market Account's own arithmetic (fees, sell tax, slippage, minimum
 * order, precision per market), so a portfolio of one market fills exactly as the single-market account does.
 * Spot only: no leverage, no shorts. Value = cash + Σ units × price, by construction.
 */
import { UserError } from '../core/errors.ts';
import { Account, type RejectReason } from './account.ts';
import { checkCosts, unsellable, type Costs } from './costs.ts';

interface PortfolioMarket {
  symbol: string;
  costs: Costs;
}

/** What one rebalance did, per market. */
interface RebalanceOutcome {
  /** Traded value per market (units × fill price), sells and buys. */
  traded: number[];
  /** Fee + tax charged per market by this rebalance. */
  costs: number[];
  /** Markets whose move was under the band or the minimum order, left as they were. */
  skipped: number[];
  /** Markets that could not fill at this time (no candle): their target still waits. */
  waiting: number[];
}

interface RebalanceOptions {
  /** Moves smaller than this fraction of the portfolio value are skipped (0.02 = 2 points of weight). */
  band: number;
  /** Per market: may it fill now (it has a candle at this time)? Default: all. */
  canFill?: readonly boolean[];
}

/**
 * Cash plus one single-market Account per market used as a book. A book's own `cash` is only a carrier: it is
 * given the shared cash for the one order it fills and handed back afterwards, so its buy/sell rules (cash checks,
 * fee, slippage, minimum order, precision) are the Account's, unchanged.
 */
export class PortfolioAccount {
  readonly symbols: string[];
  readonly books: Account[];
  initialBalance: number;
  cash: number;
  /** Per market: value skipped under the band or the minimum order, counted per rebalance. */
  readonly skips: number[];
  /** Carried for a live run (PortfolioAccountState.withdrawn); 0 elsewhere. */
  withdrawn = 0;

  constructor(balance: number, markets: readonly PortfolioMarket[]) {
    if (!(Number.isFinite(balance) && balance > 0))
      throw new UserError(`balance must be a positive amount, got ${balance}`);
    if (markets.length === 0) throw new UserError('a portfolio needs at least one market');
    const symbols = markets.map((m) => m.symbol);
    if (new Set(symbols).size !== symbols.length)
      throw new UserError(`portfolio markets must differ: ${symbols.join(', ')}`);
    this.symbols = symbols;
    this.books = markets.map((m) => {
      checkCosts(m.costs);
      const book = new Account(1, m.costs);
      book.cash = 0;
      return book;
    });
    this.initialBalance = balance;
    this.cash = balance;
    this.skips = markets.map(() => 0);
  }

  get size(): number {
    return this.books.length;
  }

  units(i: number): number {
    return this.books[i].units;
  }

  /** cash + Σ units × price. */
  value(prices: ArrayLike<number>): number {
    let v = this.cash;
    for (let i = 0; i < this.books.length; i++) v += this.books[i].units * prices[i];
    return v;
  }

  /** Each market's share of the value (the rest is cash). */
  weights(prices: ArrayLike<number>): number[] {
    const v = this.value(prices);
    return this.books.map((b, i) => (v > 0 ? (b.units * prices[i]) / v : 0));
  }

  feesPaid(i: number): number {
    return this.books[i].feesPaid;
  }

  taxPaid(i: number): number {
    return this.books[i].taxPaid;
  }

  /** Orders refused per market, by reason. */
  rejected(i: number): Readonly<Record<RejectReason, number>> {
    return this.books[i].rejected;
  }

  /** Buys market i for up to `spend` of the shared cash (fee included) at `refPrice` plus slippage. */
  buy(i: number, refPrice: number, spend: number): boolean {
    return this.withSharedCash(i, (book) => book.buy(refPrice, spend));
  }

  /** Sells up to `units` of market i at `refPrice` minus slippage; proceeds go to the shared cash. */
  sell(i: number, refPrice: number, units: number): boolean {
    return this.withSharedCash(i, (book) => book.sell(refPrice, units));
  }

  /** Lends market i's book the shared cash for one order and takes back what the order left (books hold none). */
  private withSharedCash(i: number, order: (book: Account) => boolean): boolean {
    const book = this.books[i];
    book.cash = this.cash;
    try {
      return order(book);
    } finally {
      this.cash = book.cash;
      book.cash = 0;
    }
  }

  /**
   * Moves toward target weights (each ≥ 0, sum ≤ 1; the rest stays cash) at `prices` (the fill reference: the
   * open of the candle being filled; a market that cannot fill is valued at the price given, its last close).
   * Sells first, then buys with the cash that is there: when the buys want more than that, each is scaled down in
   * proportion. A move smaller than `band` × value or below the market's minimum order is skipped (counted in
   * `skips`); a sell that would leave less than the minimum order sells everything; an order the Account refuses is
   * counted in that market's `rejected`.
   */
  rebalance(targets: readonly number[], prices: readonly number[], opts: RebalanceOptions): RebalanceOutcome {
    checkTargets(targets, this.size);
    const n = this.size;
    const out: RebalanceOutcome = { traded: zeros(n), costs: zeros(n), skipped: [], waiting: [] };
    const value = this.value(prices);
    const delta = this.books.map((b, i) => targets[i] * value - b.units * prices[i]);
    const active = this.books.map((b, i) => {
      if (opts.canFill !== undefined && !opts.canFill[i]) {
        if (delta[i] !== 0) out.waiting.push(i);
        return false;
      }
      const move = Math.abs(delta[i]);
      const closing = targets[i] === 0 && b.units > 0; // selling out is never "too small" for the band
      if (move === 0 || (!closing && (move < opts.band * value || move < b.costs.minOrderValue))) {
        if (move > 0) {
          out.skipped.push(i);
          this.skips[i]++;
        }
        return false;
      }
      return true;
    });
    for (let i = 0; i < n; i++) {
      if (!active[i] || delta[i] >= 0) continue;
      // as for one market (execution.ts): a sell leaving a remainder no later order could sell sells everything
      const all = targets[i] === 0 || unsellable(targets[i] * value, this.books[i].costs);
      const units = all ? this.books[i].units : -delta[i] / prices[i];
      if (this.sell(i, prices[i], units)) this.record(out, i);
    }
    let wanted = 0;
    for (let i = 0; i < n; i++) if (active[i] && delta[i] > 0) wanted += delta[i];
    const scale = wanted > this.cash ? this.cash / wanted : 1;
    for (let i = 0; i < n; i++) {
      if (!active[i] || delta[i] <= 0) continue;
      if (this.buy(i, prices[i], delta[i] * scale)) this.record(out, i);
    }
    return out;
  }

  private record(out: RebalanceOutcome, i: number): void {
    const f = this.books[i].lastFill;
    out.traded[i] += f.gross;
    out.costs[i] += f.fee + f.tax;
  }
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

/** Throws a UserError unless targets are N finite weights ≥ 0 summing to at most 1 (spot only). */
function checkTargets(targets: readonly number[], n: number): void {
  const problem = targetsProblem(targets, n);
  if (problem) throw new UserError(`target weights: ${problem}`);
}

/**
 * What is wrong with target weights over n markets, or undefined: the portfolio contract (n finite weights ≥ 0, the
 * sum at most 1, the rest cash), checked by the account and by the guard on a user's portfolio rule.
 */
export function targetsProblem(targets: ArrayLike<unknown>, n: number): string | undefined {
  if (targets.length !== n) return `${targets.length} weights for ${n} markets`;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = targets[i];
    if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) {
      const shown = typeof w === 'string' ? JSON.stringify(w) : String(w);
      return `weight ${shown} for market ${i + 1}: weights must be numbers ≥ 0 (spot only)`;
    }
    sum += w;
  }
  if (sum > 1 + 1e-9) return `the weights sum to ${sum}, more than 1 (no leverage)`;
  return undefined;
}

/**
 * A PortfolioAccount as plain JSON and back (issue 14: the paper and live traders keep it in SQLite between candles),
 * restored bit for bit: shared cash, and each market's book through the single-market Account's own snapshot.
 */
import { Account, type AccountState } from './account.ts';
import type { Costs } from './costs.ts';
import { PortfolioAccount } from './portfolio-account.ts';

export interface PortfolioAccountState {
  symbols: string[];
  initialBalance: number;
  cash: number;
  /** Per market: its book (the book's own cash is always 0: cash is shared). */
  books: AccountState[];
  /** Per market: rebalance moves skipped under the band or the minimum order. */
  skips: number[];
  /**
   * A live run's: the quote-currency value taken out of it for cash and coins the exchange no longer held (withdrawn
   * by the user; src/trading/withdrawals.ts). Absent when nothing was; the arithmetic never reads it.
   */
  withdrawn?: number;
}

export function snapshotPortfolio(a: PortfolioAccount): PortfolioAccountState {
  return {
    symbols: [...a.symbols],
    initialBalance: a.initialBalance,
    cash: a.cash,
    books: a.books.map((b) => b.snapshot()),
    skips: [...a.skips],
    ...(a.withdrawn > 0 ? { withdrawn: a.withdrawn } : {}),
  };
}

/** The account of a snapshot, with `costs` per market (in the snapshot's market order). */
export function restorePortfolio(s: PortfolioAccountState, costs: readonly Costs[]): PortfolioAccount {
  if (costs.length !== s.symbols.length) throw new Error(`${s.symbols.length} markets but ${costs.length} cost sets`);
  const a = new PortfolioAccount(
    s.initialBalance,
    s.symbols.map((symbol, i) => ({ symbol, costs: costs[i] })),
  );
  a.cash = s.cash;
  a.withdrawn = s.withdrawn ?? 0;
  s.books.forEach((b, i) => {
    a.books[i] = Account.restore({ ...b, cash: 0 }, costs[i]);
    a.books[i].cash = 0;
    a.skips[i] = s.skips[i];
  });
  return a;
}

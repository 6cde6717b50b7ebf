/**
 * Filling waiting target weights at one clock time (issue 14): the step the portfolio backtest engine, the learning
 * environment (both through PortfolioSim) and the paper trader share, so they make the same trades. A market with a
 * candle at t fills at its open (plus slippage); a market without one is valued at its last close and waits for its
 * next candle.
 */
import type { RejectReason } from './account.ts';
import type { PortfolioAccount } from './portfolio-account.ts';

interface TargetFill {
  market: number;
  side: 'buy' | 'sell';
  price: number;
  /** The open (or last close) the price was slipped from. */
  refPrice: number;
  units: number;
  gross: number;
  fee: number;
  tax: number;
}

/** What became of one market's waiting target at this time. */
type TargetOutcome =
  | { kind: 'filled'; fill: TargetFill }
  | { kind: 'waiting' }
  | { kind: 'skipped' }
  | { kind: 'rejected'; reason: RejectReason }
  | { kind: 'none' };

/**
 * Rebalances `account` toward `targets` for the markets still `waiting` that have a candle now (`hasCandle`), at
 * `prices` (each market's open when it has a candle, else its last close). Clears `waiting` for the markets that
 * could fill (traded, skipped under the band or refused alike: the target is done for them) and returns per market
 * what happened (`none` for markets that were not waiting).
 */
export function fillTargets(
  account: PortfolioAccount,
  targets: readonly number[],
  waiting: boolean[],
  hasCandle: readonly boolean[],
  prices: readonly number[],
  band: number,
): TargetOutcome[] {
  const n = account.size;
  const canFill = waiting.map((w, m) => w && hasCandle[m]);
  const rejectedBefore = account.books.map((b) => ({ ...b.rejected }));
  const out = account.rebalance(targets, prices, { band, canFill });
  return Array.from({ length: n }, (_, m): TargetOutcome => {
    if (!waiting[m]) return { kind: 'none' };
    if (!canFill[m]) return { kind: 'waiting' };
    waiting[m] = false;
    const book = account.books[m];
    if (out.traded[m] !== 0) {
      const f = book.lastFill;
      const fill = {
        market: m,
        side: f.side,
        price: f.price,
        refPrice: f.refPrice,
        units: f.units,
        gross: f.gross,
        fee: f.fee,
        tax: f.tax,
      };
      return { kind: 'filled', fill };
    }
    if (out.skipped.includes(m)) return { kind: 'skipped' };
    const reason = (Object.keys(book.rejected) as RejectReason[]).find((r) => book.rejected[r] > rejectedBefore[m][r]);
    return reason ? { kind: 'rejected', reason } : { kind: 'none' };
  });
}

/**
 * The markets of `outcomes` in the order their fills executed: the sells, then the buys the sells paid for (each in
 * market order, as PortfolioAccount.rebalance places them), so a record of them replayed row by row never spends
 * cash before it is there; markets that did not fill are left out.
 */
export function executionOrder(outcomes: readonly TargetOutcome[]): number[] {
  const filled = (side: 'buy' | 'sell') =>
    outcomes.flatMap((o, m) => (o.kind === 'filled' && o.fill.side === side ? [m] : []));
  return [...filled('sell'), ...filled('buy')];
}

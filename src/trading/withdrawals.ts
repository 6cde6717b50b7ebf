/**
 * A live run's account against the exchange's free balances (issue 18): funds the user withdrew, moved or spent in
 * another tool are taken out of the run's account, so it sizes its orders from what the exchange holds instead of
 * having them refused at every candle. The account only ever shrinks: a deposit is not the run's money (a new run
 * takes at most `account.balance` of what is free, README "Live").
 */
import type { AccountState } from '../market/account.ts';
import { UserError } from '../core/errors.ts';

/** The quote-currency value of what was taken out of the run so far (kept with its account, as `withdrawn`). */
export function withdrawnValue(a: AccountState): number {
  return a.withdrawn ?? 0;
}

/**
 * What a ccxt balance reply says is free of `code` for the run: 0 when the reply does not list the currency (an
 * exchange omits empty ones); its total when the entry has no free amount (ccxt leaves free undefined when an exchange
 * reports only a total, as CoinSpot's does, or its reply lacks the field); NaN when it says neither, which cuts
 * nothing. Reading a missing free as 0 took the whole run out as a withdrawal.
 */
export function heldFree(balance: object, code: string): number {
  const entry = (balance as Record<string, { free?: unknown; total?: unknown } | undefined>)[code];
  if (entry === undefined) return 0;
  const amount = (x: unknown) => (typeof x === 'number' || typeof x === 'string' ? Number(x) : NaN);
  const free = amount(entry.free);
  return Number.isFinite(free) ? free : amount(entry.total);
}

/**
 * The quote a new live run may start from: what the exchange holds free (heldFree: the total where the exchange says
 * only that). A reply that says neither is a one-line error: the run used to start from 0 (a missing `free` read as
 * 0) and then never traded, without a word.
 */
export function newRunCash(balance: object, quote: string): number {
  const free = heldFree(balance, quote);
  if (!Number.isFinite(free))
    throw new UserError(
      `the exchange's balance reply says neither how much ${quote} is free nor how much is held: cannot size a new ` +
        'live run',
    );
  return free;
}

/** What the exchange no longer holds of the run's cash and units, and its value at the price it was seen at. */
interface Shortfall {
  cash: number;
  units: number;
  value: number;
}

/**
 * The account cut down to what the exchange holds free for the run (`cash` of the quote, `units` of the base), or
 * undefined when it holds at least what the run counts. Differences below a rounding's worth (1e-6 of the quote,
 * 1e-9 of the base, or a billionth of the amount) are not a withdrawal.
 */
export function shrinkToExchange(
  a: AccountState,
  held: { cash: number; units: number },
  price: number,
): { account: AccountState; taken: Shortfall } | undefined {
  const short = (counted: number, there: number, tol: number) =>
    Number.isFinite(there) && counted - Math.max(0, there) > Math.max(tol, counted * 1e-9)
      ? counted - Math.max(0, there)
      : 0;
  const cash = short(a.cash, held.cash, 1e-6);
  const units = short(a.units, held.units, 1e-9);
  if (!(cash > 0 || units > 0)) return undefined;
  const value = cash + units * price;
  const next: AccountState = { ...a, rejected: { ...a.rejected }, cash: a.cash - cash, units: a.units - units };
  if (next.units < 1e-12) {
    next.units = 0;
    next.avgBuyPrice = 0;
    next.avgCost = 0;
  }
  return {
    account: { ...next, withdrawn: withdrawnValue(a) + value },
    taken: { cash, units, value },
  };
}

/**
 * A live run's account against the exchange's free balances (issue 18): funds the user withdrew, moved or spent in
 * another tool are taken out of the run's account, so it sizes its orders from what the exchange holds instead of
 * having them refused at every candle. The account only ever shrinks: a deposit is not the run's money (a new run
 * takes at most `account.balance` of what is free, README "Live"). Single-market and portfolio live runs alike: the
 * two balance reads, the cut of each market's book, the warning line and the daily-loss cap's add-back.
 */
import type { Balances } from 'ccxt';
import type { AccountState } from '../market/account.ts';
import type { PortfolioAccountState } from '../market/portfolio-state.ts';
import { RunRefusedError } from '../core/errors.ts';
import { parseSpotSymbol } from '../core/market-symbol.ts';
import type { RunRepository } from './run-repository.ts';
import { withUnitsLeft } from './live-orders.ts';

/** The quote-currency value of what was taken out of the run so far (kept with its account, as `withdrawn`). */
export function withdrawnValue(a: AccountState): number {
  return a.withdrawn ?? 0;
}

/**
 * A live run's account as it starts trading: `cash` of its quote as its initial balance, nothing withdrawn. A
 * withdrawal taken out before the run's first decision (a tick that failed after its balance check, then a restart)
 * happened before the run began: the run starts from what is left, and counting the withdrawal as well showed it
 * as profit in `bot status`.
 */
export function startingWith<A extends { cash: number; initialBalance: number; withdrawn?: number }>(
  a: A,
  cash: number,
): A {
  const { withdrawn: _before, ...kept } = a;
  return { ...kept, cash, initialBalance: cash } as A;
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
 * 0) and then never traded, without a word. So is less than `minOrderValue` (the smallest a market of the run
 * takes): the run would be made, claim the account and never place an order. Both refuse the start, as a stored run
 * that cannot trade is refused (RunRefusedError): a clocked start tried its first tick again for good.
 */
export function newRunCash(balance: object, quote: string, minOrderValue: number): number {
  const free = heldFree(balance, quote);
  if (!Number.isFinite(free))
    throw new RunRefusedError(
      `the exchange's balance reply says neither how much ${quote} is free nor how much is held: cannot size a new ` +
        'live run',
    );
  if (free < minOrderValue)
    throw new RunRefusedError(
      `the exchange holds ${free} ${quote} free, below the minimum order value ${minOrderValue}: a new live run ` +
        `could place no order; deposit ${quote} first`,
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
  const next = withUnitsLeft({ ...a, rejected: { ...a.rejected }, cash: a.cash - cash }, a.units - units);
  return {
    account: { ...next, withdrawn: withdrawnValue(a) + value },
    taken: { cash, units, value },
  };
}

/** What the exchange holds free of a currency (heldFree; NaN: unknown, which cuts nothing). */
type Free = (code: string) => number;

/**
 * What the exchange holds free of `codes`, once a balance reply shows less than the run counts (`cut` answers) and a
 * second reply confirms it: per currency, the larger of the two replies' amounts. A cut is never undone, so one reply
 * is not enough (a balance that lags or glitches once takes nothing out); a reply that lists no currency at all says
 * nothing about a withdrawal (an exchange omits only empty ones). Undefined: nothing to take out.
 */
export async function confirmedShortfall<T>(
  fetchBalance: () => Promise<Balances>,
  codes: readonly string[],
  cut: (free: Free) => T | undefined,
): Promise<{ cut: T; free: Free } | undefined> {
  const read = async (): Promise<Free | undefined> => {
    const balance = await fetchBalance();
    if (Object.keys(balance.total ?? {}).length === 0) return undefined;
    const amounts = new Map(codes.map((c) => [c, heldFree(balance, c)]));
    return (code) => amounts.get(code) ?? NaN;
  };
  const first = await read();
  if (!first || cut(first) === undefined) return undefined;
  const again = await read();
  if (!again) return undefined;
  const free: Free = (code) => Math.max(first(code), again(code));
  const done = cut(free);
  return done === undefined ? undefined : { cut: done, free };
}

/** One currency of a withdrawal: what the exchange holds free of it, what the run counted, what was taken out. */
interface TakenRow {
  code: string;
  free: number;
  counted: number;
  taken: number;
}

/**
 * An amount of a currency as a line shows it: 12 significant digits, not the float noise of the arithmetic that made
 * it (0.44323491, not 0.44323491000000004). The withdrawal line's, and the refusal holds' (refusal-holds.ts).
 */
export function amountText(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** The one warning line of a withdrawal taken out of a run, currency by currency (the quote first). */
export function withdrawalLine(rows: readonly TakenRow[], value: number, quote: string): string {
  // a currency whose free amount the reply did not say (heldFree) was not cut
  const says = (x: number) => (Number.isFinite(x) ? amountText(x) : 'an unknown amount of');
  const and = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
  return (
    `withdrawal: the exchange holds ${and(rows.map((r) => `${says(r.free)} ${r.code}`))} free, less than this run ` +
    `counted (${rows.map((r) => `${amountText(r.counted)} ${r.code}`).join(', ')}); taken out of the run: ` +
    `${and(rows.map((r) => `${amountText(r.taken)} ${r.code}`))}, worth ${value.toFixed(2)} ${quote} ` +
    '(not a trading loss; a deposit is not added back)'
  );
}

/** A market's base currency (`BTC` of `BTC/KRW`). */
export function baseOf(symbol: string): string {
  return parseSpotSymbol(symbol, 'market').base;
}

/**
 * A portfolio run's account cut down to what the exchange holds free: its one cash against the quote (every market
 * of a portfolio trades against it, so it is compared once), each market's units against its base. Markets that share
 * a base (BTC/KRW beside BTC/USDT) split what is free of it in proportion to the units each counts, so each gives up
 * its share of the shortfall. Each market's book is cut by shrinkToExchange, the cash riding on the first market's
 * book (as PortfolioAccount lends its cash to the book that fills). Undefined when the exchange holds at least what
 * the run counts.
 */
export function shrinkPortfolioToExchange(
  a: PortfolioAccountState,
  quote: string,
  free: Free,
  prices: readonly number[],
): { account: PortfolioAccountState; taken: { cash: number; units: number[]; value: number } } | undefined {
  const bases = a.symbols.map(baseOf);
  const counted = new Map<string, number>();
  bases.forEach((b, m) => counted.set(b, (counted.get(b) ?? 0) + a.books[m].units));
  const taken = { cash: 0, units: a.books.map(() => 0), value: 0 };
  let cash = a.cash;
  let any = false;
  const books = a.books.map((book, m) => {
    const all = counted.get(bases[m]) ?? 0;
    const units = all > 0 ? (free(bases[m]) * book.units) / all : free(bases[m]);
    const held = { cash: m === 0 ? free(quote) : NaN, units };
    const cut = shrinkToExchange({ ...book, cash: m === 0 ? a.cash : 0, withdrawn: 0 }, held, prices[m]);
    if (!cut) return book;
    any = true;
    if (m === 0) {
      cash = cut.account.cash;
      taken.cash = cut.taken.cash;
    }
    taken.units[m] = cut.taken.units;
    taken.value += cut.taken.value;
    const { units: left, avgBuyPrice, avgCost } = cut.account;
    return { ...book, units: left, avgBuyPrice, avgCost };
  });
  if (!any) return undefined;
  return { account: { ...a, cash, books, withdrawn: (a.withdrawn ?? 0) + taken.value }, taken };
}

/**
 * A live run's loss since the UTC day's first equity snapshot (0 on the day's first candle), `equityNow` and
 * `withdrawn` its equity and withdrawals now. What was taken out for funds the exchange no longer held is added back
 * on both sides (each snapshot records the total so far): a withdrawal is not a loss.
 */
export function dailyLoss(repo: RunRepository, runId: number, now: { equity: number; withdrawn: number; ts: number }) {
  const dayStart = Math.floor(now.ts / 86_400_000) * 86_400_000;
  const row = repo.db
    .prepare('SELECT equity + withdrawn AS equity FROM trading_equity WHERE run_id = ? AND ts >= ? ORDER BY ts LIMIT 1')
    .get(runId, dayStart) as { equity: number } | undefined;
  return row ? row.equity - (now.equity + now.withdrawn) : 0;
}

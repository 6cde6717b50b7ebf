/**
 * What the live broker reads back from an exchange about its own orders: the order placed under a client order id,
 * and the fill it amounts to, in numbers the account can trust (issue 18).
 * - Look-up by the client identifier first (Upbit: `GET /v1/order?identifier=`), then the lists of every state an
 *   order can end in. On Upbit a filled market buy ends `cancel` when a sliver of KRW is refunded, and ccxt's
 *   `fetchClosedOrders` asks for `done` only, so the lists are open + closed + canceled.
 * - A fill is what was executed, whatever the final state: `canceled` with a volume executed is a (partial) fill.
 *   Its value comes from the trades when the reply has them (all of them: trades for less than the volume executed
 *   value part of the fill) and from `executed_funds` when it has none (Upbit's order lists); where a reply has
 *   neither (Binance's order query and lists), the broker attaches the trades the exchange lists for the order.
 *   ccxt hands some of these over as strings, so every figure is converted and checked finite here.
 */
import type { Exchange, Order as CcxtOrder } from 'ccxt';
import { ccxtLib } from '../data/ccxt.ts';
import type { FillRecord } from './types.ts';

/** Runs one exchange call with the broker's retries (and market-load recovery). */
export type Retried = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

type Raw = Record<string, unknown>;

/** Exchange-specific look-ups of one order by its client identifier; an exchange not listed uses the lists only. */
const BY_CLIENT_ID: Record<string, (ex: Exchange, id: string) => Promise<CcxtOrder | undefined>> = {
  async upbit(ex, id) {
    const get = (ex as unknown as { privateGetOrder(p: Raw): Promise<Raw> }).privateGetOrder.bind(ex);
    try {
      return ex.parseOrder(await get({ identifier: id }));
    } catch (e) {
      if (e instanceof ccxtLib().OrderNotFound) return undefined;
      throw e;
    }
  },
};

/**
 * The size an order asked for, in the unit the bot sends it: a market buy's quote amount (Upbit's `price` of an
 * `ord_type=price` order, Binance's `origQuoteOrderQty`), a sell's volume; undefined when the reply does not say.
 */
function requestedSize(o: CcxtOrder): number | undefined {
  const info = (o.info ?? {}) as Raw;
  const raw = o.side === 'buy' ? (info.ord_type === 'price' ? info.price : info.origQuoteOrderQty) : o.amount;
  const x = Number(raw);
  return raw !== undefined && raw !== null && Number.isFinite(x) && x > 0 ? x : undefined;
}

/**
 * How an order found under a client id differs from the one the run sent under it, in one phrase naming both, or
 * undefined when it is that order (same side; same size where the exchange reports it). An order under a run's id
 * that is not the run's (another run drew the same id) must never be booked as its fill.
 */
export function otherOrder(o: CcxtOrder, sent: { side: 'buy' | 'sell'; quantity: number }): string | undefined {
  const size = requestedSize(o);
  const sameSize = size === undefined || Math.abs(size - sent.quantity) <= 1e-9 * Math.max(1, sent.quantity);
  if (o.side === sent.side && sameSize) return undefined;
  const theirs = `${o.side} of ${size ?? 'an unreported size'}`;
  return `the exchange's order ${o.id} is a ${theirs}, this run sent a ${sent.side} of ${sent.quantity}`;
}

/** The order placed under client order id `id`, from the exchange, or undefined when the exchange has none. */
export async function findOrderByClientId(
  ex: Exchange,
  symbol: string,
  id: string,
  retried: Retried,
): Promise<CcxtOrder | undefined> {
  const direct = BY_CLIENT_ID[ex.id];
  if (direct) {
    const hit = await retried('order by identifier', () => direct(ex, id));
    if (hit) return hit;
  }
  return findInOrderLists(ex, symbol, id, retried);
}

/** The order under client order id `id` among open, closed (done) and canceled orders. */
export async function findInOrderLists(
  ex: Exchange,
  symbol: string,
  id: string,
  retried: Retried,
): Promise<CcxtOrder | undefined> {
  const lists: [string, () => Promise<CcxtOrder[]>][] = [
    ['open orders', () => ex.fetchOpenOrders(symbol)],
    ['closed orders', () => ex.fetchClosedOrders(symbol)],
  ];
  if (ex.has.fetchCanceledOrders) lists.push(['canceled orders', () => ex.fetchCanceledOrders(symbol)]);
  for (const [what, fetch] of lists) {
    const hit = (await retried(what, fetch)).find((o) => o.clientOrderId === id);
    if (hit) return hit;
  }
  return undefined;
}

/** A figure from ccxt or the raw reply as a number: undefined when absent, an error when it is not a finite number. */
function figure(value: unknown, what: string, orderId: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const x = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(x) || x < 0)
    throw new Error(`order ${orderId}: ${what} is not a finite amount (${JSON.stringify(value)})`);
  return x;
}

/**
 * Total value of the order's trades, or undefined when the reply carries none, or trades for less than the `units`
 * executed (a trade list read a moment too early values part of the fill).
 */
function tradesValue(o: CcxtOrder, units: number): number | undefined {
  if (!o.trades?.length) return undefined;
  let sum = 0;
  let amount = 0;
  for (const t of o.trades) {
    const qty = figure(t.amount, 'a trade amount', String(o.id)) ?? NaN;
    const cost =
      figure(t.cost, 'a trade cost', String(o.id)) ?? (figure(t.price, 'a trade price', String(o.id)) ?? NaN) * qty;
    if (!Number.isFinite(cost)) return undefined;
    sum += cost;
    amount += qty;
  }
  return Number.isFinite(amount) && Math.abs(amount - units) > 1e-8 * units ? undefined : sum;
}

type FeeEntry = { currency?: string; cost?: unknown } | undefined;

/**
 * An order's fees as ccxt reports them: its `fees` list when it has one (several currencies), else its `fee`, else
 * its trades' fees (an order read back without them, with the trades the exchange lists for it attached: Binance's
 * order query has `cummulativeQuoteQty` but neither the fee nor its currency).
 */
function feesOf(o: CcxtOrder): { currency?: string; cost: unknown }[] {
  const list = (o as { fees?: FeeEntry[] }).fees;
  const own: FeeEntry[] = list?.length ? list : o.fee?.cost !== undefined ? [o.fee] : [];
  const all = own.length
    ? own
    : (o.trades ?? []).flatMap((t): FeeEntry[] => {
        const several = (t as { fees?: FeeEntry[] }).fees;
        return several?.length ? several : t.fee ? [t.fee] : [];
      });
  return all.map((f) => ({ currency: f?.currency ?? undefined, cost: f?.cost }));
}

/**
 * The fill an exchange order amounts to, or undefined when nothing was executed. `needsDetail` when the value
 * cannot be told from this reply (no trades, no executed funds): ask for the single order, which has its trades.
 *
 * Fees: Upbit's `paid_fee` (always in the quote currency) first, else ccxt's fees by currency. A fee in the quote
 * currency is the fill's fee. A fee taken in the base coin (Binance takes a buy's fee from the coins bought) changes
 * the units the account gets or gives instead: it is booked as fewer units bought (more sold) at the fill's price,
 * and counted in the fee at that price, so cash and units match the exchange's balances. A fee in a third currency
 * (Binance's BNB discount) touches neither: `unbooked` names it for the log, `offBook` lists it for the broker to value
 * in the quote currency (the daily-loss cap counts it).
 */
export function fillFromOrder(o: CcxtOrder): {
  fill?: FillRecord;
  needsDetail?: boolean;
  unbooked?: string;
  offBook?: { currency: string; cost: number }[];
} {
  const id = String(o.id);
  const info = (o.info ?? {}) as Raw;
  const units = figure(info.executed_volume, 'executed_volume', id) ?? figure(o.filled, 'filled', id) ?? 0;
  if (!(units > 0)) return {};
  const value = tradesValue(o, units) ?? figure(info.executed_funds, 'executed_funds', id);
  if (value === undefined || !(value > 0)) return { needsDetail: true };
  const side = o.side === 'sell' ? 'sell' : 'buy';
  const price = value / units;
  const paid = figure(info.paid_fee, 'paid_fee', id);
  if (paid !== undefined) return { fill: { side, price, units, value, fee: paid } };
  const [base, quote] = String(o.symbol ?? '').split(/[/:]/);
  let fee = 0;
  let inBase = 0;
  const other: { currency: string; cost: number }[] = [];
  for (const f of feesOf(o)) {
    const cost = figure(f.cost, 'fee', id) ?? 0;
    if (!cost) continue;
    if (!f.currency || f.currency === quote) fee += cost;
    else if (f.currency === base) inBase += cost;
    else other.push({ currency: f.currency, cost });
  }
  const sign = side === 'buy' ? -1 : 1;
  const fill: FillRecord = {
    side,
    price,
    units: units + sign * inBase,
    value: value + sign * inBase * price,
    fee: fee + inBase * price,
  };
  if (!(fill.units > 0))
    throw new Error(`order ${id}: a fee of ${inBase} ${base} is not less than the ${units} bought`);
  if (!other.length) return { fill };
  return { fill, unbooked: other.map((f) => `${f.cost} ${f.currency}`).join(', '), offBook: other };
}

/** True when an order is still working on the exchange (more may fill). */
export function isOpen(o: CcxtOrder): boolean {
  return o.status === 'open';
}

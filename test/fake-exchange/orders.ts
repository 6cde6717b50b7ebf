/**
 * Upbit's private order endpoints for the fake exchange (plugs into startFakeUpbit through `fake.route`), behaving
 * as Upbit documents them, including the cases that lose a naive client's orders (issue 18):
 * - POST /v1/orders: market buy `ord_type=price` (a KRW amount) or market sell `ord_type=market` (a volume), with
 *   `identifier` = the client order id, unique forever (a second order under it is refused; `identifiersUnique:
 *   'open'` plays Binance, whose client order id is unique among open orders only). The reply is the order
 *   as accepted (`state: wait`, nothing executed yet); matching happens at once at the open of the candle in
 *   progress, with Upbit's 0.05% fee.
 * - A market buy spends what whole satoshis allow and ends `cancel` with the sliver of KRW refunded (Upbit's
 *   order-list documentation; pyupbit #56, #131): `cancel` with `executed_volume > 0` is a fill.
 * - GET /v1/order (by `uuid` or `identifier`) carries `trades`; the lists GET /v1/orders/open and
 *   GET /v1/orders/closed (`state` or `states[]`: `done`, `cancel`; both when absent) carry none, only
 *   `executed_volume` / `executed_funds` / `paid_fee`, all as strings.
 * - Faults: replies held for a while after the order is taken (so a kill -9 lands between the exchange taking an
 *   order and the client recording it), replies lost after the order is taken (500, a dropped connection, or a
 *   reply held past the client's timeout), refusals before anything is taken, a lag before a taken order shows
 *   in look-ups (`lookupLag`: the order endpoints answer as if it did not exist yet), market orders only partly
 *   executed and left `wait` until cancelled (`partialFill`), cancels done with their reply lost, cancels carried out
 *   later (`cancelLag`: as Upbit's, whose DELETE answers the order still `wait`; more of it may execute meanwhile),
 *   and orders shown only by their uuid (`onlyByUuid`: archived, missing from look-ups by identifier and from the
 *   lists).
 * - GET /v1/ticker answers the price market orders fill at now (`priceOf`), so a trader's last price agrees with
 *   its fill; `priceRise` moves both above the candle in progress's open (the market rose since the decision's close).
 * Requests without a Bearer token are 401.
 */
import { randomUUID } from 'node:crypto';
import { timeframeMs } from '../../src/data/timeframe.ts';
import type { FakeUpbit, Reply, ReplyContext } from './server.ts';

export interface FakeTrade {
  market: string;
  uuid: string;
  price: string;
  volume: string;
  funds: string;
  side: 'bid' | 'ask';
  created_at: string;
}

export interface FakeOrder {
  uuid: string;
  identifier?: string;
  market: string;
  side: 'bid' | 'ask';
  ord_type: 'price' | 'market';
  state: 'wait' | 'done' | 'cancel';
  created_at: string;
  /** Market buys: the KRW amount asked for. */
  price?: string;
  /** Market sells: the volume asked for. */
  volume?: string;
  remaining_volume?: string;
  executed_volume: string;
  executed_funds?: string;
  paid_fee: string;
  locked?: string;
  trades: FakeTrade[];
}

/** How an accepted order's reply goes missing: a 500, a dropped connection, or held past the client's timeout. */
export type LostReply = '500' | 'drop' | 'timeout';

export interface FakeOrderBook {
  /** What each currency has available (Upbit's `balance`): what orders may spend. */
  balances: Map<string, number>;
  /** What each currency has locked in orders the bot does not see (the user's own limit orders: Upbit's `locked`). */
  locked: Map<string, number>;
  orders: FakeOrder[];
  feeRate: number;
  minOrderValue: number;
  /** Accept the next N orders but lose the reply (the order exists on the exchange). */
  loseRepliesAfterAccept: number;
  /** How those replies are lost (default '500'). */
  lostReplyAs: LostReply;
  /** Hold every order reply this long after the order is taken (0: answer at once). */
  replyDelayMs: number;
  /** Refuse the next N orders with 500 before accepting anything. */
  failBeforeAccept: number;
  /** Each order taken from now on is missing from the next N look-ups that would show it (404, absent from lists). */
  lookupLag: number;
  /**
   * The next N orders taken are shown only when asked for by their uuid (GET /v1/order?uuid=): a look-up under their
   * identifier answers 404 and the lists leave them out, as for orders an exchange has archived.
   */
  onlyByUuid: number;
  /**
   * Share of each market order executed at once (1: all of it); below 1 the order stays `wait` with the rest
   * unexecuted until it is cancelled, as in a thin book.
   */
  partialFill: number;
  /** Cancel the next N orders asked for but lose the reply (500): the order is cancelled on the exchange. */
  loseCancelReplies: number;
  /**
   * A cancel accepted from now on is carried out later, as Upbit's is (its DELETE answers the order still `wait`):
   * the next N look-ups of the order by uuid or identifier see it still `wait`, `fillWhileCancelling` more of it
   * executing after each answer, and the one after sees it `cancel`.
   */
  cancelLag: number;
  /** Share of an order's asked size executed at each look-up while its cancel is pending (cancelLag). */
  fillWhileCancelling: number;
  /** Carries out every cancel cancelLag still holds: each such order is `cancel` from now on. */
  endCancels(): void;
  /**
   * Which earlier orders a new order's identifier must differ from: every one (Upbit, the default) or only those
   * still open (Binance's `newClientOrderId`, "unique among open orders": a filled market order's id is free again).
   */
  identifiersUnique: 'forever' | 'open';
  /**
   * Runs once, right after the next balance reply is written (then is cleared): a change the user makes just after
   * the bot read its balances, e.g. a withdrawal that lands between the read and the order.
   */
  afterBalanceRead?: () => void;
  /**
   * Currencies whose `balance` (what is free) the accounts reply leaves out: a reply that does not say what is free,
   * as ccxt gives it for an exchange that reports only some fields (ccxt's free is then undefined).
   */
  omitFree: Set<string>;
  /**
   * Share the price stands above the open of the candle in progress (0: at it): market orders fill, and the ticker
   * answers, that much higher, as when the market rose between the decision candle's close and the order.
   */
  priceRise: number;
  /** The price market orders fill at now: the open of the candle in progress at the exchange's clock, × (1 + rise). */
  priceOf(market: string): number;
  /** Ends every lag lookupLag still holds: each order taken shows in look-ups from now on. */
  endLags(): void;
}

const err = (status: number, name: string, message: string): Reply => ({ status, json: { error: { name, message } } });

/** Parses a form or JSON body (ccxt sends JSON for POST, the query string for GET/DELETE). */
function params(ctx: ReplyContext): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(ctx.query);
  if (ctx.body) {
    try {
      Object.assign(out, JSON.parse(ctx.body) as Record<string, string>);
    } catch {
      for (const [k, v] of new URLSearchParams(ctx.body)) out[k] = v;
    }
  }
  return out;
}

/** Amounts as Upbit writes them: decimal strings, no exponent. */
const amount = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(8).replace(/0+$/, '').replace(/\.$/, ''));

/** An order as the list endpoints show it: no trades. */
function listed(o: FakeOrder): Omit<FakeOrder, 'trades'> & { trades_count: number } {
  const { trades, ...rest } = o;
  return { ...rest, trades_count: trades.length };
}

/**
 * An exchange that shows an order it took only after a lag: `lag(o, n)` hides `o` from the next n look-ups that would
 * show it; `shown(o)` says whether a look-up sees it (a miss counts); `end()` shows every order from now on.
 */
export function lookupLag<T>(): { lag(o: T, n: number): void; shown(o: T): boolean; end(): void } {
  const left = new Map<T, number>();
  return {
    lag: (o, n) => void (n > 0 && left.set(o, n)),
    end: () => left.clear(),
    shown(o) {
      const n = left.get(o) ?? 0;
      if (n <= 0) return true;
      left.set(o, n - 1);
      return false;
    },
  };
}

export function addOrderEndpoints(
  fake: FakeUpbit,
  init: { KRW?: number; BTC?: number; timeframe?: string } = {},
): FakeOrderBook {
  const step = timeframeMs(init.timeframe ?? '1h');
  const lags = lookupLag<FakeOrder>();
  /** Orders whose cancel is accepted but not carried out yet (cancelLag), with the look-ups left before it is. */
  const cancelling = new Map<FakeOrder, number>();
  const book: FakeOrderBook = {
    endLags: lags.end,
    endCancels() {
      for (const o of cancelling.keys()) o.state = 'cancel';
      cancelling.clear();
    },
    balances: new Map([
      ['KRW', init.KRW ?? 10_000_000],
      ['BTC', init.BTC ?? 0],
    ]),
    locked: new Map(),
    orders: [],
    feeRate: 0.0005,
    minOrderValue: 5000,
    loseRepliesAfterAccept: 0,
    lostReplyAs: '500',
    replyDelayMs: 0,
    failBeforeAccept: 0,
    lookupLag: 0,
    onlyByUuid: 0,
    partialFill: 1,
    loseCancelReplies: 0,
    cancelLag: 0,
    fillWhileCancelling: 0,
    identifiersUnique: 'forever',
    omitFree: new Set(),
    priceRise: 0,
    priceOf(market: string): number {
      const series = fake.state.series.get(`${market}|${step}`);
      if (!series) throw new Error(`no ${market} series`);
      const now = fake.state.now();
      let i = series.ts.length - 1;
      while (i > 0 && series.ts[i] > now) i--;
      return series.open[i] * (1 + book.priceRise);
    },
  };
  const authed = (ctx: ReplyContext) =>
    typeof ctx.headers.authorization === 'string' && ctx.headers.authorization.startsWith('Bearer ');
  const unauthorized = () => err(401, 'jwt_verification', 'Failed to verify Jwt token.');
  const iso = () => new Date(fake.state.now()).toISOString().replace('Z', '+00:00');
  const held = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
  const add = (code: string, x: number) => book.balances.set(code, (book.balances.get(code) ?? 0) + x);
  const { lag, shown } = lags;
  /** Orders shown only by their uuid (onlyByUuid). */
  const archived = new Set<FakeOrder>();
  /** Executes `share` of open order o's asked size more (no more than is left), at the current price. */
  const executeMore = (o: FakeOrder, share: number) => {
    const price = book.priceOf(o.market);
    const [quote, base] = o.market.split('-');
    const fee = book.feeRate;
    let volume: number;
    if (o.side === 'bid') {
      const left = Number(o.price) - Number(o.executed_funds ?? 0);
      volume = Math.floor((Math.min(left, Number(o.price) * share) / price) * 1e8) / 1e8;
    } else {
      const left = Number(o.remaining_volume ?? 0);
      volume = Math.min(left, Math.floor(Number(o.volume) * share * 1e8) / 1e8);
      o.remaining_volume = amount(left - volume);
    }
    if (!(volume > 0)) return;
    const funds = volume * price;
    add(quote, o.side === 'bid' ? -(funds * (1 + fee)) : funds * (1 - fee));
    add(base, o.side === 'bid' ? volume : -volume);
    o.executed_volume = amount(Number(o.executed_volume) + volume);
    o.executed_funds = amount(Number(o.executed_funds ?? 0) + funds);
    o.paid_fee = amount(Number(o.paid_fee) + funds * fee);
    o.trades.push({
      market: o.market,
      uuid: randomUUID(),
      price: amount(price),
      volume: amount(volume),
      side: o.side,
      funds: amount(funds),
      created_at: iso(),
    });
  };
  /**
   * Order o as a look-up shows it: a cancel pending on it (cancelLag) is carried out once its look-ups ran out, and
   * until then more of the order executes after each answer (the exchange keeps matching until the cancel lands).
   */
  const lookedUp = (o: FakeOrder) => {
    const left = cancelling.get(o);
    if (left === 0) {
      o.state = 'cancel';
      cancelling.delete(o);
    }
    const json = { ...o, trades: [...o.trades], trades_count: o.trades.length };
    if (left !== undefined && left > 0) {
      executeMore(o, book.fillWhileCancelling);
      cancelling.set(o, left - 1);
    }
    return json;
  };

  fake.route('POST', '/v1/orders', async (ctx) => {
    if (!authed(ctx)) return unauthorized();
    if (book.failBeforeAccept > 0) {
      book.failBeforeAccept--;
      return err(500, 'server_error', 'Internal Server Error');
    }
    const p = params(ctx);
    const [quote, base] = (p.market ?? '').split('-');
    if (!quote || !base) return err(400, 'validation_error', 'market is missing');
    const taken = (o: FakeOrder) =>
      o.identifier === p.identifier && (book.identifiersUnique === 'forever' || o.state === 'wait');
    if (p.identifier && book.orders.some(taken)) {
      return err(400, 'validation_error', `identifier ${p.identifier} is already used`);
    }
    const price = book.priceOf(p.market);
    const fee = book.feeRate;
    const uuid = randomUUID();
    const created = iso();
    let order: FakeOrder;
    let accepted: FakeOrder;
    if (p.side === 'bid' && p.ord_type === 'price') {
      const asked = Number(p.price);
      if (!(asked >= book.minOrderValue))
        return err(400, 'under_min_total_bid', `minimum order is ${book.minOrderValue} KRW`);
      if (asked * (1 + fee) > (book.balances.get(quote) ?? 0) + 1e-6)
        return err(400, 'insufficient_funds_bid', 'not enough KRW');
      // whole satoshis only: what they do not buy of the amount (and its reserved fee) is refunded, and the order
      // ends `cancel`, not `done`
      const volume = Math.floor(((asked * book.partialFill) / price) * 1e8) / 1e8;
      const funds = volume * price;
      add(quote, -(funds * (1 + fee)));
      add(base, volume);
      const trade: FakeTrade = {
        market: p.market,
        uuid: randomUUID(),
        price: amount(price),
        volume: amount(volume),
        funds: amount(funds),
        side: 'bid',
        created_at: created,
      };
      const base0 = {
        uuid,
        identifier: p.identifier,
        market: p.market,
        side: 'bid' as const,
        ord_type: 'price' as const,
        created_at: created,
        price: String(p.price),
      };
      order = {
        ...base0,
        state: book.partialFill < 1 ? 'wait' : funds < asked ? 'cancel' : 'done',
        executed_volume: amount(volume),
        executed_funds: amount(funds),
        paid_fee: amount(funds * fee),
        locked: '0',
        trades: [trade],
      };
      accepted = {
        ...base0,
        state: 'wait',
        executed_volume: '0',
        executed_funds: '0',
        paid_fee: '0',
        locked: amount(asked * (1 + fee)),
        trades: [],
      };
    } else if (p.side === 'ask' && p.ord_type === 'market') {
      const volume = Number(p.volume);
      const funds = volume * price;
      if (!(funds >= book.minOrderValue))
        return err(400, 'under_min_total_ask', `minimum order is ${book.minOrderValue} KRW`);
      if (volume > (book.balances.get(base) ?? 0) + 1e-12)
        return err(400, 'insufficient_funds_ask', `not enough ${base}`);
      const executed = book.partialFill < 1 ? Math.floor(volume * book.partialFill * 1e8) / 1e8 : volume;
      const got = executed * price;
      add(base, -executed);
      add(quote, got * (1 - fee));
      const trade: FakeTrade = {
        market: p.market,
        uuid: randomUUID(),
        price: amount(price),
        volume: amount(executed),
        funds: amount(got),
        side: 'ask',
        created_at: created,
      };
      const base0 = {
        uuid,
        identifier: p.identifier,
        market: p.market,
        side: 'ask' as const,
        ord_type: 'market' as const,
        created_at: created,
        volume: amount(volume),
      };
      order = {
        ...base0,
        state: executed < volume ? 'wait' : 'done',
        remaining_volume: amount(volume - executed),
        executed_volume: amount(executed),
        executed_funds: amount(got),
        paid_fee: amount(got * fee),
        locked: '0',
        trades: [trade],
      };
      accepted = {
        ...base0,
        state: 'wait',
        remaining_volume: amount(volume),
        executed_volume: '0',
        executed_funds: '0',
        paid_fee: '0',
        locked: amount(volume),
        trades: [],
      };
    } else {
      return err(400, 'validation_error', `unsupported order ${p.side} ${p.ord_type}`);
    }
    book.orders.push(order);
    lag(order, book.lookupLag);
    if (book.onlyByUuid > 0) {
      book.onlyByUuid--;
      archived.add(order);
    }
    if (book.replyDelayMs > 0) await held(book.replyDelayMs);
    if (book.loseRepliesAfterAccept > 0) {
      book.loseRepliesAfterAccept--;
      if (book.lostReplyAs === 'drop') return { drop: true };
      if (book.lostReplyAs === 'timeout') {
        await held(60_000);
        return { drop: true };
      }
      return err(500, 'server_error', 'Internal Server Error');
    }
    return { status: 201, json: listed(accepted) };
  });
  fake.route('GET', '/v1/order', (ctx) => {
    if (!authed(ctx)) return unauthorized();
    const p = params(ctx);
    if (!p.uuid && !p.identifier) return err(400, 'validation_error', 'uuid or identifier is required');
    const o = book.orders.find(
      (x) => (p.uuid && x.uuid === p.uuid) || (p.identifier && x.identifier === p.identifier && !archived.has(x)),
    );
    if (!o || !shown(o)) return err(404, 'order_not_found', '주문을 찾지 못했습니다.');
    return { json: lookedUp(o) };
  });
  /** `state` or `states[]` (Upbit: one of them), defaulting to `fallback`; undefined when a value is not allowed. */
  const states = (ctx: ReplyContext, allowed: string[], fallback: string[]): string[] | undefined => {
    const asked = [...ctx.query.getAll('state'), ...ctx.query.getAll('states[]')];
    if (asked.some((s) => !allowed.includes(s))) return undefined;
    return asked.length ? asked : fallback;
  };
  const list = (ctx: ReplyContext, allowed: string[], fallback: string[]): Reply => {
    if (!authed(ctx)) return unauthorized();
    const want = states(ctx, allowed, fallback);
    if (!want) return err(400, 'validation_error', `state must be one of ${allowed.join(', ')}`);
    const market = ctx.query.get('market');
    const limit = Number(ctx.query.get('limit') ?? 100);
    const rows = book.orders.filter(
      (o) => want.includes(o.state) && (!market || o.market === market) && !archived.has(o) && shown(o),
    );
    return { json: rows.slice().reverse().slice(0, limit).map(listed) };
  };
  fake.route('GET', '/v1/orders/open', (ctx) => list(ctx, ['wait', 'watch'], ['wait']));
  fake.route('GET', '/v1/orders/closed', (ctx) => list(ctx, ['done', 'cancel'], ['done', 'cancel']));
  fake.route('DELETE', '/v1/order', (ctx) => {
    if (!authed(ctx)) return unauthorized();
    const o = book.orders.find((x) => x.uuid === params(ctx).uuid);
    if (!o) return err(404, 'order_not_found', '주문을 찾지 못했습니다.');
    if (o.state !== 'wait' || cancelling.has(o)) return err(400, 'canceled_order', 'the order is not open');
    if (book.cancelLag > 0) {
      cancelling.set(o, book.cancelLag);
      return { json: listed(o) };
    }
    o.state = 'cancel';
    if (book.loseCancelReplies > 0) {
      book.loseCancelReplies--;
      return err(500, 'server_error', 'Internal Server Error');
    }
    return { json: listed(o) };
  });
  fake.route('GET', '/v1/ticker', (ctx) => {
    const markets = (ctx.query.get('markets') ?? '').split(',').filter(Boolean);
    const now = fake.state.now();
    return {
      json: markets.map((market) => {
        const price = book.priceOf(market);
        return { market, trade_price: price, opening_price: price, prev_closing_price: price, timestamp: now };
      }),
    };
  });
  fake.route('GET', '/v1/accounts', (ctx) => {
    if (!authed(ctx)) return unauthorized();
    const json = [...book.balances].map(([currency, balance]) => ({
      currency,
      ...(book.omitFree.has(currency) ? {} : { balance: amount(balance) }),
      locked: amount(book.locked.get(currency) ?? 0),
      avg_buy_price: '0',
      avg_buy_price_modified: false,
      unit_currency: 'KRW',
    }));
    const after = book.afterBalanceRead;
    book.afterBalanceRead = undefined;
    after?.();
    return { json };
  });
  return book;
}

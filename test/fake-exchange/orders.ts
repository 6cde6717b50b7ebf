/**
 * Upbit's private order endpoints for the fake exchange (plugs into startFakeUpbit through `fake.route`):
 * POST /v1/orders (market buy `ord_type=price` with a KRW amount, market sell `ord_type=market` with a volume,
 * `identifier` = client order id, unique), GET /v1/order (by uuid or identifier), GET /v1/orders/open,
 * GET /v1/orders/closed, DELETE /v1/order, GET /v1/accounts. Market orders fill at once at the open of the candle
 * in progress (the next candle after the decision) with Upbit's 0.05% fee. Requests without a Bearer token are 401.
 */
import { randomUUID } from 'node:crypto';
import { timeframeMs } from '../../src/data/timeframe.ts';
import type { FakeUpbit, Reply, ReplyContext } from './server.ts';

export interface FakeOrder {
  uuid: string;
  identifier?: string;
  market: string;
  side: 'bid' | 'ask';
  ord_type: 'price' | 'market';
  state: 'wait' | 'done' | 'cancel';
  created_at: string;
  price?: string;
  volume?: string;
  executed_volume: string;
  paid_fee: string;
  trades: { market: string; uuid: string; price: string; volume: string; funds: string; side: 'bid' | 'ask'; created_at: string }[];
}

export interface FakeOrderBook {
  balances: Map<string, number>;
  orders: FakeOrder[];
  feeRate: number;
  minOrderValue: number;
  /** Accept the next N orders but answer 500 (the reply is lost; the order exists). */
  loseRepliesAfterAccept: number;
  /** Refuse the next N orders with 500 before accepting anything. */
  failBeforeAccept: number;
  /** Open price of the candle in progress for a market, at the exchange's clock. */
  priceOf(market: string): number;
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

export function addOrderEndpoints(fake: FakeUpbit, init: { KRW?: number; BTC?: number; timeframe?: string } = {}): FakeOrderBook {
  const step = timeframeMs(init.timeframe ?? '1h');
  const book: FakeOrderBook = {
    balances: new Map([
      ['KRW', init.KRW ?? 10_000_000],
      ['BTC', init.BTC ?? 0],
    ]),
    orders: [],
    feeRate: 0.0005,
    minOrderValue: 5000,
    loseRepliesAfterAccept: 0,
    failBeforeAccept: 0,
    priceOf(market: string): number {
      const series = fake.state.series.get(`${market}|${step}`);
      if (!series) throw new Error(`no ${market} series`);
      const now = fake.state.now();
      let i = series.ts.length - 1;
      while (i > 0 && series.ts[i] > now) i--;
      return series.open[i];
    },
  };
  const authed = (ctx: ReplyContext) => typeof ctx.headers.authorization === 'string' && ctx.headers.authorization.startsWith('Bearer ');
  const iso = () => new Date(fake.state.now()).toISOString().replace('Z', '+00:00');

  fake.route('POST', '/v1/orders', (ctx) => {
    if (!authed(ctx)) return err(401, 'jwt_verification', 'Failed to verify Jwt token.');
    if (book.failBeforeAccept > 0) {
      book.failBeforeAccept--;
      return err(500, 'server_error', 'Internal Server Error');
    }
    const p = params(ctx);
    const [quote, base] = (p.market ?? '').split('-');
    if (!quote || !base) return err(400, 'validation_error', 'market is missing');
    if (p.identifier && book.orders.some((o) => o.identifier === p.identifier)) return err(400, 'duplicate_identifier', 'identifier already used');
    const price = book.priceOf(p.market);
    const fee = book.feeRate;
    let volume: number;
    let funds: number;
    if (p.side === 'bid' && p.ord_type === 'price') {
      funds = Number(p.price);
      if (!(funds >= book.minOrderValue)) return err(400, 'under_min_total_bid', `minimum order is ${book.minOrderValue} KRW`);
      if (funds * (1 + fee) > (book.balances.get(quote) ?? 0) + 1e-6) return err(400, 'insufficient_funds_bid', 'not enough KRW');
      volume = Math.floor((funds / price) * 1e8) / 1e8;
      funds = volume * price;
      book.balances.set(quote, (book.balances.get(quote) ?? 0) - funds * (1 + fee));
      book.balances.set(base, (book.balances.get(base) ?? 0) + volume);
    } else if (p.side === 'ask' && p.ord_type === 'market') {
      volume = Number(p.volume);
      funds = volume * price;
      if (!(funds >= book.minOrderValue)) return err(400, 'under_min_total_ask', `minimum order is ${book.minOrderValue} KRW`);
      if (volume > (book.balances.get(base) ?? 0) + 1e-12) return err(400, 'insufficient_funds_ask', `not enough ${base}`);
      book.balances.set(base, (book.balances.get(base) ?? 0) - volume);
      book.balances.set(quote, (book.balances.get(quote) ?? 0) + funds * (1 - fee));
    } else {
      return err(400, 'validation_error', `unsupported order ${p.side} ${p.ord_type}`);
    }
    const uuid = randomUUID();
    const order: FakeOrder = {
      uuid,
      identifier: p.identifier,
      market: p.market,
      side: p.side as 'bid' | 'ask',
      ord_type: p.ord_type as 'price' | 'market',
      state: 'done',
      created_at: iso(),
      ...(p.side === 'bid' ? { price: String(p.price) } : { volume: String(volume) }),
      executed_volume: String(volume),
      paid_fee: String(funds * fee),
      trades: [{ market: p.market, uuid: randomUUID(), price: String(price), volume: String(volume), funds: String(funds), side: p.side as 'bid' | 'ask', created_at: iso() }],
    };
    book.orders.push(order);
    if (book.loseRepliesAfterAccept > 0) {
      book.loseRepliesAfterAccept--;
      return err(500, 'server_error', 'Internal Server Error');
    }
    return { status: 201, json: order };
  });
  fake.route('GET', '/v1/order', (ctx) => {
    if (!authed(ctx)) return err(401, 'jwt_verification', 'Failed to verify Jwt token.');
    const p = params(ctx);
    const o = book.orders.find((x) => (p.uuid && x.uuid === p.uuid) || (p.identifier && x.identifier === p.identifier));
    return o ? { json: o } : err(404, 'order_not_found', 'order not found');
  });
  fake.route('GET', '/v1/orders/open', (ctx) => (authed(ctx) ? { json: book.orders.filter((o) => o.state === 'wait') } : err(401, 'jwt_verification', 'Failed to verify Jwt token.')));
  fake.route('GET', '/v1/orders/closed', (ctx) => (authed(ctx) ? { json: book.orders.filter((o) => o.state !== 'wait').slice().reverse() } : err(401, 'jwt_verification', 'Failed to verify Jwt token.')));
  fake.route('DELETE', '/v1/order', (ctx) => {
    const o = book.orders.find((x) => x.uuid === params(ctx).uuid);
    if (!o) return err(404, 'order_not_found', 'order not found');
    if (o.state === 'wait') o.state = 'cancel';
    return { json: o };
  });
  fake.route('GET', '/v1/accounts', (ctx) => {
    if (!authed(ctx)) return err(401, 'jwt_verification', 'Failed to verify Jwt token.');
    return { json: [...book.balances].map(([currency, balance]) => ({ currency, balance: String(balance), locked: '0', avg_buy_price: '0', avg_buy_price_modified: false, unit_currency: 'KRW' })) };
  });
  return book;
}

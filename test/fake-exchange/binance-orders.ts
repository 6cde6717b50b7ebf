/**
 * Binance's spot orders for tests that place and read orders through ccxt's own Binance client (plugs into the fake
 * exchange's server through `fake.route`), as Binance documents them:
 * - `POST /api/v3/order`: a MARKET order (`quoteOrderQty` for a buy, `quantity` for a sell) fills at once at `price`
 *   (BTCUSDT; ETHUSDT at `ethPrice`, BNBUSDT at `bnbPrice` when set), with a 0.1% fee in the currency received, and
 *   answers FULL (with its fills). `newClientOrderId` is unique among open orders only: a filled order's id is free
 *   again, so a second order under it is taken.
 * - `GET /api/v3/order` (by `orderId` or `origClientOrderId`), `openOrders`, `allOrders` and `myTrades` (by
 *   `orderId`). An order as these queries show it carries `cummulativeQuoteQty` but no fills: what the fee was, and
 *   in which currency, only its trades say ("Query order" and "Account trade list").
 * - `GET /api/v3/account` (the balances orders move) and `GET /api/v3/ticker/24hr` for BNBUSDT; with `bnbFee` set, each
 *   order's fee is that many BNB (the BNB discount) instead of 0.1% in the currency received, while BNB can pay it.
 * - Faults: an order taken with its reply lost (`-1007`, "execution status unknown"), and a lag before a taken order
 *   shows in the queries.
 */
import type { Exchange } from 'ccxt';
import { ccxtLib } from '../../src/data/ccxt.ts';
import { lookupLag } from './orders.ts';
import type { FakeUpbit } from './server.ts';

const ccxt = ccxtLib();

/** An order as `GET /api/v3/order` returns it. */
export interface BinanceOrder {
  symbol: string;
  orderId: number;
  clientOrderId: string;
  price: string;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  status: 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
  type: 'MARKET';
  side: 'BUY' | 'SELL';
  time: number;
  updateTime: number;
}

/** A trade as `GET /api/v3/myTrades` returns it. */
export interface BinanceTrade {
  symbol: string;
  id: number;
  orderId: number;
  price: string;
  qty: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
}

/**
 * ccxt's Binance client with its BTC/USDT (and BNB/USDT, ETH/USDT) markets set by hand (no `exchangeInfo` to serve),
 * pointed at `fake` when one is given (its private API under `/api/v3`) with an API key, else for parsing replies only.
 */
export function binanceClient(fake?: FakeUpbit): Exchange {
  const ex = fake
    ? new ccxt.binance({
        urls: { api: { public: `${fake.url}/api/v3`, private: `${fake.url}/api/v3` } },
        apiKey: 'binance-test-key-0123456789',
        secret: 'binance-test-secret-0123456789',
      })
    : new ccxt.binance();
  const spot = (base: string, amount: number) =>
    ({
      id: `${base}USDT`,
      symbol: `${base}/USDT`,
      base,
      quote: 'USDT',
      baseId: base,
      quoteId: 'USDT',
      type: 'spot',
      spot: true,
      active: true,
      precision: { amount, price: 0.01 },
      limits: {},
      info: { orderTypes: ['LIMIT', 'MARKET'] },
    }) as never;
  // BNB/USDT (for valuing fees paid in BNB) only on a client with a fake to ask: a parser must never reach Binance
  ex.setMarkets([...(fake ? [spot('BNB', 1e-3), spot('ETH', 1e-4)] : []), spot('BTC', 1e-5)]);
  return ex;
}

export interface BinanceBook {
  orders: BinanceOrder[];
  trades: BinanceTrade[];
  /** The BTCUSDT price market orders fill at. */
  price: number;
  /** When set: ETHUSDT's price, for orders in a second market (a portfolio run); unset, ETHUSDT is refused. */
  ethPrice?: number;
  /** Take the next N orders but lose the reply (`-1007`): the order exists on the exchange. */
  loseRepliesAfterAccept: number;
  /** Each order taken from now on is missing from the next N queries that would show it. */
  lookupLag: number;
  /** Free balances by asset (USDT, BTC, BNB), moved by every order. */
  balances: Map<string, number>;
  /** When set: each order's fee is this many BNB, taken from the BNB balance while it holds that much. */
  bnbFee?: number;
  /** BNBUSDT's price, for the ticker and for orders; undefined: both answer -1121 (invalid symbol). */
  bnbPrice?: number;
}

const open = (o: BinanceOrder) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';

/** Serves `book`'s orders and trades on Binance's order endpoints; `trades` may change between requests. */
export function addBinanceOrderQueries(fake: FakeUpbit, init: Partial<BinanceBook> = {}): BinanceBook {
  const book: BinanceBook = {
    orders: [],
    trades: [],
    price: 50_000,
    loseRepliesAfterAccept: 0,
    lookupLag: 0,
    balances: new Map(),
    ...init,
  };
  const add = (asset: string, x: number) => book.balances.set(asset, (book.balances.get(asset) ?? 0) + x);
  const { lag, shown } = lookupLag<BinanceOrder>();

  const missing = { status: 400, json: { code: -2013, msg: 'Order does not exist.' } };
  fake.route('POST', '/api/v3/order', (ctx) => {
    const p = new URLSearchParams(ctx.body);
    for (const [k, v] of ctx.query) p.set(k, v);
    const clientOrderId = p.get('newClientOrderId') ?? `web_${book.orders.length}`;
    if (book.orders.some((o) => o.clientOrderId === clientOrderId && open(o)))
      return { status: 400, json: { code: -2010, msg: 'Duplicate order sent.' } };
    const side = p.get('side') === 'SELL' ? 'SELL' : 'BUY';
    const symbol = p.get('symbol') ?? '';
    // base, price and amount step (the inverse of binanceClient's precision) of the markets this book trades
    const markets: Record<string, [string, number | undefined, number]> = {
      BTCUSDT: ['BTC', book.price, 1e5],
      ETHUSDT: ['ETH', book.ethPrice, 1e4],
      BNBUSDT: ['BNB', book.bnbPrice, 1e3],
    };
    const [base, price, step] = markets[symbol] ?? ['', undefined, 0];
    if (price === undefined) return { status: 400, json: { code: -1121, msg: 'Invalid symbol.' } };
    const qty =
      side === 'BUY' ? Math.floor((Number(p.get('quoteOrderQty')) / price) * step) / step : Number(p.get('quantity'));
    if (!(qty > 0)) return { status: 400, json: { code: -1013, msg: 'Filter failure: LOT_SIZE' } };
    const t = fake.state.now();
    const orderId = 1000 + book.orders.length;
    const fee = qty * 0.001;
    const value = qty * price;
    // as Binance does, a fee BNB cannot pay (too little held, this order's BNB counted) is in the currency received
    const bnbHeld = (book.balances.get('BNB') ?? 0) + (base !== 'BNB' ? 0 : side === 'BUY' ? qty : -qty);
    const inBnb = book.bnbFee !== undefined && bnbHeld >= book.bnbFee;
    add(base, side === 'BUY' ? qty - (inBnb ? 0 : fee) : -qty);
    add('USDT', side === 'BUY' ? -value : value - (inBnb ? 0 : fee * price));
    if (inBnb) add('BNB', -(book.bnbFee ?? 0));
    const order: BinanceOrder = {
      symbol,
      orderId,
      clientOrderId,
      price: '0.00000000',
      origQty: qty.toFixed(8),
      executedQty: qty.toFixed(8),
      cummulativeQuoteQty: value.toFixed(8),
      status: 'FILLED',
      type: 'MARKET',
      side,
      time: t,
      updateTime: t,
    };
    const trade: BinanceTrade = {
      symbol,
      id: 5000 + book.trades.length,
      orderId,
      price: price.toFixed(2),
      qty: qty.toFixed(8),
      quoteQty: value.toFixed(8),
      commission: (inBnb ? (book.bnbFee ?? 0) : side === 'BUY' ? fee : fee * price).toFixed(8),
      commissionAsset: inBnb ? 'BNB' : side === 'BUY' ? base : 'USDT',
      time: t,
      isBuyer: side === 'BUY',
      isMaker: false,
    };
    book.orders.push(order);
    book.trades.push(trade);
    lag(order, book.lookupLag);
    if (book.loseRepliesAfterAccept > 0) {
      book.loseRepliesAfterAccept--;
      const msg = 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.';
      return { status: 503, json: { code: -1007, msg } };
    }
    const { commission, commissionAsset } = trade;
    const fill = { price: trade.price, qty: trade.qty, commission, commissionAsset };
    return { json: { ...order, transactTime: t, fills: [fill] } };
  });
  fake.route('GET', '/api/v3/order', (ctx) => {
    const id = ctx.query.get('orderId');
    const client = ctx.query.get('origClientOrderId');
    const o = book.orders.find((x) => String(x.orderId) === id || x.clientOrderId === client);
    return o && shown(o) ? { json: o } : missing;
  });
  fake.route('GET', '/api/v3/openOrders', () => ({ json: book.orders.filter((o) => open(o) && shown(o)) }));
  fake.route('GET', '/api/v3/allOrders', () => ({ json: book.orders.filter(shown) }));
  fake.route('GET', '/api/v3/myTrades', (ctx) => {
    const id = ctx.query.get('orderId');
    return { json: book.trades.filter((t) => id === null || String(t.orderId) === id) };
  });
  fake.route('GET', '/api/v3/account', () => ({
    json: {
      accountType: 'SPOT',
      balances: [...book.balances].map(([asset, free]) => ({ asset, free: free.toFixed(8), locked: '0.00000000' })),
    },
  }));
  fake.route('GET', '/api/v3/ticker/24hr', (ctx) => {
    if (ctx.query.get('symbol') !== 'BNBUSDT' || book.bnbPrice === undefined)
      return { status: 400, json: { code: -1121, msg: 'Invalid symbol.' } };
    const p = book.bnbPrice.toFixed(2);
    return { json: { symbol: 'BNBUSDT', lastPrice: p, bidPrice: p, askPrice: p, closeTime: fake.state.now() } };
  });
  return book;
}

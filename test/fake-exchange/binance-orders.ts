/**
 * Binance's spot order queries for tests that read orders back through ccxt's own Binance client (plugs into the fake
 * exchange's server through `fake.route`): `GET /api/v3/order` (by `orderId` or `origClientOrderId`), `openOrders`,
 * `allOrders` and `myTrades` (by `orderId`), answered from orders and trades as Binance writes them. An order as these
 * queries show it carries `cummulativeQuoteQty` but no fills: what the fee was, and in which currency, only its trades
 * say (Binance's "Query order" and "Account trade list" documentation).
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FakeUpbit } from './server.ts';

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
 * ccxt's Binance client with its BTC/USDT market set by hand (no `exchangeInfo` to serve), pointed at `fake` when one
 * is given (its private API under `/api/v3`) with an API key, else for parsing replies only.
 */
export function binanceClient(fake?: FakeUpbit): Exchange {
  const ex = fake
    ? new ccxt.binance({
        urls: { api: { public: `${fake.url}/api/v3`, private: `${fake.url}/api/v3` } },
        apiKey: 'binance-test-key-0123456789',
        secret: 'binance-test-secret-0123456789',
      })
    : new ccxt.binance();
  ex.setMarkets([
    {
      id: 'BTCUSDT',
      symbol: 'BTC/USDT',
      base: 'BTC',
      quote: 'USDT',
      baseId: 'BTC',
      quoteId: 'USDT',
      type: 'spot',
      spot: true,
      active: true,
      precision: { amount: 1e-5, price: 0.01 },
      limits: {},
      info: {},
    } as never,
  ]);
  return ex;
}

/** Serves `book`'s orders and trades on Binance's order query endpoints; `trades` may change between requests. */
export function addBinanceOrderQueries(
  fake: FakeUpbit,
  book: { orders: BinanceOrder[]; trades: BinanceTrade[] },
): void {
  const missing = { status: 400, json: { code: -2013, msg: 'Order does not exist.' } };
  fake.route('GET', '/api/v3/order', (ctx) => {
    const id = ctx.query.get('orderId');
    const client = ctx.query.get('origClientOrderId');
    const o = book.orders.find((x) => String(x.orderId) === id || x.clientOrderId === client);
    return o ? { json: o } : missing;
  });
  fake.route('GET', '/api/v3/openOrders', () => ({
    json: book.orders.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'),
  }));
  fake.route('GET', '/api/v3/allOrders', () => ({ json: book.orders }));
  fake.route('GET', '/api/v3/myTrades', (ctx) => {
    const id = ctx.query.get('orderId');
    return { json: book.trades.filter((t) => id === null || String(t.orderId) === id) };
  });
}

/**
 * A fake Upbit REST server on 127.0.0.1 for tests, demos and benchmarks. It answers the endpoints ccxt's `upbit`
 * class calls for markets, candles (minutes/N, days, weeks) and tickers, from seeded synthetic series, with Upbit's
 * paging (newest first, `to` exclusive, count ≤ 200, the still-open candle included, empty intervals skipped),
 * switchable faults and optional enforcement of the 10 requests/second limit. `maxCandlesPerReply` makes it answer
 * fewer candles than asked, as exchanges that cap replies below ccxt's figure do: the newest ones (paging backwards,
 * as Upbit would) or, with `cappedReplyKeeps: 'oldest'`, the oldest (as exchanges paging forwards from a start do).
 *
 * Extend it with `fake.route(method, pattern, handler)` (e.g. orders and accounts for paper/live trading);
 * per-test data goes in `fake.state` or the handler's closure.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { emptyCandles, type Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { timeframeMs } from '../../src/data/timeframe.ts';

export type FaultKind = '429' | '429-json' | '418' | '500' | '500-json' | '503' | 'slow' | 'malformed' | 'reset';

export interface Fault {
  kind: FaultKind;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Substring of the request path it applies to (default `/candles`). */
  match?: string;
  /** Only requests with this method (default: any). */
  method?: string;
  /** For `slow`: how long to wait before answering (default 60 s, i.e. past any client timeout). */
  delayMs?: number;
}

export interface MarketInfo {
  market: string;
  korean_name: string;
  english_name: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Real time of arrival, ms. */
  at: number;
  fault?: FaultKind;
}

export interface FakeUpbitState {
  /** The exchange's clock: decides which candle is still open and which ones exist yet. */
  now: () => number;
  markets: MarketInfo[];
  /** Series by `${market}|${timeframe ms}`; a missing one is generated on first use. */
  series: Map<string, Candles>;
  faults: Fault[];
  requests: RequestRecord[];
  /** Requests per second per group (candles, market, ticker) before 429; 0 = no limit. */
  rateLimitPerSecond: number;
  /** Most candles one reply holds, whatever `count` asked (default: as many as asked). */
  maxCandlesPerReply?: number;
  /** Which end of the asked range a capped reply keeps (default newest). */
  cappedReplyKeeps: 'newest' | 'oldest';
}

export interface ReplyContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: string;
  headers: http.IncomingHttpHeaders;
  state: FakeUpbitState;
}

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** Close the connection without an answer (a reply lost on the way back). */
  drop?: boolean;
}

export type Handler = (ctx: ReplyContext) => Reply | Promise<Reply>;

export interface FakeUpbitOptions {
  now?: () => number;
  markets?: MarketInfo[];
  /** Initial series; their `symbol` (BTC/KRW) or `exchange`-independent market is given by `market`. */
  series?: { market: string; candles: Candles }[];
  rateLimitPerSecond?: number;
  maxCandlesPerReply?: number;
  cappedReplyKeeps?: 'newest' | 'oldest';
  /** Seed of generated series. */
  seed?: number;
}

export interface FakeUpbit {
  /** Base URL to give ccxt as `urls.api.public` / `.private`. */
  url: string;
  state: FakeUpbitState;
  /** Config fragment pointing ccxt at this server. */
  ccxtOptions(): { urls: { api: { public: string; private: string } } };
  route(method: string, pattern: string, handler: Handler): void;
  setSeries(market: string, candles: Candles): void;
  /** Removes candles (holes the exchange skips) from a market's series. */
  dropCandles(market: string, timeframe: string, drop: (ts: number) => boolean): void;
  addFault(fault: Fault): void;
  candleRequests(): RequestRecord[];
  close(): Promise<void>;
}

const DEFAULT_MARKETS: MarketInfo[] = [
  { market: 'KRW-BTC', korean_name: '비트코인', english_name: 'Bitcoin' },
  { market: 'KRW-ETH', korean_name: '이더리움', english_name: 'Ethereum' },
  { market: 'KRW-XRP', korean_name: '리플', english_name: 'XRP' },
  { market: 'BTC-ETH', korean_name: '이더리움', english_name: 'Ethereum' },
];

const KST_MS = 9 * 3_600_000;

function upbitTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function upbitError(status: number, name: string | number, message: string): Reply {
  return { status, json: { error: { name, message } } };
}

interface CompiledRoute {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

function compile(method: string, pattern: string, handler: Handler): CompiledRoute {
  const keys: string[] = [];
  const re = new RegExp(
    '^' +
      pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, k: string) => (keys.push(k), '([^/]+)')) +
      '$',
  );
  return { method: method.toUpperCase(), re, keys, handler };
}

function group(path: string): string {
  if (path.includes('/candles')) return 'candles';
  if (path.includes('/market')) return 'market';
  if (path.includes('/ticker')) return 'ticker';
  return 'default';
}

/** Parses Upbit's `to`: ISO 8601 with or without zone (without: UTC), or `yyyy-MM-dd HH:mm:ss`. */
function parseTo(value: string): number {
  const v = value.trim().replace(' ', 'T');
  return Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v : v + 'Z');
}

export async function startFakeUpbit(options: FakeUpbitOptions = {}): Promise<FakeUpbit> {
  const state: FakeUpbitState = {
    now: options.now ?? Date.now,
    markets: options.markets ?? DEFAULT_MARKETS,
    series: new Map(),
    faults: [],
    requests: [],
    rateLimitPerSecond: options.rateLimitPerSecond ?? 0,
    maxCandlesPerReply: options.maxCandlesPerReply,
    cappedReplyKeeps: options.cappedReplyKeeps ?? 'newest',
  };
  const seed = options.seed ?? 7;
  const routes: CompiledRoute[] = [];
  const recent = new Map<string, number[]>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const key = (market: string, stepMs: number) => `${market}|${stepMs}`;
  const setSeries = (market: string, candles: Candles) =>
    state.series.set(key(market, timeframeMs(candles.timeframe)), candles);
  for (const s of options.series ?? []) setSeries(s.market, s.candles);

  function seriesFor(market: string, stepMs: number, timeframe: string): Candles {
    const k = key(market, stepMs);
    let c = state.series.get(k);
    if (!c) {
      const start = Date.UTC(2024, 0, 1);
      const count = Math.max(10, Math.min(100_000, Math.ceil((state.now() - start) / stepMs) + 50));
      let hash = seed;
      for (const ch of k) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) | 0;
      c = syntheticCandles({
        seed: hash,
        count,
        timeframe,
        start,
        tick: market.startsWith('KRW-') ? 1000 : 0,
        symbol: market,
      });
      state.series.set(k, c);
    }
    return c;
  }

  /** Upbit's candle list: newest first, open time < `to`, at most `count`, the open candle as it stands at now(). */
  function candles(
    ctx: ReplyContext,
    stepMs: number,
    timeframe: string,
    kind: 'minutes' | 'days' | 'weeks',
    unit?: number,
  ): Reply {
    const market = ctx.query.get('market') ?? '';
    if (!state.markets.some((m) => m.market === market)) return upbitError(404, 404, 'Code not found');
    const countRaw = ctx.query.get('count') ?? '1';
    const count = Number(countRaw);
    if (!Number.isInteger(count) || count < 1 || count > 200)
      return upbitError(400, 'validation_error', 'count must be between 1 and 200');
    const now = state.now();
    let to = now + 1;
    const toRaw = ctx.query.get('to');
    if (toRaw) {
      to = parseTo(toRaw);
      if (!Number.isFinite(to)) return upbitError(400, 'validation_error', `invalid to: ${toRaw}`);
    }
    const limit = Math.min(to, now + 1);
    const c = seriesFor(market, stepMs, timeframe);
    // binary search for the first candle with ts >= limit
    let lo = 0;
    let hi = c.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c.ts[mid] < limit) lo = mid + 1;
      else hi = mid;
    }
    const out: Record<string, unknown>[] = [];
    for (let i = lo - 1; i >= 0 && out.length < count; i--) {
      const ts = c.ts[i];
      const open = c.open[i];
      let [high, low, close, volume] = [c.high[i], c.low[i], c.close[i], c.volume[i]];
      if (ts + stepMs > now) {
        // still open: only part of the interval has traded
        const frac = Math.max(0.01, (now - ts) / stepMs);
        close = open + (close - open) * frac;
        high = Math.max(open, close);
        low = Math.min(open, close);
        volume = volume * frac;
      }
      const row: Record<string, unknown> = {
        market,
        candle_date_time_utc: upbitTime(ts),
        candle_date_time_kst: upbitTime(ts + KST_MS),
        opening_price: open,
        high_price: high,
        low_price: low,
        trade_price: close,
        timestamp: Math.min(now, ts + stepMs - 1),
        candle_acc_trade_price: Math.round(volume * close * 1e4) / 1e4,
        candle_acc_trade_volume: volume,
      };
      if (kind === 'minutes') row.unit = unit;
      else {
        const prev = i > 0 ? c.close[i - 1] : open;
        row.prev_closing_price = prev;
        row.change_price = close - prev;
        row.change_rate = prev ? (close - prev) / prev : 0;
        if (kind === 'weeks') row.first_day_of_period = upbitTime(ts).slice(0, 10);
      }
      out.push(row);
    }
    const cap = state.maxCandlesPerReply ?? Infinity;
    if (out.length > cap) return { json: state.cappedReplyKeeps === 'newest' ? out.slice(0, cap) : out.slice(-cap) };
    return { json: out };
  }

  const api = {
    route(method: string, pattern: string, handler: Handler) {
      routes.unshift(compile(method, pattern, handler));
    },
  };

  api.route('GET', '/v1/market/all', () => ({ json: state.markets }));
  api.route('GET', '/v1/candles/minutes/:unit', (ctx) => {
    const unit = Number(ctx.params.unit);
    if (![1, 3, 5, 10, 15, 30, 60, 240].includes(unit))
      return upbitError(400, 'validation_error', `unit ${ctx.params.unit} not supported`);
    return candles(ctx, unit * 60_000, unit % 60 === 0 ? `${unit / 60}h` : `${unit}m`, 'minutes', unit);
  });
  api.route('GET', '/v1/candles/days', (ctx) => candles(ctx, 86_400_000, '1d', 'days'));
  api.route('GET', '/v1/candles/weeks', (ctx) => candles(ctx, 7 * 86_400_000, '1w', 'weeks'));
  api.route('GET', '/v1/ticker', (ctx) => {
    const ids = (ctx.query.get('markets') ?? '').split(',').filter(Boolean);
    if (ids.length === 0 || ids.some((id) => !state.markets.some((m) => m.market === id)))
      return upbitError(404, 404, 'Code not found');
    const now = state.now();
    return {
      json: ids.map((market) => {
        const c = seriesFor(market, 60_000, '1m');
        let i = c.ts.length - 1;
        while (i > 0 && c.ts[i] > now) i--;
        const prevDay = c.close[Math.max(0, i - 1440)];
        const d = new Date(now);
        return {
          market,
          trade_date: d.toISOString().slice(0, 10).replace(/-/g, ''),
          trade_time: d.toISOString().slice(11, 19).replace(/:/g, ''),
          trade_timestamp: now,
          opening_price: c.open[Math.max(0, i - 1440)],
          high_price: Math.max(...c.high.subarray(Math.max(0, i - 1440), i + 1)),
          low_price: Math.min(...c.low.subarray(Math.max(0, i - 1440), i + 1)),
          trade_price: c.close[i],
          prev_closing_price: prevDay,
          change: c.close[i] > prevDay ? 'RISE' : c.close[i] < prevDay ? 'FALL' : 'EVEN',
          change_price: Math.abs(c.close[i] - prevDay),
          change_rate: Math.abs(c.close[i] - prevDay) / prevDay,
          signed_change_price: c.close[i] - prevDay,
          signed_change_rate: (c.close[i] - prevDay) / prevDay,
          trade_volume: c.volume[i],
          acc_trade_price_24h: 0,
          acc_trade_volume_24h: 0,
          timestamp: now,
        };
      }),
    };
  });

  function takeFault(method: string, path: string): Fault | undefined {
    const idx = state.faults.findIndex(
      (f) => path.includes(f.match ?? '/candles') && (!f.method || f.method === method),
    );
    if (idx < 0) return undefined;
    const f = state.faults[idx];
    const left = (f.times ?? 1) - 1;
    if (left <= 0) state.faults.splice(idx, 1);
    else state.faults[idx] = { ...f, times: left };
    return f;
  }

  function faultReply(f: Fault): Reply | 'reset' | 'malformed' {
    switch (f.kind) {
      case '429':
        return { status: 429, text: 'Too many API requests.' };
      case '429-json':
        return upbitError(429, 'too_many_requests', 'Too many API requests.');
      case '418':
        return { status: 418, text: 'You are temporarily blocked.' };
      case '500':
        return { status: 500, text: 'Internal Server Error' };
      case '500-json':
        return upbitError(500, 'server_error', 'Internal Server Error');
      case '503':
        return { status: 503, text: 'Service Unavailable' };
      case 'malformed':
        return 'malformed';
      case 'reset':
        return 'reset';
      case 'slow':
        return { status: 200 };
    }
  }

  function rateLimited(path: string, at: number): boolean {
    if (!state.rateLimitPerSecond) return false;
    const g = group(path);
    const list = (recent.get(g) ?? []).filter((t) => at - t < 1000);
    if (list.length >= state.rateLimitPerSecond) {
      recent.set(g, list);
      return true;
    }
    list.push(at);
    recent.set(g, list);
    return false;
  }

  function send(res: http.ServerResponse, reply: Reply): number {
    const status = reply.status ?? 200;
    // the exchange's own clock in every reply, as an HTTP server's Date header gives it (whole seconds)
    const headers: Record<string, string> = { date: new Date(state.now()).toUTCString(), ...(reply.headers ?? {}) };
    let body = '';
    if (reply.json !== undefined) {
      body = JSON.stringify(reply.json);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    } else if (reply.text !== undefined) {
      body = reply.text;
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    }
    res.writeHead(status, headers);
    res.end(body);
    return status;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const at = performance.timeOrigin + performance.now();
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const path = url.pathname;
        const record: RequestRecord = {
          method: req.method ?? 'GET',
          path,
          query: Object.fromEntries(url.searchParams),
          status: 0,
          at,
        };
        state.requests.push(record);
        try {
          if (rateLimited(path, at)) {
            record.status = send(res, { status: 429, text: 'Too many API requests.' });
            return;
          }
          const fault = takeFault((req.method ?? 'GET').toUpperCase(), path);
          if (fault) record.fault = fault.kind;
          if (fault?.kind === 'slow') {
            await new Promise<void>((resolve) => {
              const t = setTimeout(() => (timers.delete(t), resolve()), fault.delayMs ?? 60_000);
              timers.add(t);
            });
            if (res.destroyed || req.socket.destroyed) return;
          } else if (fault) {
            const r = faultReply(fault);
            if (r === 'reset') {
              req.socket.destroy();
              return;
            }
            if (r === 'malformed') {
              res.writeHead(200, { 'content-type': 'application/json' });
              res.end('[{"market":"KRW-BTC","candle_date_time_utc":"2024-01-');
              record.status = 200;
              return;
            }
            record.status = send(res, r);
            return;
          }
          const method = (req.method ?? 'GET').toUpperCase();
          for (const r of routes) {
            if (r.method !== method) continue;
            const m = r.re.exec(path);
            if (!m) continue;
            const params: Record<string, string> = {};
            r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
            const reply = await r.handler({
              method,
              path,
              params,
              query: url.searchParams,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: req.headers,
              state,
            });
            if (reply.drop) {
              req.socket.destroy();
              return;
            }
            reply.headers = { 'Remaining-Req': `group=${group(path)}; min=1800; sec=9`, ...(reply.headers ?? {}) };
            record.status = send(res, reply);
            return;
          }
          record.status = send(res, upbitError(404, 404, `no route ${method} ${path}`));
        } catch (e) {
          record.status = send(res, upbitError(500, 'server_error', (e as Error).message));
        }
      })();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    state,
    ccxtOptions: () => ({ urls: { api: { public: url, private: url } } }),
    route: api.route,
    setSeries,
    dropCandles(market, timeframe, drop) {
      const stepMs = timeframeMs(timeframe);
      const c = seriesFor(market, stepMs, timeframe);
      const keep: number[] = [];
      for (let i = 0; i < c.ts.length; i++) if (!drop(c.ts[i])) keep.push(i);
      const out = emptyCandles(c.exchange, c.symbol, c.timeframe, keep.length);
      keep.forEach((src, j) => {
        out.ts[j] = c.ts[src];
        out.open[j] = c.open[src];
        out.high[j] = c.high[src];
        out.low[j] = c.low[src];
        out.close[j] = c.close[src];
        out.volume[j] = c.volume[src];
      });
      state.series.set(key(market, stepMs), out);
    },
    addFault(f) {
      state.faults.push(f);
    },
    candleRequests: () => state.requests.filter((r) => r.path.includes('/candles')),
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

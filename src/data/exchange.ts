/**
 * The ccxt exchange client and its faults: building the client from config (keys from the environment only), retries
 * with backoff by fault kind (unreachable, transient, fatal), the rate-limit margin, and paging closed OHLCV candles.
 */
import type { Exchange } from 'ccxt';
import { ccxtLib } from './ccxt.ts';
import type { ExchangeSettings } from './config.ts';
import { credentialsFromEnv } from '../core/secrets.ts';
import { PastDeadlineError, UserError } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { redactSecrets } from '../core/redact.ts';
import type { CandleRow } from '../core/candles.ts';
import { isoTime, timeframeMs } from './timeframe.ts';

export interface RetryOptions {
  /** Retries after the first try (config exchange.retries). */
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * On the monotonic clock (performance.now()): no retry, nor its backoff wait, when the retry would start past it; a
   * try already under way finishes. Set only inside a late candle's look (its bound); a fault then throws
   * PastDeadlineError.
   */
  deadline?: number;
  /** Called before each retry wait (besides the log line). */
  onRetry?: (info: { what: string; attempt: number; delayMs: number; error: Error }) => void;
}

export function retryOptionsFrom(config: ExchangeSettings): RetryOptions {
  const { retries, backoffMs, maxBackoffMs } = config.exchange;
  return { retries, backoffMs, maxBackoffMs };
}

function isJson(body: unknown): boolean {
  if (typeof body !== 'string') return true;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** Requests are spaced this much wider than ccxt's `rateLimit` says (unless exchange.ccxt sets rateLimit). */
export const RATE_LIMIT_MARGIN = 1.05;

/** An error carrying the HTTP status of the reply that caused it (set by the exchange wrapper below). */
type WithHttpStatus = Error & { httpStatus?: number };

/**
 * A ccxt exchange from config: `exchange.ccxt` goes to the constructor as it is (urls, options, …),
 * plus the timeout, the rate limiter on, and credentials from the environment when present.
 */
export function createExchange(config: ExchangeSettings): Exchange {
  const ccxt = ccxtLib();
  const id = config.exchange.id;
  const classes = ccxt as unknown as Record<string, new (options: Record<string, unknown>) => Exchange>;
  if (!ccxt.exchanges.includes(id) || typeof classes[id] !== 'function') {
    throw new UserError(`exchange.id: unknown exchange "${id}" (ccxt knows e.g. upbit, binance, bithumb, kraken)`);
  }
  const creds = credentialsFromEnv(id);
  // ccxt's verbose mode prints every request with its headers: a signed one's Authorization header carries a token
  // whose payload holds the API key (base64, which no redaction of the raw key catches)
  if (creds && config.exchange.ccxt.verbose)
    throw new UserError(
      'exchange.ccxt.verbose prints each signed request with its Authorization header, which carries the API key: ' +
        'remove it while API keys are set',
    );
  const ex = new classes[id]({
    enableRateLimit: true,
    timeout: config.exchange.timeoutMs,
    ...config.exchange.ccxt,
    ...(creds ? { apiKey: creds.apiKey, secret: creds.secret } : {}),
  });
  if (config.exchange.ccxt.rateLimit === undefined && ex.rateLimit !== undefined && ex.rateLimit > 0) {
    // ccxt's spacing is exactly the exchange's limit; the exchange counts arrivals, which jitter by a few ms,
    // so stay a little under it rather than collect 429s
    ex.rateLimit *= RATE_LIMIT_MARGIN;
    (ex as unknown as { tokenBucket: unknown }).tokenBucket = undefined;
    ex.initRestRateLimiter();
  }
  // ccxt reports some HTTP 429/5xx answers as a plain ExchangeError: tag each error with its reply's status so
  // retries can decide by it (per request, so concurrent requests cannot mix their statuses up).
  const tagged =
    <A extends unknown[], R>(fn: (code: number, ...rest: A) => R) =>
    (code: number, ...rest: A): R => {
      try {
        return fn(code, ...rest);
      } catch (e) {
        if (e instanceof Error) (e as WithHttpStatus).httpStatus = code;
        throw e;
      }
    };
  ex.handleErrors = tagged(ex.handleErrors.bind(ex));
  ex.handleHttpStatusCode = tagged(ex.handleHttpStatusCode.bind(ex));
  // A 2xx reply that is not JSON reaches ccxt's callers as an empty list, which would silently skip candles.
  const onRestResponse = ex.onRestResponse.bind(ex);
  ex.onRestResponse = (statusCode: number, ...rest: unknown[]) => {
    if (statusCode >= 200 && statusCode < 300 && !isJson(rest[4])) {
      throw new BadCandlesError(`${id}: the reply to ${String(rest[1])} is not valid JSON`);
    }
    return (onRestResponse as (...a: unknown[]) => unknown)(statusCode, ...rest);
  };
  return ex;
}

export type FaultKind = 'unreachable' | 'transient' | 'fatal';

const UNREACHABLE = new RegExp(
  [
    ...['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'getaddrinfo'],
    ...['ConnectionRefused', 'DNSError', 'FailedToOpenSocket'],
  ].join('|'),
  'i',
);

/** Whether an error is worth retrying: network faults, timeouts, 429, 418, 5xx (by class or by HTTP status). */
export function classifyError(error: unknown, httpStatus?: number): FaultKind {
  const e = error as WithHttpStatus;
  const status = httpStatus ?? e.httpStatus;
  const ccxt = ccxtLib();
  if (e instanceof ccxt.NetworkError && UNREACHABLE.test(e.message)) return 'unreachable';
  if (e instanceof ccxt.NetworkError || e instanceof ccxt.BadResponse || e instanceof ccxt.NullResponse)
    return 'transient';
  if (e instanceof ccxt.ExchangeError && status !== undefined && (status === 429 || status === 418 || status >= 500))
    return 'transient';
  if (e instanceof BadCandlesError) return 'transient';
  if (e instanceof SyntaxError) return 'transient';
  return 'fatal';
}

/**
 * The exchange did not answer at all (no route, DNS failure, refused, timeouts): callers may fall back to offline data.
 */
export class ExchangeUnreachableError extends UserError {
  override name = 'ExchangeUnreachableError';
}

/**
 * The exchange answered and said no (no such market or timeframe, bad credentials, a rejected request): asking again,
 * or deciding on stored candles instead, would hide a request that cannot succeed.
 */
export class ExchangeRefusedError extends UserError {
  override name = 'ExchangeRefusedError';
}

/**
 * The exchange answered only with transient faults (5xx, 429, replies that were not candles) until the retries ran
 * out: it was reached, so it is not "cannot be reached"; callers that may decide on stored candles say so truthfully.
 */
export class ExchangeUnansweredError extends UserError {
  override name = 'ExchangeUnansweredError';
  constructor(
    message: string,
    readonly tries: number,
    /** What was asked and the last fault, without the count of tries. */
    readonly fault: string,
  ) {
    super(message);
  }
}

const triesOf = (n: number) => `${n} ${n === 1 ? 'try' : 'tries'}`;

/**
 * Why a download that failed with `e` may be replaced by the stored candles, as a warning's opening words: the exchange
 * cannot be reached, or did not answer within its retries (or its deadline). Undefined when it must stop the caller:
 * the exchange refused the request, a bad flag or config, a bug.
 */
export function unansweredReason(id: string, e: unknown): string | undefined {
  if (e instanceof ExchangeUnreachableError) return `${id} cannot be reached (${e.message.split('\n')[0]})`;
  if (e instanceof ExchangeUnansweredError) return `${id} did not answer after ${triesOf(e.tries)} (${e.fault})`;
  if (e instanceof PastDeadlineError) return `${id} did not answer in time (${e.message})`;
  return undefined;
}

/** A reply that was not a list of candles. */
export class BadCandlesError extends Error {
  override name = 'BadCandlesError';
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * First line of an error's message, without secrets, at most 300 characters. A UserError's message is already written
 * for the user: its class name is an internal word and is left off; any other error keeps its class (what failed).
 */
export function shortError(e: unknown): string {
  const msg =
    e instanceof UserError ? e.message : e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  const line = redactSecrets(msg.split('\n')[0]);
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}

/** What `bot data download` adds to an unreachable exchange (paper and live retry instead; they take no files). */
export function offlineHint(): string {
  return (
    'work offline with --data FILE (a CSV of candles), --sample ' +
    '(bundled S&P 500 daily), or store a CSV with `bot data import FILE`'
  );
}

/**
 * Runs `fn`, retrying transient faults with exponential backoff (backoffMs·2^n capped at maxBackoffMs).
 * An unreachable host gets at most 2 tries. Gives up with a UserError that says what failed and where to go, of a
 * type saying which: ExchangeUnreachableError, ExchangeUnansweredError (transient faults until the retries ran out),
 * ExchangeRefusedError (the exchange said no: never retried), or PastDeadlineError when the next try would start past
 * `deadline`.
 */
export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  opts: RetryOptions & { stop?: { stopped: boolean } },
): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const kind = classifyError(e);
      if (kind === 'fatal') {
        // the exchange said no (bad symbol, auth, …): the user's problem; anything else is a bug and keeps its stack
        if (e instanceof ccxtLib().BaseError) throw new ExchangeRefusedError(`${what} failed: ${shortError(e)}`);
        throw e;
      }
      const limit = kind === 'unreachable' ? Math.min(opts.retries, 1) : opts.retries;
      if (attempt >= limit || opts.stop?.stopped) {
        const tries = attempt + 1;
        const message = `${what} failed after ${triesOf(tries)}: ${shortError(e)}`;
        if (kind === 'unreachable' || e instanceof ccxtLib().RequestTimeout) {
          throw new ExchangeUnreachableError(`${message} — the exchange cannot be reached (no network?)`);
        }
        throw new ExchangeUnansweredError(message, tries, `${what}: ${shortError(e)}`);
      }
      const delayMs = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** attempt);
      if (opts.deadline !== undefined && performance.now() + delayMs >= opts.deadline) {
        throw new PastDeadlineError(`${what}: ${shortError(e)}; not retried past the deadline`);
      }
      log().warn(`${what}: ${shortError(e)}; retry ${attempt + 1}/${limit} in ${delayMs} ms`);
      opts.onRetry?.({ what, attempt: attempt + 1, delayMs, error: e as Error });
      await sleep(delayMs);
    }
  }
}

/** True once the exchange's markets are loaded. */
function marketsLoaded(ex: Exchange): boolean {
  return ex.markets !== undefined && Object.keys(ex.markets).length > 0;
}

/**
 * Loads the exchange's markets unless they are loaded, retried like any request. ccxt keeps a failed loadMarkets
 * promise and hands it to every later call (fetchOpenOrders, createOrder, … all start with loadMarkets()), so one
 * failed load would fail every later request without reaching the exchange: a load after a failure forces a reload.
 */
export async function loadMarkets(ex: Exchange, retry: RetryOptions): Promise<void> {
  if (marketsLoaded(ex)) return;
  await withRetry(`${ex.id}: loading markets`, () => ex.loadMarkets(true), retry);
}

/**
 * Runs `fn` after loading the markets when they are missing (forcing a reload past a failed load): one try of a retried
 * call.
 */
export async function withMarkets<T>(ex: Exchange, fn: () => Promise<T>): Promise<T> {
  if (!marketsLoaded(ex)) await ex.loadMarkets(true);
  return fn();
}

export interface PageProgress {
  pages: number;
  /** Requests this page took: more than one when the exchange answered less than asked. */
  requests: number;
  /** Start of the whole download. */
  startTs: number;
  /** This page's window [windowTs, reachedTs). */
  windowTs: number;
  reachedTs: number;
  /** End (exclusive) of the whole download: `until` or just past the last closed candle. */
  endTs: number;
}

export interface FetchCandlesOptions {
  retry: RetryOptions;
  /** Clock deciding which candle is still open (default Date.now). */
  now?: () => number;
  /** Candles per request (default: ccxt's figure for the exchange, else 200; see ohlcvPageLimit). */
  pageLimit?: number;
  /** Requests in flight at once (default 2); ccxt's rate limiter still spaces them. */
  inFlight?: number;
  /**
   * Called when a page was cut at a candle the exchange still has open by the clock of its reply: its open time and
   * how long until it closes by that clock (the trader's feed waits that long rather than an interval).
   */
  onStillOpen?: (openTs: number, closesInMs: number) => void;
  /** Called after every page with the rows it brought and how far the download got. */
  onPage?: (rows: CandleRow[], progress: PageProgress) => void | Promise<void>;
}

function toRows(raw: unknown, what: string): CandleRow[] {
  if (!Array.isArray(raw))
    throw new BadCandlesError(`${what}: the exchange answered with something that is not a list of candles`);
  return raw.map((c: unknown) => {
    if (!Array.isArray(c) || c.length < 6 || c.slice(0, 6).some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new BadCandlesError(`${what}: malformed candle ${JSON.stringify(c).slice(0, 120)}`);
    }
    const [ts, open, high, low, close, volume] = c as number[];
    return { ts, open, high, low, close, volume };
  });
}

/** The exchange's clock at its last reply (the Date header, whole seconds), or undefined when it sent none. */
export function replyTime(ex: Exchange): number | undefined {
  const headers = (ex as unknown as { last_response_headers?: Record<string, unknown> }).last_response_headers ?? {};
  const date = Object.entries(headers).find(([k]) => k.toLowerCase() === 'date')?.[1];
  const t = typeof date === 'string' ? Date.parse(date) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** A page's rows; `openTs` is set when the page was cut at a candle the exchange still had open. */
type Cut = CandleRow[] & { openTs?: number };

/**
 * Drops the candle the exchange still has open by the clock of its reply, and any after it. This machine's clock
 * running ahead of the exchange's (no time sync, a VM after sleep) made that candle look closed: it was stored with
 * its partial close and volume, and its range marked as downloaded, so no later run corrected it.
 */
function withoutOpenCandle(rows: CandleRow[], step: number, at: number | undefined, now: number, what: string): Cut {
  // the Date header drops the milliseconds: the exchange's time is up to 999 ms after it
  const open = at === undefined ? -1 : rows.findIndex((r) => r.ts + step > at + 999);
  if (at === undefined || open < 0) return rows;
  log().warn(
    `${what} candle ${isoTime(rows[open].ts)} is still open on the exchange (its clock says ${isoTime(at)}, ` +
      `${Math.round((now - at) / 1000)} s behind this machine's): not stored; sync the clock of this ` +
      'machine (paper and live: or raise trading.tickDelaySeconds)',
  );
  const cut: Cut = rows.slice(0, open);
  cut.openTs = rows[open].ts;
  return cut;
}

/**
 * Candles per request: `pageLimit`, else the most ccxt says the exchange answers for this market
 * (`features.<type>.fetchOHLCV.limit`: Upbit and Bithumb 200, Binance 1000, …), else 200.
 */
export function ohlcvPageLimit(ex: Exchange, symbol: string, pageLimit?: number): number {
  if (pageLimit !== undefined) return pageLimit;
  let limit: unknown;
  try {
    limit = ex.featureValue(symbol, 'fetchOHLCV', 'limit');
  } catch {
    // an exchange without features, or a market ccxt cannot type: the default
  }
  return typeof limit === 'number' && Number.isInteger(limit) && limit > 0 ? limit : 200;
}

/** A window's candles, where a candle still open cut it (`openTs`), and the requests it took. */
interface WindowReply {
  rows: CandleRow[];
  openTs?: number;
  requests: number;
}

/**
 * The most candles each exchange client has answered in one reply. A reply with fewer, short of what it was asked, is
 * not the exchange's cap (a cap holds as many as the cap, each time): its empty edges are the market's own (no trades,
 * closed hours), and asking there again would cost each tick of such a market one or two more requests.
 */
const mostAnswered = new WeakMap<Exchange, number>();

/** Part of a window to ask for: candles with open time in [from, to), at most `count` of them. */
interface Ask {
  from: number;
  to: number;
  count: number;
}

/**
 * Closed candles with open time in [since, until) — never the still-open one — in windows of `pageLimit` candle
 * intervals (ohlcvPageLimit): each fetchOHLCV(since = window start, limit) covers [start, start + limit·timeframe),
 * which holds at most `limit` candles whether the exchange pages backwards from an end (Upbit: ccxt sends `to` =
 * since + limit·timeframe) or forwards from a start (most others). An exchange may answer fewer than asked (a cap
 * below ccxt's figure, or one ccxt does not know): a reply short of what it was asked, with as many candles as any
 * reply of that exchange held before (mostAnswered), that leaves the start or end of its span without candles is
 * followed by a request for that part, and so on until each part was answered in full, with fewer candles than a cap,
 * or with nothing (no trades there: Upbit skips such intervals) — so a window is reported as covered only when every
 * part of it was answered. Windows are fixed in
 * advance, so two requests can be in flight while ccxt's rate limiter spaces them: a sequential loop would lose each
 * reply's latency from the exchange's allowance. Pages are yielded in time order. A candle still open by the
 * exchange's own clock (its reply's Date header) is never yielded, however far this machine's clock runs ahead; the
 * download stops before it.
 */
export async function* pageClosedCandles(
  ex: Exchange,
  symbol: string,
  timeframe: string,
  since: number,
  until: number | undefined,
  opts: FetchCandlesOptions,
): AsyncGenerator<CandleRow[]> {
  const step = timeframeMs(timeframe);
  const now = opts.now ?? Date.now;
  const depth = Math.max(1, opts.inFlight ?? 2);
  if (!ex.has.fetchOHLCV) throw new ExchangeRefusedError(`${ex.id} does not offer candles (fetchOHLCV) through ccxt`);
  await loadMarkets(ex, opts.retry);
  const markets = ex.markets ?? {};
  if (!markets[symbol]) {
    const some = Object.keys(markets).slice(0, 5).join(', ');
    throw new ExchangeRefusedError(`--symbol: ${ex.id} has no market "${symbol}"${some ? ` (e.g. ${some})` : ''}`);
  }
  if (ex.timeframes && !(timeframe in ex.timeframes)) {
    throw new ExchangeRefusedError(
      `--timeframe: ${ex.id} has no ${timeframe} candles (it has ${Object.keys(ex.timeframes).join(', ')})`,
    );
  }
  const limit = ohlcvPageLimit(ex, symbol, opts.pageLimit);
  // a candle that opened after now - step is still open; decided once so every window agrees
  const end = Math.min(until ?? Infinity, now() - step + 1);
  const span = limit * step;
  const stop = { stopped: false };
  /** The part's closed candles, and how many candles the exchange sent (`answered`: in the part or not). */
  const fetchPart = async ({ from, to, count }: Ask): Promise<{ rows: Cut; answered: number }> => {
    const what = `${ex.id}: ${symbol} ${timeframe} candles from ${isoTime(from)}`;
    const reply = await withRetry(
      what,
      async () => ({ raw: await ex.fetchOHLCV(symbol, timeframe, from, count), at: replyTime(ex) }),
      { ...opts.retry, stop },
    );
    const all = toRows(reply.raw, what);
    const rows = all.filter((r) => r.ts >= from && r.ts < to && r.ts < end).sort((a, b) => a.ts - b.ts);
    const cut = withoutOpenCandle(rows, step, reply.at, now(), `${ex.id} ${symbol} ${timeframe}`);
    if (cut.openTs !== undefined && reply.at !== undefined)
      opts.onStillOpen?.(cut.openTs, cut.openTs + step - reply.at);
    return { rows: cut, answered: all.length };
  };
  const askFor = (from: number, to: number): Ask => ({ from, to, count: Math.ceil((to - from) / step) });
  /** The window's candles, asking again for any head or tail a short reply left out; `requests`: how many it took. */
  const fetchWindow = async (from: number): Promise<WindowReply> => {
    const asks: Ask[] = [{ from, to: from + span, count: limit }];
    const got: CandleRow[] = [];
    let openTs: number | undefined;
    let requests = 0;
    for (let ask = asks.shift(); ask; ask = asks.shift()) {
      if (ask.from >= Math.min(end, openTs ?? Infinity)) continue;
      const { rows, answered } = await fetchPart(ask);
      requests++;
      got.push(...rows);
      if (rows.openTs !== undefined) openTs = Math.min(openTs ?? Infinity, rows.openTs);
      const most = mostAnswered.get(ex) ?? 0;
      mostAnswered.set(ex, Math.max(most, answered));
      // none here: nothing traded there (or nothing listed yet); as many as asked: the exchange did not cut it short;
      // fewer than it answered before: not its cap either
      if (rows.length === 0 || answered >= ask.count || answered < most) continue;
      const first = rows[0].ts;
      const next = rows[rows.length - 1].ts + step;
      if (first > ask.from) asks.push(askFor(ask.from, first));
      if (rows.openTs === undefined && next < Math.min(ask.to, end)) asks.push(askFor(next, ask.to));
    }
    const rows = got.filter((r) => r.ts < (openTs ?? Infinity)).sort((a, b) => a.ts - b.ts);
    return { rows, openTs, requests };
  };
  const pending: { from: number; reply: Promise<WindowReply> }[] = [];
  let next = since;
  const fill = () => {
    while (pending.length < depth && next < end) {
      const reply = fetchWindow(next);
      // awaited in order below; this only keeps a later window's failure from going unhandled
      reply.catch(() => undefined);
      pending.push({ from: next, reply });
      next += span;
    }
  };
  let pages = 0;
  try {
    fill();
    while (pending.length > 0) {
      const { from, reply } = pending.shift()!;
      const { rows, openTs, requests } = await reply;
      pages++;
      // a candle still open by the exchange's clock ends the download before it: the next one starts there
      if (openTs === undefined) fill();
      await opts.onPage?.(rows, {
        pages,
        requests,
        startTs: since,
        windowTs: from,
        reachedTs: Math.min(from + span, end, openTs ?? Infinity),
        endTs: end,
      });
      if (rows.length) yield rows;
      if (openTs !== undefined) break;
    }
  } finally {
    // an error or an early return: windows still in flight give up at their next failure and are ignored
    stop.stopped = true;
  }
}

export async function fetchClosedCandles(
  ex: Exchange,
  symbol: string,
  timeframe: string,
  since: number,
  until: number | undefined,
  opts: FetchCandlesOptions,
): Promise<CandleRow[]> {
  const out: CandleRow[] = [];
  for await (const page of pageClosedCandles(ex, symbol, timeframe, since, until, opts)) out.push(...page);
  return out;
}

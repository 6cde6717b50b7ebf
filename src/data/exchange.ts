import ccxt, { type Exchange } from 'ccxt';
import type { Config } from '../config/schema.ts';
import { credentialsFromEnv } from '../config/secrets.ts';
import { UserError } from '../errors.ts';
import { log, redactSecrets } from '../log.ts';
import type { CandleRow } from './candles.ts';
import { isoTime, timeframeMs } from './timeframe.ts';

export interface RetryOptions {
  /** Retries after the first try (config exchange.retries). */
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry wait (besides the log line). */
  onRetry?: (info: { what: string; attempt: number; delayMs: number; error: Error }) => void;
}

export function retryOptionsFrom(config: Config): RetryOptions {
  const { retries, backoffMs, maxBackoffMs } = config.exchange;
  return { retries, backoffMs, maxBackoffMs };
}

const STATUS = Symbol('lastHttpStatus');
const MALFORMED = Symbol('lastReplyMalformed');
type WithStatus = Exchange & { [STATUS]?: number; [MALFORMED]?: boolean };

function isJson(body: unknown): boolean {
  if (typeof body !== 'string') return true;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * A ccxt exchange from config: `exchange.ccxt` goes to the constructor as it is (urls, options, …),
 * plus the timeout, the rate limiter on, and credentials from the environment when present.
 */
export function createExchange(config: Config): Exchange {
  const id = config.exchange.id;
  const classes = ccxt as unknown as Record<string, new (options: Record<string, unknown>) => Exchange>;
  if (!ccxt.exchanges.includes(id) || typeof classes[id] !== 'function') {
    throw new UserError(`exchange.id: unknown exchange "${id}" (ccxt knows e.g. upbit, binance, bithumb, kraken)`);
  }
  const creds = credentialsFromEnv(id);
  const ex = new classes[id]({
    enableRateLimit: true,
    timeout: config.exchange.timeoutMs,
    ...config.exchange.ccxt,
    ...(creds ? { apiKey: creds.apiKey, secret: creds.secret } : {}),
  }) as WithStatus;
  // ccxt reports some HTTP 429/5xx answers as a plain ExchangeError; remember the status so retries can decide by it.
  const onRestResponse = ex.onRestResponse.bind(ex);
  // A 2xx reply that is not JSON reaches ccxt's callers as an empty list, which would silently skip candles.
  ex.onRestResponse = (statusCode: number, ...rest: unknown[]) => {
    ex[STATUS] = statusCode;
    ex[MALFORMED] = statusCode >= 200 && statusCode < 300 && !isJson(rest[4]);
    return (onRestResponse as (...a: unknown[]) => unknown)(statusCode, ...rest);
  };
  return ex;
}

/** The HTTP status of the exchange's last answer, if any. */
export function lastHttpStatus(ex: Exchange): number | undefined {
  return (ex as WithStatus)[STATUS];
}

export type FaultKind = 'unreachable' | 'transient' | 'fatal';

const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|getaddrinfo|ConnectionRefused|DNSError|FailedToOpenSocket/i;

/** Whether an error is worth retrying: network faults, timeouts, 429, 418, 5xx (by class or by HTTP status). */
export function classifyError(error: unknown, httpStatus?: number): FaultKind {
  const e = error as Error;
  const status = httpStatus ?? (e as { httpStatus?: number }).httpStatus;
  if (e instanceof ccxt.NetworkError && UNREACHABLE.test(e.message)) return 'unreachable';
  if (e instanceof ccxt.NetworkError || e instanceof ccxt.BadResponse || e instanceof ccxt.NullResponse) return 'transient';
  if (e instanceof ccxt.ExchangeError && status !== undefined && (status === 429 || status === 418 || status >= 500)) return 'transient';
  if (e instanceof BadCandlesError) return 'transient';
  if (e instanceof SyntaxError) return 'transient';
  return 'fatal';
}

/** A reply that was not a list of candles. */
export class BadCandlesError extends Error {
  override name = 'BadCandlesError';
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** First line of an error's message, without secrets, at most 300 characters. */
export function shortError(e: unknown): string {
  const msg = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  const line = redactSecrets(msg.split('\n')[0]);
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}

export function offlineHint(): string {
  return 'work offline with --data FILE (a CSV of candles), --sample (bundled S&P 500 daily), or store a CSV with `bot data import FILE`';
}

/**
 * Runs `fn`, retrying transient faults with exponential backoff (backoffMs·2^n capped at maxBackoffMs).
 * An unreachable host gets at most 2 tries. Gives up with a UserError that says what failed and where to go.
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions & { httpStatus?: () => number | undefined }): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const kind = classifyError(e, opts.httpStatus?.());
      if (kind === 'fatal') {
        if (e instanceof UserError) throw e;
        throw new UserError(`${what} failed: ${shortError(e)}`);
      }
      const limit = kind === 'unreachable' ? Math.min(opts.retries, 1) : opts.retries;
      if (attempt >= limit) {
        const tries = attempt + 1;
        const hint = kind === 'unreachable' ? ` — the exchange cannot be reached (no network?); ${offlineHint()}` : '';
        throw new UserError(`${what} failed after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${shortError(e)}${hint}`);
      }
      const delayMs = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** attempt);
      log().warn(`${what}: ${shortError(e)}; retry ${attempt + 1}/${limit} in ${delayMs} ms`);
      opts.onRetry?.({ what, attempt: attempt + 1, delayMs, error: e as Error });
      await sleep(delayMs);
    }
  }
}

export interface FetchCandlesOptions {
  retry: RetryOptions;
  /** Clock deciding which candle is still open (default Date.now). */
  now?: () => number;
  /** Candles per request (Upbit: 200). */
  pageLimit?: number;
  /** Called after every page with the rows it brought and how far the download got. */
  onPage?: (rows: CandleRow[], progress: { pages: number; startTs: number; reachedTs: number; endTs: number }) => void | Promise<void>;
}

function toRows(raw: unknown, what: string): CandleRow[] {
  if (!Array.isArray(raw)) throw new BadCandlesError(`${what}: the exchange answered with something that is not a list of candles`);
  return raw.map((c: unknown) => {
    if (!Array.isArray(c) || c.length < 6 || c.slice(0, 6).some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new BadCandlesError(`${what}: malformed candle ${JSON.stringify(c).slice(0, 120)}`);
    }
    const [ts, open, high, low, close, volume] = c as number[];
    return { ts, open, high, low, close, volume };
  });
}

/**
 * Closed candles with open time in [since, until) — never the still-open one — paging forward through
 * fetchOHLCV `pageLimit` candles at a time (for Upbit ccxt turns `since` into `to` = since + limit·timeframe).
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
  const limit = opts.pageLimit ?? 200;
  const now = opts.now ?? Date.now;
  if (!ex.has.fetchOHLCV) throw new UserError(`${ex.id} does not offer candles (fetchOHLCV) through ccxt`);
  // ccxt keeps a failed loadMarkets promise; a retry must ask it to reload
  let marketTries = 0;
  await withRetry(
    `${ex.id}: loading markets`,
    () => {
      (ex as WithStatus)[STATUS] = undefined;
      return ex.loadMarkets(marketTries++ > 0);
    },
    { ...opts.retry, httpStatus: () => lastHttpStatus(ex) },
  );
  const markets = ex.markets ?? {};
  if (!markets[symbol]) {
    const some = Object.keys(markets).slice(0, 5).join(', ');
    throw new UserError(`--symbol: ${ex.id} has no market "${symbol}"${some ? ` (e.g. ${some})` : ''}`);
  }
  if (ex.timeframes && !(timeframe in ex.timeframes)) {
    throw new UserError(`--timeframe: ${ex.id} has no ${timeframe} candles (it has ${Object.keys(ex.timeframes).join(', ')})`);
  }
  let cursor = since;
  let pages = 0;
  for (;;) {
    const closedEnd = now() - step; // a candle that opened after this is still open
    const end = Math.min(until ?? Infinity, closedEnd + 1);
    if (cursor >= end) return;
    const what = `${ex.id}: ${symbol} ${timeframe} candles from ${isoTime(cursor)}`;
    const raw = await withRetry(
      what,
      async () => {
        (ex as WithStatus)[STATUS] = undefined;
        (ex as WithStatus)[MALFORMED] = false;
        const reply = await ex.fetchOHLCV(symbol, timeframe, cursor, limit);
        if ((ex as WithStatus)[MALFORMED]) throw new BadCandlesError(`${what}: the exchange's reply is not valid JSON`);
        return reply;
      },
      { ...opts.retry, httpStatus: () => lastHttpStatus(ex) },
    );
    const rows = toRows(raw, what)
      .filter((r) => r.ts >= cursor && r.ts < end && r.ts <= now() - step)
      .sort((a, b) => a.ts - b.ts);
    pages++;
    const last = rows.length ? rows[rows.length - 1].ts : undefined;
    cursor = last !== undefined ? Math.max(last + step, cursor + step) : cursor + limit * step;
    await opts.onPage?.(rows, { pages, startTs: since, reachedTs: Math.min(cursor, end), endTs: end });
    if (rows.length) yield rows;
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

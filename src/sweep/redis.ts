/**
 * Redis for sweeps: the `--queue redis://host:port` URL checked before any I/O, a reachability check that turns an
 * unreachable server into one line, connections for BullMQ, and the market data that workers fetch once by key.
 */
import { Redis } from 'ioredis';
import type { Candles } from '../core/candles.ts';
import type { Logger } from '../core/log.ts';
import { UserError } from '../core/errors.ts';
import { candlesFromJson, candlesToJson, type CandlesJson } from './run-job.ts';

/**
 * The URL for messages: everything between the scheme (`redis://`, `redis:/`, `redis:`) and the last `@` is masked,
 * user and password alike. Done on the text, so a URL that does not parse (a bad port, a lost slash) is masked too.
 */
export function safeUrl(url: string): string {
  const at = url.lastIndexOf('@');
  const start = /^[A-Za-z][A-Za-z0-9+.-]*:\/*/.exec(url)?.[0].length ?? 0;
  return at >= start ? `${url.slice(0, start)}***${url.slice(at)}` : url;
}

/**
 * Checks the URL's form (redis:// or rediss://, a host, user and password %-escapes that decode); a one-line
 * UserError naming the masked URL otherwise. No network.
 */
export function checkRedisUrl(url: string, flag = '--queue'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`${flag} ${safeUrl(url)} is not a URL: expected redis://host:port`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`${flag} ${safeUrl(url)}: expected redis://host:port (or rediss://)`);
  if (!u.hostname) throw new UserError(`${flag} ${safeUrl(url)}: no host`);
  try {
    // ioredis decodes both and would throw a bare URIError from inside the connection
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
  } catch {
    throw new UserError(`${flag} ${safeUrl(url)}: a malformed %-escape in the user or password (write % as %25)`);
  }
  return url;
}

/** The environment variable a Redis password may come from (kept off the command line and out of `ps`). */
const ENV_REDIS_PASSWORD = 'BOT_REDIS_PASSWORD';

/** The URL with the password from BOT_REDIS_PASSWORD when the URL carries none. */
function withPassword(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const password = env[ENV_REDIS_PASSWORD];
  const u = new URL(url);
  if (!password || u.password) return url;
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** A connection BullMQ can block on (it requires maxRetriesPerRequest: null). Errors are logged by the caller. */
export function bullConnection(url: string): Redis {
  const r = new Redis(withPassword(url), { maxRetriesPerRequest: null, enableReadyCheck: true });
  r.on('error', () => undefined); // reconnects on its own; a first-contact failure is caught by assertReachable
  return r;
}

/**
 * Watches a reconnecting connection: one line when it drops and one when it is back, not one per reconnect attempt
 * (ioredis retries every few hundred ms). `down()` says whether it is down now.
 */
export function watchOutages(r: Redis, url: string, logger: Logger): { down(): boolean } {
  let down = false;
  r.on('error', (e: Error) => {
    if (down) return;
    down = true;
    logger.warn(`lost Redis at ${safeUrl(url)} (${e.message.split('\n')[0]}); waiting for it to come back`);
  });
  r.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info(`Redis at ${safeUrl(url)} is back`);
  });
  return { down: () => down };
}

/** Connects once with no retries: an unreachable server is one line naming the URL and the reason. */
export async function assertReachable(url: string, timeoutMs = 3000): Promise<void> {
  const r = new Redis(withPassword(url), {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let last: Error | undefined;
  r.on('error', (e: Error) => (last = e));
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    const why = (last ?? (e as Error)).message.split('\n')[0];
    // a server that answered but refused the password is reached: "start redis-server there" would point the wrong way
    if (/NOAUTH|WRONGPASS|invalid password|ERR AUTH/i.test(why))
      throw new UserError(
        `Redis at ${safeUrl(url)} refused the password (${why}): set ${ENV_REDIS_PASSWORD} to its requirepass ` +
          '(the same on every machine of the sweep)',
      );
    throw new UserError(
      `cannot reach Redis at ${safeUrl(url)} (${why}): start redis-server there, or check the host and port`,
    );
  } finally {
    r.disconnect();
  }
}

const DATA_TTL_SECONDS = 14 * 24 * 3600;
const dataKey = (key: string) => `bot:sweep:data:${key}`;

/** Puts a market's candles in Redis once (workers on any machine read them by key). */
export async function putMarket(r: Redis, key: string, candles: Candles): Promise<void> {
  await r.set(dataKey(key), JSON.stringify(candlesToJson(candles)), 'EX', DATA_TTL_SECONDS);
}

export async function getMarket(r: Redis, key: string): Promise<Candles> {
  const text = await r.get(dataKey(key));
  if (text === null)
    throw new Error(`market data ${key} is not in Redis (expired or removed); run the sweep command again`);
  return candlesFromJson(JSON.parse(text) as CandlesJson);
}

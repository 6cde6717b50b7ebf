/**
 * The `--queue redis://host:port` URL of sweeps and workers, checked before any I/O, and its form for messages:
 * apart from redis.ts, which loads the Redis client and the sweep's training code, so that a flag mistake does not.
 */
import { UserError } from '../core/errors.ts';

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

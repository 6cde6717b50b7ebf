/**
 * The `--queue redis://host:port` URL of sweeps and workers, checked before any I/O, and its form for messages:
 * apart from redis.ts, which loads the Redis client and the sweep's training code, so that a flag mistake does not.
 */
import { UserError } from '../core/errors.ts';

/** The URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

/** Checks the URL's form (redis:// or rediss://, a host); a one-line UserError otherwise. No network. */
export function checkRedisUrl(url: string, flag = '--queue'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`${flag} "${url}" is not a URL: expected redis://host:port`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`${flag} ${safeUrl(url)}: expected redis://host:port (or rediss://)`);
  if (!u.hostname) throw new UserError(`${flag} ${safeUrl(url)}: no host`);
  return url;
}

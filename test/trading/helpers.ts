import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Decision, Observation, Policy } from '../../src/core/policy.ts';
import { candleRows, type CandleRow, type Candles } from '../../src/core/candles.ts';
import winston from 'winston';
import type { Logger } from '../../src/core/log.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
// live sessions opened in-process take their account lock in this process's own state folder
import '../helpers/state-dir.ts';
import type { CandleFeed, PolicySource } from '../../src/trading/types.ts';

export function tempDir(prefix = 'bot-trading-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Whether a process with this pid runs (any error but ESRCH fails the test). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    return false;
  }
}

/**
 * Resolves once `ready()` gives a value, polling every 100 ms; rejects after `ms`, or as soon as `gone()` says what
 * was to get ready has exited.
 */
export async function waitFor<T>(
  ready: () => T | undefined,
  ms: number,
  what: string,
  gone: () => boolean = () => false,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = ready();
    if (v !== undefined) return v;
    if (gone()) throw new Error(`it exited while waiting for ${what}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function quietLogger(): Logger {
  return winston.createLogger({
    level: 'error',
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}

/** Momentum rule reading only closes ≤ t: buy after `lookback` rising closes' net gain, sell after a net loss. */
export function momentumPolicy(candles: Candles, lookback = 3): Policy {
  const buy: Decision = { action: 'buy', confidence: 1 };
  const sell: Decision = { action: 'sell', confidence: 1 };
  const hold: Decision = { action: 'hold', confidence: 0 };
  return {
    name: 'momentum',
    decide(obs: Observation): Decision {
      const t = obs.t;
      if (t < lookback) return hold;
      const change = candles.close[t] / candles.close[t - lookback] - 1;
      if (change > 0.002 && obs.state[0] < 0.5) return buy;
      if (change < -0.002 && obs.state[0] > 0.5) return sell;
      return hold;
    },
  };
}

export function momentumSource(): PolicySource {
  return {
    label: 'strategy:momentum-test',
    forCandles(candles) {
      const builder = new ObservationBuilder({ candles, window: 0 });
      return {
        policy: momentumPolicy(candles),
        label: 'strategy:momentum-test',
        warmup: 0,
        observe: (t, a) => builder.build(t, a),
      };
    },
  };
}

/** Candles served as an exchange would: only those closed by `until`, with optional failures. */
export function seriesFeed(candles: Candles, stepMs: number): CandleFeed & { calls: number; failNext: number } {
  const feed = {
    calls: 0,
    failNext: 0,
    async fetchClosed(since: number, until: number): Promise<CandleRow[]> {
      feed.calls++;
      if (feed.failNext > 0) {
        feed.failNext--;
        throw new Error('exchange down');
      }
      return candleRows(candles).filter(({ ts }) => ts >= since && ts < until && ts + stepMs <= until);
    },
  };
  return feed;
}

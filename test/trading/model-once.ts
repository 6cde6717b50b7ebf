/**
 * What the model-version tests of `--once` runs share: their candles and config, and one `bot paper --once` process
 * over a model home, in-process (its session opened, its start checked, one tick, closed).
 */
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { openTradingSession } from '../../src/trading/session.ts';
import { quietLogger, seriesFeed } from './helpers.ts';

export const HOUR = 3_600_000;

/** 300 hourly candles and a config whose database is `dir`/`db`, 120 candles of history, no log file. */
export function modelRunBasics(dir: string, db = 'bot.db') {
  const candles = syntheticCandles({ seed: 8, count: 300, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
  const config = loadConfig({
    overrides: { data: { database: path.join(dir, db) }, log: { file: '' }, trading: { historyCandles: 120 } },
  });
  return { candles, config };
}

/**
 * One `--once` process of the paper run `name` (default 'model') on `home`, started at candle `start`, at `now`
 * (`reset`: --reset): it throws what the start or the tick is refused with.
 */
export async function paperOnce(o: {
  config: ReturnType<typeof loadConfig>;
  home: string;
  candles: Candles;
  start: number;
  now: number;
  name?: string;
  reset?: boolean;
}): Promise<void> {
  const session = await openTradingSession({
    config: o.config,
    logger: quietLogger(),
    mode: 'paper',
    name: o.name ?? 'model',
    clock: () => o.now,
    start: o.candles.ts[o.start],
    policy: { model: o.home },
    feed: seriesFeed(o.candles, HOUR),
    reset: o.reset,
  });
  try {
    session.trader.checkStart();
    await session.trader.tick();
  } finally {
    session.close();
  }
}

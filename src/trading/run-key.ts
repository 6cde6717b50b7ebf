/**
 * A run's key (mode, name, market) from its settings: its own module so that `bot status` and the flag checks find a
 * run without loading the session's strategy and model code (and TensorFlow.js with it).
 */
import { checkName } from '../core/names.ts';
import type { TradingSettings } from './config.ts';
import type { RunKey, TradingMode } from './types.ts';

export function runKey(
  config: Pick<TradingSettings, 'exchange' | 'symbol' | 'timeframe'>,
  mode: TradingMode,
  name: string,
): RunKey {
  checkName(name);
  return { mode, name, exchange: config.exchange.id, symbol: config.symbol, timeframe: config.timeframe };
}

/**
 * The session a paper or live command asks for: one market, or a portfolio when the command named its markets
 * (--symbols). Both commands open theirs here, so an option they pass reaches both kinds of session.
 */
import type { Logger } from '../core/log.ts';
import type { TradingSettings } from './config.ts';
import { openPortfolioSession } from './portfolio-session.ts';
import { openTradingSession, type TradingSession } from './session.ts';
import type { TradingMode } from './types.ts';

/** A portfolio's markets and rebalancing (--symbols, --rebalance-every, --band, --market-costs). */
type PortfolioRunChoice = Pick<
  Parameters<typeof openPortfolioSession>[0],
  'symbols' | 'every' | 'band' | 'marketCosts'
>;

interface RunSessionOptions {
  config: TradingSettings;
  logger: Logger;
  mode: TradingMode;
  name: string;
  strategy?: string;
  model?: string;
  seed?: number;
  /** `--balance` was given: resuming a run that started with another balance is refused, not ignored. */
  balanceGiven?: boolean;
  start?: number;
  clock: () => number;
  reset?: boolean;
  clearHalt?: boolean;
  sharedAccount?: boolean;
  replay?: boolean;
}

export function openRunSession(
  portfolio: PortfolioRunChoice | undefined,
  o: RunSessionOptions,
): Promise<TradingSession> {
  if (portfolio) return openPortfolioSession({ ...portfolio, ...o });
  const { strategy, model, seed, ...rest } = o;
  return openTradingSession({ ...rest, policy: { strategy, model, seed } });
}

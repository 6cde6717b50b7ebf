/**
 * The session a paper or live command asks for: one market, or a portfolio when the command named its markets
 * (--symbols). Both commands open theirs here, so an option they pass reaches both kinds of session.
 */
import { openPortfolioSession } from './portfolio-session.ts';
import { openTradingSession, type RunStartOptions, type TradingSession } from './session.ts';

/** A portfolio's markets and rebalancing (--symbols, --rebalance-every, --band, --market-costs). */
type PortfolioRunChoice = Pick<
  Parameters<typeof openPortfolioSession>[0],
  'symbols' | 'every' | 'band' | 'bandGiven' | 'marketCosts'
>;

interface RunSessionOptions extends RunStartOptions {
  strategy?: string;
  model?: string;
  seed?: number;
}

export function openRunSession(
  portfolio: PortfolioRunChoice | undefined,
  o: RunSessionOptions,
): Promise<TradingSession> {
  if (portfolio) return openPortfolioSession({ ...portfolio, ...o });
  const { strategy, model, seed, ...rest } = o;
  return openTradingSession({ ...rest, policy: { strategy, model, seed } });
}

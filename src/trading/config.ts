/** The config section that the trader owns (`trading`) and the settings trading receives. */
import { z } from 'zod';
import type { AgentSettings } from '../agents/config.ts';
import { TRAINING_LIMITS } from '../core/limits.ts';
import type { StrategyDefaults } from '../agents/strategy.ts';
import type { MarketDataSettings } from '../data/config.ts';
import type { MlSection } from '../nn/config.ts';

/** The trader loop (paper and live), its live-trading caps and scheduled retraining. */
export const tradingSection = z.strictObject({
  /** Seconds after a candle closes before the tick fires, so the exchange has finalised the candle. */
  tickDelaySeconds: z.number().int().min(0).max(3600),
  /**
   * How long a tick looks again (after 1, 2, 4, 8, 8, … s) for the candle that should have closed when the exchange
   * has not published it yet, acting on it as soon as it comes; 0: never, the next tick acts on it. At most half the
   * timeframe is waited.
   */
  lateCandleWaitSeconds: z.number().int().min(0).max(600),
  /**
   * Candles of history a model run loads before its first traded candle (features, windows); rule runs use `bot
   * backtest`'s warm-up.
   */
  historyCandles: z.number().int().min(1).max(1_000_000),
  /** How many recent decisions `bot status` shows. */
  statusDecisions: z.number().int().min(1).max(1000),
  /** Holds the trader's lock fresh; a lock older than this many seconds whose process is gone is taken over. */
  lockStaleSeconds: z.number().int().positive(),
  live: z.strictObject({
    /** Largest single order, in quote currency. */
    maxOrderValue: z.number().positive(),
    /**
     * Kill switch: stop trading when today's (UTC) loss from the day's starting equity exceeds this, in quote currency.
     */
    maxDailyLoss: z.number().positive(),
    /**
     * How long an order the exchange does not show under its client id stays unknown (no new order in its market)
     * before it is written off as never placed, from when it was sent. Exchanges show an order they took within
     * seconds; writing off one they took leaves a position the run does not know about, so the default is generous.
     */
    unknownOrderGraceSeconds: z.number().int().min(60).max(86_400),
  }),
  retrain: z.strictObject({
    /** Candles in the sliding training window. */
    trainCandles: z.number().int().min(50),
    /** Most recent candles held out to compare challenger and champion. */
    holdoutCandles: z.number().int().min(10),
    /** Training epochs for a challenger. */
    epochs: z.number().int().min(1).max(TRAINING_LIMITS.epochs),
    /**
     * How much the challenger's holdout return must beat the champion's by: a fraction of the balance (0.001 = 0.1
     * percentage point); default 0, no allowance for noise.
     */
    minImprovement: z
      .number()
      .min(0)
      .describe("margin over the champion's holdout return, a fraction (0.001 = 0.1 percentage point); default 0"),
    /**
     * Promote a winner that made no trade on the holdout (default false): its flat 0.00% beats any falling champion
     * and buy-and-hold without a sign of skill (retrain.ts, promotionDecision).
     */
    promoteWithoutTrades: z.boolean(),
  }),
});

type TradingSection = z.infer<typeof tradingSection>;

/**
 * What the trader, its sessions and retraining read from config: the market and store, the account, the backend,
 * agent training, the trading section, and the rule-strategy defaults of the `backtest` section.
 */
export interface TradingSettings extends MarketDataSettings, AgentSettings {
  ml: MlSection;
  trading: TradingSection;
  backtest: StrategyDefaults;
}

/** The environment surface every learner trains through (LearningEnv, EnvStep). */
import type { Observation } from '../core/policy.ts';

/** What a learner needs from one step of the trading environment (the market's TradingEnv, or a toy env in tests). */
export interface EnvStep {
  observation: Observation;
  reward: number;
  done: boolean;
  /** Portfolio value after the step, in quote currency. */
  portfolioValue: number;
  /** Units of the asset held after the step. */
  units: number;
  /** RLTrader's immediate reward (P/L since the episode start) and delayed reward, whatever reward the env pays. */
  immediateReward: number;
  delayedReward: number;
}

/**
 * The environment surface every learner trains through. `src/agents/market-learning-env.ts` adapts the market's
 * TradingEnv to it,
 * so training and the backtest step the same Account.
 */
export interface LearningEnv {
  reset(): Observation;
  /** action: 0 buy, 1 sell, 2 hold; confidence in [0, 1] sizes the trade; targetPosition for continuous agents. */
  step(action: number, confidence: number, targetPosition?: number): EnvStep;
  readonly initialValue: number;
}

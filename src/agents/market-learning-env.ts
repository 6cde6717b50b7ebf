/** The market's TradingEnv seen as a LearningEnv. */
import type { TradingEnv } from '../market/trading-env.ts';
import type { EnvStep, LearningEnv } from './learning-env.ts';

/** The market's TradingEnv seen as a LearningEnv: the same Account, fills and rewards as the backtest engine. */
export function learningEnv(env: TradingEnv): LearningEnv {
  const out: EnvStep = { observation: undefined as never, reward: 0, done: false, portfolioValue: 0, units: 0, immediateReward: 0, delayedReward: 0 };
  return {
    initialValue: env.options.balance,
    reset: () => env.reset(),
    step(action, confidence, targetPosition) {
      const r = env.step(action, confidence, targetPosition);
      out.observation = r.observation;
      out.reward = r.reward;
      out.done = r.done;
      out.portfolioValue = r.info.value;
      out.units = env.account.units;
      out.immediateReward = r.info.immediateReward;
      out.delayedReward = r.info.delayedReward;
      return out;
    },
  };
}

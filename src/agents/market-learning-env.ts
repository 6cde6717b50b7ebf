/** The market's TradingEnv seen as a LearningEnv. */
import type { TradingEnv } from '../market/trading-env.ts';
import type { EnvStep, LearningEnv } from './learning-env.ts';

/** The market's TradingEnv seen as a LearningEnv: the same Account, fills and rewards as the backtest engine. */
export function learningEnv(env: TradingEnv): LearningEnv {
  const out: EnvStep = {
    observation: undefined as never,
    reward: 0,
    done: false,
    portfolioValue: 0,
    units: 0,
    immediateReward: 0,
    delayedReward: 0,
  };
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

/**
 * Several TradingEnvs (the training segments of a purged split, src/agents/selection.ts) as one episode: when a
 * segment ends, the next one starts with a fresh account and its first observation is the step's next state. The
 * learner sees one made-up transition per segment boundary (a few among thousands); the validation windows and
 * their purged and embargoed zones are never stepped.
 */
export function chainedEnv(envs: readonly TradingEnv[]): LearningEnv {
  const inner = envs.map(learningEnv);
  let k = 0;
  return {
    initialValue: envs[0].options.balance,
    reset() {
      k = 0;
      return inner[0].reset();
    },
    step(action, confidence, targetPosition) {
      const s = inner[k].step(action, confidence, targetPosition);
      if (s.done && k < inner.length - 1) {
        k++;
        s.observation = inner[k].reset();
        s.done = false;
      }
      return s;
    },
  };
}

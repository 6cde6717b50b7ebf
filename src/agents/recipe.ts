/** The agent recipe a strategy file fills in (features, network, learner, sizing, reward, costs) and its check at load. */
import { UserError } from '../core/errors.ts';
import type { NetworkKind } from '../nn/spec.ts';
import type { ScalerKind } from '../features/scaler.ts';
import type { CostPresetName } from '../market/costs.ts';
import type { RewardOptions } from '../market/reward.ts';
import type { DqnParams } from './learners/dqn.ts';
import type { OnPolicyParams } from './learners/onpolicy-params.ts';
import type { RltraderParams } from './learners/rltrader.ts';
import type { EpsilonSchedule } from './learners/schedule.ts';
import { checkDecisionRule } from './decision-rule.ts';

/** Which learner trains the network, with any hyper-parameters that differ from the learner's defaults. */
export type LearnerRecipe =
  | ({ kind: 'dqn' } & Partial<DqnParams>)
  | ({ kind: 'pg'; baseline?: 'value' | 'mean' } & Partial<OnPolicyParams>)
  | ({ kind: 'a2c' } & Partial<OnPolicyParams>)
  | ({ kind: 'ppo'; action?: 'discrete' | 'continuous'; envs?: number } & Partial<OnPolicyParams>)
  /** RLTrader's learners: `net: 'dqn'` a value network, `net: 'a2c'` value + policy networks on one trunk. */
  | ({ kind: 'rltrader'; net: 'dqn' | 'a2c' } & Partial<RltraderParams>);

/**
 * An agent strategy's recipe (strategies/*.ts fill one in): what the agent sees, its network, how it learns, how it
 * trades. Everything not named here comes from config (`agent`, `backtest`, `account`).
 */
export interface AgentRecipe {
  /** Feature spec (src/features), e.g. 'rltrader-v1' or 'rltrader-v1+ta'. */
  features: string;
  /** Scaler fitted on the training rows only. */
  scaler: ScalerKind;
  /** Feature rows per observation, ending at the decision candle. */
  window: number;
  /** Chart-image sequences for image networks: spec as `parseImageSpec` reads it, frames per observation. */
  image?: { spec: string; frames: number };
  network: {
    kind: NetworkKind;
    hidden?: number[];
    dropout?: number;
    batchNorm?: boolean;
    rnnUnits?: number;
    rnn?: 'lstm' | 'gru';
    activation?: string;
  };
  learner: LearnerRecipe;
  /** ε for learners that explore ε-greedily (DQN, RLTrader); on-policy learners explore by sampling. */
  exploration?: EpsilonSchedule;
  /** 'confidence': RLTrader's trading unit (bounds from config backtest.min/maxTradeValue); 'target': continuous position. */
  sizing: 'all' | 'confidence' | 'target';
  reward: RewardOptions;
  /** Cost preset, or 'config' for the account section's costs. */
  costs: 'config' | CostPresetName;
  /** Default epochs (config agent.epochs and --epochs override). */
  epochs?: number;
  /** Training episodes: the whole training range each epoch (default) or seeded random windows of this many candles. */
  episodeLength?: number;
  stopLoss?: number;
  /**
   * Cost-aware decisions (issue 13; src/agents/decision-rule.ts): `margins` are the switching margins tried on
   * validation (network units; the best validation score wins, ties to the smaller), `minHold` the candles a position
   * is kept at least, `every` the decision interval in candles. Absent: plain greedy, every candle.
   */
  decision?: { margins?: number[]; minHold?: number; every?: number };
  /**
   * How the epoch and margin are chosen (issue 13; src/agents/selection.ts): `windows` validation windows spread over
   * the fold's train + validation span (1 = the fold's validation window, as before), training rows `purge` candles
   * before and `embargo` candles after each window left out, and `turnoverCost` the extra multiple of the costs a
   * candidate is charged in its score (0 = plain validation Sharpe after costs).
   */
  selection?: { windows?: number; purge?: number; embargo?: number; turnoverCost?: number };
}

/** Checks the shape of a strategy's recipe well enough to give a one-line error instead of a crash deep inside. */
export function checkRecipe(name: string, r: unknown): AgentRecipe {
  const bad = (what: string) => new UserError(`strategies/${name}.ts: recipe ${what}`);
  if (!r || typeof r !== 'object') throw bad('is missing');
  const x = r as Partial<AgentRecipe>;
  if (typeof x.features !== 'string') throw bad('needs features (a feature spec such as rltrader-v1)');
  if (!x.network || typeof x.network.kind !== 'string') throw bad('needs network.kind (dnn, lstm, cnn, cnnrnn)');
  if (!x.learner || !['dqn', 'pg', 'a2c', 'ppo', 'rltrader'].includes(x.learner.kind))
    throw bad('needs learner.kind (dqn, pg, a2c, ppo, rltrader)');
  if (!x.reward || typeof x.reward.kind !== 'string') throw bad('needs a reward');
  if (!['all', 'confidence', 'target'].includes(x.sizing as string))
    throw bad('needs sizing (all, confidence, target)');
  if (!(Number.isInteger(x.window) && (x.window as number) >= 0)) throw bad('needs a whole window ≥ 0');
  if (x.decision !== undefined) {
    const d = x.decision;
    const margins = d.margins;
    if (margins !== undefined && !(Array.isArray(margins) && margins.length > 0 && margins.every((m) => m >= 0))) {
      throw bad('decision.margins must be a non-empty list of numbers ≥ 0');
    }
    for (const m of margins ?? [0]) {
      checkDecisionRule({ margin: m, minHold: d.minHold, every: d.every }, `strategies/${name}.ts: recipe decision`);
    }
  }
  if (x.selection !== undefined) {
    const s = x.selection;
    const whole = (v: number | undefined, min: number) => v === undefined || (Number.isInteger(v) && v >= min);
    if (!whole(s.windows, 1)) throw bad('selection.windows must be a whole number ≥ 1');
    if (!whole(s.purge, 0) || !whole(s.embargo, 0)) {
      throw bad('selection.purge and selection.embargo must be whole numbers of candles ≥ 0');
    }
    const kappa = s.turnoverCost;
    if (kappa !== undefined && !(Number.isFinite(kappa) && kappa >= 0)) {
      throw bad('selection.turnoverCost must be a number ≥ 0');
    }
  }
  return x as AgentRecipe;
}

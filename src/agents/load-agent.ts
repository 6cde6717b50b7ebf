/** Loading a saved agent (loadAgent) and the greedy AgentPolicy that backtests and paper trading run. */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { scalerFromJSON } from '../features/scaler.ts';
import { featureSpecVersion } from '../features/index.ts';
import { loadModel, type ModelMeta } from '../nn/model-files.ts';
import type { ObservationSource } from '../market/observation.ts';
import type { Decision, Observation, Policy } from '../core/policy.ts';
import type { AgentRecipe } from './recipe.ts';
import type { Learner } from './learners/learner.ts';
import { greedyDecision } from './greedy-decision.ts';
import type { AgentNet } from '../nn/agent-net.ts';
import type { NetPlan } from '../nn/plan.ts';
import { observationSource, prepareData, recipeWarmup, wrapModel } from './setup.ts';

/** The greedy policy of a network: what the backtest evaluates and what paper trading runs. No exploration. */
export class AgentPolicy implements Policy {
  private readonly probs = new Float32Array(3);
  constructor(
    readonly name: string,
    readonly net: AgentNet,
  ) {}

  decide(obs: Observation): Decision {
    return greedyDecision(this.net, this.net.forwardOne(obs), obs.state[0] ?? 0, this.probs);
  }
}

/** A learner's current network as a Policy (validation and test runs during training). */
export function learnerPolicy(name: string, learner: Learner): Policy {
  return { name, decide: (obs) => learner.decide(obs) };
}

/** What `meta.learner` holds for agents saved by `bot backtest` / `bot retrain`. */
export interface AgentLearnerMeta {
  kind: string;
  recipe: AgentRecipe;
  continuous: boolean;
  extraState: Record<string, number>;
  bestEpoch: number;
  epochs: number;
  /** The engines the network trained and ran on (src/nn/plan.ts), with the reasons faster ones were refused. */
  engines?: NetPlan;
}

export interface LoadedAgent {
  policy: AgentPolicy;
  meta: ModelMeta;
  recipe: AgentRecipe;
  /** First candle index an observation can be built for (feature and image warm-up). */
  warmup: number;
  /**
   * Features scaled with the saved training scaler and the image renderer for `candles`: hand it to
   * ObservationBuilder / TradingEnv / runBacktest exactly as the backtest did.
   */
  observationSource(candles: Candles): ObservationSource;
  dispose(): void;
}

/** Loads `models/<name>/` saved by an agent backtest and checks that this code computes the same features. */
export async function loadAgent(dir: string): Promise<LoadedAgent> {
  const { models, meta } = await loadModel(dir);
  const model = models.model;
  const learnerMeta = meta.learner as unknown as AgentLearnerMeta;
  if (!model || !learnerMeta?.recipe) {
    for (const m of Object.values(models)) m.dispose();
    throw new UserError(`model ${dir}: not an agent saved by this bot (meta.json has no learner recipe)`);
  }
  const recipe = learnerMeta.recipe;
  if (recipe.features && meta.featureVersion && featureSpecVersion(recipe.features) !== meta.featureVersion) {
    model.dispose();
    throw new UserError(`model ${dir}: trained on features ${meta.featureVersion}, this code computes ${featureSpecVersion(recipe.features)}`);
  }
  const scaler = meta.scaler ? scalerFromJSON(meta.scaler) : undefined;
  const net = wrapModel(model, meta.network, learnerMeta.continuous);
  const policy = new AgentPolicy(meta.name, net);
  return {
    policy,
    meta,
    recipe,
    warmup: recipeWarmup(recipe),
    observationSource: (candles) => observationSource(prepareData(recipe, candles, { from: 0, to: 0 }, scaler)),
    dispose: () => net.dispose(),
  };
}

/** Loading a saved agent (loadAgent) and the greedy AgentPolicy that backtests and paper trading run. */
import type * as tf from '@tensorflow/tfjs';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { savedAgentScaler } from './saved-scaler.ts';
import { featureSpecVersion } from '../features/index.ts';
import { loadModel, type ModelMeta } from '../nn/model-files.ts';
import type { ObservationSource } from '../market/observation.ts';
import type { Decision, LastTrade, Observation, Policy } from '../core/policy.ts';
import type { AgentRecipe } from './recipe.ts';
import type { Learner } from './learners/learner.ts';
import { greedyDecision, switchAdvantage, type DecidingNet } from './greedy-decision.ts';
import { checkDecisionRule, DecisionGate, fallbackDecision, isPlainRule, PLAIN_RULE } from './decision-rule.ts';
import type { DecisionRule, HoldReason } from './decision-rule.ts';
import { checkMemberFallbacks, EnsembleNet, type EnsembleMeta } from './ensemble.ts';
import { ensembleLacks, ensembleMemberKeys, isEnsembleKind } from './ensemble-kind.ts';
import type { NetPlan } from '../nn/plan.ts';
import type { HeadOutputs } from '../nn/head-outputs.ts';
import { observationSource, prepareData, wrapModel } from './setup.ts';
import { recipeWarmup } from './recipe-reach.ts';

/**
 * The greedy policy of a network: what the backtest evaluates and what paper and live trading run. No exploration.
 * With a decision rule (issue 13) it trades only on schedule, outside the holding period and when the network's
 * preference for switching beats the margin; it needs nothing but the observations it is shown, in order. A rule
 * with a `fallback` (the validation gate) trades that baseline instead of the network.
 */
export class AgentPolicy implements Policy {
  private readonly probs = new Float32Array(3);
  private readonly gate: DecisionGate | undefined;
  /** The outputs of the last decision candle's forward pass (the margin reads them). */
  private outs: HeadOutputs | undefined;
  readonly rule: DecisionRule;
  /** Which part of the rule made the last decision a hold (undefined: none did): what `bot predict` says. */
  heldBy: HoldReason | undefined;
  constructor(
    readonly name: string,
    readonly net: DecidingNet,
    rule: DecisionRule = PLAIN_RULE,
  ) {
    this.rule = rule;
    this.gate = isPlainRule(rule) ? undefined : new DecisionGate(rule);
  }

  decide(obs: Observation): Decision {
    const holdRatio = obs.state[0] ?? 0;
    // the validation gate chose a baseline over the network (issue 13): the network is not asked
    if (this.rule.fallback) return fallbackDecision(this.rule.fallback, holdRatio);
    const gate = this.gate;
    this.heldBy = undefined;
    if (!gate) return greedyDecision(this.net, this.net.forwardOne(obs), holdRatio, this.probs);
    const d = gate.gated(obs, this.greedy, this.rule.margin > 0 ? this.beatsMargin : undefined);
    this.heldBy = gate.heldBy;
    return d;
  }

  /** The network's greedy choice on a decision candle (its outputs kept for the margin). */
  private readonly greedy = (obs: Observation): Decision => {
    this.outs = this.net.forwardOne(obs);
    return greedyDecision(this.net, this.outs, obs.state[0] ?? 0, this.probs);
  };

  /** Whether the network prefers switching to `d` over keeping its position by more than the margin. */
  private readonly beatsMargin = (d: Decision, obs: Observation): boolean =>
    this.outs !== undefined &&
    switchAdvantage(this.net, this.outs, obs.state[0] ?? 0, d, this.probs) > this.rule.margin;

  resume(lastTrade: LastTrade): void {
    this.gate?.resume(lastTrade);
  }
}

/**
 * A learner's current network as a Policy (validation and test runs during training): the same AgentPolicy a saved
 * model loads into (every learner's own `decide` is this greedy decision on its network).
 */
export function learnerPolicy(name: string, learner: Learner, rule: DecisionRule = PLAIN_RULE): Policy {
  return new AgentPolicy(name, learner.net, rule);
}

/** What `meta.learner` holds for agents saved by `bot backtest` / `bot retrain`. */
export interface AgentLearnerMeta {
  kind: string;
  recipe: AgentRecipe;
  continuous: boolean;
  extraState: Record<string, number>;
  bestEpoch: number;
  epochs: number;
  /** The decision rule chosen on validation (issue 13); absent in models saved before it: plain greedy. */
  decision?: DecisionRule;
  /** An ensemble of seeds (issue 13): how its members (`model`, `member1`, …) combine; absent for one network. */
  ensemble?: EnsembleMeta;
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
    for (const m of Object.values(models)) m.dispose();
    throw new UserError(
      `model ${dir}: trained on features ${meta.featureVersion}, ` +
        `this code computes ${featureSpecVersion(recipe.features)}`,
    );
  }
  let scaler: ReturnType<typeof savedAgentScaler>;
  try {
    // the same refusals as the folder check before tfjs (model-folder-check.ts): a missing or malformed scaler
    scaler = savedAgentScaler(dir, recipe, meta.scaler);
  } catch (e) {
    for (const m of Object.values(models)) m.dispose();
    throw e;
  }
  const ens = learnerMeta.ensemble;
  const net = ens
    ? ensembleOf(dir, models, meta, learnerMeta, ens)
    : wrapModel(model, meta.network, learnerMeta.continuous);
  const saved = learnerMeta.decision;
  const rule = saved ? checkDecisionRule(saved, `model ${dir}: meta.json learner.decision`) : PLAIN_RULE;
  const policy = new AgentPolicy(meta.name, net, rule);
  return {
    policy,
    meta,
    recipe,
    warmup: recipeWarmup(recipe),
    observationSource: (candles) => observationSource(prepareData(recipe, candles, { from: 0, to: 0 }, scaler)),
    dispose: () => net.dispose(),
  };
}

/** The members saved in an ensemble's folder as one network. */
function ensembleOf(
  dir: string,
  models: Record<string, tf.LayersModel>,
  meta: ModelMeta,
  learner: AgentLearnerMeta,
  ens: EnsembleMeta,
): EnsembleNet {
  const keys = ensembleMemberKeys(ens.margins.length);
  const lacks = ensembleLacks(ens, (k) => models[k] !== undefined);
  if (lacks) {
    for (const m of Object.values(models)) m.dispose();
    throw new UserError(`model ${dir}: ${lacks}`);
  }
  let fallbacks: ReturnType<typeof checkMemberFallbacks>;
  try {
    // the saved key, not --ensemble, which was never given (and the loaded members were left undisposed: audit,
    // session 38)
    if (!isEnsembleKind(ens.kind))
      throw new UserError(`model ${dir}: meta.json learner.ensemble.kind must be vote or mean`);
    if (ens.kind === 'vote' && learner.continuous)
      throw new UserError(
        `model ${dir}: meta.json learner.ensemble.kind vote needs discrete actions (a continuous head)`,
      );
    fallbacks = checkMemberFallbacks(ens, `model ${dir}: meta.json learner`);
  } catch (e) {
    for (const m of Object.values(models)) m.dispose();
    throw e;
  }
  const members = keys.map((k) => wrapModel(models[k], meta.network, learner.continuous));
  return new EnsembleNet(ens.kind, members, ens.margins, fallbacks);
}

/**
 * A learning portfolio agent (issue 14): features and scalers per series (fitted on training rows only), the
 * observation builder (with chart-image frames when the recipe asks), the network and portfolio learner of a
 * PortfolioRecipe, training on PortfolioEnvs, and the policy the backtest engine runs. The policy call is one
 * function, observation → weights, in the environment, the backtest and the paper trader.
 */
import { createImageRenderer, parseImageSpec } from '../chart/index.ts';
import { lastAtOrBefore, type Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Observation } from '../core/policy.ts';
import { alignSeries, type Timeline } from '../data/timeline.ts';
import { computeFeatures, featureSpecVersion } from '../features/index.ts';
import { applyScaler, fitScaler, type ScalerState } from '../features/scaler.ts';
import type { Costs } from '../market/costs.ts';
import { firstDecisionIndex, PortfolioEnv } from '../market/portfolio-env.ts';
import type { PortfolioPolicy } from '../market/portfolio-engine.ts';
import { PortfolioObservationBuilder, type FeatureSeries } from '../market/portfolio-observation.ts';
import type { NetworkSpec } from '../nn/index.ts';
import type { PortfolioEpochStats, PortfolioLearner } from './learners/learner.ts';
import { findPortfolioBuild } from './learners/factories.ts';
import { findPortfolioLearner } from './learners/registry.ts';
import type { PortfolioRecipe } from './portfolio-recipe.ts';
import { createNet } from './setup.ts';
import { allFinite } from '../core/numbers.ts';

/** A trained (or loaded) agent: what it trades and reads, how it sees, and its policy call. */
export interface PortfolioAgent {
  recipe: PortfolioRecipe;
  symbols: string[];
  informative: string[];
  builder: PortfolioObservationBuilder;
  spec: NetworkSpec;
  scalers: ScalerState[];
  learner: PortfolioLearner;
  /** observation → target weights over the traded markets (greedy: the Gaussian's mean through the softmax). */
  weights(obs: Observation): number[];
  dispose(): void;
}

/** Features of every series (traded, then informative), each scaler fitted on candles opening before trainEnd. */
export function portfolioFeatures(
  recipe: PortfolioRecipe,
  series: readonly Candles[],
  trainEnd: number,
  scalers?: readonly ScalerState[],
): { features: FeatureSeries[]; scalers: ScalerState[] } {
  const fitted: ScalerState[] = [];
  const features = series.map((c, i) => {
    const m = computeFeatures(c, recipe.features);
    const state = scalers?.[i] ?? fitScaler(recipe.scaler, m, 0, lastAtOrBefore(c.ts, trainEnd - 1) + 1);
    fitted.push(state);
    return { candles: c, features: { data: applyScaler(state, m), cols: m.cols, firstValidRow: m.firstValidRow } };
  });
  return { features, scalers: fitted };
}

/**
 * The observation builder of a recipe over featured series (traded first): with `recipe.image`, frames of every
 * traded series (and the informative ones if the recipe says so), drawn by one renderer of the recipe's spec.
 */
export function portfolioBuilder(
  recipe: PortfolioRecipe,
  features: readonly FeatureSeries[],
  traded: number,
): PortfolioObservationBuilder {
  const im = recipe.image;
  const images = im && {
    renderer: createImageRenderer(parseImageSpec(im.spec)),
    frames: im.frames,
    series: im.informative ? features.length : traded,
  };
  return new PortfolioObservationBuilder(features, traded, recipe.window, images);
}

/**
 * The network spec of a recipe for a builder: a linear policy head of the learner's size, seeded. With images the
 * cnnrnn trunk is shared across series: every series' frames go through the same convolution blocks and embedding,
 * laid end to end (series by series, oldest frame first) as one sequence of series × frames for its GRU.
 */
function portfolioSpec(recipe: PortfolioRecipe, b: PortfolioObservationBuilder, seed: number): NetworkSpec {
  const spec: NetworkSpec = {
    ...recipe.network,
    window: b.window,
    features: b.width,
    stateSize: b.stateSize,
    heads: learnerBuild(recipe).heads(b.traded, recipe.cash),
    policyActivation: 'linear',
    seed,
  };
  if (recipe.image && b.images) {
    const s = parseImageSpec(recipe.image.spec);
    spec.image = { frames: b.images.series * b.images.frames, height: s.height, width: s.width, channels: s.channels };
  }
  return spec;
}

function learnerDefinition(recipe: PortfolioRecipe) {
  const def = findPortfolioLearner(recipe.learner.kind);
  if (!def) throw new UserError(`unknown portfolio learner "${recipe.learner.kind}"`);
  return def;
}

function learnerBuild(recipe: PortfolioRecipe) {
  const build = findPortfolioBuild(recipe.learner.kind);
  if (!build) throw new UserError(`unknown portfolio learner "${recipe.learner.kind}"`);
  return build;
}

/** An agent around a fresh (or given) network. */
export function createPortfolioAgent(
  recipe: PortfolioRecipe,
  builder: PortfolioObservationBuilder,
  scalers: ScalerState[],
  seed: number,
  restore?: { spec: NetworkSpec; net: ReturnType<typeof createNet>; extra: Record<string, number[]> },
): PortfolioAgent {
  const spec = restore?.spec ?? portfolioSpec(recipe, builder, seed);
  const net = restore?.net ?? createNet(spec, false);
  const learner = learnerBuild(recipe).create(recipe.learner, {
    net,
    seed,
    markets: builder.traded,
    cash: recipe.cash,
    extra: restore?.extra,
  });
  const symbols = builder.series.slice(0, builder.traded).map((s) => s.candles.symbol);
  const informative = builder.series.slice(builder.traded).map((s) => s.candles.symbol);
  return {
    recipe,
    symbols,
    informative,
    builder,
    spec,
    scalers,
    learner,
    weights: (obs) => learner.weights(obs),
    dispose: () => {
      learner.dispose();
      net.dispose();
    },
  };
}

/** What a portfolio agent is trained from (also the retrain's challenger request, src/trading/portfolio-retrain.ts). */
export interface PortfolioTrainRequest {
  recipe: PortfolioRecipe;
  traded: readonly Candles[];
  informative: readonly Candles[];
  costs: readonly Costs[];
  balance: number;
  band: number;
  /** Clock indices of the traded timeline trained on: episodes inside [from, to). */
  range: { from: number; to: number };
  seed: number;
  epochs?: number;
  onEpoch?(epoch: number, stats: PortfolioEpochStats): void;
}

/** Trains an agent on random episodes of the range; features scaled on the range's candles only. */
export function trainPortfolioAgent(req: PortfolioTrainRequest): PortfolioAgent {
  const { recipe } = req;
  const tl = alignSeries(req.traded);
  const trainEnd = tl.ts[req.range.to - 1] + 1; // candles opening after the range's last do not fit the scalers
  const { features, scalers } = portfolioFeatures(recipe, [...req.traded, ...req.informative], trainEnd);
  const builder = portfolioBuilder(recipe, features, req.traded.length);
  const from = Math.max(req.range.from, firstDecisionIndex(tl, builder));
  if (req.range.to - from < recipe.episodeLength)
    throw new UserError(
      `training range holds ${Math.max(0, req.range.to - from)} usable candle times, ` +
        `fewer than one ${recipe.episodeLength}-candle episode`,
    );
  const agent = createPortfolioAgent(recipe, builder, scalers, req.seed);
  const envs = Array.from({ length: learnerDefinition(recipe).envs(recipe.learner) }, (_, i) =>
    portfolioEnv(req, tl, builder, { from, to: req.range.to }, req.seed * 1009 + i),
  );
  const epochs = req.epochs ?? recipe.epochs;
  for (let e = 0; e < epochs; e++) {
    const stats = agent.learner.runEpoch(envs);
    req.onEpoch?.(e + 1, stats);
  }
  return agent;
}

function portfolioEnv(
  req: PortfolioTrainRequest,
  timeline: Timeline,
  observation: PortfolioObservationBuilder,
  range: { from: number; to: number },
  seed: number,
): PortfolioEnv {
  const { recipe } = req;
  return new PortfolioEnv({
    timeline,
    series: req.traded,
    costs: req.costs,
    balance: req.balance,
    band: req.band,
    observation,
    range,
    reward: recipe.reward,
    episode: { kind: 'random', length: recipe.episodeLength, seed },
    ...(recipe.stopLoss !== undefined ? { stopLoss: recipe.stopLoss } : {}),
  });
}

/**
 * The engine's policy of agents: at each close, the agent `pick(ts)` names (null: keep what is held) builds its
 * observation from the view's weights and P/L and gives weights. P/L is measured as in training: from the start of
 * the current block of `episodeLength` decisions (training episodes are that long, so the state stays in range).
 * The reference value and the decision count are the policy's `memory` (issue 14): a paper run persists them with
 * each candle time, so a run restarted after kill -9 resets the reference exactly where the uninterrupted run does.
 * Before the agent's first full feature window it keeps what is held, and that does not count as a decision.
 */
export function agentPolicy(
  name: string,
  pick: (ts: number) => PortfolioAgent | null,
  episodeLength: number,
): PortfolioPolicy {
  let ref = 0;
  let count = 0;
  return {
    name,
    decide(view) {
      const agent = pick(view.ts);
      if (!agent || view.ts < agent.builder.firstTs) return null;
      if (count % episodeLength === 0) ref = view.value;
      count++;
      const weights = agent.weights(agent.builder.build(view.ts, view.weights, view.value / ref - 1));
      // a network whose outputs went NaN keeps what is held instead of rebalancing to numbers that mean nothing
      return allFinite(weights) ? weights : null;
    },
    memory: {
      save: () => [ref, count],
      restore: (state) => {
        [ref, count] = state;
      },
    },
  };
}

/** The recipe's feature version (recorded in saved models). */
export function portfolioFeatureVersion(recipe: PortfolioRecipe): string {
  return featureSpecVersion(recipe.features);
}

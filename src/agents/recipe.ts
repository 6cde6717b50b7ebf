/**
 * The agent recipe a strategy file fills in (features, network, learner, sizing, reward, costs), its zod schema and
 * its check at load: the learner part is checked by the learner registry's schema for its kind.
 */
import { z } from 'zod';
import { didYouMean, firstIssue, keysAt } from '../core/schema-keys.ts';
import { UserError } from '../core/errors.ts';
import type { NetworkKind } from '../nn/spec.ts';
import { activationProblem } from '../nn/activation.ts';
import { featureNames } from '../features/index.ts';
import { SCALER_KINDS, type ScalerKind } from '../features/scaler.ts';
import { listCostPresets, type CostPresetName } from '../market/costs.ts';
import type { RewardOptions } from '../market/reward.ts';
import { findLearner, LEARNER_KINDS, type LearnerRecipe } from './learners/registry.ts';
import { epsilonScheduleSchema, type EpsilonSchedule } from './learners/schedule.ts';
import { whole } from './learners/param-schemas.ts';
import { RECIPE_LIMITS, TRAINING_LIMITS } from '../core/limits.ts';
import { checkDecisionRule, type DecisionRecipe } from './decision-rule.ts';
import { GATE_KINDS, type SelectionRecipe } from './selection.ts';
import { checkChoice, learnerChoiceSchema, type LearnerChoice } from './learner-choice.ts';
import type { ObservationSize } from './learners/learner.ts';
import { parseImageSpec } from '../chart/spec.ts';
import { STATE_SIZE } from '../market/observation.ts';

export type { LearnerRecipe } from './learners/registry.ts';

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
  /** The learner that trains the network (a kind in learners/registry.ts), with parameters other than its defaults. */
  learner: LearnerRecipe;
  /** ε for learners that explore ε-greedily (DQN, RLTrader); on-policy learners explore by sampling. */
  exploration?: EpsilonSchedule;
  /**
   * 'confidence': RLTrader's trading unit (bounds from config backtest.min/maxTradeValue); 'target': continuous
   * position.
   */
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
  decision?: DecisionRecipe;
  /**
   * How the epoch and margin are chosen (issue 13; src/agents/selection.ts): `windows` validation windows spread over
   * the fold's train + validation span (1 = the fold's validation window, as before), training rows `purge` candles
   * before and `embargo` candles (at least as many as an observation reaches back) after each window left out, and
   * `turnoverCost` the extra multiple of the costs a candidate is charged in its score (0 = plain validation Sharpe
   * after costs). `gate`: after the choice, trade flat
   * or buy-and-hold instead when the agent's score does not beat theirs — on the windows the epoch was chosen on
   * (`selectionWindows`), there and only when its deflated Sharpe ratio says its edge is more than the luck of its
   * epoch × margin trials (`deflated`), or on the last window, then left out of the epoch and margin choice
   * (`heldOutWindow`) (src/agents/validation-gate.ts). `judge`: leave the last window out of every choice (epoch,
   * margin, gate) and score what the run trades there (`judgeScore`), so that candidate recipes — gated or not — can
   * be compared on a window none of them chose on. `smoothEpochs` k: choose the epoch whose score averaged with its k
   * neighbouring validations on each side is best, not the single best epoch (src/agents/epoch-choice.ts).
   */
  selection?: SelectionRecipe;
  /**
   * FinRL's ensemble strategy (issue 13; src/agents/learner-choice.ts): per walk-forward window every candidate
   * learner is trained and the one with the best validation Sharpe trades. `learner` is then the first candidate's.
   */
  learnerChoice?: LearnerChoice;
  /**
   * Training data augmentation (issue 13; src/agents/mirror.ts): `mirror` also trains on each training segment's
   * inverted market (price p → k / p), so the training rows hold both drifts. Validation, the scaler and trading use
   * the real market only.
   */
  augment?: { mirror?: boolean };
}

/** The network section, one schema for single-market and portfolio recipes. */
export const networkSchema = z
  .strictObject({
    kind: z.enum(['dnn', 'lstm', 'cnn', 'cnnrnn']),
    // bounded (RECIPE_LIMITS): hidden [2e9] used to pass and crash mid-run with `Invalid typed array length`
    hidden: z.array(whole(1).max(RECIPE_LIMITS.units)).max(RECIPE_LIMITS.layers).optional(),
    dropout: z.number().min(0).lt(1).optional(),
    batchNorm: z.boolean().optional(),
    rnnUnits: whole(1).max(RECIPE_LIMITS.units).optional(),
    rnn: z.enum(['lstm', 'gru']).optional(),
    activation: z.string().min(1).optional(),
  })
  .superRefine((n, ctx) => {
    // the builder's own check: an unknown name used to pass here and fail every training (each job of a sweep)
    const problem = activationProblem(n.kind, n.activation);
    if (problem) ctx.addIssue({ code: 'custom', path: ['activation'], message: problem, input: n.activation });
  }) satisfies z.ZodType<AgentRecipe['network']>;

export const rewardSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('delayed'), threshold: z.number().gt(0).lt(1) }),
  z.strictObject({ kind: z.literal('logReturn'), turnoverPenalty: z.number().min(0).optional() }),
  z.strictObject({
    kind: z.literal('excessLogReturn'),
    benchmark: z.enum(['buyAndHold', 'flat']),
    turnoverPenalty: z.number().min(0).optional(),
  }),
  z.strictObject({ kind: z.literal('sharpe'), eta: z.number().gt(0).lt(1) }),
  z.strictObject({ kind: z.literal('drawdown'), penalty: z.number().min(0) }),
]) satisfies z.ZodType<RewardOptions>;

/** Everything but the learner's parameters, which its registry entry checks. */
const recipeSchema = z.strictObject({
  // the sets are looked up where they are computed (src/features), so an unknown one is refused at load, not by
  // every training; '' is no feature rows (an image network)
  features: z.string().superRefine((spec, ctx) => {
    if (spec === '') return;
    try {
      featureNames(spec);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message, input: spec });
    }
  }),
  scaler: z.enum(SCALER_KINDS),
  window: whole(0).max(RECIPE_LIMITS.window),
  image: z.strictObject({ spec: z.string().min(1), frames: whole(1).max(RECIPE_LIMITS.window) }).optional(),
  network: networkSchema,
  learner: z.looseObject({ kind: z.string() }),
  exploration: epsilonScheduleSchema.optional(),
  sizing: z.enum(['all', 'confidence', 'target']),
  reward: rewardSchema,
  costs: z.enum(['config', ...listCostPresets()]),
  epochs: whole(1).max(TRAINING_LIMITS.epochs).optional(),
  episodeLength: whole(2).max(RECIPE_LIMITS.candles).optional(),
  stopLoss: z.number().gt(0).lt(1).optional(),
  decision: z
    .strictObject({
      margins: z.array(z.number().min(0)).min(1).optional(),
      minHold: whole(0).max(RECIPE_LIMITS.candles).optional(),
      every: whole(1).max(RECIPE_LIMITS.candles).optional(),
    })
    .optional(),
  selection: z
    .strictObject({
      windows: whole(1).max(RECIPE_LIMITS.windows).optional(),
      purge: whole(0).max(RECIPE_LIMITS.candles).optional(),
      embargo: whole(0).max(RECIPE_LIMITS.candles).optional(),
      turnoverCost: z.number().min(0).optional(),
      gate: z.enum(GATE_KINDS).optional(),
      judge: z.boolean().optional(),
      smoothEpochs: whole(0).optional(),
    })
    .refine((sel) => !(sel.judge && sel.gate === 'heldOutWindow'), {
      message: "judge and gate 'heldOutWindow' both need the last window: use one of them",
    })
    .optional(),
  learnerChoice: learnerChoiceSchema.optional(),
  augment: z.strictObject({ mirror: z.boolean().optional() }).optional(),
});

/** One zod issue as `recipe.<key>: <problem>`; an unknown key at the top of `schema` lists the keys it takes. */
function describeIssue(issue: z.core.$ZodIssue, prefix: string[], schema: z.ZodType, owner: string): string {
  const path = [...prefix, ...issue.path].map(String);
  const key = ['recipe', ...path].join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = issue.path.length ? [] : keysAt(schema, []).filter((k) => k !== 'kind');
    const which = issue.keys.map((k) => `${key}.${k}`).join(', ');
    const guess = didYouMean(issue.keys, schema, issue.path);
    const takes = known.length ? ` (${owner} takes ${known.join(', ')})` : '';
    return `${which}: unknown key${guess ? `, ${guess}` : ''}${takes}`;
  }
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
  return `${key}: ${issue.message}${got}`;
}

/**
 * Checks a strategy's recipe against the recipe schema and its learner's registry schema; the first problem is a
 * one-line UserError naming `where` (the strategy file) and the key. Returns the recipe as given.
 */
export function checkRecipe(where: string, r: unknown): AgentRecipe {
  const bad = (what: string) => new UserError(`${where}: ${what}`);
  if (!r || typeof r !== 'object') throw bad('recipe is missing');
  const x = r as Record<string, unknown>;
  const learner = x.learner as { kind?: unknown } | undefined;
  // the learner kind first: it decides which schema the learner's parameters are read with
  if (!learner || typeof learner !== 'object' || !findLearner(learner.kind)) {
    const got = learner && typeof learner === 'object' ? ` (got ${JSON.stringify(learner.kind)})` : '';
    throw bad(`recipe.learner.kind must be one of ${LEARNER_KINDS.join(', ')}${got}`);
  }
  const top = recipeSchema.safeParse(r, { reportInput: true });
  if (!top.success) throw bad(describeIssue(firstIssue(top.error), [], recipeSchema, 'a recipe'));
  const entry = findLearner(learner.kind)!;
  const own = entry.schema.safeParse(learner, { reportInput: true });
  if (!own.success) throw bad(describeIssue(firstIssue(own.error), ['learner'], entry.schema, `learner ${entry.kind}`));
  const checkRule = (d: AgentRecipe['decision'], key: string) => {
    for (const margin of d?.margins ?? [0])
      checkDecisionRule({ margin, minHold: d?.minHold, every: d?.every }, `${where}: ${key}`);
  };
  const recipe = r as AgentRecipe;
  // what prepareData gives the network (src/agents/setup.ts): without this, such a recipe loaded and each training
  // failed only after the data was read (a sweep's every job, then a winner from the other configurations)
  if (recipe.network.kind === 'cnnrnn') {
    if (!recipe.image) throw bad('recipe.network.kind cnnrnn reads chart images: give recipe.image');
  } else if (!recipe.features || recipe.window < 1) {
    throw bad(
      `network ${recipe.network.kind} needs feature rows: recipe.features and a recipe.window of 1 or more ` +
        `(got window ${recipe.window}${recipe.features ? '' : ', no features'})`,
    );
  }
  if (recipe.decision) checkRule(recipe.decision, 'recipe.decision');
  if (recipe.learnerChoice) {
    const problem = checkChoice(recipe.learnerChoice);
    if (problem) throw bad(problem);
    for (const [i, c] of recipe.learnerChoice.candidates.entries())
      if (c.decision) checkRule(c.decision, `recipe.learnerChoice.candidates.${i}.decision`);
  }
  // before the data: a DQN whose replay holds fewer than learner.warmup transitions never learns (audit of images)
  const size = observationSize(recipe);
  const learners = [
    { key: 'recipe', learner: recipe.learner },
    ...(recipe.learnerChoice?.candidates ?? []).map((c, i) => ({
      key: `recipe.learnerChoice.candidates.${i}`,
      learner: c.learner,
    })),
  ];
  for (const { key, learner: l } of learners) {
    const problem = findLearner(l.kind)?.check?.(l, size);
    if (problem) throw bad(`${key}.${problem}`);
  }
  return recipe;
}

/**
 * Numbers in one observation of an image network (its chart image sequence and the position state), known from the
 * recipe alone; undefined for feature networks (their columns come with the data) and specs parseImageSpec refuses.
 */
function observationSize(recipe: AgentRecipe): ObservationSize | undefined {
  if (recipe.network.kind !== 'cnnrnn' || !recipe.image) return undefined;
  let spec;
  try {
    spec = parseImageSpec(recipe.image.spec);
  } catch {
    return undefined;
  }
  return { xSize: recipe.image.frames * spec.height * spec.width * spec.channels, stateSize: STATE_SIZE };
}

/**
 * How each learner kind is built: one line per kind of the registry (registry.ts), kept apart from it so that
 * checking a recipe does not load the learners and TensorFlow.js; training and loading a model read this table.
 */
import { createA2c } from './a2c.ts';
import { DqnLearner } from './dqn.ts';
import { DQN_DEFAULTS, dqnReplayProblem } from './dqn-params.ts';
import { UserError } from '../../core/errors.ts';
import type { Learner, LearnerContext, LearnerFactory, PortfolioLearnerBuild } from './learner.ts';
import { createPg } from './pg.ts';
import { createPpo } from './ppo.ts';
import { ppoWeightsBuild } from './ppo-weights.ts';
import { learnerOf, type LearnerKind, type LearnerRecipe } from './registry.ts';
import { RltraderLearner } from './rltrader.ts';
import { RLTRADER_DEFAULTS } from './rltrader-params.ts';

const FACTORIES: { [K in LearnerKind]: LearnerFactory<Extract<LearnerRecipe, { kind: K }>> } = {
  dqn: ({ kind: _k, ...params }, { net, newNet, seed, log }) => {
    const p = { ...DQN_DEFAULTS, ...params };
    // before the target network and the replay: a replay smaller than learner.warmup never lets the DQN learn
    const problem = dqnReplayProblem(p, net);
    if (problem) throw new UserError(problem);
    return new DqnLearner(net, newNet(), p, seed, log);
  },
  pg: ({ kind: _k, baseline: _b, ...params }, { net, seed }) => createPg(net, params, seed),
  a2c: ({ kind: _k, ...params }, { net, seed }) => createA2c(net, params, seed),
  ppo: ({ kind: _k, action: _a, envs: _e, ...params }, { net, seed }) => createPpo(net, params, seed),
  rltrader: ({ kind: _k, net: _n, ...params }, { net, seed }) =>
    new RltraderLearner(net, { ...RLTRADER_DEFAULTS, ...params }, seed),
};

/** The learner `recipe` names, around `ctx.net` (an unknown kind is the registry's one line). */
export function createLearnerOf(recipe: LearnerRecipe, ctx: LearnerContext): Learner {
  const { kind } = learnerOf(recipe);
  // one cast for the whole table: each entry reads only recipes of its own kind, which the lookup guarantees
  return (FACTORIES[kind] as LearnerFactory<LearnerRecipe>)(recipe, ctx);
}

/** Portfolio learners (PORTFOLIO_LEARNERS of the registry): one line per kind. */
const PORTFOLIO_BUILDS: Readonly<Record<string, PortfolioLearnerBuild<{ kind: string }>>> = {
  'ppo-weights': ppoWeightsBuild,
};

/** How the portfolio learner of a kind is built, or undefined. */
export function findPortfolioBuild(kind: string): PortfolioLearnerBuild<{ kind: string }> | undefined {
  return Object.hasOwn(PORTFOLIO_BUILDS, kind) ? PORTFOLIO_BUILDS[kind] : undefined;
}

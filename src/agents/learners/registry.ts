/**
 * The learner registry: one line per learner kind. Each kind's recipe side exports its definition (recipe schema,
 * heads, environments, default exploration; see learner.ts's LearnerDefinition); the recipe type, the strategy check
 * and the setup read this table. Adding a learner = its learner file, its definition, one line here and one in
 * factories.ts (issue 11). Nothing here loads TensorFlow.js: checking a recipe builds no network.
 */
import { UserError } from '../../core/errors.ts';
import type { z } from 'zod';
import type { LearnerDefinition, PortfolioLearnerDefinition } from './learner.ts';
import { dqnLearner } from './dqn-params.ts';
import { a2cLearner, pgLearner, ppoLearner, ppoWeightsLearner } from './onpolicy-recipes.ts';
import { rltraderLearner } from './rltrader-params.ts';

export const LEARNERS = [dqnLearner, pgLearner, a2cLearner, ppoLearner, rltraderLearner] as const;

/** A recipe's `learner` object: which learner trains the network, with the parameters that differ from its defaults. */
export type LearnerRecipe = z.infer<(typeof LEARNERS)[number]['schema']>;
export type LearnerKind = LearnerRecipe['kind'];

export const LEARNER_KINDS: readonly LearnerKind[] = LEARNERS.map((l) => l.kind);

/** The registry entry of a learner kind, or undefined for a kind nobody registered. */
export function findLearner(kind: unknown): LearnerDefinition<LearnerRecipe> | undefined {
  // one cast for the whole table: each entry reads only recipes of its own kind, which the lookup guarantees
  return LEARNERS.find((l) => l.kind === kind) as LearnerDefinition<LearnerRecipe> | undefined;
}

/** The registry entry for `recipe.kind` (recipes are checked at load: an unknown kind here is a programming error). */
export function learnerOf(recipe: LearnerRecipe): LearnerDefinition<LearnerRecipe> {
  const d = findLearner(recipe.kind);
  if (!d) throw new UserError(`unknown learner "${String(recipe.kind)}" (learners: ${LEARNER_KINDS.join(', ')})`);
  return d;
}

/** Portfolio learners (issue 14): their action is target weights over N markets. One line per kind. */
export const PORTFOLIO_LEARNERS: readonly PortfolioLearnerDefinition<{ kind: string }>[] = [ppoWeightsLearner];

/** The portfolio learner of a kind, or undefined. */
export function findPortfolioLearner(kind: unknown): PortfolioLearnerDefinition<{ kind: string }> | undefined {
  return PORTFOLIO_LEARNERS.find((l) => l.kind === kind);
}

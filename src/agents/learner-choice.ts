/**
 * FinRL's ensemble strategy as a recipe option (issue 13; Yang, Liu, Zhong & Walid 2020, "Deep Reinforcement Learning
 * for Automated Stock Trading: An Ensemble Strategy"): per walk-forward window, several learners are trained on the
 * same rows and the one with the best validation Sharpe trades the window. A recipe names the candidates in
 * `learnerChoice.candidates` (each a learner with, optionally, its own ε schedule and decision margins: Q-value and
 * probability margins are different units); this module checks them, and candidate-recipes.ts turns each into the
 * recipe it trains with.
 */
import { z } from 'zod';
import type { EpsilonSchedule } from './learners/schedule.ts';
import { epsilonScheduleSchema } from './learners/schedule.ts';
import { findLearner, LEARNER_KINDS, type LearnerRecipe } from './learners/registry.ts';
import type { DecisionRecipe } from './decision-rule.ts';

/** One learner the choice may pick, with the recipe parts that belong to it. */
interface LearnerCandidate {
  learner: LearnerRecipe;
  exploration?: EpsilonSchedule;
  decision?: DecisionRecipe;
}

/** The recipe option: train every candidate on the window, trade the one with the best validation Sharpe. */
export interface LearnerChoice {
  candidates: LearnerCandidate[];
}

/** The option's shape; each candidate's learner parameters are checked by its own registry schema (checkChoice). */
export const learnerChoiceSchema = z.strictObject({
  candidates: z
    .array(
      z.strictObject({
        learner: z.looseObject({ kind: z.string() }),
        exploration: epsilonScheduleSchema.optional(),
        decision: z
          .strictObject({
            margins: z.array(z.number().min(0)).min(1).optional(),
            minHold: z.number().int().min(0).optional(),
            every: z.number().int().min(1).optional(),
          })
          .optional(),
      }),
    )
    .min(2),
});

/**
 * Checks each candidate's learner against its registry schema; the first problem as `recipe.learnerChoice.
 * candidates.<i>.learner.<key>: <problem>`, or undefined when all are fine.
 */
export function checkChoice(choice: { candidates: { learner: { kind: string } }[] }): string | undefined {
  for (const [i, c] of choice.candidates.entries()) {
    const where = `recipe.learnerChoice.candidates.${i}.learner`;
    const entry = findLearner(c.learner.kind);
    if (!entry)
      return `${where}.kind must be one of ${LEARNER_KINDS.join(', ')} (got ${JSON.stringify(c.learner.kind)})`;
    const own = entry.schema.safeParse(c.learner);
    if (!own.success) {
      const issue = own.error.issues[0];
      return `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`;
    }
  }
  return undefined;
}

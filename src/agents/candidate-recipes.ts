/**
 * The recipes one walk-forward fold trains (issue 13): the recipe itself, or one per candidate of its `learnerChoice`
 * (FinRL's ensemble strategy, src/agents/learner-choice.ts).
 */
import type { AgentRecipe } from './recipe.ts';

/**
 * The recipes a fold trains: the recipe itself, or with `learnerChoice` one per candidate (its learner, exploration
 * and decision in place of the recipe's; everything else shared, so every candidate sees the same rows and scaler).
 */
export function candidateRecipes(recipe: AgentRecipe): AgentRecipe[] {
  const { learnerChoice, ...base } = recipe;
  if (!learnerChoice) return [recipe];
  return learnerChoice.candidates.map((c) => {
    const r: AgentRecipe = { ...base, learner: c.learner };
    delete r.exploration;
    if (c.exploration) r.exploration = c.exploration;
    if (c.decision) r.decision = c.decision;
    return r;
  });
}

/** Each candidate's name in logs and reports: its learner's kind, numbered by place (`dqn#1`) when two share one. */
export function candidateNames(recipes: readonly AgentRecipe[]): string[] {
  return recipes.map((r, i) => {
    const kind = r.learner.kind;
    return recipes.filter((o) => o.learner.kind === kind).length > 1 ? `${kind}#${i + 1}` : kind;
  });
}

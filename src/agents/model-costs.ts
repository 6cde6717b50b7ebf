/**
 * The cost preset a saved single-market model trades under (its recipe's `costs`), read from meta.json without
 * loading the network, so that `bot backtest --model` checks the balance against its minimum order before any work.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `dir`'s meta.json learner.recipe.costs: a cost preset name, or 'config' for the account's costs. A folder whose
 * meta.json is missing or unreadable gives 'config' here; loading the model then says what is wrong with it.
 */
export function savedModelCosts(dir: string): string {
  try {
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as {
      learner?: { recipe?: { costs?: unknown } };
    };
    const costs = meta.learner?.recipe?.costs;
    return typeof costs === 'string' ? costs : 'config';
  } catch {
    return 'config';
  }
}

/**
 * Putting a configuration's values into an agent recipe: each swept key is a dotted path that must name a field the
 * recipe has (or, under `learner.`, a hyper-parameter the recipe's learner knows), with a value of the same kind.
 * Checked for every configuration before any data is loaded, so a typo is one line, not a sweep of identical jobs.
 */
import { UserError } from '../core/errors.ts';
import { checkRecipe, type AgentRecipe } from '../agents/recipe.ts';
import { DQN_DEFAULTS } from '../agents/learners/dqn-params.ts';
import { ON_POLICY_DEFAULTS } from '../agents/learners/onpolicy-params.ts';
import { RLTRADER_DEFAULTS } from '../agents/learners/rltrader-params.ts';
import type { ParamValue, Params } from './grid.ts';

/** Optional recipe fields a strategy file may leave out but a sweep may set. */
const OPTIONAL: Record<string, ParamValue> = {
  epochs: 1,
  episodeLength: 1,
  stopLoss: 0.1,
  'network.hidden': [1],
  'network.dropout': 0,
  'network.batchNorm': false,
  'network.rnnUnits': 1,
  'network.rnn': 'lstm',
  'network.activation': 'relu',
};

function learnerDefaults(recipe: AgentRecipe): Record<string, unknown> {
  switch (recipe.learner.kind) {
    case 'dqn':
      return { ...DQN_DEFAULTS };
    case 'rltrader':
      return { ...RLTRADER_DEFAULTS };
    default:
      return { ...ON_POLICY_DEFAULTS, baseline: 'value', action: 'discrete', envs: 1 };
  }
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : typeof v;
}

/** The existing value at a dotted path (for the kind check), or what the path may hold when the recipe omits it. */
function reference(recipe: AgentRecipe, key: string, strategy: string): unknown {
  const parts = key.split('.');
  let node: unknown = recipe;
  for (let i = 0; i < parts.length; i++) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      throw new UserError(
        `--grid ${key}: ${parts.slice(0, i).join('.')} is not an object in strategies/${strategy}.ts's recipe`,
      );
    }
    const obj = node as Record<string, unknown>;
    if (parts[i] in obj) {
      node = obj[parts[i]];
      continue;
    }
    if (i === parts.length - 1) {
      if (key in OPTIONAL) return OPTIONAL[key];
      if (parts.length === 2 && parts[0] === 'learner') {
        const defaults = learnerDefaults(recipe);
        if (parts[1] in defaults) return defaults[parts[1]];
      }
    }
    const known = Object.keys(obj).join(', ');
    throw new UserError(
      `--grid ${key}: strategies/${strategy}.ts's recipe has no "${parts.slice(0, i + 1).join('.')}" (there: ${known})`,
    );
  }
  return node;
}

/** A copy of `recipe` with the configuration's values set; throws a one-line UserError naming a bad key or value. */
export function applyParams(recipe: AgentRecipe, params: Params, strategy: string): AgentRecipe {
  const out = structuredClone(recipe) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(params)) {
    const ref = reference(recipe, key, strategy);
    if (ref !== undefined && kindOf(ref) !== kindOf(value)) {
      throw new UserError(
        `--grid ${key}=${JSON.stringify(value)}: expected a ${kindOf(ref)} like ${JSON.stringify(ref)}`,
      );
    }
    const parts = key.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
    node[parts[parts.length - 1]] = value;
  }
  try {
    return checkRecipe(`strategies/${strategy}.ts`, out);
  } catch (e) {
    throw new UserError(`with ${JSON.stringify(params)}: ${(e as Error).message}`);
  }
}

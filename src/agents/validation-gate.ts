/**
 * The validation gate (issue 13, "agents that know when not to trade"): after a fold's epoch and margin are chosen,
 * the trained agent's selection score on the (purged) validation windows is set against the same score of the two
 * do-nothing-clever baselines, flat and buy-and-hold, on the same windows. If the agent does not beat the better of
 * them, the run trades that baseline instead: the verdict goes into the decision rule (`fallback`), so the saved model,
 * the backtest, paper and live all trade it through the one AgentPolicy.
 */
import type { Policy } from '../core/policy.ts';
import type { Costs } from '../market/costs.ts';
import { runBacktest } from '../market/backtest-engine.ts';
import { computeMetrics } from '../market/metrics.ts';
import type { Fallback } from './decision-rule.ts';
import type { AgentRecipe } from './recipe.ts';
import { buyAndHoldPolicy, flatPolicy } from './rule-policies.ts';
import { validationScore } from './selection.ts';
import type { AgentMarketSettings } from './config.ts';
import { envOptions, type IndexRange, type PreparedData } from './setup.ts';

/** The gate's comparison for one run: the three selection scores and, when the agent lost, the baseline traded. */
export interface GateVerdict {
  agentScore: number;
  flatScore: number;
  buyAndHoldScore: number;
  fallback?: Fallback;
}

interface GateInput {
  recipe: AgentRecipe;
  settings: AgentMarketSettings;
  prepared: PreparedData;
  /** The validation windows the gate compares on. */
  windows: readonly IndexRange[];
  costs: Costs;
  turnoverCost: number;
  /** The trained agent's selection score (mean over the same windows). */
  agentScore: number;
}

/**
 * The mean selection score of a baseline policy over the windows, on the agent's own engine settings (costs, sizing,
 * observation source), so the three scores are computed alike. A window without variance (flat) scores 0.
 */
function baselineScore(input: GateInput, make: () => Policy): number {
  const { recipe, settings, prepared, windows, costs, turnoverCost } = input;
  let score = 0;
  for (const w of windows) {
    const r = runBacktest({ ...envOptions(recipe, settings, prepared, w), policy: make() });
    const m = computeMetrics(r, prepared.candles.timeframe);
    const s = validationScore(m, r.trades, r.equity, w.from, costs, turnoverCost);
    score += (Number.isFinite(s) ? s : 0) / windows.length;
  }
  return score;
}

/**
 * The verdict: the agent trades only if its score is strictly above both baselines'; otherwise the better baseline
 * (ties to flat, which pays nothing) is traded.
 */
export function gateVerdict(input: GateInput): GateVerdict {
  const flatScore = baselineScore(input, flatPolicy);
  const buyAndHoldScore = baselineScore(input, buyAndHoldPolicy);
  const agentScore = input.agentScore;
  const best: Fallback = buyAndHoldScore > flatScore ? 'buyAndHold' : 'flat';
  const bar = Math.max(flatScore, buyAndHoldScore);
  return { agentScore, flatScore, buyAndHoldScore, ...(agentScore > bar ? {} : { fallback: best }) };
}

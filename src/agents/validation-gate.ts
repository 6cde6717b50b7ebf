/**
 * The validation gate (issue 13, "agents that know when not to trade"): after a fold's epoch and margin are chosen,
 * the trained agent's selection score on the (purged) validation windows is set against the same score of the two
 * do-nothing-clever baselines, flat and buy-and-hold, on the same windows (the `deflated` kind also asks that the
 * agent's edge there survive its own selection: a deflated Sharpe ratio of at least DSR_LEVEL, Bailey & López de
 * Prado 2014). If the agent does not beat the better of them, the run trades that baseline instead: the verdict goes
 * into the decision rule (`fallback`), so the saved model, the backtest, paper and live all trade it through the one
 * AgentPolicy.
 */
import type { Policy } from '../core/policy.ts';
import type { Costs } from '../market/costs.ts';
import { runBacktest } from '../market/backtest-engine.ts';
import { computeMetrics } from '../market/metrics.ts';
import { deflatedSharpe, returnMoments } from '../market/deflated-sharpe.ts';
import type { BacktestResult } from '../market/backtest-engine.ts';
import type { Fallback } from './decision-rule.ts';
import type { AgentRecipe } from './recipe.ts';
import { buyAndHoldPolicy, flatPolicy } from './rule-policies.ts';
import { validationScore } from './selection.ts';
import type { AgentMarketSettings } from './config.ts';
import { envOptions, type PreparedData } from './setup.ts';
import type { IndexRange } from './splits.ts';

/**
 * The `deflated` gate's evidence: the deflated Sharpe ratio of the chosen epoch and margin on the selection windows
 * (per-candle returns) among all `trials` epoch × margin evaluations, and the per-candle Sharpe the best of that many
 * trials reaches by luck (`expectedMax`).
 */
interface DeflatedEvidence {
  dsr: number;
  sharpe: number;
  expectedMax: number;
  trials: number;
  /** Why `dsr` is NaN, when it is (src/market/deflated-sharpe.ts). */
  missing?: string;
}

/**
 * The probability the deflated gate asks for: the usual 95% (the DSR is the probability that the true Sharpe ratio
 * exceeds what the best of the trials reaches by luck).
 */
export const DSR_LEVEL = 0.95;

/** The gate's comparison for one run: the three selection scores and, when the agent lost, the baseline traded. */
export interface GateVerdict {
  agentScore: number;
  flatScore: number;
  buyAndHoldScore: number;
  /** With the `deflated` gate: the evidence that had to clear DSR_LEVEL as well. */
  deflated?: DeflatedEvidence;
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
  /** With the `deflated` gate: the agent trades only if this evidence clears DSR_LEVEL too. */
  deflated?: DeflatedEvidence;
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
 * The verdict: the agent trades only if its score is strictly above both baselines' (and, with deflated evidence, its
 * DSR is at least DSR_LEVEL; an undefined DSR does not pass); otherwise the better baseline (ties to flat, which pays
 * nothing) is traded.
 */
export function gateVerdict(input: GateInput): GateVerdict {
  return verdictOf(input.agentScore, baselineScore(input, flatPolicy), baselineScore(input, buyAndHoldPolicy), input);
}

/** The verdict from the three scores and the deflated evidence, if any (gateVerdict without the backtests). */
export function verdictOf(
  agentScore: number,
  flatScore: number,
  buyAndHoldScore: number,
  o: { deflated?: DeflatedEvidence } = {},
): GateVerdict {
  const best: Fallback = buyAndHoldScore > flatScore ? 'buyAndHold' : 'flat';
  const bar = Math.max(flatScore, buyAndHoldScore);
  const credible = o.deflated === undefined || o.deflated.dsr >= DSR_LEVEL;
  return {
    agentScore,
    flatScore,
    buyAndHoldScore,
    ...(o.deflated ? { deflated: o.deflated } : {}),
    ...(agentScore > bar && credible ? {} : { fallback: best }),
  };
}

/** The per-candle returns of greedy runs over some windows, one after another (each window's first candle has none). */
function windowReturns(runs: readonly BacktestResult[]): Float64Array {
  const out = new Float64Array(runs.reduce((n, r) => n + Math.max(0, r.equity.length - 1), 0));
  let k = 0;
  for (const r of runs) for (let i = 1; i < r.equity.length; i++) out[k++] = r.equity[i] / r.equity[i - 1] - 1;
  return out;
}

/** The per-candle Sharpe ratio of greedy runs over some windows taken together: one epoch × margin trial. */
export function trialSharpe(runs: readonly BacktestResult[]): number {
  return returnMoments(windowReturns(runs)).sharpe;
}

/** The deflated gate's evidence for the chosen epoch and margin's runs over the selection windows. */
export function deflatedEvidence(chosen: readonly BacktestResult[], trialSharpes: readonly number[]): DeflatedEvidence {
  const d = deflatedSharpe(windowReturns(chosen), trialSharpes);
  const { dsr, sharpe, expectedMax, trials, missing } = d;
  return { dsr, sharpe, expectedMax, trials, ...(missing ? { missing } : {}) };
}

/**
 * A portfolio rule strategy's policy as every run calls it (backtest, paper and live build it here): what its
 * createPolicy and decide throw, and weights outside the portfolio contract (one finite weight ≥ 0 per market, the sum
 * at most 1, or null to keep what is held), stop the run with one line naming the strategy, the candle time and the
 * value, as a HaltError (see rule-guard.ts: the next tick would fail the same way).
 */
import { HaltError } from '../core/errors.ts';
import { isoTime } from '../data/timeframe.ts';
import { targetsProblem } from '../market/portfolio-account.ts';
import type { PortfolioPolicy } from '../market/portfolio-engine.ts';
import type { PortfolioContext } from './portfolio-strategy.ts';
import { createdPolicy, policyName, strategyError } from './rule-guard.ts';

/** Weights shown in a message: at most this many, then how many more. */
const SHOWN = 8;

/** `strategy.createPolicy(ctx)`, the weights its policy's decide returns checked at every candle time. */
export function createPortfolioRulePolicy(
  strategy: { name: string; createPolicy(ctx: PortfolioContext): PortfolioPolicy },
  ctx: PortfolioContext,
): PortfolioPolicy {
  const who = `strategy "${strategy.name}"`;
  const policy = createdPolicy(strategy, ctx, 'view');
  const guarded: PortfolioPolicy = {
    name: policyName(policy, strategy),
    decide(view) {
      const where = `${who}: decide at ${isoTime(view.ts)}`;
      let d: unknown;
      try {
        d = policy.decide(view);
      } catch (e) {
        throw strategyError(where, e);
      }
      if (d === null) return null;
      const n = view.symbols.length;
      if (!Array.isArray(d) && !(ArrayBuffer.isView(d) && !(d instanceof DataView)))
        throw new HaltError(`${where} returned ${shown(d)}, not ${n} target weights or null`);
      const weights = d as ArrayLike<unknown>;
      const problem = targetsProblem(weights, n);
      if (problem) throw new HaltError(`${where} returned ${listed(weights)}: ${problem}`);
      return d as readonly number[];
    },
  };
  if (policy.memory) guarded.memory = policy.memory;
  return guarded;
}

function shown(v: unknown): string {
  return typeof v === 'object' && v !== null ? (JSON.stringify(v) ?? String(v)) : String(v);
}

/** [a, b, …] with NaN and undefined as themselves (JSON would print null). */
function listed(weights: ArrayLike<unknown>): string {
  const all = Array.from(weights);
  const head = all.slice(0, SHOWN).map((w) => (typeof w === 'string' ? JSON.stringify(w) : String(w)));
  return `[${head.join(', ')}${all.length > SHOWN ? `, … ${all.length - SHOWN} more` : ''}]`;
}

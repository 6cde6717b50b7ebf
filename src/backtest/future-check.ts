/**
 * The spot check that a rule strategy's backtest decisions do not read the future: at a few decision candles the
 * strategy is rebuilt over the candles up to that one only (as a paper tick does) and must decide the same.
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Decision, Policy } from '../core/policy.ts';
import { createRulePolicy } from '../agents/rule-guard.ts';
import type { RuleStrategy } from '../agents/strategy.ts';
import { isoTime } from '../data/timeframe.ts';
import { RevealedSeries } from '../market/revealed-candles.ts';

/** Decision candles checked per run, spread evenly from the first decision to the last. */
const CHECKS = 5;

function same(a: Decision, b: Decision): boolean {
  return (
    a.action === b.action && Object.is(a.confidence, b.confidence) && Object.is(a.targetPosition, b.targetPosition)
  );
}

function describe(d: Decision): string {
  return `${d.action} (confidence ${d.confidence})`;
}

/**
 * `policy` (built by `strategy` over all of `candles`) checked at CHECKS of the decisions at candles from … to − 2:
 * an observation's candles already end at its t, but a rule's createPolicy sees the whole series, so one that keeps
 * it and indexes past t is caught here with a one-line error instead of a fantastic backtest.
 */
export function futureCheckedPolicy(
  strategy: RuleStrategy,
  policy: Policy,
  candles: Candles,
  seed: number,
  range: { from: number; to: number },
): Policy {
  const last = range.to - 2;
  const at = new Set<number>();
  for (let j = 0; j < CHECKS; j++) at.add(range.from + Math.round(((last - range.from) * j) / (CHECKS - 1)));
  return {
    name: policy.name,
    decide(obs) {
      const d = policy.decide(obs);
      if (!at.has(obs.t)) return d;
      // copied: rule policies may hand out one decision object and rewrite it
      const full: Decision = { ...d };
      // copies, as the observation's are: a view of the whole series would reach later candles through its buffer
      const past = new RevealedSeries(candles).through(obs.t + 1);
      const alone = createRulePolicy(strategy, { candles: past, seed }).decide({ ...obs, candles: past });
      if (!same(full, alone)) {
        throw new UserError(
          `strategy "${strategy.name}" decides ${describe(full)} at ${isoTime(candles.ts[obs.t])} but ` +
            `${describe(alone)} when rebuilt over the candles up to it (as a paper tick is): it reads candles after ` +
            `the one it decides (createPolicy's candles past obs.t) or keeps state between decisions`,
        );
      }
      return d;
    },
  };
}

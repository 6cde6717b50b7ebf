/**
 * The check that a rule strategy's backtest decisions do not read the future: after the run, the strategy is rebuilt
 * over the candles up to a decision's candle only (as a paper tick does) and must decide the same there, at every
 * acting decision (buy or sell) up to a bound, then at a spread sample of them, and at a spread sample of holds.
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Decision, Observation, Policy } from '../core/policy.ts';
import { createRulePolicy } from '../agents/rule-guard.ts';
import type { RuleStrategy } from '../agents/strategy.ts';
import { isoTime } from '../data/timeframe.ts';
import { RevealedSeries } from '../market/revealed-candles.ts';

/**
 * Acting decisions checked: all of them up to this many, else this many spread from the first to the last. A
 * look-ahead's profit is made by the decisions that trade, so a rule that peeks only before rare large moves (a few
 * dozen trades in a run) is rebuilt at every one of them; one that peeks at every decision fails at any of them.
 */
const ACTING_CHECKS = 64;
/** Holds checked, spread from the first to the last: a peek that holds to dodge a bad trade is caught there. */
const HOLD_CHECKS = 16;
// The cost is bounded whatever the run's length: at most ACTING_CHECKS + HOLD_CHECKS = 80 rebuilds, each one copy of
// the candles up to its decision and one createPolicy over them (the cost of one paper tick over that history), and
// at most twice as many observations kept while the run goes (SpreadSample).

/** What a decision is rebuilt and compared with: the run's decision and its observation without the candles. */
interface Decided {
  decision: Decision;
  obs: Omit<Observation, 'candles'>;
}

/**
 * Items from a stream of unknown length, spread evenly over it in bounded memory: every `stride`-th is kept, and when
 * 2 × size are kept every other one is dropped and the stride doubles. All are kept while there are at most 2 × size.
 */
class SpreadSample<T> {
  private kept: T[] = [];
  private stride = 1;
  private seen = 0;

  constructor(private readonly size: number) {}

  /** Offers the next item (made only when kept). */
  offer(make: () => T): void {
    if (this.seen++ % this.stride !== 0) return;
    this.kept.push(make());
    if (this.kept.length === 2 * this.size) {
      this.kept = this.kept.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }

  /** All kept items if at most `size`, else `size` of them spread from the first to the last. */
  picked(): T[] {
    const n = this.kept.length;
    if (n <= this.size) return this.kept;
    return Array.from({ length: this.size }, (_, j) => this.kept[Math.round((j * (n - 1)) / (this.size - 1))]);
  }
}

function same(a: Decision, b: Decision): boolean {
  return (
    a.action === b.action && Object.is(a.confidence, b.confidence) && Object.is(a.targetPosition, b.targetPosition)
  );
}

function describe(d: Decision): string {
  return `${d.action} (confidence ${d.confidence})`;
}

/** A rule policy run under the check: `policy` to hand the engine, `verify()` to call when the run is over. */
interface FutureCheck {
  policy: Policy;
  /** Rebuilds the strategy at the sampled decisions, earliest first; throws one line at the first that differs. */
  verify(): void;
}

/**
 * `policy` (built by `strategy` over all of `candles`) with its decisions sampled for the check: an observation's
 * candles already end at its t, but a rule's createPolicy sees the whole series, so one that keeps it and indexes past
 * t is caught here with a one-line error instead of a fantastic backtest. The rebuilt policy decides once, fresh: a
 * rule that keeps state between decisions decides otherwise than the run did and is refused too, as a paper trader
 * (which rebuilds the policy at every tick) would not follow its backtest.
 */
export function futureCheck(strategy: RuleStrategy, policy: Policy, candles: Candles, seed: number): FutureCheck {
  const acting = new SpreadSample<Decided>(ACTING_CHECKS);
  const holds = new SpreadSample<Decided>(HOLD_CHECKS);
  return {
    policy: {
      name: policy.name,
      decide(obs) {
        const d = policy.decide(obs);
        // copies: rule policies may hand out one decision object and rewrite it, the engine rewrites its observation
        const decided = (): Decided => ({
          decision: { ...d },
          obs: {
            ...obs,
            state: obs.state.slice(),
            features: obs.features.slice(),
            ...(obs.images ? { images: obs.images.slice() } : {}),
          },
        });
        (d.action === 'hold' ? holds : acting).offer(decided);
        return d;
      },
    },
    verify() {
      const all = [...acting.picked(), ...holds.picked()].sort((a, b) => a.obs.t - b.obs.t);
      const revealed = new RevealedSeries(candles);
      for (const { decision: full, obs } of all) {
        // copies, as the observation's are: a view of the whole series would reach later candles through its buffer
        const past = revealed.through(obs.t + 1);
        const alone = createRulePolicy(strategy, { candles: past, seed }).decide({ ...obs, candles: past });
        if (!same(full, alone)) {
          throw new UserError(
            `strategy "${strategy.name}" decides ${describe(full)} at ${isoTime(candles.ts[obs.t])} but ` +
              `${describe(alone)} when rebuilt over the candles up to it (as a paper tick is): it reads candles ` +
              `after the one it decides (createPolicy's candles past obs.t) or keeps state between decisions`,
          );
        }
      }
    },
  };
}

/**
 * Cost-aware decisions (issue 13): the rule a saved agent trades by (switching margin, minimum holding period,
 * decision interval, and the baseline it falls back to when validation said it should not trade) and the gate that
 * applies its stateful parts, the same in backtest, paper and live.
 */
import type { Decision, LastTrade, Observation, Policy } from '../core/policy.ts';
import { UserError } from '../core/errors.ts';
import { timeframeMs } from '../data/timeframe.ts';
import { firstAtOrAfter } from '../core/candles.ts';
import { changesPosition } from './greedy-decision.ts';

/**
 * - `margin`: trade only when the best action beats keeping the position by more than this, in the network's units
 *   (Q-value difference, probability difference, or position distance for continuous heads); 0 = plain greedy.
 * - `minHold`: a position, once entered or left by a fill, is kept at least this many candles (0 = no minimum).
 * - `every`: decide only at the first candle closing at or after each point of a grid of `every` candles in UTC
 *   (hold in between), so backtest and paper agree whatever candle the data starts at; 1 = every candle.
 * - `fallback`: the validation gate's verdict (recipe `selection.gate`): the network did not beat this baseline's
 *   validation score, so the policy trades the baseline instead — `flat` stays in (or goes to) cash, `buyAndHold`
 *   buys once and holds. Absent: the network trades.
 */
/** A recipe's `decision` part as a strategy file writes it (AgentRecipe.decision says what each field does). */
export interface DecisionRecipe {
  margins?: number[];
  minHold?: number;
  every?: number;
}

export interface DecisionRule {
  margin: number;
  minHold: number;
  every: number;
  fallback?: Fallback;
}

const FALLBACKS = ['flat', 'buyAndHold'] as const;
export type Fallback = (typeof FALLBACKS)[number];

export const PLAIN_RULE: DecisionRule = { margin: 0, minHold: 0, every: 1 };

/** A fallback as saved, checked: one of the baselines, or one line naming them. */
export function checkFallback(f: unknown, where: string): Fallback {
  if (!(FALLBACKS as readonly unknown[]).includes(f))
    throw new UserError(`${where}: fallback must be one of ${FALLBACKS.join(', ')}, got ${String(f)}`);
  return f as Fallback;
}

export function checkDecisionRule(r: Partial<DecisionRule>, where: string): DecisionRule {
  const rule: DecisionRule = { margin: r.margin ?? 0, minHold: r.minHold ?? 0, every: r.every ?? 1 };
  if (r.fallback !== undefined) rule.fallback = checkFallback(r.fallback, where);
  if (!(Number.isFinite(rule.margin) && rule.margin >= 0))
    throw new UserError(`${where}: margin must be a number ≥ 0, got ${rule.margin}`);
  if (!(Number.isInteger(rule.minHold) && rule.minHold >= 0))
    throw new UserError(`${where}: minHold must be a whole number of candles ≥ 0, got ${rule.minHold}`);
  if (!(Number.isInteger(rule.every) && rule.every >= 1))
    throw new UserError(`${where}: every must be a whole number of candles ≥ 1, got ${rule.every}`);
  return rule;
}

/** Whether a rule changes nothing (a policy with it decides exactly as the plain greedy policy). */
export function isPlainRule(r: DecisionRule): boolean {
  return r.margin === 0 && r.minHold <= 1 && r.every === 1 && r.fallback === undefined;
}

const TO_CASH: Decision = Object.freeze({ action: 'sell', confidence: 1, targetPosition: 0 });
const ALL_IN: Decision = Object.freeze({ action: 'buy', confidence: 1, targetPosition: 1 });
const KEEP: Decision = Object.freeze({ action: 'hold', confidence: 0 });

/**
 * What a fallen-back policy does at a candle, from the position alone (the baselines of src/agents/rule-policies.ts,
 * made position-aware so a chained walk-forward or a paper account that starts holding still ends up in the
 * baseline's position): `flat` sells what it holds, `buyAndHold` buys while mostly in cash.
 */
export function fallbackDecision(fallback: Fallback, holdRatio: number): Decision {
  if (fallback === 'flat') return holdRatio > 0 ? TO_CASH : KEEP;
  return holdRatio < 0.5 ? ALL_IN : KEEP;
}

/**
 * The part of a decision rule that turned a decision into a hold: `interval` (not a decision candle of `every`),
 * `margin` (the switch did not beat it), `minHold` (the position was not held long enough).
 */
export type HoldReason = 'interval' | 'margin' | 'minHold';

/**
 * The stateful part of a rule. Its only memory is derived from the observations it is shown, in order: the fill
 * count (`Observation.fills`) says when a trade happened, so "candles since the last trade" is the same for the
 * backtest engine and the paper trader that feed it the same candles and account. A gate that has not yet seen a
 * fill counts the position as held long enough, unless told where the run's last trade was (`resume`: a restarted
 * trader). Going back in time or a smaller fill count (a new run on the same policy) starts over.
 */
export class DecisionGate {
  private lastT = -Infinity;
  /** Open time of candle lastT: finds it again in candles loaded from another first candle. */
  private lastTs = NaN;
  private lastFills = -1;
  private lastTradeT = -Infinity;
  private tfMs = 0;
  private tfName = '';
  /** Which part of the rule made the last `gated` decision a hold (undefined: none did): what `bot predict` says. */
  heldBy: HoldReason | undefined;

  constructor(readonly rule: DecisionRule) {}

  /** Takes in candle t's observation; call once per decision, before the other questions. */
  see(obs: Observation): void {
    this.follow(obs.candles.ts);
    const fills = obs.fills ?? -1;
    if (obs.t <= this.lastT || fills < this.lastFills) {
      this.lastFills = -1;
      this.lastTradeT = -Infinity;
    }
    // a fill at t's open (the order of the decision at t − 1) moved the count
    if (this.lastFills >= 0 && fills !== this.lastFills) this.lastTradeT = obs.t;
    this.lastFills = fills;
    this.lastT = obs.t;
    this.lastTs = obs.candles.ts[obs.t];
  }

  /**
   * Picks up a run whose past this gate did not see (Policy.resume): the next observation is the first after it, and
   * the candles since the last trade count from `lastTrade.t` (in the candles that observation is cut from).
   */
  resume(lastTrade: LastTrade): void {
    this.lastT = -Infinity;
    this.lastTs = NaN;
    this.lastFills = lastTrade.fills;
    this.lastTradeT = lastTrade.t;
  }

  /**
   * The same market's candles loaded again from another first candle (a paper tick loads only the history its
   * decisions read, src/trading/trader.ts): the candle indices the gate remembers move with them, so the candles since
   * the last trade count the same as over one long series.
   */
  private follow(ts: Float64Array): void {
    if (!(this.lastT >= 0) || ts[this.lastT] === this.lastTs) return;
    const j = firstAtOrAfter(ts, this.lastTs);
    if (ts[j] !== this.lastTs) return;
    this.lastTradeT += j - this.lastT;
    this.lastT = j;
  }

  /**
   * Whether candle t is a decision candle: the first to close at or after a point of the UTC grid of `every`
   * candles, i.e. a grid point lies in (previous candle's close, this close]. With closes on the timeframe's grid and
   * no gaps that is the candle closing on the grid point; a grid point inside a gap (a market's night, weekend or
   * lunch break, an exchange's missing candle) goes to the next candle, and closes off the UTC hour (09:30-style
   * sessions) count like any other, so hourly stock candles with `every` 24 decide once a trading day instead of never.
   */
  onSchedule(obs: Observation): boolean {
    const every = this.rule.every;
    if (every <= 1) return true;
    const c = obs.candles;
    if (c.timeframe !== this.tfName) {
      this.tfName = c.timeframe;
      this.tfMs = timeframeMs(c.timeframe);
    }
    const grid = every * this.tfMs;
    const close = c.ts[obs.t] + this.tfMs;
    const previousClose = obs.t > 0 ? c.ts[obs.t - 1] + this.tfMs : close - this.tfMs;
    return Math.floor(close / grid) > Math.floor(previousClose / grid);
  }

  /** Whether an order decided at t (filling at t + 1's open) keeps the current position at least `minHold` candles. */
  heldLongEnough(t: number): boolean {
    return t + 1 - this.lastTradeT >= this.rule.minHold;
  }

  /**
   * The rule applied to a policy's own choice at candle t (see first, then the schedule, margin and holding period):
   * off schedule it holds without asking `propose`; a proposal that changes the position goes through only when
   * `beatsMargin` says so (absent: no margin) and the position has been held `minHold` candles.
   */
  gated(
    obs: Observation,
    propose: (obs: Observation) => Decision,
    beatsMargin?: (d: Decision, obs: Observation) => boolean,
  ): Decision {
    this.see(obs);
    this.heldBy = undefined;
    if (!this.onSchedule(obs)) return this.holdBy('interval');
    const d = propose(obs);
    if (!changesPosition(d, obs.state[0] ?? 0)) return d;
    if (beatsMargin && !beatsMargin(d, obs)) return this.holdBy('margin');
    if (!this.heldLongEnough(obs.t)) return this.holdBy('minHold');
    return d;
  }

  private holdBy(reason: HoldReason): Decision {
    this.heldBy = reason;
    return DecisionGate.hold();
  }

  /** Hold, as the rule's answer off schedule or inside the margin or holding period. */
  static hold(): Decision {
    return { action: 'hold', confidence: 0 };
  }
}

/** The part of a rule a policy without value estimates can follow: when it may decide and how long it holds. */
export type ScheduleRule = Pick<DecisionRule, 'minHold' | 'every'>;

/** Every candle, no holding period. */
export const PLAIN_SCHEDULE: ScheduleRule = { every: 1, minHold: 0 };

/** Only the schedule of a rule (a decision rule also carries a margin and fallback), for a report to name. */
export function scheduleOf(rule: ScheduleRule): ScheduleRule {
  return { every: rule.every, minHold: rule.minHold };
}

/** Whether a schedule changes nothing (every candle, no holding period). */
export function isPlainSchedule(r: ScheduleRule): boolean {
  return r.minHold <= 1 && r.every === 1;
}

/** A candle at which a new gate takes over, and the schedule it follows from there on. */
export interface ScheduleRestart {
  at: number;
  rule: ScheduleRule;
}

/**
 * `policy` traded under a strategy's schedule and holding period (issue 13: the random baseline), through the same
 * gate an agent trades by: it decides on the agent's decision candles and keeps a position as long. No margin: the
 * policy has no value estimates to hold it to. `restarts`: candles at which a new gate takes over, as each fold's
 * agent of a chained walk-forward starts with its own (its holding period counts from that fold's first fill), with
 * that agent's schedule (with `learnerChoice` each fold's chosen learner has its own). `phase`: how many decision
 * candles the policy holds before its first proposal under each new gate (given the open time of the gate's first
 * candle and its schedule), so a coin-flipper's switches do not all start in step with the window (randomPhase).
 */
export function underSchedule(
  policy: Policy,
  rule: ScheduleRule,
  restarts: readonly ScheduleRestart[] = [],
  phase?: (startTs: number, rule: ScheduleRule) => number,
): Policy {
  if (isPlainSchedule(rule) && restarts.every((r) => isPlainSchedule(r.rule))) return policy;
  const fresh = (r: ScheduleRule) => new DecisionGate({ margin: 0, minHold: r.minHold, every: r.every });
  let gate = fresh(rule);
  let lastT = -Infinity;
  let wait = 0;
  const propose = (obs: Observation): Decision => {
    if (wait <= 0) return policy.decide(obs);
    wait--;
    return DecisionGate.hold();
  };
  const decide = (obs: Observation): Decision => {
    // a new run on the same policy starts over
    if (obs.t <= lastT) {
      gate = fresh(rule);
      lastT = -Infinity;
    }
    const started = restarts.filter((r) => lastT < r.at && r.at <= obs.t);
    if (started.length) {
      const r = started[started.length - 1];
      gate = fresh(r.rule);
      wait = phase?.(obs.candles.ts[r.at], r.rule) ?? 0;
    } else if (lastT === -Infinity) wait = phase?.(obs.candles.ts[obs.t], rule) ?? 0;
    lastT = obs.t;
    return gate.gated(obs, propose);
  };
  return { name: policy.name, decide };
}

/** A schedule in words, as a report says which rule a baseline followed. */
export function scheduleText(rule: ScheduleRule): string {
  return `every ${rule.every}, minHold ${rule.minHold}`;
}

/** Schedules named where each applied (`f2s3: every 1, minHold 6; …`), as a report says which rule random followed. */
export function rulesText(rules: readonly { run: string; rule: ScheduleRule }[]): string {
  return rules.map((r) => `${r.run}: ${scheduleText(r.rule)}`).join('; ');
}

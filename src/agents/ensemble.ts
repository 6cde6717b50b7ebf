/**
 * Ensembles of seeds (issue 13): the N networks one fold trained with N seeds, read as one network whose outputs the
 * decision rule is applied on. `mean` averages the members' value estimates (Q-values), probabilities (policy heads,
 * after softmax) or target positions; `vote` gives each member one vote (its own greedy decision under its own
 * switching margin; a decision that cannot move the position votes hold) and puts out the vote shares, with hold
 * winning whenever no action has a strict majority. A member the validation gate made fall back to a baseline
 * (src/agents/validation-gate.ts) is not asked: it votes its baseline's move, and `mean` leaves it out; when every
 * member fell back, the ensemble trades the baseline most of them chose (ties go to flat, as at the gate).
 */
import type { Observation } from '../core/policy.ts';
import { UserError } from '../core/errors.ts';
import type { HeadOutputs } from '../nn/head-outputs.ts';
import type { AgentNet } from '../nn/agent-net.ts';
import { softmaxRow } from '../nn/head-math.ts';
import { changesPosition, greedyDecision, switchAdvantage, type DecidingNet } from './greedy-decision.ts';
import { checkDecisionRule, checkFallback, fallbackDecision, PLAIN_RULE } from './decision-rule.ts';
import type { DecisionRule, Fallback } from './decision-rule.ts';
import { candidateRecipes } from './candidate-recipes.ts';
import { learnerOf } from './learners/registry.ts';
import type { AgentRecipe } from './recipe.ts';

import type { EnsembleKind } from './ensemble-kind.ts';

export type { EnsembleKind } from './ensemble-kind.ts';

/**
 * What `meta.learner.ensemble` holds: how the members combine, each member's switching margin (vote) and, when the
 * validation gate made a member fall back, its baseline (`null`: the member's network trades; absent in folders saved
 * before members could fall back).
 */
export interface EnsembleMeta {
  kind: EnsembleKind;
  margins: number[];
  fallbacks?: (Fallback | null)[];
}

/**
 * What asked for the ensemble, as a refusal names it: `--ensemble` on `bot backtest`, or the champion a retrain
 * challenges with as many seeds combined the same way (the audit of session 38: a retrain named a flag never given).
 */
export type EnsembleAsker = 'flag' | 'champion';

/** The start of a refusal: who asked for an ensemble of this kind. */
function asked(kind: EnsembleKind, by: EnsembleAsker): string {
  return by === 'flag' ? `--ensemble ${kind}` : `the champion is a ${kind} ensemble of seeds, which`;
}

/** A vote needs each member's discrete action: a continuous head (a target position) has none to count. */
function checkEnsembleHeads(kind: EnsembleKind, continuous: boolean, by: EnsembleAsker = 'flag'): void {
  if (kind === 'vote' && continuous)
    throw new UserError(
      `${asked(kind, by)} needs discrete actions (this recipe has a continuous head): ` +
        (by === 'flag' ? 'use mean' : 'retrain it with a recipe of discrete actions'),
    );
}

/**
 * The same refusals from the recipe, before anything is trained: the ensemble was built, and refused, only after
 * every seed of the first fold had trained into a run folder left half written; and an ensemble is one learner's
 * seeds, so a recipe choosing among learners per fold (learnerChoice) has none to combine.
 */
export function checkEnsembleRecipe(kind: EnsembleKind, recipe: AgentRecipe, by: EnsembleAsker = 'flag'): void {
  if (recipe.learnerChoice)
    throw new UserError(
      `${by === 'flag' ? '--ensemble' : asked(kind, by)} needs one learner per fold; this recipe chooses among ` +
        'several (learnerChoice)',
    );
  for (const r of candidateRecipes(recipe))
    checkEnsembleHeads(kind, learnerOf(r.learner).heads(r.learner).continuous, by);
}

/**
 * Whether a trade (buy or sell) has a strict majority of the members' whole votes; without one the ensemble holds.
 * Counted, not summed as shares: ten additions of 1/20 in float32 came to 0.50000006, so a 10–10 tie bought (audit,
 * session 38).
 */
export function hasMajority(tally: VoteTally): boolean {
  return 2 * tally.counts[0] > tally.members || 2 * tally.counts[1] > tally.members;
}

/** The members' votes at one observation: how many voted buy, sell and hold, of how many members. */
export interface VoteTally {
  counts: [number, number, number];
  members: number;
}

/** The tally as shares of the members (summing to 1): what `bot predict` prints, not what a majority is tested on. */
export function voteShares(tally: VoteTally): Float32Array {
  return Float32Array.from(tally.counts, (c) => c / tally.members);
}

/** The index of each vote in the vote shares: buy, sell, hold. */
const VOTE_INDEX = { buy: 0, sell: 1, hold: 2 } as const;

/** The members of one fold as one network: the policy, `bot predict` and the paper trader see only its outputs. */
export class EnsembleNet implements DecidingNet {
  readonly continuous: boolean;
  readonly policyOutput: AgentNet['policyOutput'];
  private readonly probs = new Float32Array(3);

  /** The members whose networks trade (those the gate did not make fall back); all of them when every one fell back. */
  private readonly trading: readonly DecidingNet[];

  constructor(
    readonly kind: EnsembleKind,
    readonly members: readonly DecidingNet[],
    readonly margins: readonly number[],
    readonly fallbacks: readonly (Fallback | null)[] = members.map(() => null),
  ) {
    if (members.length < 1) throw new Error('an ensemble needs at least one member');
    if (margins.length !== members.length) throw new Error('an ensemble needs one margin per member');
    if (fallbacks.length !== members.length) throw new Error('an ensemble needs one fallback entry per member');
    const trading = members.filter((_, i) => !fallbacks[i]);
    this.trading = trading.length ? trading : members;
    this.continuous = members[0].continuous;
    checkEnsembleHeads(kind, this.continuous);
    // vote shares and averaged probabilities are probabilities already
    this.policyOutput = kind === 'mean' && this.continuous ? members[0].policyOutput : 'softmax';
  }

  forwardOne(obs: Observation): HeadOutputs {
    return this.kind === 'vote' ? this.vote(obs) : this.mean(obs);
  }

  private mean(obs: Observation): HeadOutputs {
    const n = this.trading.length;
    let value: Float32Array | undefined;
    let policy: Float32Array | undefined;
    for (const m of this.trading) {
      const outs = m.forwardOne(obs);
      if (outs.value) {
        value ??= new Float32Array(outs.value.length);
        for (let i = 0; i < value.length; i++) value[i] += outs.value[i] / n;
      }
      if (outs.policy) {
        const p =
          !m.continuous && m.policyOutput === 'logits' ? softmaxRow(outs.policy, 0, 3, this.probs) : outs.policy;
        policy ??= new Float32Array(p.length);
        for (let i = 0; i < policy.length; i++) policy[i] += p[i] / n;
      }
    }
    return { ...(value ? { value } : {}), ...(policy ? { policy } : {}) };
  }

  /** The outputs the policy decides on: the vote shares, with hold at 1 when no trade has a strict majority. */
  private vote(obs: Observation): HeadOutputs {
    const tally = this.tally(obs);
    const votes = voteShares(tally);
    if (!hasMajority(tally)) votes[2] = 1;
    return { policy: votes };
  }

  /** How many members vote buy, sell and hold at `obs`: what the majority is decided on and `bot predict` prints. */
  tally(obs: Observation): VoteTally {
    const holdRatio = obs.state[0] ?? 0;
    const counts: [number, number, number] = [0, 0, 0];
    this.members.forEach((m, i) => {
      const fallback = this.fallbacks[i];
      if (fallback) {
        counts[VOTE_INDEX[fallbackDecision(fallback, holdRatio).action]] += 1;
        return;
      }
      const outs = m.forwardOne(obs);
      const d = greedyDecision(m, outs, holdRatio, this.probs);
      const moves = changesPosition(d, holdRatio);
      const beats =
        !moves || this.margins[i] <= 0 || switchAdvantage(m, outs, holdRatio, d, this.probs) > this.margins[i];
      counts[moves && beats ? (d.action === 'buy' ? 0 : 1) : 2] += 1;
    });
    return { counts, members: this.members.length };
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

/**
 * The rule the ensemble trades by, on its own outputs: the recipe's holding period and interval; for `mean` the
 * mean margin of the members whose networks trade (their outputs are in the same units, and so is the mean), for
 * `vote` none (each member applied its own margin to its vote). When every member fell back at the validation gate,
 * the ensemble falls back too, to the baseline most of them chose (ties to flat, which pays nothing).
 */
export function ensembleRule(kind: EnsembleKind, memberRules: readonly DecisionRule[]): DecisionRule {
  const first = memberRules[0] ?? PLAIN_RULE;
  const trading = memberRules.filter((r) => !r.fallback);
  const margin = kind === 'mean' && trading.length ? trading.reduce((a, r) => a + r.margin, 0) / trading.length : 0;
  const rule = checkDecisionRule({ margin, minHold: first.minHold, every: first.every }, 'ensemble');
  if (memberRules.length && !trading.length) {
    const held = memberRules.filter((r) => r.fallback === 'buyAndHold').length;
    rule.fallback = held > memberRules.length - held ? 'buyAndHold' : 'flat';
  }
  return rule;
}

/** Each member's fallback as `meta.learner.ensemble.fallbacks` holds it. */
export function memberFallbacks(memberRules: readonly DecisionRule[]): (Fallback | null)[] {
  return memberRules.map((r) => r.fallback ?? null);
}

/** A saved ensemble's `fallbacks` checked against its member count (absent: no member fell back). */
export function checkMemberFallbacks(meta: EnsembleMeta, where: string): (Fallback | null)[] {
  const n = meta.margins.length;
  if (meta.fallbacks === undefined) return new Array<null>(n).fill(null);
  if (!Array.isArray(meta.fallbacks) || meta.fallbacks.length !== n)
    throw new UserError(`${where}: ensemble.fallbacks must list one entry per member (${n})`);
  return meta.fallbacks.map((f) => (f === null ? null : checkFallback(f, where)));
}

/**
 * Ensembles of seeds (issue 13): the N networks one fold trained with N seeds, read as one network whose outputs the
 * decision rule is applied on. `mean` averages the members' value estimates (Q-values), probabilities (policy heads,
 * after softmax) or target positions; `vote` gives each member one vote (its own greedy decision under its own
 * switching margin; a decision that cannot move the position votes hold) and puts out the vote shares, with hold
 * winning whenever no action has a strict majority.
 */
import type { Observation } from '../core/policy.ts';
import { UserError } from '../core/errors.ts';
import type { HeadOutputs } from '../nn/head-outputs.ts';
import type { AgentNet } from '../nn/agent-net.ts';
import { softmaxRow } from '../nn/head-math.ts';
import { changesPosition, greedyDecision, switchAdvantage, type DecidingNet } from './greedy-decision.ts';
import { checkDecisionRule, PLAIN_RULE, type DecisionRule } from './decision-rule.ts';

const ENSEMBLE_KINDS = ['vote', 'mean'] as const;
export type EnsembleKind = (typeof ENSEMBLE_KINDS)[number];

/** What `meta.learner.ensemble` holds: how the members combine and each member's switching margin (vote). */
export interface EnsembleMeta {
  kind: EnsembleKind;
  margins: number[];
}

/** The members of one fold as one network: the policy, `bot predict` and the paper trader see only its outputs. */
export class EnsembleNet implements DecidingNet {
  readonly continuous: boolean;
  readonly policyOutput: AgentNet['policyOutput'];
  private readonly probs = new Float32Array(3);

  constructor(
    readonly kind: EnsembleKind,
    readonly members: readonly DecidingNet[],
    readonly margins: readonly number[],
  ) {
    if (members.length < 1) throw new Error('an ensemble needs at least one member');
    if (margins.length !== members.length) throw new Error('an ensemble needs one margin per member');
    this.continuous = members[0].continuous;
    if (kind === 'vote' && this.continuous)
      throw new UserError('--ensemble vote needs discrete actions (this recipe has a continuous head): use mean');
    // vote shares and averaged probabilities are probabilities already
    this.policyOutput = kind === 'mean' && this.continuous ? members[0].policyOutput : 'softmax';
  }

  forwardOne(obs: Observation): HeadOutputs {
    return this.kind === 'vote' ? this.vote(obs) : this.mean(obs);
  }

  private mean(obs: Observation): HeadOutputs {
    const n = this.members.length;
    let value: Float32Array | undefined;
    let policy: Float32Array | undefined;
    for (const m of this.members) {
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

  private vote(obs: Observation): HeadOutputs {
    const holdRatio = obs.state[0] ?? 0;
    const votes = new Float32Array(3);
    const n = this.members.length;
    this.members.forEach((m, i) => {
      const outs = m.forwardOne(obs);
      const d = greedyDecision(m, outs, holdRatio, this.probs);
      const moves = changesPosition(d, holdRatio);
      const beats =
        !moves || this.margins[i] <= 0 || switchAdvantage(m, outs, holdRatio, d, this.probs) > this.margins[i];
      votes[moves && beats ? (d.action === 'buy' ? 0 : 1) : 2] += 1 / n;
    });
    // no strict majority for a trade: keep the position
    if (!(votes[0] > 0.5 || votes[1] > 0.5)) votes[2] = 1;
    return { policy: votes };
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

/**
 * The rule the ensemble trades by, on its own outputs: the recipe's holding period and interval; for `mean` the
 * members' mean margin (their outputs are in the same units, and so is the mean), for `vote` none (each member
 * applied its own margin to its vote).
 */
export function ensembleRule(kind: EnsembleKind, memberRules: readonly DecisionRule[]): DecisionRule {
  const first = memberRules[0] ?? PLAIN_RULE;
  const margin = kind === 'mean' ? memberRules.reduce((a, r) => a + r.margin, 0) / memberRules.length : 0;
  return checkDecisionRule({ margin, minHold: first.minHold, every: first.every }, 'ensemble');
}

/** `--ensemble` as given on the command line, checked. */
export function parseEnsembleKind(v: string): EnsembleKind {
  if (!(ENSEMBLE_KINDS as readonly string[]).includes(v))
    throw new UserError(`--ensemble must be one of ${ENSEMBLE_KINDS.join(', ')}, got '${v}'`);
  return v as EnsembleKind;
}

/**
 * From network outputs to a trading decision without exploration (what policies and learners' `decide` use), and the
 * rebalancing band of continuous agents.
 */
import { ACTIONS, type Decision } from '../core/policy.ts';
import type { AgentNet } from '../nn/agent-net.ts';
import { argmax, sigmoid, softmaxRow } from '../nn/head-math.ts';
import type { HeadOutputs } from '../nn/head-outputs.ts';
import { allFinite } from '../core/numbers.ts';

/** What a decision needs of a network: its outputs for one observation and how to read them (an ensemble is one). */
export type DecidingNet = Pick<AgentNet, 'forwardOne' | 'continuous' | 'policyOutput' | 'dispose'>;

/** Whether the policy head is a continuous target position rather than action scores. */
export function isContinuous(net: Pick<DecidingNet, 'continuous'>): boolean {
  return net.continuous;
}

/**
 * A continuous agent rebalances only when its target differs from what it holds by more than this share of value:
 * chasing every small wiggle of the policy's mean would pay fees for nothing.
 */
const REBALANCE_BAND = 0.05;

/** 0 buy (raise the position), 1 sell (lower it), 2 hold (inside the band). */
export function positionAction(target: number, holdRatio: number): number {
  return target > holdRatio + REBALANCE_BAND ? 0 : target < holdRatio - REBALANCE_BAND ? 1 : 2;
}

/**
 * The greedy decision from network outputs, RLTrader's way: policy head if there is one (confidence = its
 * probability), else the value head (confidence = sigmoid of the chosen action's value). A continuous head gives
 * a target position; the action then says which way the position moves. Outputs that are not finite (a network
 * whose weights went NaN) hold: argmax over NaN picks the first action, a buy.
 */
export function greedyDecision(net: DecidingNet, outs: HeadOutputs, holdRatio: number, probs: Float32Array): Decision {
  const head = outs.policy ?? outs.value;
  if (!head || !allFinite(head)) return { action: 'hold', confidence: 0 };
  if (outs.policy && isContinuous(net)) {
    const target = Math.min(1, Math.max(0, outs.policy[0]));
    const action = positionAction(target, holdRatio);
    if (action === 2) return { action: 'hold', confidence: 0 };
    return { action: ACTIONS[action], confidence: Math.abs(target - holdRatio), targetPosition: target };
  }
  if (outs.policy) {
    const p = net.policyOutput === 'logits' ? softmaxRow(outs.policy, 0, 3, probs) : outs.policy;
    const a = argmax(p, 0, 3);
    return { action: ACTIONS[a], confidence: Math.min(1, Math.max(0, p[a])) };
  }
  const q = outs.value as Float32Array;
  const a = argmax(q, 0, 3);
  return { action: ACTIONS[a], confidence: sigmoid(q[a]) };
}

/** Hold ratios at or above this count as fully invested: an all-in buy would change nothing. */
const FULL_RATIO = 0.99;
/** Hold ratios at or below this count as flat: a sell would change nothing. */
const FLAT_RATIO = 0.01;

/** Whether a decision would move the position held at `holdRatio` (a buy when fully in, a sell when flat do not). */
export function changesPosition(d: Decision, holdRatio: number): boolean {
  if (d.action === 'hold') return false;
  if (d.targetPosition !== undefined) return true;
  return d.action === 'buy' ? holdRatio < FULL_RATIO : holdRatio > FLAT_RATIO;
}

/**
 * How much the network prefers `action` to keeping the position it holds, in the network's own units (issue 13):
 * Q-value difference for a value head, probability difference for a policy head, and for a continuous head the
 * distance of its target from the position. "Keeping" is holding, or the action that cannot trade from here (a
 * buy when fully invested, a sell when flat), whichever the network scores higher.
 */
export function switchAdvantage(
  net: DecidingNet,
  outs: HeadOutputs,
  holdRatio: number,
  action: Decision,
  probs: Float32Array,
): number {
  if (outs.policy && isContinuous(net)) {
    const target = action.targetPosition ?? Math.min(1, Math.max(0, outs.policy[0]));
    return Math.abs(target - holdRatio);
  }
  const policy = outs.policy && (net.policyOutput === 'logits' ? softmaxRow(outs.policy, 0, 3, probs) : outs.policy);
  const s = policy ?? (outs.value as Float32Array);
  let keep = s[2];
  if (holdRatio >= FULL_RATIO && s[0] > keep) keep = s[0];
  if (holdRatio <= FLAT_RATIO && s[1] > keep) keep = s[1];
  return s[ACTIONS.indexOf(action.action)] - keep;
}

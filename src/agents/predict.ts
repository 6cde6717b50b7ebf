/**
 * One decision of a saved agent at one candle, with the network's own outputs: what `bot predict` prints
 * ("give me today's action from my trained model", RLTrader's users' most asked question; issue 17). It builds the
 * observation and calls the policy exactly as the backtest and the paper trader do, on an account it makes up
 * for the purpose (nothing stored is read or written).
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import { firstAtOrAfter } from '../core/candles.ts';
import { Account, type Costs, type RejectReason } from '../market/account.ts';
import { executeOrder, newOrder, planOrder, BUY, SELL, type SizingOptions } from '../market/execution.ts';
import { ObservationBuilder } from '../market/observation.ts';
import type { LoadedAgent } from './load-agent.ts';
import type { DecisionRule, HoldReason } from './decision-rule.ts';
import { ACTIONS, type Decision } from '../core/policy.ts';
import { softmaxRow } from '../nn/head-math.ts';
import { isContinuous } from './greedy-decision.ts';
import { EnsembleNet, hasMajority, voteShares } from './ensemble.ts';

export interface NetworkOutputs {
  /**
   * What the numbers are: Q-values (DQN), action probabilities (policy networks), or a target position (continuous).
   */
  kind: 'q-values' | 'probabilities' | 'vote shares' | 'target position';
  /** By action (buy, sell, hold), or `{ target }` for a continuous policy. */
  values: Record<string, number>;
  /** The critic's value of the state, when the network has one beside its policy. */
  stateValue?: number;
}

export interface Prediction {
  /** Candle index, open time and close the decision is made at (after that candle's close). */
  t: number;
  ts: number;
  close: number;
  decision: Decision;
  outputs: NetworkOutputs;
  /**
   * Why the decision is a hold when the network's outputs alone do not say it: a part of the decision rule, or a vote
   * ensemble's lack of a majority; with the line predict prints.
   */
  held?: { by: HoldReason | 'noMajority'; note: string };
  /** Said when the model has a holding period that could not be applied: no time of the last trade was given. */
  minHoldNote?: string;
}

/**
 * An account as a user holding `position` (0..1 of its value in the asset, bought at `close`) would have: the
 * agent's state inputs (hold ratio, profit/loss) depend on it.
 */
export function accountHolding(balance: number, costs: Costs, position: number, close: number): Account {
  const account = new Account(balance, costs);
  if (position > 0) {
    account.units = (balance * position) / close;
    account.cash = balance * (1 - position);
    account.avgBuyPrice = close;
    account.avgCost = close;
  }
  return account;
}

/**
 * The agent's decision after candle t's close and the outputs it came from. `lastTrade`: when the position's last
 * fill was (a time in the candle it filled in), so a holding period counts from it as the trader's does; without it
 * the policy has seen no trade and `minHold` lets any switch through (said in `minHoldNote`).
 */
export function predictAt(
  agent: LoadedAgent,
  candles: Candles,
  t: number,
  account: Account,
  lastTrade?: number,
): Prediction {
  const builder = new ObservationBuilder(agent.observationSource(candles));
  const first = Math.max(builder.firstT, agent.warmup);
  if (t < first) {
    throw new UserError(
      `the model needs ${first} candles of history before the one it decides at; ${isoTime(candles.ts[t])} has ${t}`,
    );
  }
  const obs = builder.build(t, account);
  const policy = agent.policy;
  const net = policy.net;
  if (lastTrade !== undefined) policy.resume({ t: candleOf(candles, t, lastTrade), fills: obs.fills ?? 0 });
  const outs = net.forwardOne(obs);
  const vote = net instanceof EnsembleNet && net.kind === 'vote' ? net.tally(obs) : undefined;
  let outputs: NetworkOutputs;
  const byAction = (row: Float32Array) => Object.fromEntries(ACTIONS.map((a, i) => [a, row[i]]));
  if (outs.policy && isContinuous(net)) outputs = { kind: 'target position', values: { target: outs.policy[0] } };
  else if (outs.policy) {
    const p = net.policyOutput === 'logits' ? softmaxRow(outs.policy, 0, 3, new Float32Array(3)) : outs.policy;
    // a vote ensemble puts out the share of its members voting each action (the real shares, not the outputs the
    // policy decides on, where hold is 1 when no trade has a majority), not a probability
    outputs = vote
      ? { kind: 'vote shares', values: byAction(voteShares(vote)) }
      : { kind: 'probabilities', values: byAction(p) };
  } else outputs = { kind: 'q-values', values: byAction(outs.value as Float32Array) };
  if (outs.policy && outs.value) outputs.stateValue = outs.value[0];
  const decision = policy.decide(obs);
  const p: Prediction = { t, ts: candles.ts[t], close: candles.close[t], decision, outputs };
  const rule = policy.rule;
  if (policy.heldBy) p.held = { by: policy.heldBy, note: holdNote(policy.heldBy, rule) };
  else if (vote && decision.action === 'hold' && !hasMajority(vote) && !(2 * vote.counts[2] > vote.members))
    p.held = { by: 'noMajority', note: 'no action has a majority of the votes: the ensemble keeps the position' };
  if (lastTrade === undefined && rule.minHold > 1 && !rule.fallback)
    p.minHoldNote = `minHold ${rule.minHold} not applied: the time of the last trade is unknown (give --last-trade)`;
  return p;
}

/** What predict says of a hold the decision rule made. */
function holdNote(by: HoldReason, rule: DecisionRule): string {
  if (by === 'interval') return `not a decision candle (every ${rule.every} candles on the UTC grid): the rule holds`;
  if (by === 'margin') return `the switch does not beat the margin ${rule.margin}: the rule holds`;
  return `the position is held at least ${rule.minHold} candles after the last trade: the rule holds`;
}

/**
 * The candle index, in `candles`, of the candle a trade at time `at` filled in (the last opening at or before it), as
 * the trader counts it; before the first candle, as many timeframes before it. Refuses one after candle t's close.
 */
function candleOf(candles: Candles, t: number, at: number): number {
  const tf = timeframeMs(candles.timeframe);
  if (at >= candles.ts[t] + tf)
    throw new UserError(
      `--last-trade ${isoTime(at)} is after the close of the candle decided (${isoTime(candles.ts[t])})`,
    );
  const i = firstAtOrAfter(candles.ts, at + 1) - 1;
  return i >= 0 ? i : -Math.ceil((candles.ts[0] - at) / tf);
}

/** What the trader would do with a decision on the given account: the order it plans, or why there is none. */
export interface PlannedOrder {
  side: 'buy' | 'sell' | 'none';
  /** Cash committed (buy) or received (sell), fees included, at the decision's close. */
  value: number;
  /** Why the account would refuse the order (a sell on a flat account: `no_position`); the trader then holds. */
  refused?: RejectReason;
}

/**
 * The order the paper and live traders would place after `p`'s decision (the same planOrder as the engine), tried on
 * a copy of the account at the decision's close: the real fill is at the next open, so the value is an estimate but
 * a refusal (nothing to sell, no cash, below the minimum order) is what the trader would meet.
 */
export function plannedOrder(p: Prediction, account: Account, sizing: SizingOptions): PlannedOrder {
  const d = p.decision;
  const action = d.action === 'buy' ? BUY : d.action === 'sell' ? SELL : -1;
  const order = planOrder(account, sizing, action, d.confidence, d.targetPosition, p.close, newOrder());
  if (order.side !== BUY && order.side !== SELL) return { side: 'none', value: 0 };
  const side = order.side === BUY ? 'buy' : 'sell';
  const trial = Account.restore(account.snapshot(), account.costs);
  if (!executeOrder(trial, order, p.close)) return { side, value: 0, refused: trial.lastReject ?? undefined };
  return { side, value: Math.abs(account.cash - trial.cash) };
}

/**
 * One decision of a saved agent at one candle, with the network's own outputs: what `bot predict` prints
 * ("give me today's action from my trained model", RLTrader's users' most asked question; issue 17). It builds the
 * observation and calls the policy exactly as the backtest and the paper trader do, on an account it makes up
 * for the purpose (nothing stored is read or written).
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { isoTime } from '../data/timeframe.ts';
import { Account, type Costs, type RejectReason } from '../market/account.ts';
import { executeOrder, newOrder, planOrder, BUY, SELL, type SizingOptions } from '../market/execution.ts';
import { ObservationBuilder } from '../market/observation.ts';
import type { LoadedAgent } from './load-agent.ts';
import { ACTIONS, type Decision } from '../core/policy.ts';
import { softmaxRow } from '../nn/head-math.ts';
import { isContinuous } from './greedy-decision.ts';
import { EnsembleNet } from './ensemble.ts';

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

/** The agent's decision after candle t's close and the outputs it came from. */
export function predictAt(agent: LoadedAgent, candles: Candles, t: number, account: Account): Prediction {
  const builder = new ObservationBuilder(agent.observationSource(candles));
  const first = Math.max(builder.firstT, agent.warmup);
  if (t < first) {
    throw new UserError(
      `the model needs ${first} candles of history before the one it decides at; ${isoTime(candles.ts[t])} has ${t}`,
    );
  }
  const obs = builder.build(t, account);
  const net = agent.policy.net;
  const outs = net.forwardOne(obs);
  let outputs: NetworkOutputs;
  const byAction = (row: Float32Array) => Object.fromEntries(ACTIONS.map((a, i) => [a, row[i]]));
  if (outs.policy && isContinuous(net)) outputs = { kind: 'target position', values: { target: outs.policy[0] } };
  else if (outs.policy) {
    const p = net.policyOutput === 'logits' ? softmaxRow(outs.policy, 0, 3, new Float32Array(3)) : outs.policy;
    // a vote ensemble puts out the share of its members voting each action, not a probability
    const kind = net instanceof EnsembleNet && net.kind === 'vote' ? 'vote shares' : 'probabilities';
    outputs = { kind, values: byAction(p) };
  } else outputs = { kind: 'q-values', values: byAction(outs.value as Float32Array) };
  if (outs.policy && outs.value) outputs.stateValue = outs.value[0];
  const decision = agent.policy.decide(obs);
  return { t, ts: candles.ts[t], close: candles.close[t], decision, outputs };
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

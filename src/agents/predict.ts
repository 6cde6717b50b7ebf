/**
 * One decision of a saved agent at one candle, with the network's own outputs: what `bot predict` prints
 * ("give me today's action from my trained model", RLTrader's users' most asked question; issue 17). It builds the
 * observation and calls the policy exactly as the backtest and the paper trader do, on an account it makes up
 * for the purpose (nothing stored is read or written).
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { isoTime } from '../data/timeframe.ts';
import { Account, type Costs } from '../market/account.ts';
import { ObservationBuilder } from '../market/observation.ts';
import type { LoadedAgent } from './load-agent.ts';
import { ACTIONS, type Decision } from '../core/policy.ts';
import { softmaxRow } from '../nn/head-math.ts';
import { isContinuous } from './greedy-decision.ts';

export interface NetworkOutputs {
  /**
   * What the numbers are: Q-values (DQN), action probabilities (policy networks), or a target position (continuous).
   */
  kind: 'q-values' | 'probabilities' | 'target position';
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
    outputs = { kind: 'probabilities', values: byAction(p) };
  } else outputs = { kind: 'q-values', values: byAction(outs.value as Float32Array) };
  if (outs.policy && outs.value) outputs.stateValue = outs.value[0];
  const decision = agent.policy.decide(obs);
  return { t, ts: candles.ts[t], close: candles.close[t], decision, outputs };
}

/** The backtest engine: a policy run over candles on the market simulation, its result and trade fingerprint. */
import { createHash } from 'node:crypto';
import type { Observation, Policy } from '../core/policy.ts';
import { UserError } from '../core/errors.ts';
import type { AccountState, RejectReason } from './account.ts';
import type { EnvOptions } from './trading-env.ts';
import { BUY, HOLD, SELL } from './execution.ts';
import { ObservationBuilder } from './observation.ts';
import { MarketSim } from './sim.ts';

/** One fill. `index` is the candle whose open it filled at (the decision was at index − 1). */
export interface Trade {
  index: number;
  ts: number;
  side: 'buy' | 'sell';
  /** Fill price per unit, slippage included. */
  price: number;
  units: number;
  /** units × price. */
  gross: number;
  fee: number;
  tax: number;
  /** Sells: net proceeds − units × average cost (buy fees included). */
  realizedPnl: number;
  /** Cash and units right after the fill. */
  cash: number;
  unitsAfter: number;
}

type BacktestOptions = Omit<EnvOptions, 'reward' | 'episode'> &
  Partial<Pick<EnvOptions, 'reward' | 'episode'>> & {
    policy: Policy;
    /** Continue from this account (a walk-forward fold after the previous one) instead of `balance` in cash. */
    startState?: AccountState;
  };

export interface BacktestResult {
  policy: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  range: { from: number; to: number };
  initialBalance: number;
  /** Per candle of the range [from, to): open time, close, portfolio value and units held at the close. */
  timestamps: Float64Array;
  close: Float64Array;
  equity: Float64Array;
  positions: Float64Array;
  /** Per decision (candles from … to − 2): the action asked for and the one that happened (0 buy, 1 sell, 2 hold). */
  actions: Uint8Array;
  executed: Uint8Array;
  trades: Trade[];
  feesPaid: number;
  taxPaid: number;
  rejected: Record<RejectReason, number>;
  finalValue: number;
  /** Candle index where the stop-loss closed the position and halted trading, or null. */
  stoppedAt: number | null;
  /** The account at the last close, to continue from (startState). */
  endState: AccountState;
}

function actionIndex(action: string): number {
  return action === 'buy' ? BUY : action === 'sell' ? SELL : HOLD;
}

/**
 * Runs a policy over candles [from, to) with the environment's own MarketSim and ObservationBuilder, so a rule
 * strategy's backtest and an RL agent's evaluation fill, charge and mark identically. The observation object is
 * reused from candle to candle: a policy must not keep it past `decide`.
 */
export function runBacktest(options: BacktestOptions): BacktestResult {
  const { candles, range, policy } = options;
  const n = candles.close.length;
  const { from, to } = range;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to <= n)) {
    throw new UserError(`range [${from}, ${to}) is outside the ${n} candles`);
  }
  if (to - from < 2)
    throw new UserError(`range [${from}, ${to}) holds ${Math.max(0, to - from)} candles; a backtest needs at least 2`);
  const builder = new ObservationBuilder(options);
  if (from < builder.firstT)
    throw new UserError(`range starts at candle ${from} but observations need history from candle ${builder.firstT}`);
  const sim = new MarketSim(candles, options.balance, options.costs, options.sizing);
  const account = sim.account;
  const len = to - from;
  const equity = new Float64Array(len);
  const positions = new Float64Array(len);
  const actions = new Uint8Array(len - 1);
  const executed = new Uint8Array(len - 1);
  const trades: Trade[] = [];
  const stopLevel = options.stopLoss !== undefined ? options.balance * (1 - options.stopLoss) : -Infinity;
  let stoppedAt: number | null = null;

  sim.start(from, options.balance);
  if (options.startState) account.load(options.startState);
  const obs: Observation = builder.build(from, account);
  equity[0] = sim.value();
  positions[0] = account.units;
  for (let t = from, i = 0; t < to - 1; t++, i++) {
    let a: number;
    let confidence = 1;
    let target: number | undefined;
    if (stoppedAt === null) {
      builder.fill(obs, t, account);
      const d = policy.decide(obs);
      a = actionIndex(d.action);
      confidence = d.confidence;
      target = d.targetPosition;
    } else {
      a = account.units > 0 ? SELL : HOLD;
      target = 0;
    }
    actions[i] = a;
    if (sim.advance(a, confidence, target)) {
      const f = account.lastFill;
      trades.push({
        index: t + 1,
        ts: candles.ts[t + 1],
        side: f.side,
        price: f.price,
        units: f.units,
        gross: f.gross,
        fee: f.fee,
        tax: f.tax,
        realizedPnl: f.realizedPnl,
        cash: account.cash,
        unitsAfter: account.units,
      });
    }
    executed[i] = sim.executed;
    const v = account.value(candles.close[t + 1]);
    equity[i + 1] = v;
    positions[i + 1] = account.units;
    if (stoppedAt === null && v <= stopLevel) stoppedAt = t + 1;
  }
  return {
    policy: policy.name,
    exchange: candles.exchange,
    symbol: candles.symbol,
    timeframe: candles.timeframe,
    range: { from, to },
    initialBalance: options.balance,
    timestamps: candles.ts.slice(from, to),
    close: candles.close.slice(from, to),
    equity,
    positions,
    actions,
    executed,
    trades,
    feesPaid: account.feesPaid,
    taxPaid: account.taxPaid,
    rejected: { ...account.rejected },
    finalValue: equity[len - 1],
    stoppedAt,
    endState: account.snapshot(),
  };
}

/**
 * sha256 of the trade list: each fill's time, side, price and units at full precision (fees, cash and P&L follow
 * from them and the costs). Not the candle index, which depends on where the loaded series begins: the trainer's
 * report and `bot backtest --model … --from` give one fill the same fingerprint.
 */
export function tradesFingerprint(trades: readonly Trade[]): string {
  const h = createHash('sha256');
  for (const t of trades) h.update(`${t.ts},${t.side},${t.price},${t.units}\n`);
  return h.digest('hex');
}

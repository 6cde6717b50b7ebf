/** The paper market: the backtest's order and fill arithmetic, one candle at a time. */
import type { Decision } from '../core/policy.ts';
import { ACTIONS } from '../core/policy.ts';
import { Account, type AccountState, type Costs } from '../market/account.ts';
import {
  BUY,
  checkSizing,
  executeOrder,
  HOLD,
  newOrder,
  planOrder,
  SELL,
  type Order,
  type SizingOptions,
} from '../market/execution.ts';
import type { FillRecord } from './types.ts';

interface ExecutionOutcome {
  fill?: FillRecord;
  /** Why a planned order did not trade (the account's reject reason). */
  skipped?: string;
}

/**
 * The backtest's market arithmetic, one candle at a time, on an Account restored from the database:
 * `plan` at the decision (candle t's close, core's planOrder), `execute` at candle t+1's open (core's executeOrder).
 */
export class PaperMarket {
  readonly costs: Costs;
  readonly sizing: SizingOptions;

  constructor(costs: Costs, sizing: SizingOptions) {
    checkSizing(sizing);
    this.costs = { ...costs };
    this.sizing = sizing;
  }

  /** This market at other `costs` (a policy handle's own, PolicyHandle.costs), with the same sizing. */
  at(costs: Costs | undefined): PaperMarket {
    return costs ? new PaperMarket(costs, this.sizing) : this;
  }

  open(balance: number): AccountState {
    return new Account(balance, this.costs).snapshot();
  }

  restore(state: AccountState): Account {
    return Account.restore(state, this.costs);
  }

  /**
   * The order a decision becomes at candle t's close, or undefined when there is nothing to do; `sizing`: the serving
   * policy's when it has its own (PolicyHandle.sizing).
   */
  plan(account: Account, decision: Decision, close: number, sizing = this.sizing): Order | undefined {
    const order = planOrder(
      account,
      sizing,
      ACTIONS.indexOf(decision.action),
      decision.confidence,
      decision.targetPosition,
      close,
      newOrder(),
    );
    return order.side === HOLD ? undefined : { ...order };
  }

  /**
   * Why an order for nothing is refused (an all-in sell while flat, an all-in buy without cash), or undefined for an
   * order with a quantity. The account refuses it at any price, so the trader records the refusal at the decision, as
   * live does (cappedOrder), instead of a pending order of 0 until the next open.
   */
  refuseEmpty(account: Account, order: Order): string | undefined {
    if ((order.side === BUY ? order.spend : order.units) > 0) return undefined;
    // refused before any price is read (Account.buy: no budget; Account.sell: flat, or 0 units rounds to nothing)
    return this.execute(account, order, Number.NaN).skipped ?? 'nothing to trade';
  }

  execute(account: Account, order: Order, openPrice: number): ExecutionOutcome {
    if (!executeOrder(account, order, openPrice)) return { skipped: account.lastReject ?? 'nothing to trade' };
    const f = account.lastFill;
    return { fill: { side: f.side, price: f.price, units: f.units, value: f.gross, fee: f.fee + f.tax } };
  }
}

export function orderSide(order: Order): 'buy' | 'sell' {
  if (order.side === BUY) return 'buy';
  if (order.side === SELL) return 'sell';
  throw new Error('a hold is not an order');
}

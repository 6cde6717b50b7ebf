import type { Exchange, Order as CcxtOrder } from 'ccxt';
import type { Decision } from '../core/policy.ts';
import { classifyError, shortError, withRetry, type RetryOptions } from '../data/exchange.ts';
import { isoTime } from '../data/timeframe.ts';
import type { AccountState } from '../market/account.ts';
import { BUY, type Order } from '../market/execution.ts';
import { HaltError } from './halt.ts';
import { orderSide } from './paper-market.ts';
import type { RunRepository } from './run-repository.ts';
import { lastClosedOpen, Trader, type TickReport, type TraderOptions } from './trader.ts';
import type { FillRecord, RunState } from './types.ts';

export interface LiveCaps {
  /** Largest single order, quote currency. */
  maxOrderValue: number;
  /** Kill switch: loss from the UTC day's first equity, quote currency. */
  maxDailyLoss: number;
}

export interface LiveOptions extends TraderOptions {
  exchange: Exchange;
  caps: LiveCaps;
  retry: RetryOptions;
  /** How often to ask for a market order's state before cancelling what is left (default 5). */
  pollTries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The order a run places for a candle: deterministic, so a retry or a restart finds it instead of placing it twice. */
export function clientOrderId(runId: number, ts: number): string {
  return `bot${runId}-${ts}`;
}

/** Market-order amount after the caps: spend (buys, quote) or units (sells), rounded to the exchange's precision. */
export function cappedOrder(order: Order, account: AccountState, close: number, caps: LiveCaps, minOrderValue: number, feeRate: number, round: { cost(x: number): number; amount(x: number): number }): { amount: number; skip?: string } {
  if (order.side === BUY) {
    const spend = round.cost(Math.min(order.spend, caps.maxOrderValue, account.cash / (1 + feeRate)));
    return spend >= Math.max(minOrderValue, 1e-9) ? { amount: spend } : { amount: 0, skip: 'below_min_order' };
  }
  const units = round.amount(Math.min(order.units, account.units, caps.maxOrderValue / close));
  return units > 0 && units * close >= minOrderValue ? { amount: units } : { amount: 0, skip: 'below_min_order' };
}

/** The account after a real fill (same bookkeeping as core's Account: average buy price, cost with fees, counters). */
export function applyFill(a: AccountState, f: FillRecord): AccountState {
  const next: AccountState = { ...a, rejected: { ...a.rejected } };
  if (f.side === 'buy') {
    const held = a.units + f.units;
    next.avgBuyPrice = held > 0 ? (a.avgBuyPrice * a.units + f.value) / held : 0;
    next.avgCost = held > 0 ? (a.avgCost * a.units + f.value + f.fee) / held : 0;
    next.units = held;
    next.cash = a.cash - f.value - f.fee;
    next.buys = a.buys + 1;
  } else {
    next.units = Math.max(0, a.units - f.units);
    if (next.units < 1e-12) {
      next.units = 0;
      next.avgBuyPrice = 0;
      next.avgCost = 0;
    }
    next.cash = a.cash + f.value - f.fee;
    next.sells = a.sells + 1;
  }
  next.feesPaid = a.feesPaid + f.fee;
  return next;
}

function fillOf(o: CcxtOrder): FillRecord | undefined {
  const units = o.filled ?? 0;
  if (!(units > 0)) return undefined;
  const value = o.cost ?? (o.average ?? o.price ?? 0) * units;
  return { side: o.side === 'sell' ? 'sell' : 'buy', price: value / units, units, value, fee: o.fee?.cost ?? 0 };
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The trader with a broker that places real market orders through ccxt. It acts on the newest closed candle only
 * (a stale decision is not worth a real order): the decision and an order marked `submitting` are committed first,
 * then the order goes out under a deterministic client order id, then its fill and the account are committed.
 * A restart reconciles: orders still `submitting` are looked up on the exchange by that id and either recorded or
 * cancelled, and open orders the bot did not place are reported and left alone.
 */
export class LiveTrader extends Trader {
  private readonly live: LiveOptions;
  private reconciled = false;

  constructor(options: LiveOptions) {
    super(options);
    this.live = options;
  }

  private get repo(): RunRepository {
    return this.o.repo;
  }

  private retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(`${this.live.exchange.id}: ${what}`, fn, this.live.retry);
  }

  private async findByClientId(id: string): Promise<CcxtOrder | undefined> {
    const { exchange: ex } = this.live;
    const symbol = this.o.key.symbol;
    const open = await this.retry('open orders', () => ex.fetchOpenOrders(symbol));
    const hit = open.find((o) => o.clientOrderId === id);
    if (hit) return hit;
    const closed = await this.retry('closed orders', () => ex.fetchClosedOrders(symbol));
    return closed.find((o) => o.clientOrderId === id);
  }

  /** Startup reconciliation with the exchange; returns what it found, for the log. */
  async reconcile(): Promise<string[]> {
    const notes: string[] = [];
    const run = this.run as RunState;
    const { exchange: ex } = this.live;
    const symbol = this.o.key.symbol;
    for (const o of this.repo.orders(run.id, 'submitting')) {
      const id = clientOrderId(run.id, o.decisionTs);
      const found = await this.findByClientId(id);
      if (found && found.status !== 'open') this.recordFill(o.id, found, o.decisionTs);
      else if (found) {
        await this.retry('cancel order', () => ex.cancelOrder(String(found.id), symbol));
        const after = await this.retry('order', () => ex.fetchOrder(String(found.id), symbol));
        this.recordFill(o.id, after, o.decisionTs);
      } else {
        this.commit(() => {
          this.repo.updateOrder(o.id, 'cancelled', { reason: 'not on the exchange after a restart (never placed)' });
          const next = { ...(this.run as RunState), pending: undefined };
          this.repo.saveState(next);
          this.run = next;
        });
      }
      notes.push(`order ${id}: ${found ? `found on the exchange (${found.status}), recorded` : 'never reached the exchange, cancelled'}`);
    }
    const open = await this.retry('open orders', () => ex.fetchOpenOrders(symbol));
    for (const o of open) {
      if (o.clientOrderId?.startsWith(`bot${run.id}-`)) continue;
      notes.push(`open order ${o.id} (${o.side} ${o.amount ?? ''} ${symbol}) was not placed by this bot: left alone`);
    }
    const balance = await this.retry('balance', () => ex.fetchBalance());
    const [base, quote] = symbol.split('/');
    const free = (code: string) => Number((balance as unknown as Record<string, { total?: number }>)[code]?.total ?? 0);
    const acct = (this.run as RunState).account;
    if (this.repo.decisionCount(run.id) === 0) {
      const cash = Math.min(acct.cash, free(quote));
      const next = { ...(this.run as RunState), account: { ...acct, cash, initialBalance: cash } };
      this.commit(() => this.repo.saveState(next));
      this.run = next;
      notes.push(`new live run: trading ${cash} ${quote} of the ${free(quote)} available`);
    } else if (free(base) + 1e-9 < acct.units || free(quote) + 1e-6 < acct.cash) {
      notes.push(`exchange holds ${free(base)} ${base} and ${free(quote)} ${quote}, less than this run's ${acct.units} ${base} / ${acct.cash} ${quote}`);
    }
    return notes;
  }

  private commit(fn: () => void): void {
    this.repo.db.transaction(fn).immediate();
  }

  private recordFill(orderId: number, o: CcxtOrder, decisionTs: number): void {
    const fill = fillOf(o);
    this.commit(() => {
      const run = this.run as RunState;
      const next: RunState = { ...run, pending: undefined };
      if (fill) {
        this.repo.insertFill(run.id, orderId, Math.floor(o.timestamp ?? decisionTs), fill);
        this.repo.updateOrder(orderId, 'filled', { quantity: fill.units, exchangeId: o.id });
        next.account = applyFill(run.account, fill);
      } else {
        this.repo.updateOrder(orderId, o.status === 'canceled' ? 'cancelled' : 'rejected', { exchangeId: o.id, reason: `exchange status ${o.status}` });
      }
      this.repo.saveState(next);
      this.run = next;
    });
  }

  /** Loss since the UTC day's first equity snapshot (or 0 on the day's first candle). */
  private dailyLoss(equityNow: number, ts: number): number {
    const run = this.run as RunState;
    const dayStart = Math.floor(ts / 86_400_000) * 86_400_000;
    const row = this.repo.db.prepare('SELECT equity FROM trading_equity WHERE run_id = ? AND ts >= ? ORDER BY ts LIMIT 1').get(run.id, dayStart) as { equity: number } | undefined;
    return row ? row.equity - equityNow : 0;
  }

  /** The larger of the configured minimum order and the exchange's own cost / amount minimums, in quote currency. */
  private minOrderValue(price: number): number {
    const limits = this.live.exchange.markets?.[this.o.key.symbol]?.limits;
    return Math.max(this.o.market.costs.minOrderValue, limits?.cost?.min ?? 0, (limits?.amount?.min ?? 0) * price);
  }

  private halt(reason: string): never {
    const next = { ...(this.run as RunState), halted: reason };
    this.commit(() => this.repo.saveState(next));
    this.run = next;
    throw new HaltError(reason);
  }

  private async place(side: 'buy' | 'sell', amount: number, id: string): Promise<CcxtOrder> {
    const { exchange: ex } = this.live;
    const symbol = this.o.key.symbol;
    const params = side === 'buy' ? { clientOrderId: id, cost: amount } : { clientOrderId: id };
    const sleep = this.live.sleep ?? sleepMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await ex.createOrder(symbol, 'market', side, amount, undefined, params);
      } catch (e) {
        // the exchange may have taken the order and lost the reply: never place it twice
        const found = await this.findByClientId(id).catch(() => undefined);
        if (found) return found;
        if (classifyError(e) === 'fatal' || attempt >= this.live.retry.retries) throw e;
        this.o.logger.warn(`order ${id}: ${shortError(e)}; retry ${attempt + 1}/${this.live.retry.retries}`);
        await sleep(Math.min(this.live.retry.maxBackoffMs, this.live.retry.backoffMs * 2 ** attempt));
      }
    }
  }

  override async tick(): Promise<TickReport> {
    const now = this.o.clock();
    this.run ??= this.openRun(now);
    if (this.run.halted) throw new HaltError(this.run.halted);
    if (!this.reconciled) {
      for (const note of await this.reconcile()) this.o.logger.warn(`reconcile: ${note}`);
      this.reconciled = true;
    }
    const closedOpen = lastClosedOpen(now, this.o.key.timeframe);
    const fetched = await this.backfill(this.run, closedOpen);
    const report: TickReport = { fetched, acted: 0, decisions: [], lastTs: this.run.lastTs };
    const { store, key, market } = this.o;
    const candles = store.load(key.exchange, key.symbol, key.timeframe, this.run.historyFrom, closedOpen + 1);
    const t = candles.ts.length - 1;
    if (t < 0 || (this.run.lastTs !== undefined && candles.ts[t] <= this.run.lastTs) || candles.ts[t] < this.run.startTs) return report;
    const ts = candles.ts[t];
    const close = candles.close[t];
    const handle = await this.o.policies.forCandles(candles);
    const account = market.restore(this.run.account);
    const loss = this.dailyLoss(account.value(close), ts);
    if (loss > this.live.caps.maxDailyLoss) {
      this.halt(`daily loss ${loss.toFixed(0)} exceeds trading.live.maxDailyLoss ${this.live.caps.maxDailyLoss} on ${isoTime(ts).slice(0, 10)}: trading stopped`);
    }
    const decision: Decision = t < handle.warmup ? { action: 'hold', confidence: 0 } : handle.policy.decide(handle.observe(t, account));
    const planned = market.plan(account, decision, close);
    const ex = this.live.exchange;
    const capped = planned
      ? cappedOrder(planned, this.run.account, close, this.live.caps, this.minOrderValue(close), market.costs.feeRate, {
          cost: (x) => Number(ex.costToPrecision(key.symbol, x)),
          amount: (x) => Number(ex.amountToPrecision(key.symbol, x)),
        })
      : undefined;
    let orderId: number | undefined;
    const run = this.run;
    this.commit(() => {
      const decidedAt = this.o.clock();
      this.repo.insertDecision(run.id, ts, decision, close, handle.policy.name, handle.version, decidedAt);
      if (planned && capped) {
        const side = orderSide(planned);
        orderId = this.repo.insertOrder(run.id, ts, side, capped.amount, capped.skip ? 'skipped' : 'submitting', decidedAt);
        if (capped.skip) this.repo.updateOrder(orderId, 'skipped', { reason: capped.skip });
      }
      this.repo.insertEquity(run.id, { ts, cash: account.cash, units: account.units, price: close, equity: account.value(close) });
      const next: RunState = { ...run, lastTs: ts, modelVersion: handle.version };
      this.repo.saveState(next);
      this.run = next;
    });
    if (planned && capped && !capped.skip && orderId !== undefined) {
      const id = clientOrderId(run.id, ts);
      const side = orderSide(planned);
      let placed: CcxtOrder;
      try {
        placed = await this.place(side, capped.amount, id);
      } catch (e) {
        const oid = orderId;
        this.commit(() => this.repo.updateOrder(oid, 'rejected', { reason: shortError(e) }));
        this.o.logger.error(`order ${id} (${side} ${capped.amount}) refused: ${shortError(e)}`);
        placed = undefined as unknown as CcxtOrder;
      }
      if (placed) {
        let final = placed;
        const exchangeId = String(placed.id);
        for (let k = 0; final.status === 'open' && k < (this.live.pollTries ?? 5); k++) {
          await (this.live.sleep ?? sleepMs)(200 * (k + 1));
          final = await this.retry('order', () => ex.fetchOrder(exchangeId, key.symbol));
        }
        if (final.status === 'open') {
          await this.retry('cancel order', () => ex.cancelOrder(exchangeId, key.symbol));
          final = await this.retry('order', () => ex.fetchOrder(exchangeId, key.symbol));
        }
        this.recordFill(orderId, final, ts);
      }
    }
    report.acted = 1;
    report.lastTs = ts;
    report.decisions.push({ ts, action: decision.action, confidence: decision.confidence });
    return report;
  }
}

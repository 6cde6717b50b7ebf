/**
 * `bot live`'s broker: the paper trader's loop with real market orders through ccxt, capped per order and per day,
 * placed once under a client order id and settled from what the exchange reports (issue 18).
 */
import type { Exchange, Order as CcxtOrder } from 'ccxt';
import type { Decision } from '../core/policy.ts';
import type { RetryOptions } from '../data/exchange.ts';
import { isoTime } from '../data/timeframe.ts';
import { BUY, SELL, type Order } from '../market/execution.ts';
import { buyFeeOnTop, buyValue } from '../market/costs.ts';
import {
  applyFill,
  cappedOrder,
  dustText,
  isDust,
  offBookFees,
  payOffBook,
  sellPriceBound,
  totalOf,
  type LiveCaps,
} from './live-orders.ts';
import type { Retried } from './exchange-orders.ts';
import {
  inFlightHold,
  inFlightLine,
  OrderDesk,
  orderIdPrefix,
  recordAccepted,
  sentOrderId,
  type Settled,
} from './order-desk.ts';
import { RefusalHolds } from './refusal-holds.ts';
import {
  confirmedShortfall,
  dailyLoss,
  newRunCash,
  shrinkToExchange,
  startingWith,
  withdrawalLine,
  withdrawnValue,
} from './withdrawals.ts';
import { HaltError } from '../core/errors.ts';
import { parseSpotSymbol } from '../core/market-symbol.ts';
import { haltAfterSettling } from './halt.ts';
import { orderSide, type PaperMarket } from './paper-market.ts';
import { deferExits, pendingExits, takeExits } from './commands.ts';
import type { RunRepository } from './run-repository.ts';
import { closedBy } from './run-holder.ts';
import { Trader, type TickReport, type TraderOptions } from './trader.ts';
import type { RunState } from './types.ts';
import { decidedBy, servedVersion } from './served-version.ts';

interface LiveOptions extends TraderOptions {
  exchange: Exchange;
  caps: LiveCaps;
  retry: RetryOptions;
  /** How often to ask for a market order's state before cancelling what is left (default 5). */
  pollTries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The order a run places for a candle: deterministic, so a retry or a restart finds it instead of placing it twice. */
export function clientOrderId(run: { id: number; createdAt: number }, ts: number): string {
  return `${orderIdPrefix(run)}${ts}`;
}

/** What OrderDesk.settle read of an order that stopped working: its fill (none: nothing executed) and end state. */
export type SettledOrder = Pick<Settled, 'fill' | 'final' | 'exchangeId' | 'offBookFee'>;

/**
 * Books order row `orderId` of a one-market live run as the exchange settled it (`decisionTs`: its candle, the fill's
 * time when the exchange gives none): the fill into the account, fees in a third currency off the books, or the end
 * state of an order that executed nothing. Writes the rows and returns the run's state, saved; the caller commits.
 * Every way an order is settled goes through here: placed, found by a later look-up, or named by the user.
 */
export function bookSettled(
  repo: RunRepository,
  run: RunState,
  orderId: number,
  s: SettledOrder,
  decisionTs: number,
): RunState {
  const next: RunState = { ...run, pending: undefined };
  if (s.fill) {
    repo.insertFill(run.id, orderId, Math.floor(s.final.timestamp ?? decisionTs), s.fill);
    repo.updateOrder(orderId, 'filled', { quantity: s.fill.units, exchangeId: s.exchangeId });
    next.account = payOffBook(applyFill(run.account, s.fill), s.offBookFee);
  } else {
    const status = s.final.status === 'canceled' ? 'cancelled' : 'rejected';
    repo.updateOrder(orderId, status, {
      exchangeId: s.exchangeId,
      reason: `exchange status ${s.final.status}, nothing executed`,
    });
  }
  repo.saveState(next);
  return next;
}

/**
 * Writes off order row `orderId`, left `submitting`, as never placed (`reason`: what decided it, for bot status):
 * nothing booked. Returns the run's state, saved; the caller commits.
 */
export function writeOff(repo: RunRepository, run: RunState, orderId: number, reason: string): RunState {
  repo.updateOrder(orderId, 'cancelled', { reason });
  const next = { ...run, pending: undefined };
  repo.saveState(next);
  return next;
}

/**
 * The trader with a broker that places real market orders through ccxt. It acts on the newest closed candle only
 * (a stale decision is not worth a real order): the decision and an order marked `submitting` are committed first,
 * then the order goes out under a deterministic client order id, then its fill and the account are committed.
 * An order whose outcome is unknown (a lost reply, a crash, a kill -9) stays `submitting` and is settled by its
 * client id at the next tick or start: recorded as the fill the exchange made, or cancelled when the exchange has
 * no order under that id. Open orders the bot did not place are reported and left alone.
 */
export class LiveTrader extends Trader {
  private readonly live: LiveOptions;
  private reconciled = false;
  private readonly retried: Retried;
  /** Placing and reading back orders (shared with the portfolio live trader, src/trading/order-desk.ts). */
  private readonly desk: OrderDesk;
  /** Orders held back after a refusal that recurs (src/trading/refusal-holds.ts). */
  private readonly holds: RefusalHolds;
  /**
   * The market at the costs of the version that decided last (PolicyHandle.costs: the earlier version a model run
   * fell back on trades at its own recipe's), for its orders' minimum and fees; the process's starting costs until a
   * tick decides.
   */
  private serving?: PaperMarket;

  constructor(options: LiveOptions) {
    super(options);
    this.live = options;
    const { exchange, retry, logger, sleep, pollTries } = options;
    const graceSeconds = options.caps.unknownOrderGraceSeconds;
    this.desk = new OrderDesk({ exchange, retry, logger, sleep, pollTries, graceSeconds });
    this.retried = this.desk.retried;
    this.holds = new RefusalHolds(exchange, this.retried, logger);
  }

  private get repo(): RunRepository {
    return this.o.repo;
  }

  private get market(): PaperMarket {
    return this.serving ?? this.o.market;
  }

  private get symbol(): string {
    return this.o.key.symbol;
  }

  /**
   * Settles every order still `submitting` from an earlier tick or process (OrderDesk.lookUp): records the fill the
   * exchange made, writes off one never placed, leaves one not found yet for a later tick, and halts on another
   * order under its id. Returns what it found, for the log.
   */
  private async settleSubmitting(): Promise<string[]> {
    const notes: string[] = [];
    const run = this.run as RunState;
    for (const o of this.repo.orders(run.id, 'submitting')) {
      const id = sentOrderId(run, o);
      const seen = await this.desk.lookUp(this.symbol, { ...o, clientId: id }, this.o.clock());
      if ('order' in seen) {
        const booked = await this.settle({ orderId: o.id, clientId: id, decisionTs: o.decisionTs }, seen.order);
        if (booked) notes.push(`order ${id}: found on the exchange (${seen.order.status}), recorded`);
      } else if ('mismatch' in seen) {
        this.commit(() => this.repo.updateOrder(o.id, 'rejected', { reason: `not booked: ${seen.mismatch}` }));
        this.halt(`order ${id}: ${seen.mismatch}: not booked; trading stopped`);
      } else if ('absent' in seen) {
        this.commit(() => {
          this.run = writeOff(this.repo, this.run as RunState, o.id, seen.absent);
        });
        notes.push(`order ${id}: ${seen.absent}, cancelled`);
      } else {
        this.commit(() => this.repo.markMissing(o.id, seen.missingSince));
        notes.push(`order ${id}: outcome unknown, ${seen.unknown}: no new order in ${this.symbol} until settled`);
      }
    }
    return notes;
  }

  /** Startup reconciliation with the exchange; returns what it found, for the log. */
  async reconcile(): Promise<string[]> {
    const notes = await this.settleSubmitting();
    const run = this.run as RunState;
    const { exchange: ex } = this.live;
    const symbol = this.symbol;
    const open = await this.retried('open orders', () => ex.fetchOpenOrders(symbol));
    for (const o of open) {
      if (o.clientOrderId?.startsWith(orderIdPrefix(run))) continue;
      notes.push(`open order ${o.id} (${o.side} ${o.amount ?? ''} ${symbol}) was not placed by this bot: left alone`);
    }
    const balance = await this.retried('balance', () => ex.fetchBalance());
    const { base, quote } = parseSpotSymbol(symbol, 'symbol');
    const held = (code: string) => totalOf(balance, code);
    const acct = (this.run as RunState).account;
    if (this.repo.decisionCount(run.id) === 0) {
      // what orders can spend: the total also counts what the user's own open orders have locked
      const free = newRunCash(balance, quote, this.market.costs.minOrderValue);
      const cash = Math.min(acct.cash, free);
      const next: RunState = {
        ...(this.run as RunState),
        initialBalance: cash,
        account: startingWith(acct, cash),
      };
      this.commit(() => {
        this.repo.saveState(next);
        this.repo.setInitialBalance(run.id, cash);
      });
      this.run = next;
      notes.push(`new live run: trading ${cash} ${quote} of the ${free} available`);
    } else if (held(base) + 1e-9 < acct.units || held(quote) + 1e-6 < acct.cash) {
      notes.push(
        `exchange holds ${held(base)} ${base} and ${held(quote)} ${quote}, ` +
          `less than this run's ${acct.units} ${base} / ${acct.cash} ${quote}`,
      );
    }
    return notes;
  }

  private commit(fn: () => void): void {
    this.repo.db.transaction(fn).immediate();
  }

  /**
   * Waits for an order to stop working (cancelling what is left after a few looks), then records what it executed;
   * `exit`: the exit commands its sell answers and the close it was decided at, taken once it sold something and
   * what the run holds after it is dust (exitAfterSale). An order still open or not shown yet (OrderDesk.settle's
   * `unsettled`), or an error, leaves it `submitting`, to be settled at the next tick. Returns whether it was booked.
   */
  private async settle(
    o: { orderId: number; clientId: string; decisionTs: number },
    placed: CcxtOrder,
    exit: { ids: readonly number[]; close: number } = { ids: [], close: 0 },
  ): Promise<boolean> {
    const exits = exit.ids;
    const settled = await this.desk.settle(this.symbol, placed, this.market.costs.feeRate);
    const after = `after ${isoTime(o.decisionTs)}`;
    if ('unsettled' in settled) {
      const line = inFlightLine(o.clientId, settled);
      this.commit(() => {
        recordAccepted(this.repo, o.orderId, this.live.exchange.id, settled.exchangeId);
        deferExits(this.repo, exits, `the sell ${after}: ${line}`);
      });
      this.o.logger.warn(line);
      return false;
    }
    this.commit(() => {
      this.run = bookSettled(this.repo, this.run as RunState, o.orderId, settled, o.decisionTs);
      if (settled.fill) this.exitAfterSale(exits, `market sell of ${settled.fill.units} ${after}`, exit.close);
      else deferExits(this.repo, exits, `the sell ${after} executed nothing (${settled.final.status})`);
    });
    return true;
  }

  /** The exchange's rounding of this market's order amounts (ccxt: spend for a buy, units for a sell). */
  private get rounding() {
    const ex = this.live.exchange;
    return {
      cost: (x: number) => Number(ex.costToPrecision(this.symbol, x)),
      amount: (x: number) => Number(ex.amountToPrecision(this.symbol, x)),
    };
  }

  /** The run's units after a sale, in a note's words when they are dust (isDust at `price`), else undefined. */
  private dustLeft(price: number): string | undefined {
    const units = (this.run as RunState).account.units;
    if (!isDust(units, price, this.minOrderValue(price), this.rounding.amount)) return undefined;
    return units > 0 ? dustText(units, parseSpotSymbol(this.symbol, 'symbol').base) : '';
  }

  /**
   * After an exit's sell executed (`sold` says what): the exit is taken once what the run holds is dust at `close`
   * (dustLeft); a sell capped at trading.live.maxOrderValue, or only partly executed, leaves more, and the exit stays
   * pending, so the next candle sells again and the policy is not asked meanwhile. Inside the caller's transaction.
   */
  private exitAfterSale(exits: readonly number[], sold: string, close: number): void {
    const dust = this.dustLeft(close);
    if (dust !== undefined) return takeExits(this.repo, exits, dust ? `${sold}; ${dust}` : sold, this.o.clock());
    const { base } = parseSpotSymbol(this.symbol, 'symbol');
    const left = (this.run as RunState).account.units;
    deferExits(this.repo, exits, `${sold}; ${left} ${base} left, sold at the next candle`);
  }

  /**
   * Takes out of the run's account what the exchange no longer holds free for it (withdrawn, moved, or spent by the
   * user elsewhere), before it decides, so its order is sized from what is there and not refused. Skipped while an
   * order of the run's is still `submitting`: the funds it holds on the exchange are the run's, in flight. Once
   * orders are settled the run has none open (a market order still working is cancelled), so the free balance is
   * all the run can spend; what the user's own open orders lock is not, as at a new run's start.
   */
  private async takeOutWithdrawn(price: number): Promise<void> {
    const run = this.run as RunState;
    if (this.repo.orders(run.id, 'submitting').length > 0) return;
    const { base, quote } = parseSpotSymbol(this.symbol, 'symbol');
    const found = await confirmedShortfall(
      () => this.retried('balance', () => this.live.exchange.fetchBalance()),
      [quote, base],
      (free) => shrinkToExchange(run.account, { cash: free(quote), units: free(base) }, price),
    );
    if (!found) return;
    const { cut, free } = found;
    const next: RunState = { ...run, account: cut.account };
    this.commit(() => this.repo.saveState(next));
    this.run = next;
    // a refusal for funds held orders back until the balance changed; the account now counts only what is there
    this.holds.releaseFunds(this.symbol);
    const rows = [
      { code: quote, free: free(quote), counted: run.account.cash, taken: cut.taken.cash },
      { code: base, free: free(base), counted: run.account.units, taken: cut.taken.units },
    ];
    this.o.logger.warn(withdrawalLine(rows, cut.taken.value, quote));
  }

  /** The larger of the configured minimum order and the exchange's own cost / amount minimums, in quote currency. */
  private minOrderValue(price: number): number {
    const limits = this.live.exchange.markets?.[this.symbol]?.limits;
    return Math.max(this.market.costs.minOrderValue, limits?.cost?.min ?? 0, (limits?.amount?.min ?? 0) * price);
  }

  private halt(reason: string): never {
    const next = { ...(this.run as RunState), halted: reason };
    this.commit(() => this.repo.saveState(next));
    this.run = next;
    throw new HaltError(reason);
  }

  /** Places a market order under client id `id`, never twice (src/trading/order-desk.ts). */
  private place(side: 'buy' | 'sell', amount: number, id: string): ReturnType<OrderDesk['place']> {
    return this.desk.place(this.symbol, side, amount, id);
  }

  override async tick(opts: { shouldStop?: () => boolean } = {}): Promise<TickReport> {
    return this.runTick(() => this.liveStep(opts));
  }

  private async liveStep(opts: { shouldStop?: () => boolean }): Promise<TickReport> {
    const now = this.o.clock();
    // before the history it reads is backfilled and loaded, as a paper tick
    await this.o.policies.follow?.(this.state());
    this.run ??= this.openRun(now);
    this.applyControl();
    if (this.run.halted) await haltAfterSettling(this.run.halted, () => this.settleSubmitting(), this.o.logger);
    const notes = this.reconciled ? await this.settleSubmitting() : await this.reconcile();
    for (const note of notes) this.o.logger.warn(`reconcile: ${note}`);
    this.reconciled = true;
    const closedOpen = closedBy(now, this.o.key.timeframe);
    const fetched = await this.backfill(this.run, closedOpen, opts.shouldStop);
    const report: TickReport = { fetched, acted: 0, decisions: [], lastTs: this.run.lastTs };
    // a clock gone back before the last decided candle: no candle is new, and one line says why (not a silent tick)
    if (await this.clockWentBack(closedOpen)) return report;
    if (this.run.paused) return this.passWhilePaused(closedOpen, report);
    const { store, key } = this.o;
    // a live tick decides the newest closed candle only: its lookback before it, not the run's whole history
    const newest = this.newestStored(store, key.symbol, closedOpen) ?? closedOpen + 1;
    const loadFrom = this.tickLoadFrom(store, key.symbol, this.run, newest);
    const candles = store.load(key.exchange, key.symbol, key.timeframe, loadFrom, closedOpen + 1);
    const t = candles.ts.length - 1;
    report.newestOpen = candles.ts.at(-1);
    if (
      t < 0 ||
      (this.run.lastTs !== undefined && candles.ts[t] <= this.run.lastTs) ||
      candles.ts[t] < this.run.startTs
    )
      return report;
    const ts = candles.ts[t];
    const close = candles.close[t];
    await this.takeOutWithdrawn(close);
    // a clock that drifted since the start picks the wrong candle: nothing decided or sent until it agrees again
    const skew = await this.clockCheck.skew(this.o.clock);
    if (skew !== undefined) {
      this.o.logger.error(skew);
      return report;
    }
    const handle = await this.o.policies.forCandles(candles, this.run.modelVersion, this.run.modelRefusal, ts);
    this.resumePolicy(handle, candles);
    this.serving = this.o.market.at(handle.costs);
    const market = this.market;
    const account = market.restore(this.run.account);
    // net of the fees paid in a third currency (BNB), which the account's cash and units do not show
    const equity = account.value(close) - offBookFees(this.run.account);
    const loss = dailyLoss(this.repo, this.run.id, { equity, withdrawn: withdrawnValue(this.run.account), ts });
    if (loss > this.live.caps.maxDailyLoss) {
      this.halt(
        `daily loss ${loss.toFixed(0)} exceeds trading.live.maxDailyLoss ${this.live.caps.maxDailyLoss} ` +
          `on ${isoTime(ts).slice(0, 10)}: trading stopped`,
      );
    }
    // an exit asked from the dashboard replaces the policy's decision: sell the whole position (within the caps)
    const exits = pendingExits(this.repo, this.run.id);
    const exiting = exits.length > 0;
    const decision: Decision = exiting
      ? { action: 'sell', confidence: 1 }
      : t < handle.warmup
        ? { action: 'hold', confidence: 0 }
        : handle.policy.decide(handle.observe(t, account));
    const planned: Order | undefined = exiting
      ? account.units > 0
        ? { side: SELL, spend: 0, units: account.units }
        : undefined
      : market.plan(account, decision, close, handle.sizing);
    const ex = this.live.exchange;
    const minValue = this.minOrderValue(close);
    const onTop = buyFeeOnTop(market.costs);
    // a buy sends the value it buys (the exchange's cost): Upbit charges its fee on top of it, Binance takes it from
    // the coins (account.feeSide), so it spends what paper's would
    const sent =
      planned?.side === BUY ? { ...planned, spend: buyValue(planned.spend, this.run.account.cash, onTop) } : planned;
    const booked = this.run.account;
    const capAt = (o: Order, bound: number) =>
      cappedOrder(o, booked, close, this.live.caps, minValue, onTop, this.rounding, bound);
    const inFlight = inFlightHold(this.repo, this.run.id, this.symbol);
    // an order the cap skips at the close is not sent (a sell sized against a higher price only sells less)
    const sendable = sent && !capAt(sent, close).skip ? sent : undefined;
    const holds = sendable && (inFlight ?? (await this.holds.holds(this.symbol, orderSide(sendable))));
    // a sell is sized against the higher of the close and the exchange's last price, so its fill stays within the cap;
    // one that will not be sent (skipped, held back) reads no ticker, an exchange call that could fail the tick
    const sells = sendable !== undefined && orderSide(sendable) === 'sell' && !holds;
    const last = sells ? await this.desk.lastPrice(key.symbol) : undefined;
    const bound = sellPriceBound(close, last, market.costs.slippageBps);
    const capped = sent ? capAt(sent, bound) : undefined;
    const held = capped && !capped.skip ? holds || undefined : undefined;
    // the exit's sell takes all the run holds (no cap bound it): a refusal of it as below the minimum leaves dust
    const wholeSell = exiting && this.run.account.units <= this.live.caps.maxOrderValue / bound;
    let orderId: number | undefined;
    const run = this.run;
    // the id the order row stores is the id the order is sent under: computed once
    const id = clientOrderId(run, ts);
    this.commit(() => {
      const decidedAt = this.o.clock();
      const policyName = decidedBy(handle.policy.name, { exit: exiting, warmUp: t < handle.warmup });
      this.repo.insertDecision(run.id, ts, decision, close, policyName, handle.version, decidedAt);
      // an exit is taken once its sell went through (settle): one held back, refused or unknown waits for the next
      // candle, as does one with an order still in flight (it may change the position), even when none is held
      const waits = inFlight ?? held;
      if (exiting && waits) deferExits(this.repo, exits, `the exit after ${isoTime(ts)} waits: ${waits}`);
      else if (exiting && !planned) takeExits(this.repo, exits, `no position to exit at ${isoTime(ts)}`, decidedAt);
      else if (exiting && capped?.skip) {
        // nothing to sell that an order can take: the exit is done; a sell skipped for the cap waits
        const dust = this.dustLeft(close);
        if (dust !== undefined) takeExits(this.repo, exits, `exit skipped: ${capped.skip}; ${dust}`, decidedAt);
        else deferExits(this.repo, exits, `the exit after ${isoTime(ts)} waits: its sell was skipped (${capped.skip})`);
      }
      // the close of the first candle acted on is the buy-and-hold reference `bot status` reads, as the paper trader's
      const next: RunState = {
        ...run,
        lastTs: ts,
        modelVersion: servedVersion(policyName, handle.version, run.modelVersion),
        modelRefusal: handle.refusal,
        startPrice: run.startPrice ?? close,
      };
      if (planned && capped) {
        const side = orderSide(planned);
        orderId = this.repo.insertOrder(
          run.id,
          ts,
          side,
          capped.amount,
          capped.skip || held ? 'skipped' : 'submitting',
          decidedAt,
          undefined,
          capped.skip || held ? undefined : id,
        );
        if (held) this.repo.updateOrder(orderId, 'skipped', { reason: held });
        else if (capped.skip) {
          // a hold with a reason, counted as the paper account counts its refused orders
          this.repo.updateOrder(orderId, 'skipped', { reason: capped.skip });
          next.account = {
            ...run.account,
            rejected: { ...run.account.rejected, [capped.skip]: run.account.rejected[capped.skip] + 1 },
          };
        }
      }
      this.repo.insertEquity(run.id, {
        ts,
        cash: account.cash,
        units: account.units,
        price: close,
        equity,
        withdrawn: withdrawnValue(run.account),
      });
      this.repo.saveState(next);
      this.run = next;
    });
    if (held) this.o.logger.debug(`order for ${isoTime(ts)} ${held}`);
    else if (planned && capped && !capped.skip && orderId !== undefined) {
      const side = orderSide(planned);
      const placed = await this.place(side, capped.amount, id);
      const exitsOf = exiting ? exits : [];
      const { base } = parseSpotSymbol(this.symbol, 'symbol');
      if ('order' in placed) {
        const oid = orderId;
        this.commit(() => recordAccepted(this.repo, oid, ex.id, String(placed.order.id)));
        await this.settle({ orderId, clientId: id, decisionTs: ts }, placed.order, { ids: exitsOf, close });
      } else if ('refused' in placed) {
        const oid = orderId;
        this.commit(() => {
          this.repo.updateOrder(oid, 'rejected', { reason: placed.refused });
          // the exchange's minimum above the run's: what is left is dust to it, and the exit is done
          const units = this.run?.account.units ?? 0;
          const refusal = `the exchange refused the sell of the ${units} ${base} left (${placed.refused})`;
          if (wholeSell && placed.recurs === 'invalid')
            takeExits(this.repo, exitsOf, `${refusal}; ${dustText(units, base)}`, this.o.clock());
          else deferExits(this.repo, exitsOf, `the sell after ${isoTime(ts)} was refused: ${placed.refused}`);
        });
        const acct = (this.run as RunState).account;
        const fix = placed.recurs
          ? `: ${await this.holds.note({
              symbol: this.symbol,
              side,
              why: placed.refused,
              kind: placed.recurs,
              counted: side === 'buy' ? acct.cash : acct.units,
              minOrderValue: this.market.costs.minOrderValue,
            })}`
          : '';
        this.o.logger.error(`order ${id} (${side} ${capped.amount}) refused: ${placed.refused}${fix}`);
      } else if ('mismatch' in placed) {
        const oid = orderId;
        this.commit(() => this.repo.updateOrder(oid, 'rejected', { reason: `not booked: ${placed.mismatch}` }));
        this.halt(`order ${id}: ${placed.mismatch}: not booked; trading stopped`);
      } else {
        const oid = orderId;
        const proof = placed.exists;
        this.commit(() => {
          if (proof) this.repo.updateOrder(oid, 'submitting', { existsProof: proof });
          deferExits(this.repo, exitsOf, `the sell after ${isoTime(ts)}: outcome unknown, settled at the next tick`);
        });
        this.o.logger.warn(
          `order ${id} (${side} ${capped.amount}): outcome unknown ` +
            `(${placed.unknown}); settled by its client id at the next tick`,
        );
      }
    }
    report.acted = 1;
    report.lastTs = ts;
    report.decisions.push({ ts, action: decision.action, confidence: decision.confidence });
    return report;
  }
}

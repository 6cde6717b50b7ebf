/**
 * `bot live --symbols`: the portfolio trader with real market orders (issue 14). It acts on the newest closed candle
 * time only (a stale decision is not worth real orders). The decision, the orders (marked `submitting`, or skipped
 * with the reason) and the equity are committed first in one transaction; then sells go out, then buys with the cash
 * the sells brought, each under a deterministic client order id (run, candle time, market) and settled from what
 * the exchange reports. Buys are sized from the run's cash less what its own buys in flight may have spent. The caps
 * of single-market live apply to every order and to the day across markets; a market without a candle at that time
 * places nothing and keeps its target for its next candle, as does one whose order did not go through. At start-up and
 * at every tick, orders left `submitting` (a lost reply, a kill -9) are settled by their client id, market by market.
 */
import type { Exchange } from 'ccxt';
import { isoTime } from '../data/timeframe.ts';
import type { RetryOptions } from '../data/exchange.ts';
import { BUY, SELL, type Order } from '../market/execution.ts';
import { restorePortfolio, snapshotPortfolio } from '../market/portfolio-state.ts';
import { fillTargets } from '../market/portfolio-step.ts';
import type { PortfolioAccount } from '../market/portfolio-account.ts';
import { deferExits, pendingExits, takeExits } from './commands.ts';
import { HaltError } from '../core/errors.ts';
import { parseSpotSymbol } from '../core/market-symbol.ts';
import { haltAfterSettling } from './halt.ts';
import {
  applyFill,
  cappedOrder,
  dustText,
  isDust,
  payFromBooks,
  payOffBook,
  sellPriceBound,
  totalOf,
  type LiveCaps,
  type ThirdFee,
} from './live-orders.ts';
import {
  baseOf,
  confirmedShortfall,
  dailyLoss,
  newRunCash,
  shrinkPortfolioToExchange,
  startingWith,
  amountText,
  withdrawalLine,
  withdrawnValue,
} from './withdrawals.ts';
import {
  inFlightHold,
  inFlightLine,
  inFlightSpend,
  legacyOrderId,
  OrderDesk,
  orderIdPrefix,
  recordAccepted,
  type Unsettled,
} from './order-desk.ts';
import { RefusalHolds } from './refusal-holds.ts';
import { clockTimes } from './portfolio-clock.ts';
import { accountSummary, PortfolioTrader, type PortfolioTraderOptions } from './portfolio-trader.ts';
import { closedBy } from './run-holder.ts';
import type { TickReport } from './trader.ts';
import type { PortfolioPending, PortfolioRunState, RunState } from './types.ts';
import { buyFeeOnTop, sentBuyCost, type Costs } from '../market/costs.ts';
import type { RunRepository } from './run-repository.ts';
import type { SettledOrder } from './live.ts';

interface PortfolioLiveOptions extends PortfolioTraderOptions {
  exchange: Exchange;
  caps: LiveCaps;
  retry: RetryOptions;
  sleep?: (ms: number) => Promise<void>;
}

/** The order a portfolio run places for a market at a candle time: deterministic, so a restart finds it. */
function portfolioClientId(run: RunState, ts: number, market: number): string {
  return `${orderIdPrefix(run)}${ts}-${market}`;
}

interface PlannedOrder {
  market: number;
  orderId: number;
  /** The client id the order row stores and the order is sent under. */
  clientId: string;
  side: 'buy' | 'sell';
  amount: number;
  /** The market's close at the decision (its exchange minimum in quote currency needs a price). */
  close: number;
  /** Whether the cap left all the market holds to the order (an exit's sell of it all, refused: dust). */
  whole: boolean;
}

/**
 * Books order row `orderId` of a portfolio live run, for market m, as the exchange settled it (`ts`: the fill's time
 * when the exchange gives none): its fill into market m's book and the run's one cash, or the end state of an order
 * that executed nothing. `thirdFees`: its fees in a third currency (BNB), market m's; one in the base of another of the
 * run's markets comes out of that market's units, the rest is off the books and added to the run's total
 * (payFromBooks). Writes the rows and returns the run's state, saved; the caller commits. Every way an order is
 * settled goes through here: placed, found by a later look-up, or named by the user (settle-order.ts).
 */
export function bookPortfolioSettled(
  repo: RunRepository,
  run: RunState,
  o: { symbols: readonly string[]; costs: readonly Costs[] },
  order: { orderId: number; m: number; ts: number },
  s: Pick<SettledOrder, 'fill' | 'final' | 'exchangeId'> & { thirdFees: readonly ThirdFee[] },
): RunState {
  const { orderId, m } = order;
  const { fill, exchangeId } = s;
  const pf = run.portfolio as PortfolioRunState;
  const account = restorePortfolio(pf.account, o.costs);
  let offBookFee = 0;
  if (fill) {
    repo.insertFill(run.id, orderId, Math.floor(s.final.timestamp ?? order.ts), fill);
    repo.updateOrder(orderId, 'filled', { quantity: fill.units, exchangeId });
    const book = applyFill({ ...account.books[m].snapshot(), cash: account.cash }, fill);
    account.books[m].load({ ...book, cash: 0 });
    account.cash = book.cash;
    const paid = payFromBooks(
      account.books.map((b) => b.snapshot()),
      o.symbols.map(baseOf),
      m,
      s.thirdFees,
    );
    offBookFee = paid.offBook;
    paid.books.forEach((b, k) => account.books[k].load(k === m ? payOffBook(b, offBookFee) : b));
  } else {
    const status = String(s.final.status);
    repo.updateOrder(orderId, status === 'canceled' ? 'cancelled' : 'rejected', {
      exchangeId,
      reason: `exchange status ${status}, nothing executed`,
    });
  }
  const offBook = (pf.offBookFees ?? 0) + (offBookFee > 0 ? offBookFee : 0);
  const next: RunState = {
    ...run,
    account: accountSummary(account),
    portfolio: { ...pf, account: snapshotPortfolio(account), ...(offBook > 0 ? { offBookFees: offBook } : {}) },
  };
  repo.saveState(next);
  return next;
}

export class PortfolioLiveTrader extends PortfolioTrader {
  private readonly live: PortfolioLiveOptions;
  private readonly desk: OrderDesk;
  /** Orders held back per market and side after a refusal that recurs (src/trading/refusal-holds.ts). */
  private readonly holds: RefusalHolds;
  private reconciled = false;
  /**
   * Per market, the costs of the version that decided last when they are not the run's (PortfolioPolicyHandle.costs:
   * the earlier version a model run fell back on trades at its own recipe's), for its orders' minimum and fees, as
   * single-market live's `serving`; the run's until a tick decides.
   */
  private serving?: readonly Costs[];

  constructor(options: PortfolioLiveOptions) {
    super(options);
    this.live = options;
    this.desk = new OrderDesk({
      exchange: options.exchange,
      retry: options.retry,
      logger: options.logger,
      sleep: options.sleep,
      graceSeconds: options.caps.unknownOrderGraceSeconds,
    });
    this.holds = new RefusalHolds(options.exchange, this.desk.retried, options.logger);
  }

  private get costs(): readonly Costs[] {
    return this.serving ?? this.o.costs;
  }

  private get pf(): PortfolioRunState {
    return (this.run as RunState).portfolio as PortfolioRunState;
  }

  /**
   * Records what the exchange settled of a placed or found order, in one transaction (bookPortfolioSettled), or,
   * for one OrderDesk.settle left `unsettled` (still open, not shown yet), keeps it in flight with the exchange's id
   * for it and logs the line that says so. Returns whether it was booked.
   */
  private record(
    order: { orderId: number; m: number; ts: number; clientId: string },
    s: Parameters<typeof bookPortfolioSettled>[4] | Unsettled,
  ): boolean {
    if ('unsettled' in s) {
      this.commit(() => recordAccepted(this.o.repo, order.orderId, this.live.exchange.id, s.exchangeId));
      this.o.logger.warn(inFlightLine(order.clientId, s));
      return false;
    }
    this.commit(() => {
      const o = { symbols: this.o.symbols, costs: this.costs };
      this.run = bookPortfolioSettled(this.o.repo, this.run as RunState, o, order, s);
    });
    return true;
  }

  /**
   * Settles every order still `submitting` by its client id, market by market, as single-market live does
   * (OrderDesk.lookUp): recorded, written off as never placed, left for a later tick, or a halt on another order
   * under its id. Returns notes for the log.
   */
  private async settleSubmitting(): Promise<string[]> {
    const notes: string[] = [];
    const run = this.run as RunState;
    for (const o of this.o.repo.orders(run.id, 'submitting')) {
      const m = this.o.symbols.indexOf(o.market);
      const id = o.clientId ?? legacyOrderId(run.id, o.decisionTs, m);
      const seen = await this.desk.lookUp(o.market, { ...o, clientId: id }, this.o.clock());
      if ('order' in seen) {
        const s = await this.desk.settle(o.market, seen.order, this.costs[m].feeRate);
        if (this.record({ orderId: o.id, m, ts: o.decisionTs, clientId: id }, s))
          notes.push(`order ${id}: found on the exchange (${seen.order.status}), recorded`);
      } else if ('mismatch' in seen) {
        this.commit(() => this.o.repo.updateOrder(o.id, 'rejected', { reason: `not booked: ${seen.mismatch}` }));
        this.halt(`order ${id}: ${seen.mismatch}: not booked; trading stopped`);
      } else if ('absent' in seen) {
        this.commit(() => this.o.repo.updateOrder(o.id, 'cancelled', { reason: seen.absent }));
        notes.push(`order ${id}: ${seen.absent}, cancelled`);
      } else {
        this.commit(() => this.o.repo.markMissing(o.id, seen.missingSince));
        notes.push(`order ${id}: outcome unknown, ${seen.unknown}: no new order in ${o.market} until settled`);
      }
    }
    return notes;
  }

  /** Start-up reconciliation, per market: orders left submitting, foreign open orders, balances. */
  private async reconcile(): Promise<string[]> {
    const notes = await this.settleSubmitting();
    const run = this.run as RunState;
    const ex = this.live.exchange;
    for (const symbol of this.o.symbols) {
      const open = await this.desk.retried(`open orders ${symbol}`, () => ex.fetchOpenOrders(symbol));
      for (const o of open) {
        if (o.clientOrderId?.startsWith(orderIdPrefix(run))) continue;
        notes.push(`open order ${o.id} (${o.side} ${o.amount ?? ''} ${symbol}) was not placed by this bot: left alone`);
      }
    }
    const balance = await this.desk.retried('balance', () => ex.fetchBalance());
    const total = (code: string) => totalOf(balance, code);
    const { quote } = parseSpotSymbol(this.o.symbols[0], '--symbols');
    const pf = this.pf;
    if (this.o.repo.decisionCount(run.id) === 0) {
      // what orders can spend: the total also counts what the user's own open orders have locked
      const free = newRunCash(balance, quote, Math.min(...this.costs.map((c) => c.minOrderValue)));
      const cash = Math.min(pf.account.cash, free);
      const account = startingWith(pf.account, cash);
      const next: RunState = {
        ...run,
        initialBalance: cash,
        account: startingWith(run.account, cash),
        portfolio: { ...pf, account },
      };
      this.commit(() => {
        this.o.repo.saveState(next);
        this.o.repo.setInitialBalance(run.id, cash);
      });
      this.run = next;
      notes.push(`new live portfolio run: trading ${cash} ${quote} of the ${free} available`);
    } else {
      this.o.symbols.forEach((symbol, m) => {
        const base = baseOf(symbol);
        const units = pf.account.books[m].units;
        if (total(base) + 1e-9 < units)
          notes.push(`exchange holds ${total(base)} ${base}, less than this run's ${units}`);
      });
      if (total(quote) + 1e-6 < pf.account.cash)
        notes.push(`exchange holds ${total(quote)} ${quote}, less than this run's ${pf.account.cash}`);
    }
    return notes;
  }

  /**
   * Takes out of the run's account the quote cash and each market's coins the exchange no longer holds free for it
   * (withdrawn, moved or spent by the user elsewhere), before it decides, so its orders are sized from what is there
   * and not refused: as a single-market live run does (src/trading/withdrawals.ts), the run's one cash against the
   * quote, each market's units against its base. Skipped while an order of the run's is still `submitting` (its
   * funds are in flight); once orders are settled the run has none open, so what is free is all it can spend.
   */
  private async takeOutWithdrawn(closes: readonly number[]): Promise<void> {
    const run = this.run as RunState;
    if (this.o.repo.orders(run.id, 'submitting').length > 0) return;
    const { symbols } = this.o;
    const pf = this.pf;
    const { quote } = parseSpotSymbol(symbols[0], '--symbols');
    const codes = [quote, ...new Set(symbols.map(baseOf))];
    const found = await confirmedShortfall(
      () => this.desk.retried('balance', () => this.live.exchange.fetchBalance()),
      codes,
      (free) => shrinkPortfolioToExchange(pf.account, quote, free, closes),
    );
    if (!found) return;
    const { cut, free } = found;
    const account = restorePortfolio(cut.account, this.costs);
    const next: RunState = { ...run, account: accountSummary(account), portfolio: { ...pf, account: cut.account } };
    this.commit(() => this.o.repo.saveState(next));
    this.run = next;
    // refusals for funds held orders back until the balance changed; the account now counts only what is there
    for (const symbol of symbols) this.holds.releaseFunds(symbol);
    const sum = (units: readonly number[], code: string) =>
      units.reduce((a, u, m) => (baseOf(symbols[m]) === code ? a + u : a), 0);
    const counted = pf.account.books.map((b) => b.units);
    const rows = codes.map((code) =>
      code === quote
        ? { code, free: free(code), counted: pf.account.cash, taken: cut.taken.cash }
        : { code, free: free(code), counted: sum(counted, code), taken: sum(cut.taken.units, code) },
    );
    this.o.logger.warn(withdrawalLine(rows, cut.taken.value, quote));
  }

  private halt(reason: string): never {
    const next = { ...(this.run as RunState), halted: reason };
    this.commit(() => this.o.repo.saveState(next));
    this.run = next;
    throw new HaltError(reason);
  }

  private minOrderValue(m: number, price: number): number {
    const limits = this.live.exchange.markets?.[this.o.symbols[m]]?.limits;
    return Math.max(this.costs[m].minOrderValue, limits?.cost?.min ?? 0, (limits?.amount?.min ?? 0) * price);
  }

  /** The exchange's rounding of market m's order amounts (ccxt: spend for a buy, units for a sell). */
  private rounding(m: number) {
    const ex = this.live.exchange;
    const symbol = this.o.symbols[m];
    return {
      cost: (x: number) => Number(ex.costToPrecision(symbol, x)),
      amount: (x: number) => Number(ex.amountToPrecision(symbol, x)),
    };
  }

  /**
   * The capped order for market m from a planned move, or the reason it is a hold; `sellBound`: the price a sell is
   * sized against (live-orders.ts sellPriceBound; default the close).
   */
  private cap(account: PortfolioAccount, m: number, order: Order, cash: number, close: number, sellBound = close) {
    return cappedOrder(
      order,
      { ...account.books[m].snapshot(), cash },
      close,
      this.live.caps,
      this.minOrderValue(m, close),
      buyFeeOnTop(this.costs[m]),
      this.rounding(m),
      sellBound,
    );
  }

  /**
   * Per move, the price its order is sized against: a sell's the higher of the close and the market's last price,
   * raised by its slippage allowance (sellPriceBound), so that it fills within the cap; a buy's the close. A sell that
   * will not be sent reads no ticker (an exchange call that could fail the tick for nothing): one the cap skips at the
   * close (a higher bound only sells less) or one held back (an order of the run in flight in its market, a refusal
   * that recurs), whose reason `held` keeps for placeOne.
   */
  private async sellBounds(
    account: PortfolioAccount,
    moves: readonly { m: number; order: Order }[],
    closes: readonly number[],
  ) {
    const bounds: number[] = [];
    const held = new Map<number, string>();
    const runId = (this.run as RunState).id;
    for (const { m, order } of moves) {
      const symbol = this.o.symbols[m];
      let sent = order.side === SELL && !this.cap(account, m, order, account.cash, closes[m]).skip;
      if (sent) {
        const why = inFlightHold(this.o.repo, runId, symbol) ?? (await this.holds.holds(symbol, 'sell'));
        if (why !== undefined) held.set(m, why);
        sent = why === undefined;
      }
      const last = sent ? await this.desk.lastPrice(symbol) : undefined;
      bounds.push(order.side === SELL ? sellPriceBound(closes[m], last, this.costs[m].slippageBps) : closes[m]);
    }
    return { bounds, held };
  }

  /**
   * After an exit's sells: each market's units left that an order can still take (not dust, isDust at its close),
   * and those that are dust, in a note's words. `dustRefused`: markets whose sell of all they held the exchange
   * refused as below its minimum, dust to it whatever the run's minimum says.
   */
  private exitRemainders(closes: readonly number[], dustRefused: ReadonlySet<number>) {
    const left: string[] = [];
    const dust: string[] = [];
    this.o.symbols.forEach((symbol, m) => {
      const units = this.pf.account.books[m].units;
      const base = baseOf(symbol);
      const small = isDust(units, closes[m], this.minOrderValue(m, closes[m]), this.rounding(m).amount);
      if (!small && !dustRefused.has(m)) left.push(`${units} ${base}`);
      else if (units > 0) dust.push(`${symbol} ${dustText(units, base)}`);
    });
    return { left, dust };
  }

  override async tick(opts: { shouldStop?: () => boolean } = {}): Promise<TickReport> {
    return this.runTick(() => this.liveStep(opts));
  }

  private async liveStep(opts: { shouldStop?: () => boolean }): Promise<TickReport> {
    const { repo, symbols, band, clock, logger } = this.o;
    // before the history and series it reads are backfilled and loaded, as on paper
    await this.o.policies.follow?.(this.state());
    this.run ??= this.openRun(clock());
    this.applyControl();
    if (this.run.halted) await haltAfterSettling(this.run.halted, () => this.settleSubmitting(), this.o.logger);
    const notes = this.reconciled ? await this.settleSubmitting() : await this.reconcile();
    for (const note of notes) logger.warn(`reconcile: ${note}`);
    this.reconciled = true;
    const closedOpen = closedBy(clock(), this.o.key.timeframe);
    const fetched = await this.backfill(this.run, closedOpen, opts.shouldStop);
    const report: TickReport = { fetched, acted: 0, decisions: [], lastTs: this.run.lastTs };
    // a clock gone back before the last decided candle time: none is new, and one line says why (not a silent tick)
    if (await this.clockWentBack(closedOpen)) return report;
    const first = this.run.lastTs !== undefined ? this.run.lastTs + 1 : this.run.startTs;
    // a live tick decides the newest candle time only: each series' lookback before it, not the whole downtime
    const { store } = this.o;
    const newest = Math.max(first, ...this.o.symbols.map((s) => this.newestStored(store, s, closedOpen) ?? first));
    const loaded = this.loadSeries(this.run, newest, closedOpen);
    const loadedTimes = clockTimes(loaded.series, first, closedOpen);
    report.newestOpen = loaded.series[0]?.ts.at(-1);
    if (loadedTimes.length === 0) return report;
    const loadedTime = loadedTimes[loadedTimes.length - 1];
    if (this.run.paused) {
      const next: RunState = { ...this.run, lastTs: loadedTime.ts };
      repo.saveState(next);
      this.run = next;
      return { ...report, paused: true, lastTs: loadedTime.ts };
    }
    await this.takeOutWithdrawn(loaded.series.map((s, m) => s.close[loadedTime.last[m]]));
    // a clock that drifted since the start picks the wrong candle time: nothing decided or sent until it agrees again
    const skew = await this.clockCheck.skew(clock);
    if (skew !== undefined) {
      logger.error(skew);
      return report;
    }
    const { handle, series } = await this.seriesPolicy(this.run, newest, closedOpen, loaded, opts.shouldStop);
    this.serving = handle.costs;
    const { costs } = this;
    // the series loaded again for the serving version when the version switched to was given up: indices anew
    const times = series === loaded.series ? loadedTimes : clockTimes(series, first, closedOpen);
    const time = times[times.length - 1];
    const { ts } = time;
    const closes = series.map((s, m) => s.close[time.last[m]]);
    const pf = this.pf;
    const account = restorePortfolio(pf.account, costs);
    const hasCandle = time.index.map((j) => j >= 0);
    const value = account.value(closes);
    const weights = account.weights(closes);
    // net of the fees paid in a third currency (BNB), which the account's cash and units do not show
    const equity = value - (pf.offBookFees ?? 0);
    const loss = dailyLoss(repo, this.run.id, { equity, withdrawn: withdrawnValue(this.run.account), ts });
    if (loss > this.live.caps.maxDailyLoss) {
      this.halt(
        `daily loss ${loss.toFixed(0)} exceeds trading.live.maxDailyLoss ${this.live.caps.maxDailyLoss} ` +
          `on ${isoTime(ts).slice(0, 10)}: trading stopped`,
      );
    }
    const exits = pendingExits(repo, this.run.id);
    const { targets, by } = this.decideTargets(handle, pf, series, time, { hasCandle, weights, value, exits });
    let pending: PortfolioPending | undefined = targets
      ? { decisionTs: ts, targets, waiting: symbols.map(() => true), orderIds: symbols.map(() => null) }
      : pf.pending && { ...pf.pending, waiting: [...pf.pending.waiting], orderIds: [...pf.pending.orderIds] };
    // the moves, by the paper arithmetic at this close (sells first, band, minimum order), on a copy of the account
    const moves: { m: number; order: Order }[] = [];
    // the targets the moves head for: a market whose order does not go through is kept waiting on them (keepWaiting)
    const plan = pending;
    if (pending) {
      const copy = restorePortfolio(snapshotPortfolio(account), costs);
      const outcomes = fillTargets(copy, pending.targets, pending.waiting, hasCandle, closes, band);
      outcomes.forEach((o, m) => {
        if (o.kind !== 'filled') return;
        const f = o.fill;
        moves.push({
          m,
          order:
            f.side === 'sell'
              ? { side: SELL, spend: 0, units: f.units }
              : // the cost a market buy sends: the value bought where the fee is charged on top of it (Upbit's),
                // the value and the fee where the coins bought pay it (account.feeSide get, Binance's)
                { side: BUY, spend: sentBuyCost(f, costs[m]), units: 0 },
        });
      });
      if (!pending.waiting.includes(true)) pending = undefined;
    }
    const proceeds = moves
      .filter((x) => x.order.side === SELL)
      .reduce((a, x) => a + x.order.units * closes[x.m] * (1 - costs[x.m].feeRate - costs[x.m].sellTax), 0);
    const { bounds, held } = await this.sellBounds(account, moves, closes);
    const planned: PlannedOrder[] = [];
    const skips: string[] = [];
    /** Per market whose move did not go through: why; its target is kept waiting (keepWaiting). */
    const waits = new Map<number, string>();
    const decidedAt = clock();
    const run = this.run;
    // what the run's own buys still in flight may have spent, then also what this candle's buys will, as planned
    let reserved = inFlightSpend(repo, run.id, this.feeOf);
    this.commit(() => {
      const decision = { action: targets ? ('rebalance' as const) : ('keep' as const), confidence: targets ? 1 : 0 };
      repo.insertDecision(run.id, ts, decision, value, by, handle.version, decidedAt, targets ?? undefined);
      for (const [k, { m, order }] of moves.entries()) {
        const counted = order.side === SELL ? account.cash : account.cash + proceeds;
        const cash = order.side === SELL ? counted : counted - reserved;
        const capped = this.cap(account, m, order, cash, closes[m], bounds[k]);
        const side = order.side === SELL ? 'sell' : 'buy';
        // a buy the counted cash pays for but the run's own orders may have spent: it waits, it is not refused
        const wait =
          capped.skip && side === 'buy' && !this.cap(account, m, order, counted, closes[m]).skip
            ? this.cashWait(cash, reserved)
            : undefined;
        const status = capped.skip ? 'skipped' : 'submitting';
        const clientId = portfolioClientId(run, ts, m);
        const stored = capped.skip ? undefined : clientId;
        const orderId = repo.insertOrder(run.id, ts, side, capped.amount, status, decidedAt, symbols[m], stored);
        if (wait) {
          repo.updateOrder(orderId, 'skipped', { reason: wait });
          waits.set(m, wait);
        } else if (capped.skip) {
          repo.updateOrder(orderId, 'skipped', { reason: capped.skip });
          account.books[m].rejected[capped.skip]++;
          skips.push(`${symbols[m]} ${capped.skip}`);
        } else {
          // an exit sells all a market holds; when no cap bound it, a refusal of it as below the minimum is dust
          const whole = account.books[m].units <= this.live.caps.maxOrderValue / bounds[k];
          planned.push({ market: m, orderId, clientId, side, amount: capped.amount, close: closes[m], whole });
          if (side === 'buy') reserved += capped.amount * (1 + buyFeeOnTop(costs[m]));
        }
      }
      const memory = handle.policy.memory?.save();
      const served = handle;
      const c = { run, pf, account, ts, marks: closes, weights, value, equity, served, by, pending, memory };
      this.closeCandle(c);
    });
    // sells first, so the buys can spend what they brought
    planned.sort((a, b) => (a.side === b.side ? 0 : a.side === 'sell' ? -1 : 1));
    const unsold: string[] = [];
    const dustRefused = new Set<number>();
    for (const p of planned) {
      const why = await this.placeOne(p, ts, p.side === 'sell' ? held.get(p.market) : undefined);
      if (exits.length > 0 && typeof why === 'object') dustRefused.add(p.market);
      else if (why !== undefined && p.side === 'sell')
        unsold.push(`${p.clientId} ${typeof why === 'object' ? why.refused : why}`);
      if (why !== undefined && !(exits.length > 0 && typeof why === 'object'))
        waits.set(p.market, typeof why === 'object' ? why.refused : why);
    }
    if (plan && waits.size > 0) this.keepWaiting(plan, waits, ts);
    const sold = planned.filter((p) => p.side === 'sell').length;
    const waiting = pending !== undefined;
    // an order still in flight from an earlier tick may change a position: the exit waits for it too
    const flying = repo.orders(run.id, 'submitting').map((o) => `${o.clientId ?? o.id} in ${o.market}`);
    if (unsold.length === 0 && flying.length > 0)
      unsold.push(`order ${flying.join(', ')} still in flight (submitting)`);
    if (exits.length > 0) {
      const rest = this.exitRemainders(closes, dustRefused);
      this.commit(() => this.settleExits(exits, ts, { unsold, skips, sold, waiting, ...rest }));
    }
    report.acted = 1;
    report.lastTs = ts;
    report.decisions.push({ ts, action: targets ? 'rebalance' : 'keep', confidence: targets ? 1 : 0 });
    return report;
  }

  /** The fee rate market `market`'s buys pay on top of their cost (costs.ts buyFeeOnTop; inFlightSpend). */
  private readonly feeOf = (market: string): number => {
    const c = this.costs[this.o.symbols.indexOf(market)];
    return c ? buyFeeOnTop(c) : 0;
  };

  /**
   * Why a buy waits for cash: `cash` is what it may spend, after `reserved` for the run's own buys in flight, and the
   * proceeds of its sells still in flight are not booked yet.
   */
  private cashWait(cash: number, reserved: number): string {
    const { quote } = parseSpotSymbol(this.o.symbols[0], '--symbols');
    const own = reserved > 0 ? `, ${amountText(reserved)} ${quote} held for this run's own buys in flight` : '';
    const runId = (this.run as RunState).id;
    const selling = this.o.repo.orders(runId, 'submitting').flatMap((o) => (o.side === 'sell' ? [o.market] : []));
    const sells = selling.length > 0 ? `, the proceeds of its sells in ${selling.join(', ')} not booked yet` : '';
    return `waiting for cash: ${amountText(Math.max(0, cash))} ${quote} to spend${own}${sells}`;
  }

  /**
   * Keeps waiting the targets `plan` of the markets whose move did not go through (`waits`: market, why: refused,
   * held back, in flight, never placed, waiting for cash), as a market without a candle waits for its next: the next
   * tick plans them again from what the run then holds (an order in flight is settled first), until they are reached
   * or a new decision replaces them. Dropping them left the run off its targets until the strategy decided again.
   */
  private keepWaiting(plan: PortfolioPending, waits: ReadonlyMap<number, string>, ts: number): void {
    const pending = { ...plan, waiting: plan.waiting.map((w, m) => w || waits.has(m)) };
    const next: RunState = { ...(this.run as RunState), portfolio: { ...this.pf, pending } };
    this.commit(() => this.o.repo.saveState(next));
    this.run = next;
    const why = [...waits].map(([m, w]) => `${this.o.symbols[m]}: ${w}`).join('; ');
    const at = `targets of ${isoTime(plan.decisionTs)} not reached at ${isoTime(ts)}`;
    const line = `${at} (${why}): planned again at the next candle`;
    // orders held after a refusal that recurs (RefusalHolds: `not sent: …`) had their one error line: not one a candle
    const held = [...waits.values()].every((w) => w.startsWith('not sent: '));
    if (held) this.o.logger.debug(line);
    else this.o.logger.warn(line);
  }

  /**
   * Takes the exit commands a candle's sells answer once every one went through and what is left is dust, else leaves
   * them pending with why (`unsold`: a sell held back, refused, unknown or still open, or an order of the run still in
   * flight; `waiting`: a market without a candle at `ts`; `left`: units an order can still take, after a sell capped
   * at trading.live.maxOrderValue): the next candle sells again and the policy is not asked meanwhile. `dust`: what
   * stays below the minimum order, said in the note. Inside the caller's transaction.
   */
  private settleExits(
    exits: readonly number[],
    ts: number,
    o: {
      unsold: readonly string[];
      skips: readonly string[];
      sold: number;
      waiting: boolean;
      left: readonly string[];
      dust: readonly string[];
    },
  ): void {
    const { repo, clock } = this.o;
    const after = `after ${isoTime(ts)}`;
    if (o.unsold.length > 0) return deferExits(repo, exits, `the sells ${after} not through: ${o.unsold.join('; ')}`);
    if (o.waiting) return deferExits(repo, exits, `a market without a candle at ${isoTime(ts)}: sold at its next`);
    if (o.left.length > 0)
      return deferExits(repo, exits, `the sells ${after} left ${o.left.join(', ')}: sold at the next candle`);
    const skipped = o.skips.join(', ');
    let note = `no position to exit at ${isoTime(ts)}`;
    if (o.sold > 0) note = `market sells of every position ${after}${skipped ? ` (skipped: ${skipped})` : ''}`;
    else if (skipped) note = `exit skipped: ${skipped}`;
    takeExits(repo, exits, o.dust.length > 0 ? `${note}; ${o.dust.join('; ')}` : note, clock());
  }

  /**
   * Places one planned order (a buy re-capped to the cash there is now) and records what the exchange did. Returns
   * undefined when the exchange executed some of it, else why not (held back, refused, unknown, still open, none);
   * `{ refused }` for a sell of all the market holds that the exchange refused as below its minimum order or rules.
   * `heldBack`: why a sell is held back, as sellBounds found it before sizing it (asked once, not again here).
   */
  private async placeOne(
    p: PlannedOrder,
    ts: number,
    heldBack?: string,
  ): Promise<string | { refused: string } | undefined> {
    const { repo, symbols, logger } = this.o;
    const { costs } = this;
    const symbol = symbols[p.market];
    const id = p.clientId;
    let amount = p.amount;
    const runId = (this.run as RunState).id;
    if (p.side === 'buy') {
      const account = restorePortfolio(this.pf.account, costs);
      // the cash its sells were to bring and the run's own orders in flight have not left: it waits for them
      const reserved = inFlightSpend(repo, runId, this.feeOf, p.orderId);
      const cash = account.cash - reserved;
      const capped = this.cap(account, p.market, { side: BUY, spend: p.amount, units: 0 }, cash, p.close);
      if (capped.skip) {
        const why = this.cashWait(cash, reserved);
        this.commit(() => repo.updateOrder(p.orderId, 'skipped', { reason: why }));
        return why;
      }
      amount = capped.amount;
      if (amount !== p.amount) this.commit(() => repo.updateOrder(p.orderId, 'submitting', { quantity: amount }));
    }
    const held = heldBack ?? inFlightHold(repo, runId, symbol, p.orderId) ?? (await this.holds.holds(symbol, p.side));
    if (held) {
      this.commit(() => repo.updateOrder(p.orderId, 'skipped', { reason: held }));
      logger.debug(`order ${id} (${p.side} ${amount} ${symbol}) ${held}`);
      return held;
    }
    const placed = await this.desk.place(symbol, p.side, amount, id);
    if ('order' in placed) {
      this.commit(() => recordAccepted(repo, p.orderId, this.live.exchange.id, String(placed.order.id)));
      const s = await this.desk.settle(symbol, placed.order, costs[p.market].feeRate);
      this.record({ orderId: p.orderId, m: p.market, ts, clientId: id }, s);
      if ('unsettled' in s) return `in flight: ${s.unsettled}`;
      return s.fill ? undefined : `executed nothing (${s.final.status})`;
    } else if ('refused' in placed) {
      this.commit(() => repo.updateOrder(p.orderId, 'rejected', { reason: placed.refused }));
      const pf = this.pf.account;
      const fix = placed.recurs
        ? `: ${await this.holds.note({
            symbol,
            side: p.side,
            why: placed.refused,
            kind: placed.recurs,
            counted: p.side === 'buy' ? pf.cash : pf.books[p.market].units,
            inFlight: p.side === 'buy' ? inFlightSpend(repo, runId, this.feeOf, p.orderId) : 0,
            minOrderValue: costs[p.market].minOrderValue,
          })}`
        : '';
      logger.error(`order ${id} (${p.side} ${amount} ${symbol}) refused: ${placed.refused}${fix}`);
      const why = `refused: ${placed.refused}`;
      return p.side === 'sell' && p.whole && placed.recurs === 'invalid' ? { refused: why } : why;
    } else if ('mismatch' in placed) {
      this.commit(() => repo.updateOrder(p.orderId, 'rejected', { reason: `not booked: ${placed.mismatch}` }));
      this.halt(`order ${id}: ${placed.mismatch}: not booked; trading stopped`);
    } else {
      const proof = placed.exists;
      if (proof) this.commit(() => repo.updateOrder(p.orderId, 'submitting', { existsProof: proof }));
      logger.warn(
        `order ${id} (${p.side} ${amount} ${symbol}): outcome unknown (${placed.unknown}); ` +
          'settled by its client id at the next tick',
      );
      return 'outcome unknown, settled at the next tick';
    }
  }
}

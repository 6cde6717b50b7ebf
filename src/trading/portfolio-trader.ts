/**
 * The portfolio paper trader (issue 14): one run, one account (cash + N markets, the PortfolioAccount arithmetic),
 * several markets on one clock. Each tick backfills every market, then acts once per candle time for the whole
 * portfolio, oldest first, in ONE SQLite transaction per time: the fills of the waiting targets at this time's opens,
 * the decision at its close, the new orders, the equity and the positions. The decision row (run, time) is the
 * idempotency key, so a restart after kill -9 resumes after the last committed time and never acts twice.
 *
 * A market whose candle is missing or late at time t is valued at its last close there and cannot fill at t: its
 * order waits for the next candle it has (src/market/portfolio-step.ts, the step the backtest engine uses). A candle
 * that arrives after its time was acted on is history for later decisions, never a second decision.
 */
import type { Candles } from '../core/candles.ts';
import type { CandleStore } from '../data/store.ts';
import { isoTime } from '../data/timeframe.ts';
import type { Costs } from '../market/costs.ts';
import type { PortfolioAccount } from '../market/portfolio-account.ts';
import { restorePortfolio, snapshotPortfolio } from '../market/portfolio-state.ts';
import { fillTargets } from '../market/portfolio-step.ts';
import { RevealedSeries } from '../market/revealed-candles.ts';
import type { AccountState } from '../market/account.ts';
import { catchUp } from './catch-up.ts';
import { backfillSince } from './backfill.ts';
import { waitForLateCandles } from './late-candle.ts';
import { applyCommands, pendingExits, takeExits, type AskedBy } from './commands.ts';
import type { PortfolioPolicyHandle, PortfolioPolicySource } from './portfolio-policy-source.ts';
import { RunHolder, type NewRunKind, type RunHolderOptions } from './run-holder.ts';
import type { TickReport } from './trader.ts';
import { clockTimes, type ClockTime } from './portfolio-clock.ts';
import { decidedBy, servedVersion, WARM_UP } from './served-version.ts';
import type { CandleFeed, PortfolioPending, PortfolioRunState, RunKey, RunState } from './types.ts';

export interface PortfolioTraderOptions extends RunHolderOptions {
  store: CandleStore;
  /** One feed per market, in `symbols` order, then one per informative series of the policy source. */
  feeds: readonly CandleFeed[];
  /**
   * The feed of a series the policy starts reading mid-run (a model pointer switched to a version with another
   * informative series); absent: such a series cannot be fetched.
   */
  feedFor?(symbol: string): CandleFeed;
  policies: PortfolioPolicySource;
  /** The run's key: its symbol is the markets joined by commas. */
  key: RunKey;
  symbols: readonly string[];
  /** Per market, in `symbols` order. */
  costs: readonly Costs[];
  /** Rebalance moves under this fraction of the value are skipped. */
  band: number;
  /**
   * How long a tick looks again for a market's just-closed candle the exchange has not published yet
   * (trading.lateCandleWaitSeconds, in ms; at most half the timeframe); 0 or absent: not at all.
   */
  lateCandleWaitMs?: number;
}

/** Candle times before the last one acted on whose candles each tick asks for again (late candles). */
const LATE_OVERLAP = 3;

/** The single-market summary a portfolio run keeps in `trading_runs.account` for readers that know one market. */
export function accountSummary(a: PortfolioAccount): AccountState {
  const sum = (f: (i: number) => number) => a.books.reduce((acc, _b, i) => acc + f(i), 0);
  const rejected = { below_min_order: 0, no_cash: 0, no_position: 0, below_precision: 0 };
  for (const b of a.books)
    for (const k of Object.keys(rejected) as (keyof typeof rejected)[]) rejected[k] += b.rejected[k];
  return {
    initialBalance: a.initialBalance,
    cash: a.cash,
    units: 0,
    avgBuyPrice: 0,
    avgCost: 0,
    feesPaid: sum((i) => a.books[i].feesPaid),
    taxPaid: sum((i) => a.books[i].taxPaid),
    buys: sum((i) => a.books[i].buys),
    sells: sum((i) => a.books[i].sells),
    rejected,
    ...(a.withdrawn > 0 ? { withdrawn: a.withdrawn } : {}),
  };
}

export class PortfolioTrader extends RunHolder<PortfolioTraderOptions> {
  /** Each series' feed by name: the options' `feeds`, then those `feedFor` gave. */
  private readonly feedsByName: Map<string, CandleFeed>;

  constructor(options: PortfolioTraderOptions) {
    super(options);
    const names = this.seriesNames();
    this.feedsByName = new Map(options.feeds.map((f, i) => [names[i], f]));
  }

  private feedOf(symbol: string): CandleFeed {
    let feed = this.feedsByName.get(symbol);
    if (!feed) {
      if (!this.o.feedFor) throw new Error(`no candle feed for ${symbol}`);
      feed = this.o.feedFor(symbol);
      this.feedsByName.set(symbol, feed);
    }
    return feed;
  }

  /** A stored single-market run under this key is refused like one of another policy. */
  protected isOwnKind(run: RunState): boolean {
    return Boolean(run.portfolio);
  }

  protected newRunKind(): NewRunKind {
    const { symbols, costs, balance } = this.o;
    const account = restorePortfolio(
      { symbols: [...symbols], initialBalance: balance, cash: balance, books: [], skips: symbols.map(() => 0) },
      costs,
    );
    return {
      noun: 'portfolio run',
      markets: { symbols: symbols.join(',') },
      account: accountSummary(account),
      portfolio: { symbols: [...symbols], account: snapshotPortfolio(account), clock: 0, ...this.informativeState() },
    };
  }

  /** The informative series the policy reads now, as the run's state records them (PortfolioRunState). */
  private informativeState(): { informative?: string[] } {
    const informative = this.o.policies.informative ?? [];
    return informative.length > 0 ? { informative: [...informative] } : {};
  }

  /**
   * Pulls every market's missing closed candles into the store, from the oldest the next decisions read that it
   * lacks (backfill.ts). The last few candle times acted on are asked again
   * (LATE_OVERLAP), so a candle that came late is stored when it shows up: history for later decisions, never a
   * second decision at its time. When a market's (or informative series') just-closed candle is not published yet,
   * looks again for up to `lateCandleWaitMs` (late-candle.ts), so the time is decided once all are in, in this tick.
   */
  protected async backfill(run: RunState, closedOpen: number, shouldStop?: () => boolean): Promise<number> {
    try {
      return await this.backfillSeries(run, closedOpen, shouldStop);
    } catch (e) {
      // a version the pointer moved to may read a series this exchange does not list: the source gives it up, and the
      // serving version's series are backfilled instead, so the tick decides with it (a give-up never costs a tick)
      if (!this.o.policies.switchFailed?.(e)) throw e;
      return await this.backfillSeries(run, closedOpen, shouldStop);
    }
  }

  /** `lateWait` false: the fetches only, no look again for a late candle (a tick waits for late candles once). */
  private async backfillSeries(
    run: RunState,
    closedOpen: number,
    shouldStop?: () => boolean,
    lateWait = true,
  ): Promise<number> {
    const { store, key, logger } = this.o;
    const series = this.seriesNames().map((symbol) => ({ exchange: key.exchange, symbol, timeframe: key.timeframe }));
    const fetchSome = async (some: readonly { symbol: string }[], deadline?: number) => {
      let fetched = 0;
      for (const s of some) fetched += await this.fetchSeries(run, closedOpen, s.symbol, deadline);
      return fetched;
    };
    const fetched = await fetchSome(series);
    if (run.paused || !lateWait) return fetched;
    return (
      fetched +
      (await waitForLateCandles({
        store,
        series,
        closedOpen,
        stepMs: this.tfMs,
        notBefore: run.startTs,
        waitMs: this.o.lateCandleWaitMs ?? 0,
        fetch: fetchSome,
        shouldStop,
        logger,
        atBound: 'the time is decided without them (a market is valued at its last close and fills at its next candle)',
      }))
    );
  }

  /**
   * One fetch of a series' closed candles the store lacks, and the last LATE_OVERLAP times acted on again; a late
   * candle's look gives its `deadline` for the feed's own wait.
   */
  private async fetchSeries(run: RunState, closedOpen: number, symbol: string, deadline?: number): Promise<number> {
    const { store, key } = this.o;
    const series = { exchange: key.exchange, symbol, timeframe: key.timeframe };
    const needed = this.historyNeededFrom(store, symbol, run);
    let since = backfillSince(store, series, needed, this.tfMs);
    // never before the history start, unless the version serving now reads further back (a model pointer switched)
    if (run.lastTs !== undefined) {
      const historyFrom = this.runHistoryFrom(store, symbol, run);
      since = Math.max(Math.min(historyFrom, needed), Math.min(since, run.lastTs - LATE_OVERLAP * this.tfMs));
    }
    if (since > closedOpen) return 0;
    return this.fetchOrStored(store, symbol, closedOpen, async () => {
      const rows = await this.feedOf(symbol).fetchClosed(since, closedOpen + this.tfMs, deadline);
      const stored = this.storeFetched(store, symbol, rows);
      return stored + (await this.fetchEarlier(store, run, { symbol, feed: this.feedOf(symbol) }, deadline));
    });
  }

  protected commit<T>(fn: () => T): T {
    return this.o.repo.db.transaction(fn).immediate();
  }

  /** Dashboard commands (pause, resume, halt, clear-halt) in one transaction; a pause cancels the waiting targets. */
  protected applyControl(by?: AskedBy): void {
    const { repo, clock, logger } = this.o;
    this.commit(() => {
      const { run: next, applied } = applyCommands(repo, this.run as RunState, clock(), by);
      if (applied.length === 0) return;
      if (next.paused && next.portfolio?.pending) {
        for (const id of next.portfolio.pending.orderIds) {
          if (id !== null) repo.updateOrder(id, 'cancelled', { reason: 'run paused' });
        }
        next.portfolio = { ...next.portfolio, pending: undefined };
      }
      repo.saveState(next);
      this.run = next;
      for (const c of applied) logger.warn(`control: ${c.kind} by ${c.requestedBy} ${c.status} (${c.note})`);
    });
  }

  /** The traded markets, then the series the policy only reads (a model's informative series: fetched, not traded). */
  private seriesNames(): string[] {
    return [...this.o.symbols, ...(this.o.policies.informative ?? [])];
  }

  /**
   * Every market's closed candles from its lookback before `first` (the first candle time the tick may decide) on,
   * and the informative series' likewise.
   */
  protected loadSeries(
    run: RunState,
    first: number,
    closedOpen: number,
  ): { series: Candles[]; informative: Candles[] } {
    const { store, key, symbols } = this.o;
    const all = this.seriesNames().map((s) =>
      store.load(key.exchange, s, key.timeframe, this.tickLoadFrom(store, s, run, first), closedOpen + 1),
    );
    return { series: all.slice(0, symbols.length), informative: all.slice(symbols.length) };
  }

  /**
   * The policy for this tick, its memory given back from the run's state (what the last committed candle time
   * saved), so a restarted run decides exactly as the uninterrupted one.
   */
  private async policyFor(
    series: readonly Candles[],
    informative: readonly Candles[],
    from: number,
  ): Promise<PortfolioPolicyHandle | undefined> {
    const run = this.run;
    const handle = await this.o.policies.forSeries(series, informative, run?.modelVersion, run?.modelRefusal, from);
    const memory = this.run?.portfolio?.policyMemory;
    if (handle && memory) handle.policy.memory?.restore(memory);
    return handle;
  }

  /**
   * The tick's policy (policyFor) over `loaded`, the series loadSeries gave from `first`. When the source gives up the
   * version it was switching to (it cannot be aimed over them), the serving version's history and series are
   * backfilled and loaded again and it serves the tick: the series returned are those the policy reads. That backfill
   * does not wait for late candles again: the tick's backfill waited its bound already (it used to wait it twice).
   */
  protected async seriesPolicy(
    run: RunState,
    first: number,
    closedOpen: number,
    loaded: { series: Candles[]; informative: Candles[] },
    shouldStop?: () => boolean,
  ): Promise<{ handle: PortfolioPolicyHandle; series: Candles[]; informative: Candles[] }> {
    const from = clockTimes(loaded.series, first, closedOpen)[0]?.ts ?? first;
    const handle = await this.policyFor(loaded.series, loaded.informative, from);
    if (handle) return { handle, ...loaded };
    await this.backfillSeries(run, closedOpen, shouldStop, false);
    const again = this.loadSeries(run, first, closedOpen);
    const serving = await this.policyFor(again.series, again.informative, from);
    if (!serving) throw new Error(`${this.o.policies.label}: no version can be aimed over the run's candles`);
    return { handle: serving, ...again };
  }

  /**
   * The policy from candle time `from` on, after a handle whose `until` it is (a version promoted meanwhile takes
   * over after the candles it saw), over the tick's series: a version given up there leaves the serving one.
   */
  private async policyFrom(
    loaded: { series: Candles[]; informative: Candles[] },
    from: number,
  ): Promise<PortfolioPolicyHandle> {
    const handle =
      (await this.policyFor(loaded.series, loaded.informative, from)) ??
      (await this.policyFor(loaded.series, loaded.informative, from));
    if (!handle) throw new Error(`${this.o.policies.label}: no version can be aimed over the run's candles`);
    return handle;
  }

  async tick(opts: { shouldStop?: () => boolean } = {}): Promise<TickReport> {
    return this.runTick(() => this.leavingNoEmptyRun(() => this.step(opts)));
  }

  private async step(opts: { shouldStop?: () => boolean }): Promise<TickReport> {
    const now = this.o.clock();
    // the version a model source serves this tick decides the history and the series the tick backfills and loads
    await this.o.policies.follow?.(this.state());
    this.run ??= this.openRun(now);
    const { closedOpen, fetched } = await this.controlAndBackfill(now, opts.shouldStop);
    const report: TickReport = { fetched, acted: 0, decisions: [], lastTs: this.run.lastTs };
    // a clock gone back before the last decided candle time: none is new, and one line says why, as a live tick's
    if (await this.clockWentBack(closedOpen)) return report;
    const first = this.run.lastTs !== undefined ? this.run.lastTs + 1 : this.run.startTs;
    const loaded = this.loadSeries(this.run, first, closedOpen);
    let times = clockTimes(loaded.series, first, closedOpen);
    report.newestOpen = loaded.series[0]?.ts.at(-1);
    let served: { series: Candles[]; informative: Candles[] } | undefined;
    // one handle per version serving: a version promoted meanwhile takes over after the candles it saw (its `until`);
    // a command asked meanwhile applies from the first candle time closing at or after it was asked (controlAt)
    let handle: { at: PortfolioPolicyHandle; end: number } | undefined;
    for (let at = 0; at < times.length && !report.interrupted;) {
      const close = times[at].ts + this.tfMs;
      const asked = this.controlAt(close, now);
      if (this.run.paused) {
        const end = this.commandEnd(times, at, asked);
        this.passOver(times[end - 1].ts);
        report.paused = true;
        handle = undefined;
        at = end;
        continue;
      }
      if (!handle || at >= handle.end) {
        let h: PortfolioPolicyHandle;
        if (served) h = await this.policyFrom(served, times[at].ts);
        else {
          const s = await this.seriesPolicy(this.run, times[at].ts, closedOpen, loaded, opts.shouldStop);
          // the series loaded again for the serving version when the version switched to was given up: indices anew
          if (s.series !== loaded.series) [times, at] = [clockTimes(s.series, times[at].ts, closedOpen), 0];
          [served, h] = [s, s.handle];
        }
        const until = h.until;
        const stop = until === undefined ? -1 : times.findIndex((c) => c.ts >= until);
        handle = { at: h, end: Math.max(stop < 0 ? times.length : stop, at + 1) };
        if (at >= times.length) break;
      }
      const end = Math.min(this.commandEnd(times, at, asked), handle.end);
      const [start, current, series] = [at, handle.at, (served ?? loaded).series];
      const exits = pendingExits(this.o.repo, this.run.id, { close, now });
      await catchUp(end - start, report, opts.shouldStop, (i) => {
        const targets = this.act(series, times[start + i], current, i === 0 ? exits : []);
        return { ts: times[start + i].ts, action: targets ? 'rebalance' : 'keep', confidence: targets ? 1 : 0 };
      });
      at = end;
    }
    // the commands asked after the newest candle time's close: a pause or a halt holds from the next one on
    if (!report.interrupted) this.controlAt(undefined, now);
    if (this.run.paused) report.paused = true;
    report.lastTs = this.run.lastTs;
    return report;
  }

  /** The index after the candle times decided before the command asked at `asked` applies (past `at`, at least). */
  private commandEnd(times: readonly ClockTime[], at: number, asked: number | undefined): number {
    const next = asked === undefined ? -1 : times.findIndex((c) => c.ts + this.tfMs >= asked);
    return Math.max(next < 0 ? times.length : next, at + 1);
  }

  /** One candle time for the whole portfolio, one transaction. Returns the targets decided (null: keep). */
  private act(
    series: readonly Candles[],
    time: ClockTime,
    handle: PortfolioPolicyHandle,
    exits: readonly number[],
  ): number[] | null {
    const { repo, clock } = this.o;
    const run = this.run as RunState;
    const pf = run.portfolio as PortfolioRunState;
    const { ts } = time;
    const hasCandle = time.index.map((j) => j >= 0);
    return this.commit(() => {
      // the serving version's costs when they are not the run's (a version in the stead of the started one)
      const account = restorePortfolio(pf.account, handle.costs ?? this.o.costs);
      let pending: PortfolioPending | undefined = pf.pending
        ? { ...pf.pending, waiting: [...pf.pending.waiting], orderIds: [...pf.pending.orderIds] }
        : undefined;
      if (pending) this.fillPending(account, pending, series, time, hasCandle);
      if (pending && !pending.waiting.includes(true)) pending = undefined;
      const marks = series.map((s, m) => s.close[time.last[m]]);
      const value = account.value(marks);
      const weights = account.weights(marks);
      const decidedAt = clock();
      const { targets, by } = this.decideTargets(handle, pf, series, time, { hasCandle, weights, value, exits });
      if (exits.length > 0)
        takeExits(repo, exits, `sell every market at its next open after ${isoTime(ts)}`, decidedAt);
      const decision = { action: targets ? ('rebalance' as const) : ('keep' as const), confidence: targets ? 1 : 0 };
      repo.insertDecision(run.id, ts, decision, value, by, handle.version, decidedAt, targets ?? undefined);
      if (targets) {
        // targets still waiting from an earlier decision give way to the new ones (the engine's rule)
        pending?.orderIds.forEach((id, m) => {
          if (id !== null && pending?.waiting[m])
            repo.updateOrder(id, 'cancelled', { reason: `replaced by the decision at ${isoTime(ts)}` });
        });
        pending = this.planOrders(account, targets, marks, value, ts, decidedAt);
      }
      const memory = handle.policy.memory?.save();
      this.closeCandle({ run, pf, account, ts, marks, weights, value, served: handle, by, pending, memory });
      return targets;
    });
  }

  /**
   * The targets at this candle time (null: keep) and who decided them, as the decision row names it
   * (served-version.ts): every market sold for an exit asked (`exits`), a keep in the policy's warm-up, else the
   * policy's from what its view shows (candles up to the close).
   */
  protected decideTargets(
    handle: PortfolioPolicyHandle,
    pf: PortfolioRunState,
    series: readonly Candles[],
    time: ClockTime,
    at: { hasCandle: readonly boolean[]; weights: readonly number[]; value: number; exits: readonly number[] },
  ): { targets: number[] | null; by: string } {
    const exit = at.exits.length > 0;
    const by = decidedBy(handle.policy.name, { exit, warmUp: time.ts < (handle.warmupUntil ?? -Infinity) });
    if (exit) return { targets: this.o.symbols.map(() => 0), by };
    if (by === WARM_UP) return { targets: null, by };
    const d = handle.policy.decide({
      t: pf.clock,
      ts: time.ts,
      symbols: this.o.symbols,
      series: series.map((s, m) => new RevealedSeries(s).through(time.last[m] + 1)),
      hasCandle: at.hasCandle,
      weights: at.weights,
      value: at.value,
    });
    return { targets: d === null ? null : [...d], by };
  }

  /**
   * The end of one candle time, inside its transaction (paper and live alike): the equity and each market's position
   * at the marks, and the run's state with the account, what still waits, the policy's clock one step on and its
   * memory (a learned agent's P/L reference and decision count).
   */
  protected closeCandle(c: {
    run: RunState;
    pf: PortfolioRunState;
    account: PortfolioAccount;
    ts: number;
    marks: readonly number[];
    weights: readonly number[];
    value: number;
    /** The equity row's value when it is not `value` (live: net of the fees paid in a third currency). */
    equity?: number;
    /**
     * The version serving and the one its source gave up on (RunState.modelVersion, modelRefusal), and who decided
     * (decideTargets): a keep of its warm-up or an exit records no served version.
     */
    served: Pick<PortfolioPolicyHandle, 'version' | 'refusal'>;
    by: string;
    pending: PortfolioPending | undefined;
    memory: number[] | undefined;
  }): void {
    const { repo, symbols } = this.o;
    const { run, pf, account, ts, marks, weights } = c;
    const equity = c.equity ?? c.value;
    // a live run's withdrawals so far: the daily-loss cap adds them back (withdrawals.ts)
    repo.insertEquity(run.id, { ts, cash: account.cash, units: 0, price: 0, equity, withdrawn: account.withdrawn });
    repo.insertPositions(
      run.id,
      ts,
      symbols.map((market, m) => ({ market, units: account.units(m), price: marks[m], weight: weights[m] })),
    );
    const next: RunState = {
      ...run,
      account: accountSummary(account),
      lastTs: ts,
      modelVersion: servedVersion(c.by, c.served.version, run.modelVersion),
      modelRefusal: c.served.refusal,
      portfolio: {
        ...pf,
        account: snapshotPortfolio(account),
        pending: c.pending,
        clock: pf.clock + 1,
        policyMemory: c.memory ?? pf.policyMemory,
        informative: this.informativeState().informative,
      },
    };
    repo.saveState(next);
    this.run = next;
  }

  /** Fills the waiting targets of the markets with a candle at this time (at its open), inside act's transaction. */
  private fillPending(
    account: PortfolioAccount,
    pending: PortfolioPending,
    series: readonly Candles[],
    time: ClockTime,
    hasCandle: readonly boolean[],
  ): void {
    const { repo, symbols, band } = this.o;
    const run = this.run as RunState;
    // a market without a candle now is valued at its last close and cannot fill (its target waits)
    const prices = series.map((s, m) => (hasCandle[m] ? s.open[time.index[m]] : s.close[time.last[m]]));
    const outcomes = fillTargets(account, pending.targets, pending.waiting, hasCandle, prices, band);
    outcomes.forEach((o, m) => {
      let id = pending.orderIds[m];
      if (o.kind === 'filled') {
        const f = o.fill;
        // a move the close did not foresee (the open moved the weights) gets its order row now
        id ??= repo.insertOrder(run.id, pending.decisionTs, f.side, f.units, 'pending', time.ts, symbols[m]);
        repo.insertFill(run.id, id, time.ts, {
          side: f.side,
          price: f.price,
          units: f.units,
          value: f.gross,
          fee: f.fee + f.tax,
        });
        repo.updateOrder(id, 'filled', { quantity: f.units });
      } else if (id !== null && o.kind !== 'waiting') {
        const reason =
          o.kind === 'rejected' ? o.reason : o.kind === 'skipped' ? 'under the band or the minimum order' : 'no move';
        repo.updateOrder(id, 'skipped', { reason });
      }
    });
  }

  /** The order rows of a new decision: per market, the move its targets ask at this close (filled at the next open). */
  private planOrders(
    account: PortfolioAccount,
    targets: readonly number[],
    marks: readonly number[],
    value: number,
    ts: number,
    now: number,
  ): PortfolioPending {
    const { repo, symbols } = this.o;
    const run = this.run as RunState;
    const orderIds = symbols.map((market, m) => {
      const delta = targets[m] * value - account.units(m) * marks[m];
      if (Math.abs(delta) < 1e-9) return null;
      const side = delta > 0 ? 'buy' : 'sell';
      return repo.insertOrder(run.id, ts, side, side === 'buy' ? delta : -delta / marks[m], 'pending', now, market);
    });
    return { decisionTs: ts, targets: [...targets], waiting: symbols.map(() => true), orderIds };
  }
}

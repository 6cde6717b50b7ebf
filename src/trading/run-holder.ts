/**
 * What the single-market and the portfolio traders (paper and live) hold, and the first steps of their ticks: their
 * options, their run, opening it (the stored run under the key resumed when it trades the same policy, else a new one
 * created at its first candle with its history before), then the dashboard's commands and the candle backfill.
 */
import { HaltError, ModelRefusedError, RunRefusedError, UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import type { AccountState } from '../market/account.ts';
import type { CandleStore } from '../data/store.ts';
import { unansweredReason, type RetryOptions } from '../data/exchange.ts';
import { storedOnly } from '../data/sample.ts';
import { refuseOffGrid } from '../data/download.ts';
import { refuseDerivedTarget } from '../data/derived-target.ts';
import type { CandleRow } from '../core/candles.ts';
import { warmupStart } from '../data/source.ts';
import type { Exchange } from 'ccxt';
import { OffGridError } from '../data/grid.ts';
import { TickClockCheck } from './live-start.ts';
import type { RunRepository } from './run-repository.ts';
import { nextCommandAt, type AskedBy } from './commands.ts';
import type { CandleFeed, PortfolioRunState, RunKey, RunSettings, RunState, ServedRun } from './types.ts';

/** What a paper or live run on a derived series does instead (its backfill is refused: fetchOrStored). */
const DERIVED_NOT_TRADED =
  'a derived series is for backtests (`bot backtest`): paper and live fetch their candles from the exchange';

/** What a trader's options give for holding and opening its run. */
export interface RunHolderOptions {
  repo: RunRepository;
  key: RunKey;
  policies: {
    readonly label: string;
    readonly history?: number;
    readonly lookback?: number;
    /**
     * The history starts where `bot backtest --from`'s rule warm-up does (warmupStart): `history` timeframes back,
     * holes and all, or the `history`-th stored candle back on a market closed in most of them (a rule's
     * path-dependent indicators start from the same candle); absent: counted in each series' stored candles.
     */
    readonly historyAsRuleWarmup?: boolean;
    /** A saved model's home by its real path, stored with the run (RunState.modelHome). */
    readonly home?: string;
    follow?(run?: ServedRun): Promise<void>;
    checkNewRun?(): void;
  };
  /** The run-defining flags a new run stores (run-settings.ts: the session checked a resumed run's against them). */
  settings?: RunSettings;
  /** Starting balance of a new run; resuming a run that started with another is refused when `balanceGiven`. */
  balance: number;
  /** `--balance` was given (a config's balance is the default of new runs, not a request to change this one). */
  balanceGiven?: boolean;
  /** Candles of history loaded before the first traded candle. */
  historyCandles: number;
  /** Open time of the first candle to act on, for a new run; default: the newest closed candle. */
  start?: number;
  clock: () => number;
  logger: Logger;
  /**
   * A paper replay on a fixed clock (`--now`): when the exchange cannot be reached or does not answer, a series whose
   * newest closed candle is stored is decided on the stored candles (with a warning), as `bot predict` does.
   */
  replay?: boolean;
  /**
   * The exchange the run's candles come from and its requests' retries: every tick's clock check reads its clock
   * (TickClockCheck, paper and live alike); absent (a trader on a feed of its own): no exchange clock to compare with.
   */
  exchange?: Exchange;
  retry?: RetryOptions;
  /** What `clock` is in the clock checks' lines: '--now' or this machine's clock (the default). */
  clockFrom?: string;
}

/** How a new run of one trader's kind starts, and the words its start log line uses. */
export interface NewRunKind {
  /** The run's kind in the start line: 'run' or 'portfolio run'. */
  noun: string;
  /** The fields naming the run's markets, first in the start line. */
  markets: Record<string, string>;
  /** The account a new run starts with (and a portfolio run's N-market state). */
  account: AccountState;
  portfolio?: PortfolioRunState;
}

/** Open time of the newest candle on the UTC grid (:00 for hourly candles) that has closed by `now`: a run's start. */
function lastClosedOpen(now: number, timeframe: string): number {
  const tf = timeframeMs(timeframe);
  return Math.floor(now / tf) * tf - tf;
}

/**
 * The newest open time whose candle has closed by `now`, on any grid: hourly candles at 09:30, 10:30, … included (the
 * UTC grid's lastClosedOpen left the 09:30 candle out until 11:00, half an hour after it closed).
 */
export function closedBy(now: number, timeframe: string): number {
  return now - timeframeMs(timeframe);
}

/** A trader's options and run: the run opened on the first tick, its state read by `bot status` before. */
export abstract class RunHolder<O extends RunHolderOptions> {
  protected readonly o: O;
  protected readonly tfMs: number;
  /** The id of the run this trader created (not resumed): one whose first tick fails before deciding is removed. */
  private createdHere: number | undefined;
  protected run: RunState | undefined;
  /** The run's clock against the exchange's (src/trading/live-start.ts): every tick's; a live one's before deciding. */
  protected readonly clockCheck: TickClockCheck;

  constructor(options: O) {
    this.o = options;
    this.tfMs = timeframeMs(options.key.timeframe);
    const { exchange, retry, clockFrom } = options;
    this.clockCheck = new TickClockCheck(exchange, retry ?? { retries: 0, backoffMs: 0, maxBackoffMs: 0 }, clockFrom);
  }

  /**
   * Every trader's tick (paper and live, one market or a portfolio) runs its `step` here. The clock check starts on
   * this tick's replies. A tick whose fetched candles fall off the stored series' grid (OffGridError: nothing stored
   * or decided) records that fault with the run, which `bot status` and the dashboard show until a tick succeeds: a
   * clocked run carries on at its scheduled ticks (loop.ts) and looked healthy while it decided nothing.
   */
  protected async runTick<T>(step: () => Promise<T>): Promise<T> {
    this.clockCheck.begin();
    let result: T;
    try {
      result = await step();
    } catch (e) {
      const run = this.run;
      if (e instanceof OffGridError && run) this.o.repo.setDataFault(run.id, e.message, this.o.clock());
      throw e;
    }
    const run = this.run;
    if (run && this.o.repo.dataFault(run.id)) this.o.repo.setDataFault(run.id, undefined, this.o.clock());
    return result;
  }

  /**
   * Whether the tick's clock went back before the run's last decided candle: the newest closed candle (opened at
   * `closedOpen`) is before it, so none is new and the tick decides nothing. Then one error line names the run's clock
   * and the exchange's (TickClockCheck.behindRun), paper and live alike, instead of a silent tick. No new candle yet,
   * the normal case, is false and asks nothing.
   */
  protected async clockWentBack(closedOpen: number): Promise<boolean> {
    const behind = await this.clockCheck.behindRun(this.o.clock, closedOpen, this.run?.lastTs);
    if (behind === undefined) return false;
    this.o.logger.error(behind);
    return true;
  }

  /** The run's persisted state (loaded or created on the first tick). */
  state(): RunState | undefined {
    return this.run ?? this.o.repo.find(this.o.key);
  }

  /**
   * Refuses, before the first tick (the session calls it, no network asked), what the stored run under this key cannot
   * do whatever the tick tries: trade another policy or kind, start with other settings, act at a clock before its
   * last candle. A new run has nothing to refuse.
   */
  checkStart(): void {
    const existing = this.o.repo.find(this.o.key);
    if (existing) this.refuseStored(existing, this.o.clock());
    // a saved model version that cannot be loaded: a stored run goes on with the one it served, a new one is refused
    else this.o.policies.checkNewRun?.();
  }

  /** Whether a stored run under this key is of this trader's kind (another kind is refused like another policy). */
  protected abstract isOwnKind(run: RunState): boolean;

  /** A new run's starting account and start-line words, asked only when no run is stored under the key. */
  protected abstract newRunKind(): NewRunKind;

  /**
   * Applies the dashboard's commands asked since the last tick, in one transaction with the run state they change:
   * those asked by `by` (commands.ts askedBy), all when absent.
   */
  protected abstract applyControl(by?: AskedBy): void;

  /**
   * Pulls the run's missing closed candles (up to the one opened at `closedOpen`) into the store; returns how many.
   * It may wait for a candle the exchange publishes late, ending the wait as soon as `shouldStop` says so.
   */
  protected abstract backfill(run: RunState, closedOpen: number, shouldStop?: () => boolean): Promise<number>;

  /**
   * A paper tick's steps once its run is open: the dashboard's commands applied, a halted run stopped, the candles
   * closed by `now` pulled in. Returns the newest closed candle's open time and how many candles came.
   */
  protected async controlAndBackfill(
    now: number,
    shouldStop?: () => boolean,
  ): Promise<{ closedOpen: number; fetched: number }> {
    const before = this.run as RunState;
    // the commands asked by the close of the first candle to decide apply from it; later ones wait for their candle
    this.controlAt((before.lastTs !== undefined ? before.lastTs + this.tfMs : before.startTs) + this.tfMs, now);
    const run = this.run as RunState;
    const closedOpen = closedBy(now, this.o.key.timeframe);
    return { closedOpen, fetched: await this.backfill(run, closedOpen, shouldStop) };
  }

  /** Moves the run's cursor past the candles up to the one opened at `through`, passed over while paused. */
  protected passOver(through: number): void {
    const run = this.run as RunState;
    if (through < run.startTs || (run.lastTs !== undefined && through <= run.lastTs)) return;
    const next: RunState = { ...run, lastTs: through };
    this.o.repo.saveState(next);
    this.run = next;
  }

  /**
   * A paper tick's commands before it decides the candle closing at `close` (the run's first of the tick, or one of
   * its catch-up): applies those asked by then (commands.ts askedBy; absent: every one pending, at the end of the
   * tick), stops the tick on a halt (HaltError, the candles before it decided) unless a clear-halt follows, and
   * returns when the next pending command was asked: the catch-up decides on up to the first candle closing at or
   * after it.
   */
  protected controlAt(close: number | undefined, now: number): number | undefined {
    const by = close !== undefined ? { close, now } : undefined;
    this.applyControl(by);
    // a halt stops the run, it passes no candle over: a clear-halt asked since lets it decide them (as it always did);
    // the commands asked after that clear-halt still wait for their own candles
    if (by && (this.run as RunState).halted) {
      const cleared = nextCommandAt(this.o.repo.db, (this.run as RunState).id, by, 'clear-halt');
      if (cleared !== undefined) this.applyControl({ close: cleared, now });
    }
    const run = this.run as RunState;
    if (run.halted) throw new HaltError(run.halted);
    return by ? nextCommandAt(this.o.repo.db, run.id, by) : undefined;
  }

  /**
   * A paper tick (`step`) that leaves no empty run behind: a run this trader created whose first tick fails before it
   * acted on a candle (the backfill, or the decision of its first candle: a strategy that throws) is removed, so the
   * next start begins anew. A run that acted on a candle is never removed.
   */
  protected async leavingNoEmptyRun<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      // a run created by this tick has nothing yet: a tick that cannot start leaves no run behind; nor does a new run
      // whose model is refused at its first tick past warm-up (its next start would resume on the broken version)
      this.forgetUnstarted(e instanceof ModelRefusedError && e.unserved);
      throw e;
    }
  }

  /**
   * Removes the run when this trader created it and it has decided nothing yet (its start failed): it traded nothing,
   * and a live run's row would go on claiming its exchange account. `warmedUp`: also when it decided only holds (or
   * keeps) of its warm-up, its model refused at the first candle past it (ModelRefusedError.unserved), and so a run
   * an earlier process created when no version served it yet (RunState.modelVersion: a `--once` whose first process
   * only warmed up). A resumed run a version served, or one with an order or a fill, is left as it is.
   */
  forgetUnstarted(warmedUp = false): void {
    const run = this.run;
    const ours = this.createdHere === run?.id || (warmedUp && run?.modelVersion === undefined);
    if (!run || !ours || (run.lastTs !== undefined && !warmedUp)) return;
    const { repo } = this.o;
    if (repo.orders(run.id).length > 0 || repo.trades(run.id).length > 0) return;
    const decided = repo.decisions(run.id);
    if (warmedUp ? decided.some((d) => d.action !== 'hold' && d.action !== 'keep') : decided.length > 0) return;
    repo.remove(run.id);
    this.run = undefined;
  }

  /**
   * `fetch` (one series' backfill), or, in a replay (`replay`) whose exchange cannot be reached or does not answer
   * within its retries, nothing when the store holds the series' newest candle closed by `closedOpen`: the replay
   * decides on the stored candles, with a warning saying which. A refusal by the exchange is thrown, and so is a
   * series `bot data derive` built, before the exchange is asked: the market of its name would fill it with its
   * real prices (derived-target.ts).
   */
  protected async fetchOrStored(
    store: CandleStore,
    symbol: string,
    closedOpen: number,
    fetch: () => Promise<number>,
  ): Promise<number> {
    const { exchange, timeframe } = this.o.key;
    // a stored-only origin (the bundled sample's series, run-exchange.ts) has no exchange to fill it: its feed fetches
    // nothing, and its derived series are what such a run replays
    if (!storedOnly(exchange))
      refuseDerivedTarget(store, { exchange, symbol, timeframe }, 'download', DERIVED_NOT_TRADED);
    try {
      return await fetch();
    } catch (e) {
      const { key, logger } = this.o;
      const last = store.openTimeBefore(key.exchange, symbol, key.timeframe, closedOpen + 1, 1);
      // a refusal (no such market, …) stops the replay, as it stops `bot predict`
      const reason = unansweredReason(key.exchange, e);
      if (!this.o.replay || reason === undefined) throw e;
      if (last === undefined || last + this.tfMs <= closedOpen) throw this.notStored(reason, symbol, closedOpen, last);
      logger.warn(`${reason}; replaying ${symbol} on the stored candles up to ${isoTime(last)} (--now)`);
      return 0;
    }
  }

  /**
   * Stores the candles of `symbol` a tick fetched; returns how many. None is stored when one falls off the grid of the
   * stored series (a series imported in another time zone: two candles a day) or jumps 100× from a stored candle the
   * exchange did not serve, and the tick fails in one line naming the first such candle (OffGridError), so it never
   * decides on a series mixing two grids or two markets. The span they came in is recorded as downloaded, as `bot data
   * download` records its pages: the exchange's own 100× jump from them is then stored with one warning (refuseOffGrid)
   * instead of failing every tick.
   */
  protected storeFetched(store: CandleStore, symbol: string, rows: readonly CandleRow[]): number {
    const { exchange, timeframe } = this.o.key;
    const series = { exchange, symbol, timeframe };
    const jumps = refuseOffGrid(store, series, rows, 'not stored, no decision this tick (use another --db)');
    if (rows.length === 0) return 0;
    // the exchange answered for every interval between its first and last candle here (its holes included)
    const span = { from: rows[0].ts, to: rows[rows.length - 1].ts + this.tfMs };
    store.storeDownload(exchange, symbol, timeframe, rows, span);
    for (const line of jumps) this.o.logger.warn(line);
    return rows.length;
  }

  /**
   * A replay whose exchange cannot be reached lacks the newest candle closed by its clock (a hole in the stored data,
   * or a clock past them): the line names that candle and what would replay, not only the network error.
   */
  private notStored(reason: string, symbol: string, closedOpen: number, last: number | undefined): UserError {
    const { timeframe } = this.o.key;
    const now = isoTime(this.o.clock());
    if (last === undefined)
      return new UserError(`${reason}; no candle of ${symbol} ${timeframe} closed by --now ${now} is stored`);
    return new UserError(
      `${reason}; ${symbol} ${timeframe}: the candle ${isoTime(last + this.tfMs)}, closed by --now ${now}, is not ` +
        `stored (the newest stored before it opened ${isoTime(last)}): store it, or give a --now before ` +
        `${isoTime(last + 2 * this.tfMs)} to replay up to the stored candles`,
    );
  }

  /**
   * The oldest candle the run's next decisions read: the policy's history before the first candle not acted on yet,
   * the history of the version serving now (a model pointer switched to one that reads further back is given it).
   */
  protected historyNeededFrom(store: CandleStore, symbol: string, run: RunState): number {
    const first = run.lastTs !== undefined ? run.lastTs + this.tfMs : run.startTs;
    return this.historyStart(store, symbol, first, this.o.policies.history ?? this.o.historyCandles);
  }

  /**
   * Where `count` candles of history of `symbol` before `before` start, counted in its stored candles (never later
   * than `count` timeframes back, warmupStart): a model reads full feature rows from its first decision on, as
   * `bot backtest --model` over every stored candle does, so a series with holes (Upbit's missing hours) needs candles
   * from further back. A rule's (`historyAsRuleWarmup`): where `bot backtest --from`
   * starts its warm-up on the same store, `count` timeframes back unless the market is closed in most of them.
   */
  protected historyStart(store: CandleStore, symbol: string, before: number, count: number): number {
    const { exchange, timeframe } = this.o.key;
    return warmupStart(store, { exchange, symbol, timeframe }, before, count, !this.o.policies.historyAsRuleWarmup);
  }

  /**
   * The candles before the history start a series with holes lacks: the exchange's holes are known once the span is
   * fetched (historyStart). Asks `feed` again from one timeframe earlier per candle missing, until the history is
   * full or the exchange has none earlier; returns how many candles came.
   */
  protected async fetchEarlier(
    store: CandleStore,
    run: RunState,
    series: { symbol: string; feed: CandleFeed },
    deadline?: number,
  ): Promise<number> {
    if (this.o.policies.historyAsRuleWarmup) return 0;
    const { exchange, timeframe } = this.o.key;
    const { symbol, feed } = series;
    const first = run.lastTs !== undefined ? run.lastTs + this.tfMs : run.startTs;
    const history = this.o.policies.history ?? this.o.historyCandles;
    let fetched = 0;
    let before = Infinity;
    for (;;) {
      const from = this.historyStart(store, symbol, first, history);
      const missing = history - store.countIn(exchange, symbol, timeframe, from, first);
      // done, or the last page added nothing the history counts (an exchange answering with candles already stored)
      if (missing <= 0 || missing >= before) return fetched;
      before = missing;
      const rows = await feed.fetchClosed(from - missing * this.tfMs, from, deadline);
      if (rows.length === 0) return fetched;
      fetched += this.storeFetched(store, symbol, rows);
    }
  }

  /** Where the run's history of `symbol` starts: the history it started with, before its first candle. */
  protected runHistoryFrom(store: CandleStore, symbol: string, run: RunState): number {
    return this.historyStart(store, symbol, run.startTs, Math.round((run.startTs - run.historyFrom) / this.tfMs));
  }

  /**
   * The open time a tick loads one series from: the `lookback` candles stored before `first` (the first candle the
   * tick may decide), counted in candles as a market's closed hours need, never before the run's history start
   * unless the policy serving now needs more history before `first` than the run started with (a model pointer
   * switched to a version whose features or window reach further back: it used to be handed the old version's
   * history and hold as its warm-up, or decide on unsettled features, until the run had aged enough).
   * Loading from the history start instead made a months-old run re-read and re-featurise every candle it ever had,
   * at every tick.
   */
  protected tickLoadFrom(store: CandleStore, symbol: string, run: RunState, first: number): number {
    const { policies, historyCandles, key } = this.o;
    const history = policies.history ?? historyCandles;
    const lookback = policies.lookback ?? history;
    const from = store.openTimeBefore(key.exchange, symbol, key.timeframe, first, lookback);
    const floor = Math.min(this.runHistoryFrom(store, symbol, run), this.historyStart(store, symbol, first, history));
    return Math.max(floor, from ?? first);
  }

  /** Open time of the newest stored candle of `symbol` up to the one opened at `closedOpen` (a live tick's). */
  protected newestStored(store: CandleStore, symbol: string, closedOpen: number): number | undefined {
    const { key } = this.o;
    return store.openTimeBefore(key.exchange, symbol, key.timeframe, closedOpen + 1, 1);
  }

  /**
   * `--balance` and `--start` set up a new run: on a stored run with another starting balance or first candle they
   * used to be ignored without a word (the account stayed as it was), so they are refused like another strategy.
   */
  private refuseNewRunSettings(existing: RunState): void {
    const { key, balance, balanceGiven, start } = this.o;
    const startTs = start !== undefined ? Math.floor(start / this.tfMs) * this.tfMs : undefined;
    // a live run starts from the smaller of --balance and the exchange's free cash (live.ts reconcile), so a larger
    // --balance is what a restarted service gives every time: it is said, not refused; a smaller one is refused
    const cappedLive = key.mode === 'live' && balance > existing.initialBalance;
    if (balanceGiven && cappedLive)
      this.o.logger.warn(
        `the live run "${key.name}" started with ${existing.initialBalance} (its --balance or the free cash then, ` +
          `the smaller); --balance ${balance} applies to a new run only`,
      );
    const flag =
      balanceGiven && balance !== existing.initialBalance && !cappedLive
        ? `--balance ${balance}`
        : startTs !== undefined && startTs !== existing.startTs
          ? `--start ${isoTime(startTs)}`
          : undefined;
    if (flag === undefined) return;
    throw new RunRefusedError(
      `the ${key.mode} run "${key.name}" for ${key.symbol} ${key.timeframe} started with ` +
        `${existing.initialBalance} at ${isoTime(existing.startTs)}; ${flag} is for a new run ` +
        '(use --name for a new run, or --reset)',
    );
  }

  /**
   * What no tick can do with the stored run (RunRefusedError): trade another policy or kind, take another balance or
   * start, or act at `now` before the close of the candle it last acted on (an earlier --now acted on no candle and
   * exited 0, after asking the exchange).
   */
  private refuseStored(existing: RunState, now: number): void {
    const { key, policies } = this.o;
    if (existing.policy !== policies.label || !this.isOwnKind(existing)) {
      throw new RunRefusedError(
        `the ${key.mode} run "${key.name}" for ${key.symbol} ${key.timeframe} trades ${existing.policy}, ` +
          `not ${policies.label} (use --name for a new run, or --reset)`,
      );
    }
    this.refuseNewRunSettings(existing);
    const last = existing.lastTs;
    if (last !== undefined && closedBy(now, key.timeframe) < last) {
      throw new RunRefusedError(
        `the clock (${isoTime(now)}) is before the close of the candle ${isoTime(last)}, the last the ${key.mode} ` +
          `run "${key.name}" acted on: give a --now at or after ${isoTime(last + this.tfMs)}, or --name for a new run`,
      );
    }
  }

  protected openRun(now: number): RunState {
    const { repo, key, policies } = this.o;
    const existing = repo.find(key);
    if (existing) {
      this.refuseStored(existing, now);
      // the home this process serves (a run resumed from another folder names it by another relative path)
      const home = policies.home;
      if (home !== undefined && existing.modelHome !== home) {
        repo.setModelHome(existing.id, home);
        return { ...existing, modelHome: home };
      }
      return existing;
    }
    const startTs =
      this.o.start !== undefined
        ? Math.floor(this.o.start / this.tfMs) * this.tfMs
        : lastClosedOpen(now, key.timeframe);
    const kind = this.newRunKind();
    const run = repo.create(key, {
      policy: policies.label,
      historyFrom: startTs - (policies.history ?? this.o.historyCandles) * this.tfMs,
      startTs,
      initialBalance: this.o.balance,
      account: kind.account,
      portfolio: kind.portfolio,
      settings: this.o.settings,
      ...(policies.home !== undefined ? { modelHome: policies.home } : {}),
      now,
    });
    this.createdHere = run.id;
    this.o.logger.info(`${key.mode} ${kind.noun} "${key.name}" started`, {
      ...kind.markets,
      timeframe: key.timeframe,
      policy: run.policy,
      start: isoTime(startTs),
      balance: this.o.balance,
    });
    return run;
  }
}

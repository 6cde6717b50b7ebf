/** The trader's shared types: modes, fills, policy handles and sources, feeds, run state. */
import type { CandleRow, Candles } from '../core/candles.ts';
import type { Observation, Policy } from '../core/policy.ts';
import type { Account, AccountState, Costs } from '../market/account.ts';
import type { Order, SizingOptions } from '../market/execution.ts';
import type { PortfolioAccountState } from '../market/portfolio-state.ts';

export type TradingMode = 'paper' | 'live';

export interface FillRecord {
  side: 'buy' | 'sell';
  /** Price per unit, slippage included. */
  price: number;
  units: number;
  /** units × price, before fees. */
  value: number;
  /** Fee plus sell tax. */
  fee: number;
}

/** One policy ready to decide, with how it builds its observation. Rebuilt per tick, as candles grow. */
export interface PolicyHandle {
  policy: Policy;
  /** Saved-model version that serves (undefined for rule strategies). */
  version?: string;
  /** What `bot status` and the decision rows show, e.g. `strategy:sma-cross` or `model:models/btc`. */
  label: string;
  /** Candles of history the observation needs before the first decision. */
  warmup: number;
  /**
   * How its decisions become orders when it is not the market's (a saved model version's recipe: a version switched
   * to mid-run trades with its own sizing, as its backtest does).
   */
  sizing?: SizingOptions;
  /**
   * The costs its fills are charged when they are not the market's: a saved model version serving in the stead of
   * the one the process started with (the run's earlier version it fell back on), at its own recipe's costs.
   */
  costs?: Costs;
  /** The observation at candle t (same builder as the backtest), with the agent state read from `account`. */
  observe(t: number, account: Account): Observation;
  /** The model version the source gives up on, stored with the run as it decides (RunState.modelRefusal). */
  refusal?: VersionRefusalRecord;
  /**
   * The open time of the first candle this handle must not decide: a version promoted meanwhile saw the candles
   * before it (its training, selection and holdout), and serves from there on; the trader asks forCandles again from
   * it. Absent: it decides every candle of the tick.
   */
  until?: number;
}

/**
 * A model version given up on because it cannot serve the run (src/trading/version-refusal.ts): the version, the
 * write of the home's pointer it was read at (pointerStamp), when it is tried again and the wait that led there.
 */
export interface VersionRefusalRecord {
  version: string;
  stamp: string;
  until: number;
  wait: number;
  /** Why it was given up (the words after its name in the line that said so), for `bot status` and the API. */
  why?: string;
  /**
   * Trained for another run (another timeframe, other markets or market order: ModelMismatchError): no wait changes
   * that, so it is tried again only when the pointer is written again (`until` is never reached).
   */
  final?: boolean;
}

/** What a model source reads of the run it serves: the version it last served and the one it gave up on. */
export type ServedRun = Pick<RunState, 'modelVersion' | 'modelRefusal'>;

export interface PolicySource {
  readonly label: string;
  /** Candles of history a new run loads before its first traded candle (default: trading.historyCandles). */
  readonly history?: number;
  /**
   * Candles a tick loads before the first candle it decides (never before the run's history start): enough for every
   * observation and decision to equal those over all of the run's candles (default: `history`).
   */
  readonly lookback?: number;
  /** A rule's: its history starts where `bot backtest --from`'s warm-up does (RunHolderOptions.policies). */
  readonly historyAsRuleWarmup?: boolean;
  /** A saved model's: the real path of its home (canonicalHome), which the run stores (RunState.modelHome). */
  readonly home?: string;
  /**
   * Brings the source up to the policy the tick will serve (a saved model's pointer, moved by a promotion or by hand),
   * before the tick reads `history` and `lookback` to backfill and load its candles: those of the version it serves.
   * `run`: the run's stored state (none for a new run), whose last served version stands in for one that cannot.
   */
  follow?(run?: ServedRun): Promise<void>;
  /**
   * Throws what a new run is refused with before its first tick (a saved model whose files cannot be loaded); a
   * stored run goes on with the version it served (forCandles).
   */
  checkNewRun?(): void;
  /**
   * The policy for these candles (the tick's: `lookback` before its first candle, then up to the newest one).
   * `runVersion`: the model version the run last served (RunState.modelVersion; none for a new run), which a saved
   * model's source serves when the version it started with cannot serve them (a run started again by each tick), or
   * saw the candles to decide. `refusal`: the version the run's source gave up on (RunState.modelRefusal), which a
   * process started for one tick skips as the process that gave it up would. `from`: the open time of the first
   * candle the handle decides (default: the newest).
   */
  forCandles(
    candles: Candles,
    runVersion?: string,
    refusal?: VersionRefusalRecord,
    from?: number,
  ): PolicyHandle | Promise<PolicyHandle>;
  /** Frees what the source holds (tfjs models). */
  dispose?(): void;
}

/**
 * Closed candles from the exchange, oldest first, open time in [since, until), only candles closed by `until`.
 * `deadline` (on the monotonic clock, performance.now()): the end of the late-candle look asking (late-candle.ts); a
 * wait of the feed's own that would end past it is not made, nor a retry of a failed request that would start past it
 * (the fault is thrown as PastDeadlineError).
 */
export interface CandleFeed {
  fetchClosed(since: number, until: number, deadline?: number): Promise<CandleRow[]>;
}

/** An order planned at a decision (candle t's close), waiting for candle t+1's open. */
export interface PendingOrder {
  orderId: number;
  decisionTs: number;
  order: Order;
}

export interface RunKey {
  mode: TradingMode;
  name: string;
  exchange: string;
  symbol: string;
  timeframe: string;
}

export interface RunState extends RunKey {
  id: number;
  policy: string;
  createdAt: number;
  historyFrom: number;
  startTs: number;
  startPrice: number | undefined;
  initialBalance: number;
  account: AccountState;
  pending: PendingOrder | undefined;
  lastTs: number | undefined;
  /**
   * The saved model version that last decided a candle past its warm-up (a single-market run's: a warm-up hold or an
   * exit records none), so a run no version served is still a new run to its model source.
   */
  modelVersion: string | undefined;
  /**
   * The model version given up on for this run (trading schema 12), so a cron'd `--once` (a process per tick) skips it
   * until the pointer is written again or its wait is over, instead of trying it and logging it at every tick.
   */
  modelRefusal?: VersionRefusalRecord | undefined;
  halted: string | undefined;
  /** Set while a dashboard pause holds (who asked and when); the trader moves past closed candles without acting. */
  paused?: string | undefined;
  /** When the run was ended for good (`--end`): it keeps its history, never trades again and claims no account. */
  endedAt?: number | undefined;
  /** Random, drawn at creation (trading schema 8): in the run's client order ids; absent for older runs. */
  orderNonce?: string | undefined;
  /** A portfolio run's account and waiting targets (issue 14); undefined for a single-market run. */
  portfolio?: PortfolioRunState | undefined;
  /**
   * A model run's home by its real path (trading schema 17), as the process that last opened the run served it: its
   * policy label names the home as given, relative to that process's folder. Absent for older runs and rule runs.
   */
  modelHome?: string | undefined;
  /** The run-defining flags it started with (trading schema 15, run-settings.ts); absent for older runs. */
  settings?: RunSettings | undefined;
}

/**
 * The flags a run starts with that its resumes must not change (src/trading/run-settings.ts): a portfolio's --band
 * and --market-costs (a preset name per market), a rule policy's --seed. An absent field was not stored.
 */
export interface RunSettings {
  band?: number;
  marketCosts?: Record<string, string>;
  seed?: number;
}

/** Target weights decided at a close, waiting for each market's next candle. */
export interface PortfolioPending {
  decisionTs: number;
  targets: number[];
  /** Per market: still waiting (no candle of its own since the decision). */
  waiting: boolean[];
  /** Per market: the order row planned at the decision, or null when no move was planned. */
  orderIds: (number | null)[];
}

export interface PortfolioRunState {
  symbols: string[];
  /**
   * The series the policy read at the last candle time acted on (a model's informative series), so `bot data derive`
   * can refuse to rewrite one under the run (src/trading/series-users.ts); absent: none, or a run from before.
   */
  informative?: string[];
  account: PortfolioAccountState;
  pending?: PortfolioPending;
  /** Clock times acted on so far: the clock index t the policy sees next. */
  clock: number;
  /** The policy's memory after the last candle time acted on (PortfolioPolicy.memory; learned agents only). */
  policyMemory?: number[];
  /**
   * Live: the quote-currency value of the fees paid in a third currency (Binance's BNB) so far that left neither the
   * cash nor any market's units (one in a market's base comes out of its units: live-orders.ts payFromBooks); the
   * daily-loss cap counts them (the equity is net of them).
   */
  offBookFees?: number;
}

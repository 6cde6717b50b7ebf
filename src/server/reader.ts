/**
 * What the dashboard reads from the traders' SQLite file, on a read-only connection (WAL: a reader never blocks a
 * tick, and cannot write by mistake). Pages are keyset-paged (`before` a cursor, newest first), so the 100,000th
 * decision costs what the first does. Every query is parameterised.
 */
import type Database from 'better-sqlite3';
import { timeframeMs } from '../data/timeframe.ts';
import { listCommands, type CommandRow } from '../trading/commands.ts';
import { RunRepository } from '../trading/run-repository.ts';
import { runStatus, type RunStatus, type StatusTiming } from '../trading/status.ts';
import { HttpError } from './validate.ts';
import { equalWeightHold } from '../trading/portfolio-hold.ts';
import { marketStats, portfolioMarkets, weightsOverTime, type WeightsView } from './portfolio-reader.ts';

interface RunSummary extends RunStatus {
  /** The newest equity values (oldest first), for a sparkline. */
  spark: number[];
  /** A portfolio run's markets (issue 14); absent for a single-market run. */
  markets?: string[];
}

interface Page<T> {
  total: number;
  items: T[];
  /** Cursor for the next (older) page, or null at the end. */
  next: number | null;
}

interface PageQuery {
  limit: number;
  before?: number;
  /** Only this market's rows (a portfolio run's market, or a single-market run's symbol). */
  market?: string;
}

interface DecisionItem {
  ts: number;
  action: string;
  confidence: number;
  price: number;
  policy: string;
  modelVersion: string | null;
  decidedAt: number;
  /** A portfolio decision's target weights per market (null: kept what was held, or a single-market run). */
  targets: number[] | null;
}

interface CandleWindow {
  exchange: string;
  symbol: string;
  timeframe: string;
  candles: { ts: number; open: number; high: number; low: number; close: number; volume: number }[];
  /** Fills inside the window: a buy or sell at the open of the candle it filled in. */
  markers: { ts: number; side: 'buy' | 'sell'; price: number; units: number }[];
}

interface EquityPoint {
  ts: number;
  equity: number;
  cash: number;
  units: number;
  price: number;
  /** The run's initial balance held in the asset from the first acted candle's close. */
  buyHold: number | null;
  /** Below the run's highest equity up to this point (its whole history, not only the rows answered): 0 or less. */
  drawdown: number;
}

/** A portfolio run's equity: no units or price (several markets); buy-and-hold is equal weights held. */
type PortfolioEquityPoint = Omit<EquityPoint, 'units' | 'price'>;

const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

export class DashboardReader {
  private readonly db: Database.Database;
  private readonly repo: RunRepository;
  private readonly timing: StatusTiming;

  /**
   * `timing`: when a trader ticks after a candle closes, how old a heartbeat is when its run is not running, and how
   * long an unknown live order waits before its settle-by-hand command is shown.
   */
  constructor(db: Database.Database, timing: StatusTiming) {
    this.db = db;
    this.repo = new RunRepository(db);
    this.timing = timing;
  }

  runIds(): number[] {
    return (this.db.prepare('SELECT id FROM trading_runs ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  }

  run(id: number, now: number, decisions = 5): RunSummary | undefined {
    const state = this.repo.list().find((r) => r.id === id);
    if (!state) return undefined;
    const status = runStatus(this.repo, state, now, decisions, this.timing);
    if (!status) return undefined;
    const spark = (
      this.db.prepare('SELECT equity FROM trading_equity WHERE run_id = ? ORDER BY ts DESC LIMIT 60').all(id) as {
        equity: number;
      }[]
    )
      .map((r) => r.equity)
      .reverse();
    const markets = portfolioMarkets(this.db, id);
    // runStatus holds the portfolio's buy-and-hold (equal weights held) as bot status shows it
    return markets ? { ...status, spark, markets } : { ...status, spark };
  }

  /** A run's markets (one for a single-market run), and whether it is a portfolio run. */
  marketsOf(runId: number): { markets: string[]; portfolio: boolean } {
    const markets = portfolioMarkets(this.db, runId);
    if (markets) return { markets, portfolio: true };
    const row = this.db.prepare('SELECT symbol FROM trading_runs WHERE id = ?').get(runId) as { symbol: string };
    return { markets: [row.symbol], portfolio: false };
  }

  /** A 400 naming the market when the run does not trade it. */
  private checkMarket(runId: number, market: string | undefined): void {
    if (market === undefined) return;
    const { markets } = this.marketsOf(runId);
    if (!markets.includes(market))
      throw new HttpError(400, `query market: ${market} is not a market of run ${runId} (${markets.join(', ')})`);
  }

  /** A portfolio run's weights over time; a 404 for a single-market run. */
  weights(runId: number, q: { from?: number; to?: number; limit: number }): WeightsView {
    const markets = portfolioMarkets(this.db, runId);
    if (!markets) throw new HttpError(404, `run ${runId} trades one market: it has no portfolio weights`);
    return weightsOverTime(this.db, runId, markets, q);
  }

  /** Fills, traded value and fees per market of a portfolio run (undefined for a single-market run). */
  marketStats(runId: number): ReturnType<typeof marketStats> | undefined {
    const markets = portfolioMarkets(this.db, runId);
    return markets ? marketStats(this.db, runId, markets) : undefined;
  }

  runs(now: number): RunSummary[] {
    return this.runIds()
      .map((id) => this.run(id, now, 1))
      .filter((r): r is RunSummary => r !== undefined);
  }

  decisions(runId: number, q: PageQuery): Page<DecisionItem> {
    const total = this.repo.decisionCount(runId);
    const rows = this.db
      .prepare(
        `SELECT ts, action, confidence, price, policy, model_version AS modelVersion, decided_at AS decidedAt,
         targets FROM trading_decisions WHERE run_id = ? AND ts < ? ORDER BY ts DESC LIMIT ?`,
      )
      .all(runId, q.before ?? MAX_CURSOR, q.limit) as (Omit<DecisionItem, 'targets'> & { targets: string | null })[];
    const items = rows.map((r) => ({ ...r, targets: r.targets ? (JSON.parse(r.targets) as number[]) : null }));
    return { total, items, next: items.length === q.limit ? items[items.length - 1].ts : null };
  }

  orders(runId: number, q: PageQuery): Page<Record<string, unknown> & { id: number }> {
    this.checkMarket(runId, q.market);
    // `market IS coalesce(?, market)`: every market when the query names none
    const total = (
      this.db
        .prepare('SELECT count(*) AS n FROM trading_orders WHERE run_id = ? AND market IS coalesce(?, market)')
        .get(runId, q.market ?? null) as { n: number }
    ).n;
    const items = this.db
      .prepare(
        `SELECT id, market, decision_ts AS decisionTs, side, quantity, status,
         exchange_id AS exchangeId, reason, created_at AS createdAt
         FROM trading_orders WHERE run_id = ? AND market IS coalesce(?, market) AND id < ? ORDER BY id DESC LIMIT ?`,
      )
      .all(runId, q.market ?? null, q.before ?? MAX_CURSOR, q.limit) as (Record<string, unknown> & { id: number })[];
    return { total, items, next: items.length === q.limit ? items[items.length - 1].id : null };
  }

  fills(runId: number, q: PageQuery): Page<Record<string, unknown> & { orderId: number }> {
    this.checkMarket(runId, q.market);
    const from = 'FROM trading_fills f JOIN trading_orders o ON o.id = f.order_id';
    const where = 'f.run_id = ? AND o.market IS coalesce(?, o.market)';
    const total = (
      this.db.prepare(`SELECT count(*) AS n ${from} WHERE ${where}`).get(runId, q.market ?? null) as { n: number }
    ).n;
    const items = this.db
      .prepare(
        `SELECT f.order_id AS orderId, o.market, f.ts, f.side, f.price, f.units, f.value, f.fee ${from}
         WHERE ${where} AND f.order_id < ? ORDER BY f.order_id DESC LIMIT ?`,
      )
      .all(runId, q.market ?? null, q.before ?? MAX_CURSOR, q.limit) as (Record<string, unknown> & {
      orderId: number;
    })[];
    return { total, items, next: items.length === q.limit ? items[items.length - 1].orderId : null };
  }

  /**
   * Equity points in [from, to], the newest `limit` of them, oldest first, with buy-and-hold beside them and the
   * drawdown from the run's running peak (the rows before the window count: a long run's window starts below it).
   */
  equity(runId: number, q: { from?: number; to?: number; limit: number }): EquityPoint[] | PortfolioEquityPoint[] {
    const run = this.db
      .prepare('SELECT start_price, initial_balance, account FROM trading_runs WHERE id = ?')
      .get(runId) as { start_price: number | null; initial_balance: number; account: string } | undefined;
    if (!run) return [];
    const acctInitial = (JSON.parse(run.account) as { initialBalance?: number }).initialBalance ?? 0;
    const initial = acctInitial > 0 ? acctInitial : run.initial_balance;
    const rows = this.db
      .prepare(
        `SELECT ts, cash, units, price, equity FROM trading_equity WHERE run_id = ? AND ts >= ? AND ts <= ?
         ORDER BY ts DESC LIMIT ?`,
      )
      .all(runId, q.from ?? 0, q.to ?? MAX_CURSOR, q.limit) as Omit<EquityPoint, 'buyHold' | 'drawdown'>[];
    const start = run.start_price;
    rows.reverse();
    const drawdown = this.drawdowns(runId, rows);
    const markets = portfolioMarkets(this.db, runId);
    if (markets) {
      // a portfolio's equity rows carry no single price: value and cash, beside equal weights held
      const hold = equalWeightHold(
        this.db,
        runId,
        markets,
        initial,
        rows.map((r) => r.ts),
      );
      return rows.map((r, i) => ({
        ts: r.ts,
        equity: r.equity,
        cash: r.cash,
        buyHold: hold.get(r.ts) ?? null,
        drawdown: drawdown[i],
      }));
    }
    return rows.map((r, i) => ({ ...r, buyHold: start ? (initial * r.price) / start : null, drawdown: drawdown[i] }));
  }

  /** Each row's equity over the run's highest equity up to it, less 1, the rows before the first counted. */
  private drawdowns(runId: number, rows: { ts: number; equity: number }[]): number[] {
    if (rows.length === 0) return [];
    const before = this.db
      .prepare('SELECT max(equity) AS peak FROM trading_equity WHERE run_id = ? AND ts < ?')
      .get(runId, rows[0].ts) as { peak: number | null };
    let peak = before.peak ?? -Infinity;
    return rows.map((r) => {
      peak = Math.max(peak, r.equity);
      return peak > 0 ? r.equity / peak - 1 : 0;
    });
  }

  /**
   * `limit` candles of the run's market (a portfolio run: `market`, default its first) ending at `to` (default: the
   * newest stored), with that market's fills in them.
   */
  candles(runId: number, q: { to?: number; limit: number; market?: string }): CandleWindow | undefined {
    const row = this.db.prepare('SELECT exchange, symbol, timeframe FROM trading_runs WHERE id = ?').get(runId) as
      { exchange: string; symbol: string; timeframe: string } | undefined;
    if (!row) return undefined;
    this.checkMarket(runId, q.market);
    const run = { ...row, symbol: q.market ?? this.marketsOf(runId).markets[0] };
    const candles = (
      this.db
        .prepare(
          `SELECT ts, open, high, low, close, volume FROM candles WHERE exchange = ? AND symbol = ? AND timeframe = ?
           AND ts <= ? ORDER BY ts DESC LIMIT ?`,
        )
        .all(run.exchange, run.symbol, run.timeframe, q.to ?? MAX_CURSOR, q.limit) as CandleWindow['candles']
    ).reverse();
    const markers =
      candles.length === 0
        ? []
        : (this.db
            .prepare(
              `SELECT f.ts, f.side, f.price, f.units FROM trading_fills f JOIN trading_orders o ON o.id = f.order_id
               WHERE f.run_id = ? AND o.market = ? AND f.ts >= ? AND f.ts < ? ORDER BY f.ts, f.order_id`,
            )
            .all(
              runId,
              run.symbol,
              candles[0].ts,
              candles[candles.length - 1].ts + timeframeMs(run.timeframe),
            ) as CandleWindow['markers']);
    return { ...run, candles, markers };
  }

  /**
   * The newest retrains with their verdicts: the holdout and this challenger's place among those judged on it, a
   * schedule's or `--retry-holdout`'s part, the costs the verdict named, whether the row was closed after its process
   * was killed, when a winner refused after earlier losers may be promoted (src/trading/holdout-trials.ts), and how
   * challenger and champion traded on the holdout (fills, share of candles in a position). `baseline` names what
   * `buyHoldScore` measured: buy-and-hold for one market, a portfolio's equal weights (rebalanced every K).
   */
  retrains(limit: number): Record<string, unknown>[] {
    const rows = this.db
      .prepare(
        `SELECT id, started_at AS startedAt, finished_at AS finishedAt, exchange, symbol, timeframe, strategy,
         model_dir AS modelDir, champion_version AS championVersion, challenger_version AS challengerVersion,
         champion_score AS championScore, challenger_score AS challengerScore, buy_hold_score AS buyHoldScore,
         baseline, outcome, reason, holdout_from AS holdoutFrom, holdout_to AS holdoutTo, holdout_trial AS holdoutTrial,
         scheduled, retry_holdout AS retryHoldout, costs, killed, free_from AS freeFrom,
         challenger_trades AS challengerTrades, challenger_exposure AS challengerExposure,
         champion_trades AS championTrades, champion_exposure AS championExposure
         FROM trading_retrains ORDER BY id DESC LIMIT ?`,
      )
      .all(limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      ...r,
      scheduled: r.scheduled === 1,
      retryHoldout: r.retryHoldout === 1,
      killed: r.killed === 1,
    }));
  }

  commands(runId: number, limit: number): CommandRow[] {
    return listCommands(this.db, runId, limit);
  }
}

/**
 * What the dashboard reads from the traders' SQLite file, on a read-only connection (WAL: a reader never blocks a
 * tick, and cannot write by mistake). Pages are keyset-paged (`before` a cursor, newest first), so the 100,000th
 * decision costs what the first does. Every query is parameterised.
 */
import type Database from 'better-sqlite3';
import { timeframeMs } from '../data/timeframe.ts';
import { listCommands, type CommandRow } from '../trading/commands.ts';
import { RunRepository } from '../trading/run-repository.ts';
import { runStatus, type RunStatus } from '../trading/status.ts';

interface RunSummary extends RunStatus {
  /** The newest equity values (oldest first), for a sparkline. */
  spark: number[];
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
}

interface DecisionItem {
  ts: number;
  action: string;
  confidence: number;
  price: number;
  policy: string;
  modelVersion: string | null;
  decidedAt: number;
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
}

const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

export class DashboardReader {
  private readonly db: Database.Database;
  private readonly repo: RunRepository;
  private readonly tickDelaySeconds: number;

  constructor(db: Database.Database, tickDelaySeconds: number) {
    this.db = db;
    this.repo = new RunRepository(db);
    this.tickDelaySeconds = tickDelaySeconds;
  }

  runIds(): number[] {
    return (this.db.prepare('SELECT id FROM trading_runs ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  }

  run(id: number, now: number, decisions = 5): RunSummary | undefined {
    const state = this.repo.list().find((r) => r.id === id);
    if (!state) return undefined;
    const status = runStatus(this.repo, state, now, decisions, this.tickDelaySeconds);
    if (!status) return undefined;
    const spark = (
      this.db.prepare('SELECT equity FROM trading_equity WHERE run_id = ? ORDER BY ts DESC LIMIT 60').all(id) as {
        equity: number;
      }[]
    )
      .map((r) => r.equity)
      .reverse();
    return { ...status, spark };
  }

  runs(now: number): RunSummary[] {
    return this.runIds()
      .map((id) => this.run(id, now, 1))
      .filter((r): r is RunSummary => r !== undefined);
  }

  decisions(runId: number, q: PageQuery): Page<DecisionItem> {
    const total = this.repo.decisionCount(runId);
    const items = this.db
      .prepare(
        `SELECT ts, action, confidence, price, policy, model_version AS modelVersion, decided_at AS decidedAt
         FROM trading_decisions WHERE run_id = ? AND ts < ? ORDER BY ts DESC LIMIT ?`,
      )
      .all(runId, q.before ?? MAX_CURSOR, q.limit) as DecisionItem[];
    return { total, items, next: items.length === q.limit ? items[items.length - 1].ts : null };
  }

  orders(runId: number, q: PageQuery): Page<Record<string, unknown> & { id: number }> {
    const total = (
      this.db.prepare('SELECT count(*) AS n FROM trading_orders WHERE run_id = ?').get(runId) as { n: number }
    ).n;
    const items = this.db
      .prepare(
        `SELECT id, decision_ts AS decisionTs, side, quantity, status,
         exchange_id AS exchangeId, reason, created_at AS createdAt
         FROM trading_orders WHERE run_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
      )
      .all(runId, q.before ?? MAX_CURSOR, q.limit) as (Record<string, unknown> & { id: number })[];
    return { total, items, next: items.length === q.limit ? items[items.length - 1].id : null };
  }

  fills(runId: number, q: PageQuery): Page<Record<string, unknown> & { orderId: number }> {
    const total = (
      this.db.prepare('SELECT count(*) AS n FROM trading_fills WHERE run_id = ?').get(runId) as { n: number }
    ).n;
    const items = this.db
      .prepare(
        `SELECT order_id AS orderId, ts, side, price, units, value, fee FROM trading_fills
         WHERE run_id = ? AND order_id < ? ORDER BY order_id DESC LIMIT ?`,
      )
      .all(runId, q.before ?? MAX_CURSOR, q.limit) as (Record<string, unknown> & { orderId: number })[];
    return { total, items, next: items.length === q.limit ? items[items.length - 1].orderId : null };
  }

  /** Equity points in [from, to], the newest `limit` of them, oldest first, with buy-and-hold beside them. */
  equity(runId: number, q: { from?: number; to?: number; limit: number }): EquityPoint[] {
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
      .all(runId, q.from ?? 0, q.to ?? MAX_CURSOR, q.limit) as Omit<EquityPoint, 'buyHold'>[];
    const start = run.start_price;
    return rows.reverse().map((r) => ({ ...r, buyHold: start ? (initial * r.price) / start : null }));
  }

  /** `limit` candles of the run's market ending at `to` (default: the newest stored), with the fills in them. */
  candles(runId: number, q: { to?: number; limit: number }): CandleWindow | undefined {
    const run = this.db.prepare('SELECT exchange, symbol, timeframe FROM trading_runs WHERE id = ?').get(runId) as
      { exchange: string; symbol: string; timeframe: string } | undefined;
    if (!run) return undefined;
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
              `SELECT ts, side, price, units FROM trading_fills WHERE
                run_id = ? AND ts >= ? AND ts < ? ORDER BY ts, order_id`,
            )
            .all(
              runId,
              candles[0].ts,
              candles[candles.length - 1].ts + timeframeMs(run.timeframe),
            ) as CandleWindow['markers']);
    return { ...run, candles, markers };
  }

  retrains(limit: number): Record<string, unknown>[] {
    return this.db
      .prepare(
        `SELECT id, started_at AS startedAt, finished_at AS finishedAt, exchange, symbol, timeframe, strategy,
         model_dir AS modelDir, champion_version AS championVersion, challenger_version AS challengerVersion,
         champion_score AS championScore, challenger_score AS challengerScore, buy_hold_score AS buyHoldScore,
         outcome, reason FROM trading_retrains ORDER BY id DESC LIMIT ?`,
      )
      .all(limit) as Record<string, unknown>[];
  }

  commands(runId: number, limit: number): CommandRow[] {
    return listCommands(this.db, runId, limit);
  }
}

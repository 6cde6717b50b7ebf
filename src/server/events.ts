/**
 * Events from the traders' database (issue 15): new decisions, fills, halts and pauses, commands and finished
 * retrains (promotions), found by polling cheaply: `PRAGMA data_version` says whether another connection committed
 * since the last look, and only then a few indexed queries read what is newer than the last ids and times seen.
 * The server pushes them over server-sent events; the trader process turns some into notifications.
 */
import type Database from 'better-sqlite3';

interface RetrainEvent {
  type: 'retrain' | 'promotion';
  id: number;
  modelDir: string;
  outcome: string;
  reason: string | null;
  championVersion: string | null;
  challengerVersion: string | null;
  challengerScore: number | null;
  championScore: number | null;
  /** Fills and share of candles in a position on the holdout (null: a row from before they were recorded). */
  challengerTrades: number | null;
  challengerExposure: number | null;
  championTrades: number | null;
  championExposure: number | null;
}

export type DashboardEvent =
  | {
      type: 'decision';
      runId: number;
      ts: number;
      action: string;
      confidence: number;
      price: number;
      modelVersion: string | null;
    }
  | {
      type: 'fill';
      runId: number;
      orderId: number;
      /** The market filled (a portfolio run trades several; issue 14). */
      market: string;
      ts: number;
      side: string;
      price: number;
      units: number;
      value: number;
      fee: number;
    }
  | { type: 'halt'; runId: number; reason: string }
  | { type: 'halt-cleared'; runId: number }
  | { type: 'pause'; runId: number; by: string }
  | { type: 'resume'; runId: number }
  | {
      type: 'command';
      runId: number;
      id: number;
      kind: string;
      status: string;
      requestedBy: string;
      note: string | null;
    }
  | { type: 'run'; runId: number; name: string; mode: string }
  | RetrainEvent;

interface RunMark {
  lastTs: number | null;
  halted: string | null;
  paused: string | null;
}

/** Decisions carried by one poll per run at most (a long catch-up shows as its newest rows). */
const MAX_DECISIONS = 200;

export class DbWatcher {
  private readonly db: Database.Database;
  /** Only this run's rows (a trader process watching its own run); undefined: every run. */
  private readonly runId: number | undefined;
  private version = -1;
  private runs = new Map<number, RunMark>();
  private lastFill = 0;
  /** Orders up to lastFill without a fill yet that may still get one. */
  private openOrders = new Set<number>();
  private lastCommand = 0;
  private openCommands = new Set<number>();
  private lastRetrain = 0;
  private openRetrains = new Set<number>();

  /**
   * Everything already in the database is the starting point, not news; with `runIsNew` (a watcher started after a
   * new run's first tick) that run's own rows are news all the same, while older retrains still are not.
   */
  constructor(db: Database.Database, runId?: number, runIsNew = false) {
    this.db = db;
    this.runId = runId;
    this.poll();
    if (runIsNew && runId !== undefined) {
      this.runs.delete(runId);
      this.lastFill = 0;
      this.openOrders.clear();
      this.lastCommand = 0;
      this.openCommands.clear();
      this.version = -2; // the next poll reads again
    }
  }

  /** What changed since the last call (nothing, cheaply, when no other connection has committed). */
  poll(): DashboardEvent[] {
    const version = this.db.pragma('data_version', { simple: true }) as number;
    const first = this.version === -1;
    const wasNewRun = this.version === -2;
    if (version === this.version) return [];
    this.version = version;
    const events: DashboardEvent[] = [];
    this.pollRuns(events, first && !wasNewRun);
    this.pollFills(events);
    this.pollCommands(events);
    this.pollRetrains(events);
    return first ? [] : events;
  }

  private pollRuns(events: DashboardEvent[], first: boolean): void {
    const rows = this.db
      .prepare(
        `SELECT id, name, mode, last_ts AS lastTs, halted, paused
         FROM trading_runs ${this.runId !== undefined ? 'WHERE id = ?' : ''}`,
      )
      .all(...(this.runId !== undefined ? [this.runId] : [])) as (RunMark & {
      id: number;
      name: string;
      mode: string;
    })[];
    for (const r of rows) {
      const prev = this.runs.get(r.id);
      this.runs.set(r.id, { lastTs: r.lastTs, halted: r.halted, paused: r.paused });
      if (first) continue;
      if (!prev) events.push({ type: 'run', runId: r.id, name: r.name, mode: r.mode });
      if (r.lastTs !== null && r.lastTs !== prev?.lastTs) {
        const rows = this.db
          .prepare(
            `SELECT ts, action, confidence, price, model_version AS modelVersion FROM trading_decisions
             WHERE run_id = ? AND ts > ? ORDER BY ts DESC LIMIT ?`,
          )
          .all(r.id, prev?.lastTs ?? -1, MAX_DECISIONS) as Omit<
          Extract<DashboardEvent, { type: 'decision' }>,
          'type' | 'runId'
        >[];
        for (const d of rows.reverse()) events.push({ type: 'decision', runId: r.id, ...d });
      }
      if (r.halted && r.halted !== prev?.halted) events.push({ type: 'halt', runId: r.id, reason: r.halted });
      if (!r.halted && prev?.halted) events.push({ type: 'halt-cleared', runId: r.id });
      if (r.paused && r.paused !== prev?.paused) events.push({ type: 'pause', runId: r.id, by: r.paused });
      if (!r.paused && prev?.paused) events.push({ type: 'resume', runId: r.id });
    }
  }

  /**
   * Fills of orders newer than any seen, and of the older orders still open when last read: a fill can be booked
   * after a later order's (a live order whose outcome was unknown settles at a later tick while newer orders fill),
   * and the fills table is keyed by order id, so its rowid gives no booking order to follow.
   */
  private pollFills(events: DashboardEvent[]): void {
    const run = this.runId !== undefined ? [this.runId] : [];
    const byRun = (col: string) => (this.runId !== undefined ? `AND ${col} = ?` : '');
    // one snapshot: a fill committed between the two reads is either read now or its order is still open
    this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT f.order_id AS orderId, f.run_id AS runId, coalesce(o.market, '') AS market, f.ts, f.side, f.price,
             f.units, f.value, f.fee
           FROM trading_fills f LEFT JOIN trading_orders o ON o.id = f.order_id
           WHERE (f.order_id > ? OR f.order_id IN (SELECT value FROM json_each(?))) ${byRun('f.run_id')}
           ORDER BY f.order_id`,
        )
        .all(this.lastFill, JSON.stringify([...this.openOrders]), ...run) as Omit<
        Extract<DashboardEvent, { type: 'fill' }>,
        'type'
      >[];
      for (const f of rows) {
        events.push({ type: 'fill', ...f });
        this.lastFill = Math.max(this.lastFill, f.orderId);
      }
      // a fill is written before its order leaves pending or submitting, so no other order can still get one
      const open = this.db
        .prepare(
          `SELECT o.id FROM trading_orders o WHERE o.id <= ? AND o.status IN ('pending', 'submitting')
           AND NOT EXISTS (SELECT 1 FROM trading_fills f WHERE f.order_id = o.id) ${byRun('o.run_id')}`,
        )
        .all(this.lastFill, ...run) as { id: number }[];
      this.openOrders = new Set(open.map((o) => o.id));
    })();
  }

  private pollCommands(events: DashboardEvent[]): void {
    const open = [...this.openCommands];
    const rows = this.db
      .prepare(
        `SELECT id, run_id AS runId, kind, status, requested_by AS requestedBy, note FROM trading_commands
         WHERE (id > ? OR id IN (SELECT value FROM json_each(?)))
         ${this.runId !== undefined ? 'AND run_id = ?' : ''} ORDER BY id`,
      )
      .all(this.lastCommand, JSON.stringify(open), ...(this.runId !== undefined ? [this.runId] : [])) as Omit<
      Extract<DashboardEvent, { type: 'command' }>,
      'type'
    >[];
    for (const c of rows) {
      const known = c.id <= this.lastCommand;
      this.lastCommand = Math.max(this.lastCommand, c.id);
      if (c.status === 'pending') this.openCommands.add(c.id);
      else this.openCommands.delete(c.id);
      if (!known || c.status !== 'pending') events.push({ type: 'command', ...c });
    }
  }

  private pollRetrains(events: DashboardEvent[]): void {
    const open = [...this.openRetrains];
    const rows = this.db
      .prepare(
        `SELECT id, model_dir AS modelDir, outcome, reason, champion_version AS championVersion,
         challenger_version AS challengerVersion, challenger_score AS challengerScore, champion_score AS championScore,
         challenger_trades AS challengerTrades, challenger_exposure AS challengerExposure,
         champion_trades AS championTrades, champion_exposure AS championExposure,
         finished_at AS finishedAt FROM trading_retrains
         WHERE id > ? OR id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      )
      .all(this.lastRetrain, JSON.stringify(open)) as (Omit<RetrainEvent, 'type'> & {
      finishedAt: number | null;
    })[];
    for (const { finishedAt, ...r } of rows) {
      this.lastRetrain = Math.max(this.lastRetrain, r.id);
      if (finishedAt === null) {
        this.openRetrains.add(r.id);
        continue;
      }
      this.openRetrains.delete(r.id);
      events.push({ type: r.outcome === 'promoted' ? 'promotion' : 'retrain', ...r });
    }
  }
}

/** The trading runs' state in SQLite: runs, decisions, trades, equity and orders (RunRepository). */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Decision } from '../core/policy.ts';
import { ensureTradingSchema } from './db.ts';
import type { AccountState } from '../market/account.ts';
import type {
  FillRecord,
  PendingOrder,
  PortfolioRunState,
  RunKey,
  RunSettings,
  RunState,
  TradingMode,
  VersionRefusalRecord,
} from './types.ts';

interface RunRow {
  id: number;
  mode: TradingMode;
  name: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  policy: string;
  created_at: number;
  history_from: number;
  start_ts: number;
  start_price: number | null;
  initial_balance: number;
  account: string;
  pending: string | null;
  last_ts: number | null;
  model_version: string | null;
  model_refusal: string | null;
  halted: string | null;
  paused: string | null;
  portfolio: string | null;
  ended_at: number | null;
  order_nonce: string | null;
  settings: string | null;
  model_home: string | null;
}

function fromRow(r: RunRow): RunState {
  return {
    id: r.id,
    mode: r.mode,
    name: r.name,
    exchange: r.exchange,
    symbol: r.symbol,
    timeframe: r.timeframe,
    policy: r.policy,
    createdAt: r.created_at,
    historyFrom: r.history_from,
    startTs: r.start_ts,
    startPrice: r.start_price ?? undefined,
    initialBalance: r.initial_balance,
    account: JSON.parse(r.account) as AccountState,
    pending: r.pending ? (JSON.parse(r.pending) as PendingOrder) : undefined,
    lastTs: r.last_ts ?? undefined,
    modelVersion: r.model_version ?? undefined,
    modelRefusal: r.model_refusal ? (JSON.parse(r.model_refusal) as VersionRefusalRecord) : undefined,
    halted: r.halted ?? undefined,
    paused: r.paused ?? undefined,
    endedAt: r.ended_at ?? undefined,
    orderNonce: r.order_nonce ?? undefined,
    portfolio: r.portfolio ? (JSON.parse(r.portfolio) as PortfolioRunState) : undefined,
    settings: r.settings ? (JSON.parse(r.settings) as RunSettings) : undefined,
    modelHome: r.model_home ?? undefined,
  };
}

interface DecisionRow {
  ts: number;
  action: string;
  confidence: number;
  price: number;
  policy: string;
  modelVersion: string | null;
  decidedAt: number;
}

interface TradeRow {
  orderId: number;
  /** The market it traded (a single-market run's rows carry the run's symbol). */
  market: string;
  decisionTs: number;
  ts: number;
  side: 'buy' | 'sell';
  price: number;
  units: number;
  value: number;
  fee: number;
}

interface EquityRow {
  ts: number;
  cash: number;
  units: number;
  price: number;
  equity: number;
  /** A live run: the quote-currency value taken out of it so far for funds the exchange no longer held. */
  withdrawn?: number;
}

interface PositionRow {
  market: string;
  units: number;
  /** The close it is valued at (its last close when it had no candle at that time). */
  price: number;
  /** Its share of the portfolio value. */
  weight: number;
}

interface OrderRow {
  id: number;
  market: string;
  decisionTs: number;
  side: 'buy' | 'sell';
  quantity: number;
  status: 'pending' | 'submitting' | 'filled' | 'skipped' | 'rejected' | 'cancelled';
  exchangeId: string | null;
  reason: string | null;
  /** The client order id a live order was sent under (null: paper, or a live order from before schema 4). */
  clientId: string | null;
  /** When the order row was written, on the run's clock: a live order is sent right after. */
  createdAt: number;
  /** What proved the exchange has a live order not found yet (a resend refused for its id), or null. */
  existsProof: string | null;
  /** When a look-up first missed a live order left `submitting` (the look-up's time, OrderDesk.lookUp), or null. */
  missingSince: number | null;
}

/** A run's markets as a set: a portfolio's `A,B` and `B,A` are one run (one market: itself). */
const marketSet = (symbol: string): string => symbol.split(',').sort().join(',');

/**
 * The stored row of the run under `key` in `db`, if any. A portfolio's markets are compared as a set: the same
 * markets named in another order (--symbols B,A beside a run over A,B) started a second run of that name on them.
 */
function findRow(db: Database.Database, key: RunKey): RunRow | undefined {
  const rows = db
    .prepare('SELECT * FROM trading_runs WHERE mode = ? AND name = ? AND exchange = ? AND timeframe = ? ORDER BY id')
    .all(key.mode, key.name, key.exchange, key.timeframe) as RunRow[];
  const want = marketSet(key.symbol);
  return rows.find((r) => r.symbol === key.symbol) ?? rows.find((r) => marketSet(r.symbol) === want);
}

/** `read` on the database `file` opened read-only (no file made, no schema written); undefined when it cannot be. */
function readStored<T>(file: string, read: (db: Database.Database) => T): T | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return read(db);
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

const hasRuns = (db: Database.Database): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trading_runs'").get() !== undefined;

/**
 * The run stored under `key` in the database `file` (its markets as a set, findRow), read without writing: a
 * portfolio start takes its market order and started settings before the policy loads. Undefined: none, or the file
 * cannot be read so (the session's own checks find the run once the file is opened).
 */
export function storedRun(file: string, key: RunKey): RunState | undefined {
  if (!existsSync(file)) return undefined;
  return readStored(file, (db) => {
    const row = hasRuns(db) ? findRow(db, key) : undefined;
    return row && fromRow(row);
  });
}

/**
 * Whether the database `file` holds a run under `key`, read without writing (no file made, no schema written): a
 * start's checks of a new run come before the database is opened. Undefined when it cannot be read so (not a
 * database, a schema without runs' keys): opening it says why, and the start's checks run after it.
 */
export function runStored(file: string, key: RunKey): boolean | undefined {
  if (!existsSync(file)) return false;
  return readStored(file, (db) => hasRuns(db) && findRow(db, key) !== undefined);
}

/** Reads and writes trading state. Every method is synchronous, so a tick can run them inside one transaction. */
export class RunRepository {
  readonly db: Database.Database;

  /** The exchange account a live run created here trades (account-claims.ts); absent: none recorded. */
  private readonly accountKey: string | undefined;

  constructor(db: Database.Database, o: { accountKey?: string } = {}) {
    this.db = db;
    this.accountKey = o.accountKey;
    ensureTradingSchema(db);
  }

  /** Records that the live run `key` trades the account `accountKey` (its claim, until the run is removed). */
  claimAccount(key: RunKey, accountKey: string): void {
    this.db
      .prepare(
        `UPDATE trading_runs SET account_key = ?
         WHERE mode = 'live' AND name = ? AND exchange = ? AND symbol = ? AND timeframe = ?`,
      )
      .run(accountKey, key.name, key.exchange, key.symbol, key.timeframe);
  }

  /**
   * Ends the run for good at `at` (`--end`): its rows stay for status and reports, its account claim is released
   * (account-claims.ts), and `pending` orders (a paper run's, waiting for an open it will not trade) are cancelled.
   */
  end(id: number, at: number): void {
    this.db
      .transaction(() => {
        this.db
          .prepare(
            `UPDATE trading_orders SET status = 'cancelled', reason = 'run ended'
             WHERE run_id = ? AND status = 'pending'`,
          )
          .run(id);
        const run = this.get(id);
        const portfolio = run.portfolio ? { ...run.portfolio, pending: undefined } : undefined;
        this.saveState({ ...run, pending: undefined, portfolio });
        this.db.prepare('UPDATE trading_runs SET ended_at = ?, account_key = NULL WHERE id = ?').run(at, id);
      })
      .immediate();
  }

  find(key: RunKey): RunState | undefined {
    const r = findRow(this.db, key);
    return r ? fromRow(r) : undefined;
  }

  get(id: number): RunState {
    const r = this.db.prepare('SELECT * FROM trading_runs WHERE id = ?').get(id) as RunRow | undefined;
    if (!r) throw new Error(`trading run ${id} does not exist`);
    return fromRow(r);
  }

  list(): RunState[] {
    return (this.db.prepare('SELECT * FROM trading_runs ORDER BY id').all() as RunRow[]).map(fromRow);
  }

  create(
    key: RunKey,
    init: {
      policy: string;
      historyFrom: number;
      startTs: number;
      initialBalance: number;
      account: AccountState;
      now: number;
      /** A portfolio run's N-market account (issue 14). */
      portfolio?: PortfolioRunState;
      /** The run-defining flags it starts with (run-settings.ts). */
      settings?: RunSettings;
      /** A model run's home by its real path (RunState.modelHome). */
      modelHome?: string;
    },
  ): RunState {
    const info = this.db
      .prepare(
        `INSERT INTO trading_runs (mode, name, exchange, symbol, timeframe, policy, created_at, history_from, start_ts,
           initial_balance, account, portfolio, account_key, order_nonce, settings, model_home)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        key.mode,
        key.name,
        key.exchange,
        key.symbol,
        key.timeframe,
        init.policy,
        init.now,
        init.historyFrom,
        init.startTs,
        init.initialBalance,
        JSON.stringify(init.account),
        init.portfolio ? JSON.stringify(init.portfolio) : null,
        key.mode === 'live' ? (this.accountKey ?? null) : null,
        // 40 random bits: two runs' client order ids differ whatever their ids, databases and clocks (orderIdPrefix)
        randomBytes(5).toString('hex'),
        init.settings ? JSON.stringify(init.settings) : null,
        init.modelHome ?? null,
      );
    return this.get(Number(info.lastInsertRowid));
  }

  /** Records the real path of the home a model run serves (RunState.modelHome), as a process opening it has it. */
  setModelHome(id: number, home: string): void {
    this.db.prepare('UPDATE trading_runs SET model_home = ? WHERE id = ?').run(home, id);
  }

  /** Deletes a run and everything it recorded. */
  remove(id: number): void {
    const tx = this.db.transaction(() => {
      for (const table of [
        'trading_fills',
        'trading_orders',
        'trading_decisions',
        'trading_equity',
        'trading_commands',
        'trading_positions',
      ]) {
        this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(id);
      }
      this.db.prepare('DELETE FROM trading_runs WHERE id = ?').run(id);
    });
    tx.immediate(); // the write lock up front, as every writer to the shared file takes it (src/data/store.ts)
  }

  saveState(run: RunState): void {
    this.db
      .prepare(
        `UPDATE trading_runs SET account = ?, pending = ?, last_ts = ?, model_version = ?, start_price = ?, halted = ?,
           paused = ?, portfolio = ?, model_refusal = ?
         WHERE id = ?`,
      )
      .run(
        JSON.stringify(run.account),
        run.pending ? JSON.stringify(run.pending) : null,
        run.lastTs ?? null,
        run.modelVersion ?? null,
        run.startPrice ?? null,
        run.halted ?? null,
        run.paused ?? null,
        run.portfolio ? JSON.stringify(run.portfolio) : null,
        run.modelRefusal ? JSON.stringify(run.modelRefusal) : null,
        run.id,
      );
  }

  /**
   * Records the data fault a tick of the run failed on (its line), at `at` on the run's clock; a fault already recorded
   * keeps its first time (the fault is ongoing). `undefined` clears it: a tick succeeded.
   */
  setDataFault(runId: number, fault: string | undefined, at: number): void {
    this.db
      .prepare(
        `UPDATE trading_runs SET data_fault = ?,
           data_fault_since = CASE WHEN ? IS NULL THEN NULL ELSE coalesce(data_fault_since, ?) END
         WHERE id = ?`,
      )
      .run(fault ?? null, fault ?? null, at, runId);
  }

  /** The data fault the run's last tick failed on and since when (setDataFault); undefined while its ticks succeed. */
  dataFault(runId: number): { fault: string; since: number } | undefined {
    const row = this.db
      .prepare('SELECT data_fault AS fault, data_fault_since AS since FROM trading_runs WHERE id = ?')
      .get(runId) as { fault: string | null; since: number | null } | undefined;
    return row?.fault != null && row.since != null ? { fault: row.fault, since: row.since } : undefined;
  }

  /** The value a run starts from, for P&L (a live run trades what the exchange holds, up to the configured balance). */
  setInitialBalance(runId: number, value: number): void {
    this.db.prepare('UPDATE trading_runs SET initial_balance = ? WHERE id = ?').run(value, runId);
  }

  /** Inserts the decision for a candle; throws on a second decision for the same candle (the idempotency key). */
  insertDecision(
    runId: number,
    ts: number,
    d: Pick<Decision, 'confidence'> & { action: Decision['action'] | 'rebalance' | 'keep' },
    price: number,
    policy: string,
    modelVersion: string | undefined,
    now: number,
    /** A portfolio decision's target weights (undefined: a single-market decision or "keep what is held"). */
    targets?: readonly number[],
  ): void {
    this.db
      .prepare(
        `INSERT INTO trading_decisions
           (run_id, ts, action, confidence, price, policy, model_version, decided_at, targets)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        runId,
        ts,
        d.action,
        d.confidence,
        price,
        policy,
        modelVersion ?? null,
        now,
        targets ? JSON.stringify(targets) : null,
      );
  }

  insertOrder(
    runId: number,
    decisionTs: number,
    side: 'buy' | 'sell',
    quantity: number,
    status: OrderRow['status'],
    now: number,
    /** The market of a portfolio order (default: the run's symbol). */
    market?: string,
    /** A live order's client order id, written with the row so that a restart looks it up under the id it was sent. */
    clientId?: string,
  ): number {
    const info = this.db
      .prepare(
        `INSERT INTO trading_orders (run_id, decision_ts, market, side, quantity, status, created_at, client_id)
         VALUES (?, ?, coalesce(?, (SELECT symbol FROM trading_runs WHERE id = ?)), ?, ?, ?, ?, ?)`,
      )
      .run(runId, decisionTs, market ?? null, runId, side, quantity, status, now, clientId ?? null);
    return Number(info.lastInsertRowid);
  }

  updateOrder(
    orderId: number,
    status: OrderRow['status'],
    fields: { quantity?: number; exchangeId?: string; reason?: string; existsProof?: string } = {},
  ): void {
    this.db
      .prepare(
        `UPDATE trading_orders SET status = ?, quantity = coalesce(?, quantity),
          exchange_id = coalesce(?, exchange_id), reason = coalesce(?, reason),
          exists_proof = coalesce(?, exists_proof) WHERE id = ?`,
      )
      .run(
        status,
        fields.quantity ?? null,
        fields.exchangeId ?? null,
        fields.reason ?? null,
        fields.existsProof ?? null,
        orderId,
      );
  }

  /** Records when a look-up first missed order `orderId` (kept once set: the grace counts from the first miss). */
  markMissing(orderId: number, since: number): void {
    this.db
      .prepare('UPDATE trading_orders SET missing_since = coalesce(missing_since, ?) WHERE id = ?')
      .run(since, orderId);
  }

  insertFill(runId: number, orderId: number, ts: number, f: FillRecord): void {
    this.db
      .prepare(
        `INSERT INTO trading_fills (order_id, run_id, ts, side,
          price, units, value, fee) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(orderId, runId, ts, f.side, f.price, f.units, f.value, f.fee);
  }

  insertEquity(runId: number, row: EquityRow): void {
    this.db
      .prepare(
        'INSERT INTO trading_equity (run_id, ts, cash, units, price, equity, withdrawn) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(runId, row.ts, row.cash, row.units, row.price, row.equity, row.withdrawn ?? 0);
  }

  decisions(runId: number, limit = -1): DecisionRow[] {
    const rows = this.db
      .prepare(
        `SELECT ts, action, confidence, price, policy, model_version AS modelVersion, decided_at AS decidedAt
         FROM trading_decisions WHERE run_id = ? ORDER BY ts DESC LIMIT ?`,
      )
      .all(runId, limit) as DecisionRow[];
    return rows.reverse();
  }

  /** Decision candle (open time) of the order behind the run's last fill; undefined before its first fill. */
  lastFillDecisionTs(runId: number): number | undefined {
    const row = this.db
      .prepare(
        `SELECT o.decision_ts AS ts FROM trading_fills f JOIN trading_orders o ON o.id = f.order_id
         WHERE f.run_id = ? ORDER BY f.ts DESC, f.order_id DESC LIMIT 1`,
      )
      .get(runId) as { ts: number } | undefined;
    return row?.ts;
  }

  /** The run's fills in execution order: by time, then a time's sells before its buys (their cash pays the buys). */
  trades(runId: number): TradeRow[] {
    return this.db
      .prepare(
        `SELECT f.order_id AS orderId, o.market, o.decision_ts AS decisionTs, f.ts, f.side, f.price, f.units, f.value,
           f.fee
         FROM trading_fills f JOIN trading_orders o ON o.id = f.order_id WHERE f.run_id = ?
         ORDER BY f.ts, f.side = 'buy', f.order_id`,
      )
      .all(runId) as TradeRow[];
  }

  orders(runId: number, status?: OrderRow['status']): OrderRow[] {
    const sql = `SELECT id, market, decision_ts AS decisionTs, side, quantity, status, exchange_id AS exchangeId,
                        reason, client_id AS clientId, created_at AS createdAt, exists_proof AS existsProof,
                        missing_since AS missingSince
                 FROM trading_orders
                 WHERE run_id = ? ${status ? 'AND status = ?' : ''} ORDER BY id`;
    return (status ? this.db.prepare(sql).all(runId, status) : this.db.prepare(sql).all(runId)) as OrderRow[];
  }

  equity(runId: number, limit = -1): EquityRow[] {
    const rows = this.db
      .prepare('SELECT ts, cash, units, price, equity FROM trading_equity WHERE run_id = ? ORDER BY ts DESC LIMIT ?')
      .all(runId, limit) as EquityRow[];
    return rows.reverse();
  }

  /** A portfolio run's holdings at a candle time's close, one row per market. */
  insertPositions(runId: number, ts: number, rows: readonly PositionRow[]): void {
    const stmt = this.db.prepare(
      'INSERT INTO trading_positions (run_id, ts, market, units, price, weight) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const r of rows) stmt.run(runId, ts, r.market, r.units, r.price, r.weight);
  }

  /** The holdings at the newest candle time a portfolio run acted on (empty before its first). */
  lastPositions(runId: number): (PositionRow & { ts: number })[] {
    return this.db
      .prepare(
        `SELECT ts, market, units, price, weight FROM trading_positions
         WHERE run_id = ? AND ts = (SELECT max(ts) FROM trading_positions WHERE run_id = ?) ORDER BY market`,
      )
      .all(runId, runId) as (PositionRow & { ts: number })[];
  }

  /** Target weights of a portfolio run's decisions, oldest first (null: kept what was held). */
  targets(runId: number): { ts: number; targets: number[] | null }[] {
    const rows = this.db
      .prepare('SELECT ts, targets FROM trading_decisions WHERE run_id = ? ORDER BY ts')
      .all(runId) as { ts: number; targets: string | null }[];
    return rows.map((r) => ({ ts: r.ts, targets: r.targets ? (JSON.parse(r.targets) as number[]) : null }));
  }

  decisionCount(runId: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM trading_decisions WHERE run_id = ?').get(runId) as { n: number })
      .n;
  }
}

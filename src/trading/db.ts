/**
 * Trading state lives in the candle store's SQLite file, in tables of its own. The database is the source of truth:
 * one row per run holds the account and the pending order; every acted-on candle leaves exactly one decision row
 * (primary key run + candle time), written in the same transaction as the account change it caused.
 * This file owns the trading tables' schema: ordered migrations, versioned in `schema_versions` under the owner
 * 'trading' (src/data/migrations.ts explains why not `PRAGMA user_version`, which belongs to the candle store).
 */
import type Database from 'better-sqlite3';
import { migrate, type Schema } from '../data/migrations.ts';

/**
 * The lock table (src/trading/lock.ts): part of the first migration, and all a lock file of its own holds (a model
 * home's retrain lock, the per-user live account lock), which must not carry the trading schema's version: a newer
 * bot's migration of a shared lock file made every older one refuse it.
 */
export const LOCKS_TABLE = `CREATE TABLE IF NOT EXISTS trading_locks (
  name        TEXT PRIMARY KEY,
  pid         INTEGER NOT NULL,
  host        TEXT    NOT NULL,
  acquired_at INTEGER NOT NULL,
  heartbeat   INTEGER NOT NULL
) WITHOUT ROWID;`;

/**
 * Append new steps; never edit a released one. Version 1 is the DDL used before versioning (idempotent, so files
 * that already have these tables are adopted as they are).
 */
export const TRADING_SCHEMA: Schema = {
  owner: 'trading',
  slot: 'schema_versions',
  migrations: [
    {
      version: 1,
      name: 'runs, decisions, orders, fills, equity, retrains, locks',
      up: (db) =>
        db.exec(`
CREATE TABLE IF NOT EXISTS trading_runs (
  id              INTEGER PRIMARY KEY,
  mode            TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  exchange        TEXT    NOT NULL,
  symbol          TEXT    NOT NULL,
  timeframe       TEXT    NOT NULL,
  policy          TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  history_from    INTEGER NOT NULL,
  start_ts        INTEGER NOT NULL,
  start_price     REAL,
  initial_balance REAL    NOT NULL,
  account         TEXT    NOT NULL,
  pending         TEXT,
  last_ts         INTEGER,
  model_version   TEXT,
  halted          TEXT,
  UNIQUE (mode, name, exchange, symbol, timeframe)
);
CREATE TABLE IF NOT EXISTS trading_decisions (
  run_id        INTEGER NOT NULL,
  ts            INTEGER NOT NULL,
  action        TEXT    NOT NULL,
  confidence    REAL    NOT NULL,
  price         REAL    NOT NULL,
  policy        TEXT    NOT NULL,
  model_version TEXT,
  decided_at    INTEGER NOT NULL,
  PRIMARY KEY (run_id, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trading_orders (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL,
  decision_ts INTEGER NOT NULL,
  side        TEXT    NOT NULL,
  -- pending buys: cash to spend (fee included); pending sells: units; filled: units traded
  quantity    REAL    NOT NULL,
  status      TEXT    NOT NULL,
  exchange_id TEXT,
  reason      TEXT,
  created_at  INTEGER NOT NULL,
  UNIQUE (run_id, decision_ts)
);
CREATE TABLE IF NOT EXISTS trading_fills (
  order_id INTEGER PRIMARY KEY,
  run_id   INTEGER NOT NULL,
  ts       INTEGER NOT NULL,
  side     TEXT    NOT NULL,
  price    REAL    NOT NULL,
  units    REAL    NOT NULL,
  value    REAL    NOT NULL,
  fee      REAL    NOT NULL
);
CREATE TABLE IF NOT EXISTS trading_equity (
  run_id INTEGER NOT NULL,
  ts     INTEGER NOT NULL,
  cash   REAL    NOT NULL,
  units  REAL    NOT NULL,
  price  REAL    NOT NULL,
  equity REAL    NOT NULL,
  PRIMARY KEY (run_id, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trading_retrains (
  id                 INTEGER PRIMARY KEY,
  started_at         INTEGER NOT NULL,
  finished_at        INTEGER,
  exchange           TEXT    NOT NULL,
  symbol             TEXT    NOT NULL,
  timeframe          TEXT    NOT NULL,
  strategy           TEXT    NOT NULL,
  model_dir          TEXT    NOT NULL,
  champion_version   TEXT,
  challenger_version TEXT,
  champion_score     REAL,
  challenger_score   REAL,
  buy_hold_score     REAL,
  outcome            TEXT    NOT NULL,
  reason             TEXT
);
${LOCKS_TABLE}
`),
    },
    {
      version: 2,
      name: 'control commands from the dashboard (issue 15) and the paused flag',
      // the dashboard only inserts commands; the trader applies them at its next tick and stays the one writer of
      // run state (trading_runs), so a command never races a tick
      up: (db) =>
        db.exec(`
CREATE TABLE trading_commands (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL,
  kind         TEXT    NOT NULL CHECK (kind IN ('pause', 'resume', 'halt', 'clear-halt', 'exit')),
  reason       TEXT,
  requested_by TEXT    NOT NULL,
  requested_at INTEGER NOT NULL,
  -- pending until the trader picks it up; then applied or ignored (with a note saying why)
  status       TEXT    NOT NULL DEFAULT 'pending',
  applied_at   INTEGER,
  note         TEXT
);
CREATE INDEX trading_commands_pending ON trading_commands (run_id, status, id);
ALTER TABLE trading_runs ADD COLUMN paused TEXT;
`),
    },
    {
      version: 3,
      name: 'portfolio runs (issue 14): one account over several markets, orders per market, positions per candle',
      // a portfolio run keeps its N-market account and waiting targets in `portfolio` (the `account` column keeps a
      // cash-only summary for readers that know one market); a decision records the target weights it asked; an
      // order belongs to one market, so the one-order-per-decision key becomes one per decision and market (the
      // table is rebuilt, SQLite cannot change a constraint; existing rows take their run's symbol)
      up: (db) =>
        db.exec(`
ALTER TABLE trading_runs ADD COLUMN portfolio TEXT;
ALTER TABLE trading_decisions ADD COLUMN targets TEXT;
CREATE TABLE trading_orders_v3 (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL,
  decision_ts INTEGER NOT NULL,
  market      TEXT    NOT NULL,
  side        TEXT    NOT NULL,
  quantity    REAL    NOT NULL,
  status      TEXT    NOT NULL,
  exchange_id TEXT,
  reason      TEXT,
  created_at  INTEGER NOT NULL,
  UNIQUE (run_id, decision_ts, market)
);
INSERT INTO trading_orders_v3 (id, run_id, decision_ts, market, side, quantity, status, exchange_id, reason, created_at)
  SELECT o.id, o.run_id, o.decision_ts, coalesce(r.symbol, ''), o.side, o.quantity, o.status, o.exchange_id, o.reason,
         o.created_at
  FROM trading_orders o LEFT JOIN trading_runs r ON r.id = o.run_id;
DROP TABLE trading_orders;
ALTER TABLE trading_orders_v3 RENAME TO trading_orders;
CREATE TABLE trading_positions (
  run_id INTEGER NOT NULL,
  ts     INTEGER NOT NULL,
  market TEXT    NOT NULL,
  units  REAL    NOT NULL,
  price  REAL    NOT NULL,
  weight REAL    NOT NULL,
  PRIMARY KEY (run_id, ts, market)
) WITHOUT ROWID;
`),
    },
    {
      version: 4,
      name: 'the client order id a live order was sent under',
      // ids gained the run's creation time (run ids repeat after --reset); an order left `submitting` is looked up by
      // the id it was sent under, so an in-flight order survives a change of format. Rows from before this step have
      // none: they were sent under the old format, `bot<run>-<candle>[-<market>]` (legacyOrderId)
      up: (db) => db.exec('ALTER TABLE trading_orders ADD COLUMN client_id TEXT;'),
    },
    {
      version: 5,
      name: 'what a live run had taken out for funds the exchange no longer held, per equity snapshot',
      // the daily-loss cap compares equity plus what was taken out, so a withdrawal is not a trading loss
      up: (db) => db.exec('ALTER TABLE trading_equity ADD COLUMN withdrawn REAL NOT NULL DEFAULT 0;'),
    },
    {
      version: 6,
      name: 'the exchange account a live run trades (a hash of the API key, never the key)',
      // a run's claim on its account outlives its process: `--once` runs from cron never overlap, so the lock alone
      // let each new run take the same free cash (src/trading/account-claims.ts)
      up: (db) => db.exec('ALTER TABLE trading_runs ADD COLUMN account_key TEXT;'),
    },
    {
      version: 7,
      name: 'when a run was ended for good (--end)',
      // an ended run keeps its history for status and reports but never trades again, and releases its account claim
      up: (db) => db.exec('ALTER TABLE trading_runs ADD COLUMN ended_at INTEGER;'),
    },
    {
      version: 8,
      name: "a random nonce in each new run's client order ids; a live order's proof that the exchange has it",
      // run ids restart at 1 in every database file and --now fixes the creation time: two runs' ids were the same,
      // and one booked the other's fill. Runs from before keep their old ids (orderIdPrefix), so their orders in
      // flight are still found. `exists_proof`: why an order not found yet must never be written off as never placed
      up: (db) =>
        db.exec(`ALTER TABLE trading_runs ADD COLUMN order_nonce TEXT;
ALTER TABLE trading_orders ADD COLUMN exists_proof TEXT;`),
    },
    {
      version: 9,
      name: 'when a look-up first missed a live order left submitting',
      // the grace before an order not found is written off as never placed counted from when it was sent only, so a
      // run restarted after a longer downtime (cron's hourly --once) wrote one off after a single look-up that missed
      up: (db) => db.exec('ALTER TABLE trading_orders ADD COLUMN missing_since INTEGER;'),
    },
    {
      version: 10,
      name: "an index on a run's fills",
      // every paper and live tick looks up the run's last fill (RunRepository.lastFillDecisionTs: a restarted run's
      // minHold); without it that look-up scanned every run's fills
      up: (db) => db.exec('CREATE INDEX IF NOT EXISTS trading_fills_run ON trading_fills (run_id, ts, order_id);'),
    },
    {
      version: 11,
      name: "a run's ongoing data fault: fetched candles off the stored grid, since when",
      // such a tick stores and decides nothing and the run goes on at its scheduled ticks: bot status showed a healthy
      // run that decided nothing. Set by the failing tick, cleared by the next tick that succeeds (run-holder.ts)
      up: (db) =>
        db.exec(`ALTER TABLE trading_runs ADD COLUMN data_fault TEXT;
ALTER TABLE trading_runs ADD COLUMN data_fault_since INTEGER;`),
    },
    {
      version: 12,
      name: 'the model version a run gave up on',
      // kept only in the process's memory, the give-up was forgotten by a cron'd --once (a process per tick): each
      // tick tried the broken version again, logged it again and fell back again
      up: (db) => db.exec('ALTER TABLE trading_runs ADD COLUMN model_refusal TEXT;'),
    },
    {
      version: 13,
      name: "a retrain's holdout, how many challengers were judged on it before, and whether a schedule ran it",
      // without them a user could retry a retrain (--seed 1…5) on one holdout until a challenger won, and the
      // verdict never said so (src/trading/holdout-trials.ts)
      up: (db) =>
        db.exec(`ALTER TABLE trading_retrains ADD COLUMN holdout_from INTEGER;
ALTER TABLE trading_retrains ADD COLUMN holdout_to INTEGER;
ALTER TABLE trading_retrains ADD COLUMN holdout_trial INTEGER;
ALTER TABLE trading_retrains ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0;`),
    },
    {
      version: 14,
      name: "a retrain's costs, its --retry-holdout, a killed process's close and when a barred holdout is free",
      // the dashboard and the API read them from the row; a row closed after its process was killed said so only in
      // its reason, which the migration reads for the rows before it (src/trading/killed-retrains.ts wrote them)
      up: (db) =>
        db.exec(`ALTER TABLE trading_retrains ADD COLUMN costs TEXT;
ALTER TABLE trading_retrains ADD COLUMN retry_holdout INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trading_retrains ADD COLUMN killed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trading_retrains ADD COLUMN free_from INTEGER;
UPDATE trading_retrains SET killed = 1 WHERE reason LIKE 'killed: its process (pid %'
  OR reason LIKE '%; its process (pid %) ended right after promoting it (CURRENT names it)';`),
    },
    {
      version: 15,
      name: 'the run-defining flags a run started with (--band, --market-costs, --seed)',
      // a resume given other values applied them without a word (a portfolio's band and costs changed mid-run), unlike
      // another --strategy or --balance: they are refused now, and a resume that omits them keeps the stored ones
      up: (db) => db.exec('ALTER TABLE trading_runs ADD COLUMN settings TEXT;'),
    },
    {
      version: 16,
      name: "how a retrain's challenger and champion traded on the holdout (fills, share of candles in a position)",
      // a challenger that never traded won any falling holdout with flat's 0.00%, and nothing showed it
      // (src/trading/retrain.ts, promotionDecision)
      up: (db) =>
        db.exec(`ALTER TABLE trading_retrains ADD COLUMN challenger_trades INTEGER;
ALTER TABLE trading_retrains ADD COLUMN challenger_exposure REAL;
ALTER TABLE trading_retrains ADD COLUMN champion_trades INTEGER;
ALTER TABLE trading_retrains ADD COLUMN champion_exposure REAL;`),
    },
    {
      version: 17,
      name: "the real path of a model run's home",
      // the policy label names the home as the run was given it, often relative to the folder the run started in:
      // `bot status` from another folder read another home, or none, for its `CURRENT is now` note (status.ts)
      up: (db) => db.exec('ALTER TABLE trading_runs ADD COLUMN model_home TEXT;'),
    },
    {
      version: 18,
      name: "what a retrain's baseline score measured (buy-and-hold, or a portfolio's equal weights)",
      // the dashboard labelled every row's `buy_hold_score` buy-and-hold, a portfolio retrain's equal weights too
      // (audit, session 38); the rows before it name the baseline they had, a portfolio's without its period (its
      // symbol joins the markets with commas)
      up: (db) =>
        db.exec(`ALTER TABLE trading_retrains ADD COLUMN baseline TEXT;
UPDATE trading_retrains SET baseline = CASE WHEN symbol LIKE '%,%' THEN 'equal weights' ELSE 'buy-and-hold' END;`),
    },
  ],
};

/** Migrates the trading tables to the current version (a no-op once there); a too-new file is a UserError. */
export function ensureTradingSchema(db: Database.Database): void {
  migrate(db, TRADING_SCHEMA);
}

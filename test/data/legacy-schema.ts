/**
 * Test fixture owning a frozen copy of the database schema as it was before schema versioning: the DDL strings of
 * src/data/store.ts and src/trading/db.ts copied verbatim at commit ae833be (user_version 0, no schema_versions).
 * Frozen: never edit these strings to follow the code; they stand for files users already have on disk.
 * `writeLegacyDatabase` builds such a file with some of every kind of row, the way that code opened it.
 */
import Database from 'better-sqlite3';

/** src/data/store.ts `SCHEMA` at ae833be. */
export const LEGACY_CANDLE_DDL = `
CREATE TABLE IF NOT EXISTS candles (
  exchange  TEXT    NOT NULL,
  symbol    TEXT    NOT NULL,
  timeframe TEXT    NOT NULL,
  ts        INTEGER NOT NULL,
  open      REAL    NOT NULL,
  high      REAL    NOT NULL,
  low       REAL    NOT NULL,
  close     REAL    NOT NULL,
  volume    REAL    NOT NULL,
  PRIMARY KEY (exchange, symbol, timeframe, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS candle_coverage (
  exchange  TEXT    NOT NULL,
  symbol    TEXT    NOT NULL,
  timeframe TEXT    NOT NULL,
  from_ts   INTEGER NOT NULL,
  to_ts     INTEGER NOT NULL,
  PRIMARY KEY (exchange, symbol, timeframe, from_ts)
) WITHOUT ROWID;
`;

/** src/trading/db.ts `SCHEMA` at ae833be. */
export const LEGACY_TRADING_DDL = `
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
CREATE TABLE IF NOT EXISTS trading_locks (
  name        TEXT PRIMARY KEY,
  pid         INTEGER NOT NULL,
  host        TEXT    NOT NULL,
  acquired_at INTEGER NOT NULL,
  heartbeat   INTEGER NOT NULL
) WITHOUT ROWID;
`;

const H = 3_600_000;
const D = 24 * H;
export const T0 = Date.UTC(2024, 0, 1);

export interface LegacyCandle {
  exchange: string;
  symbol: string;
  timeframe: string;
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const candle = (exchange: string, symbol: string, timeframe: string, ts: number, i: number): LegacyCandle => ({
  exchange,
  symbol,
  timeframe,
  ts,
  open: 100 + i,
  high: 110 + i,
  low: 90 + i,
  close: 105 + i,
  volume: 1.5 * i,
});

/** What `writeLegacyDatabase` stores; tests compare what the new code reads against this. */
export const LEGACY = {
  /** upbit BTC/KRW 1h has a hole at hour 3; binance ETH/USDT 1d is complete. */
  candles: [
    ...[0, 1, 2, 4, 5].map((i) => candle('upbit', 'BTC/KRW', '1h', T0 + i * H, i)),
    ...[0, 1, 2].map((i) => candle('binance', 'ETH/USDT', '1d', T0 + i * D, i)),
  ],
  coverage: [
    { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h', from_ts: T0, to_ts: T0 + 6 * H },
    { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1d', from_ts: T0, to_ts: T0 + 3 * D },
  ],
  runs: [
    {
      id: 1,
      mode: 'paper',
      name: 'default',
      exchange: 'upbit',
      symbol: 'BTC/KRW',
      timeframe: '1h',
      policy: 'strategy:sma-cross',
      created_at: T0 + 10 * H,
      history_from: T0,
      start_ts: T0 + 2 * H,
      start_price: 106,
      initial_balance: 1_000_000,
      account: JSON.stringify({
        initialBalance: 1_000_000,
        cash: 0,
        units: 9.4,
        avgBuyPrice: 106,
        avgCost: 106.05,
        feesPaid: 500,
        taxPaid: 0,
        buys: 1,
        sells: 0,
        rejected: { below_min_order: 0, no_cash: 1, no_position: 0, below_precision: 0 },
      }),
      pending: JSON.stringify({ orderId: 2, decisionTs: T0 + 5 * H, order: { side: 2, spend: 0, units: 9.4 } }),
      last_ts: T0 + 5 * H,
      model_version: 'v20240101-000000',
      halted: null,
    },
    {
      id: 2,
      mode: 'live',
      name: 'small',
      exchange: 'upbit',
      symbol: 'BTC/KRW',
      timeframe: '1h',
      policy: 'strategy:buy-hold',
      created_at: T0 + 11 * H,
      history_from: T0,
      start_ts: T0 + 4 * H,
      start_price: null,
      initial_balance: 50_000,
      account: JSON.stringify({
        initialBalance: 50_000,
        cash: 50_000,
        units: 0,
        avgBuyPrice: 0,
        avgCost: 0,
        feesPaid: 0,
        taxPaid: 0,
        buys: 0,
        sells: 0,
        rejected: { below_min_order: 0, no_cash: 0, no_position: 0, below_precision: 0 },
      }),
      pending: null,
      last_ts: null,
      model_version: null,
      halted: 'daily loss limit',
    },
  ],
  decisions: [
    {
      run_id: 1,
      ts: T0 + 2 * H,
      action: 'buy',
      confidence: 0.9,
      price: 107,
      policy: 'strategy:sma-cross',
      model_version: 'v20240101-000000',
      decided_at: T0 + 3 * H,
    },
    {
      run_id: 1,
      ts: T0 + 4 * H,
      action: 'hold',
      confidence: 0,
      price: 109,
      policy: 'strategy:sma-cross',
      model_version: null,
      decided_at: T0 + 5 * H,
    },
    {
      run_id: 1,
      ts: T0 + 5 * H,
      action: 'sell',
      confidence: 0.75,
      price: 110,
      policy: 'strategy:sma-cross',
      model_version: 'v20240101-000000',
      decided_at: T0 + 6 * H,
    },
  ],
  orders: [
    {
      id: 1,
      run_id: 1,
      decision_ts: T0 + 2 * H,
      side: 'buy',
      quantity: 9.4,
      status: 'filled',
      exchange_id: 'x-1',
      reason: null,
      created_at: T0 + 3 * H,
    },
    {
      id: 2,
      run_id: 1,
      decision_ts: T0 + 5 * H,
      side: 'sell',
      quantity: 9.4,
      status: 'pending',
      exchange_id: null,
      reason: null,
      created_at: T0 + 6 * H,
    },
  ],
  fills: [{ order_id: 1, run_id: 1, ts: T0 + 4 * H, side: 'buy', price: 106, units: 9.4, value: 996.4, fee: 0.5 }],
  equity: [
    { run_id: 1, ts: T0 + 2 * H, cash: 1_000_000, units: 0, price: 107, equity: 1_000_000 },
    { run_id: 1, ts: T0 + 4 * H, cash: 0, units: 9.4, price: 109, equity: 1024.6 },
    { run_id: 1, ts: T0 + 5 * H, cash: 0, units: 9.4, price: 110, equity: 1034 },
  ],
  retrains: [
    {
      id: 1,
      started_at: T0 + 20 * H,
      finished_at: T0 + 21 * H,
      exchange: 'upbit',
      symbol: 'BTC/KRW',
      timeframe: '1h',
      strategy: 'dqn-dnn',
      model_dir: '/models/dqn-dnn',
      champion_version: null,
      challenger_version: 'v1',
      champion_score: null,
      challenger_score: 0.1,
      buy_hold_score: 0.05,
      outcome: 'promoted',
      reason: 'first model',
    },
  ],
  locks: [{ name: 'paper:default:upbit:BTC/KRW:1h', pid: 4242, host: 'old-host', acquired_at: T0, heartbeat: T0 + H }],
} as const;

/** Every table of the legacy schema, with the key that orders its rows. */
export const LEGACY_TABLES: Record<keyof typeof LEGACY, { table: string; order: string }> = {
  candles: { table: 'candles', order: 'exchange, symbol, timeframe, ts' },
  coverage: { table: 'candle_coverage', order: 'exchange, symbol, timeframe, from_ts' },
  runs: { table: 'trading_runs', order: 'id' },
  decisions: { table: 'trading_decisions', order: 'run_id, ts' },
  orders: { table: 'trading_orders', order: 'id' },
  fills: { table: 'trading_fills', order: 'order_id' },
  equity: { table: 'trading_equity', order: 'run_id, ts' },
  retrains: { table: 'trading_retrains', order: 'id' },
  locks: { table: 'trading_locks', order: 'name' },
};

/** Every row of every legacy table, read with plain SQL (for before/after comparisons). */
export function dumpTables(db: Database.Database): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const { table, order } of Object.values(LEGACY_TABLES)) {
    out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all();
  }
  return out;
}

/**
 * Writes `file` as the code at ae833be did: WAL, both DDLs, no version anywhere; then fills every table with
 * `LEGACY`. `journal` 'delete' leaves it in rollback-journal mode instead (a file some other tool touched).
 */
export function writeLegacyDatabase(file: string, journal: 'wal' | 'delete' = 'wal'): void {
  const db = new Database(file);
  try {
    if (journal === 'wal') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(LEGACY_CANDLE_DDL);
    db.exec(LEGACY_TRADING_DDL);
    db.transaction(() => {
      for (const [key, { table }] of Object.entries(LEGACY_TABLES)) {
        for (const row of LEGACY[key as keyof typeof LEGACY]) {
          const cols = Object.keys(row);
          db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(
            row,
          );
        }
      }
    })();
  } finally {
    db.close();
  }
}

/**
 * Tests of schema versioning (src/data/migrations.ts) and of the two schemas that use it: the candle store's
 * (PRAGMA user_version) and the trading tables' (schema_versions row 'trading').
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { latestVersion, migrate, schemaVersion, type Migration, type Schema } from '../../src/data/migrations.ts';
import { CANDLE_SCHEMA, CandleStore } from '../../src/data/store.ts';
import { UserError } from '../../src/core/errors.ts';
import { TRADING_SCHEMA } from '../../src/trading/db.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { tempDir } from './helpers.ts';
import { dumpTables, LEGACY, T0, writeLegacyDatabase } from './legacy-schema.ts';

const H = 3_600_000;
const CANDLES_LATEST = latestVersion(CANDLE_SCHEMA);
const TRADING_LATEST = latestVersion(TRADING_SCHEMA);

/** Opens `file` as the bot does (candle store, then the trading tables) and returns both. */
function openAll(file: string): { store: CandleStore; repo: RunRepository } {
  const store = CandleStore.open(file);
  try {
    return { store, repo: new RunRepository(store.db) };
  } catch (e) {
    store.close();
    throw e;
  }
}

/** Every table, index and trigger with its SQL, as a comparable list. */
function schemaOf(db: Database.Database): unknown[] {
  return db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
    .all();
}

/** The main file's bytes and the folder's file names: what "left unchanged" compares. */
function snapshot(file: string): { bytes: Buffer; files: string[] } {
  return { bytes: readFileSync(file), files: readdirSync(path.dirname(file)).sort() };
}

function withDb<T>(file: string, f: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

test('a database written before versioning is adopted in place: current versions, fresh schema, no row lost', () => {
  const dir = tempDir();
  const file = path.join(dir, 'legacy.db');
  writeLegacyDatabase(file);
  const before = withDb(file, (db) => {
    assert.equal(schemaVersion(db, CANDLE_SCHEMA), 0);
    assert.equal(schemaVersion(db, TRADING_SCHEMA), 0);
    return dumpTables(db);
  });
  assert.equal(before.candles.length, LEGACY.candles.length, 'the fixture wrote its rows');

  const { store, repo } = openAll(file);
  try {
    assert.equal(schemaVersion(store.db, CANDLE_SCHEMA), CANDLES_LATEST);
    assert.equal(schemaVersion(store.db, TRADING_SCHEMA), TRADING_LATEST);
    const after = dumpTables(store.db);
    // later migrations add columns (trading_runs.paused, issue 15; .portfolio, issue 14; .account_key, the account a
    // live run claims; .ended_at, a run ended by --end; .order_nonce, the random part of a new run's client order ids;
    // .data_fault and its _since, a run's ongoing off-grid fault; .settings, the run-defining flags it started with;
    // .model_home, the real path of the model home a run serves, trading schema 17):
    // new columns are null, the old ones unchanged;
    // migration 3 rebuilds trading_orders with a market column, filled with the run's symbol
    const added = (rows: unknown[]) =>
      rows.map((r) => Object.keys(r as object).filter((k) => !(k in (before.trading_runs[0] as object))));
    assert.deepEqual(added(after.trading_runs)[0], [
      'paused',
      'portfolio',
      'account_key',
      'ended_at',
      'order_nonce',
      'data_fault',
      'data_fault_since',
      'model_refusal',
      'settings',
      'model_home',
    ]);
    assert.ok(after.trading_runs.every((r) => (r as { settings: unknown }).settings === null));
    assert.ok(after.trading_runs.every((r) => (r as { model_home: unknown }).model_home === null));
    assert.ok(after.trading_runs.every((r) => (r as { order_nonce: unknown }).order_nonce === null));
    assert.ok(after.trading_runs.every((r) => (r as { data_fault: unknown }).data_fault === null));
    assert.ok(after.trading_runs.every((r) => (r as { account_key: unknown }).account_key === null));
    assert.ok(after.trading_runs.every((r) => (r as { ended_at: unknown }).ended_at === null));
    assert.ok(after.trading_runs.every((r) => (r as { paused: unknown }).paused === null));
    assert.ok(after.trading_runs.every((r) => (r as { portfolio: unknown }).portfolio === null));
    assert.ok(after.trading_decisions.every((r) => (r as { targets: unknown }).targets === null));
    assert.deepEqual(
      after.trading_orders.map((r) => (r as { market: string }).market),
      LEGACY.orders.map((o) => LEGACY.runs.find((r) => r.id === o.run_id)?.symbol),
    );
    const legacyColumns = (table: string, rows: unknown[]) =>
      rows.map((r) =>
        Object.fromEntries(Object.entries(r as object).filter(([k]) => k in ((before[table][0] as object) ?? {}))),
      );
    for (const table of Object.keys(after)) after[table] = legacyColumns(table, after[table]);
    assert.deepEqual(after, before, 'every row of every table is still there, unchanged');

    // Read back through the bot's own APIs.
    const btc = store.load('upbit', 'BTC/KRW', '1h');
    const rows = LEGACY.candles.filter((c) => c.symbol === 'BTC/KRW');
    assert.deepEqual(
      [...btc.ts],
      rows.map((c) => c.ts),
    );
    assert.deepEqual(
      [...btc.close],
      rows.map((c) => c.close),
    );
    assert.deepEqual(
      [...btc.volume],
      rows.map((c) => c.volume),
    );
    assert.deepEqual(store.gaps('upbit', 'BTC/KRW', '1h'), [{ from: T0 + 3 * H, to: T0 + 4 * H, missing: 1 }]);
    assert.deepEqual(
      store.series().map((s) => [s.exchange, s.symbol, s.timeframe, s.count]),
      [
        ['binance', 'ETH/USDT', '1d', 3],
        ['upbit', 'BTC/KRW', '1h', 5],
      ],
    );
    for (const c of LEGACY.coverage) {
      assert.deepEqual(store.coverage(c.exchange, c.symbol, c.timeframe), [{ from: c.from_ts, to: c.to_ts }]);
    }

    const runs = repo.list();
    assert.deepEqual(
      runs.map((r) => [r.id, r.mode, r.name, r.policy, r.halted]),
      [
        [1, 'paper', 'default', 'strategy:sma-cross', undefined],
        [2, 'live', 'small', 'strategy:buy-hold', 'daily loss limit'],
      ],
    );
    const run = repo.find({ mode: 'paper', name: 'default', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' });
    assert.ok(run);
    assert.deepEqual(run.account, JSON.parse(LEGACY.runs[0].account));
    assert.deepEqual(run.pending, JSON.parse(LEGACY.runs[0].pending));
    assert.equal(run.lastTs, LEGACY.runs[0].last_ts);
    assert.equal(run.modelVersion, LEGACY.runs[0].model_version);
    assert.equal(run.startPrice, LEGACY.runs[0].start_price);
    assert.deepEqual(
      repo.decisions(1).map((d) => [d.ts, d.action, d.confidence, d.modelVersion]),
      LEGACY.decisions.map((d) => [d.ts, d.action, d.confidence, d.model_version]),
    );
    assert.deepEqual(
      repo.orders(1).map((o) => [o.id, o.side, o.status, o.exchangeId]),
      LEGACY.orders.map((o) => [o.id, o.side, o.status, o.exchange_id]),
    );
    const fill = LEGACY.fills[0];
    assert.deepEqual(repo.trades(1), [
      {
        orderId: 1,
        market: 'BTC/KRW',
        decisionTs: T0 + 2 * H,
        ts: fill.ts,
        side: 'buy',
        price: 106,
        units: 9.4,
        value: 996.4,
        fee: 0.5,
      },
    ]);
    assert.deepEqual(
      repo.equity(1).map((e) => [e.ts, e.equity]),
      LEGACY.equity.map((e) => [e.ts, e.equity]),
    );

    // And it keeps working: the adopted file takes new rows.
    repo.insertEquity(1, { ts: T0 + 6 * 3_600_000, cash: 0, units: 9.4, price: 111, equity: 1043.4 });
    assert.equal(repo.equity(1).length, LEGACY.equity.length + 1);
  } finally {
    store.close();
  }

  const freshFile = path.join(dir, 'fresh.db');
  openAll(freshFile).store.close();
  assert.deepEqual(withDb(file, schemaOf), withDb(freshFile, schemaOf), 'adopted and fresh files end at one schema');
});

test('a fresh database gets the current versions; the candle store alone leaves trading tables to their owner', () => {
  const file = path.join(tempDir(), 'fresh.db');
  const store = CandleStore.open(file);
  try {
    assert.equal(schemaVersion(store.db, CANDLE_SCHEMA), CANDLES_LATEST);
    assert.equal(schemaVersion(store.db, TRADING_SCHEMA), 0, 'bot data opens the store only');
    const tables = (
      store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((t) => t.name);
    assert.deepEqual(tables, ['candle_coverage', 'candles', 'series_labels']);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');

    new RunRepository(store.db);
    assert.equal(schemaVersion(store.db, TRADING_SCHEMA), TRADING_LATEST, 'the trading tables arrive later, versioned');
    assert.equal(schemaVersion(store.db, CANDLE_SCHEMA), CANDLES_LATEST, 'and leave the store version alone');
    assert.deepEqual(store.db.prepare('SELECT owner, version FROM schema_versions').all(), [
      { owner: 'trading', version: TRADING_LATEST },
    ]);
  } finally {
    store.close();
  }
});

test('opening a current database again is a no-op: no migration runs and the file is not rewritten', () => {
  const file = path.join(tempDir(), 'twice.db');
  openAll(file).store.close();
  const first = snapshot(file);
  const again = openAll(file);
  again.repo.list();
  again.store.close();
  assert.deepEqual(snapshot(file), first);

  const calls: number[] = [];
  const counted: Schema = {
    owner: 'counted',
    slot: 'schema_versions',
    migrations: [1, 2].map((version): Migration => ({ version, name: `#${version}`, up: () => calls.push(version) })),
  };
  withDb(path.join(tempDir(), 'counted.db'), (db) => {
    assert.equal(migrate(db, counted), 2);
    assert.equal(migrate(db, counted), 2);
    assert.deepEqual(calls, [1, 2], 'each step ran once, in order');
    assert.equal(schemaVersion(db, counted), 2);
  });
});

for (const journal of ['wal', 'delete'] as const) {
  test(`a candle store newer than the code is refused in one line and the file is left as it was (${journal})`, () => {
    const file = path.join(tempDir(), 'future.db');
    writeLegacyDatabase(file, journal);
    withDb(file, (db) => db.pragma(`user_version = ${CANDLES_LATEST + 1}`));
    const before = snapshot(file);
    assert.throws(
      () => CandleStore.open(file),
      (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.equal(e.message.includes('\n'), false);
        assert.equal(
          e.message,
          `${file}: candle store schema is version ${CANDLES_LATEST + 1}, newer than this bot knows ` +
            `(up to ${CANDLES_LATEST}); refusing to open it — upgrade the bot or use --db to choose another file`,
        );
        return true;
      },
    );
    assert.deepEqual(snapshot(file), before);
  });
}

test('trading tables newer than the code are refused in one line before anything is written', () => {
  const file = path.join(tempDir(), 'future-trading.db');
  openAll(file).store.close();
  const bump = "UPDATE schema_versions SET version = ? WHERE owner = 'trading'";
  withDb(file, (db) => db.prepare(bump).run(TRADING_LATEST + 1));
  const before = snapshot(file);
  const store = CandleStore.open(file);
  try {
    assert.throws(
      () => new RunRepository(store.db),
      (e: unknown) =>
        e instanceof UserError &&
        !e.message.includes('\n') &&
        e.message.includes(`trading schema is version ${TRADING_LATEST + 1}, newer than this bot knows `) &&
        e.message.includes(`(up to ${TRADING_LATEST}); refusing to open it`) &&
        e.message.startsWith(file),
    );
  } finally {
    store.close();
  }
  assert.deepEqual(snapshot(file), before);
});

test('a migration that throws leaves the version and the data as they were', () => {
  const file = path.join(tempDir(), 'broken.db');
  writeLegacyDatabase(file);
  openAll(file).store.close();
  const failing = (version: number): Migration => ({
    version,
    name: 'half done',
    up: (db) => {
      db.exec('ALTER TABLE candles ADD COLUMN trades INTEGER');
      db.exec('DELETE FROM candle_coverage');
      db.exec("UPDATE trading_runs SET halted = 'migrated'");
      throw new Error('disk on fire');
    },
  });
  for (const schema of [CANDLE_SCHEMA, TRADING_SCHEMA]) {
    const broken: Schema = { ...schema, migrations: [...schema.migrations, failing(schema.migrations.length + 1)] };
    withDb(file, (db) => {
      const before = { rows: dumpTables(db), schema: schemaOf(db), version: schemaVersion(db, schema) };
      const failed = `${schema.owner} migration ${before.version + 1} (half done) failed: disk on fire`;
      assert.throws(
        () => migrate(db, broken),
        (e: unknown) => (e as Error).message === `${file}: ${failed}`,
      );
      assert.deepEqual({ rows: dumpTables(db), schema: schemaOf(db), version: schemaVersion(db, schema) }, before);
    });
  }

  // Steps are committed one by one: a failure at step 2 keeps step 1, and a later run resumes at step 2.
  const steps: Schema = {
    owner: 'steps',
    slot: 'schema_versions',
    migrations: [{ version: 1, name: 'table', up: (db) => db.exec('CREATE TABLE steps (x INTEGER)') }, failing(2)],
  };
  withDb(path.join(tempDir(), 'steps.db'), (db) => {
    db.exec(`CREATE TABLE candles (ts INTEGER); CREATE TABLE candle_coverage (ts INTEGER);
             CREATE TABLE trading_runs (halted TEXT); INSERT INTO candle_coverage VALUES (1)`);
    assert.throws(() => migrate(db, steps), /steps migration 2 \(half done\) failed/);
    assert.equal(schemaVersion(db, steps), 1);
    assert.equal(db.prepare('SELECT count(*) AS n FROM candle_coverage').pluck().get(), 1);
    const fixed: Migration = { version: 2, name: 'fixed', up: () => undefined };
    const ok: Schema = { ...steps, migrations: [steps.migrations[0], fixed] };
    assert.equal(migrate(db, ok), 2);
    assert.equal(schemaVersion(db, ok), 2);
  });
});

test('migrations must be numbered 1, 2, 3, … in order', () => {
  const two: Migration = { version: 2, name: 'two', up: () => undefined };
  const bad: Schema = { owner: 'bad', slot: 'user_version', migrations: [two] };
  assert.throws(() => latestVersion(bad), /bad migrations must be numbered 1, 2, 3, … in order; #1 is 2/);
});

test(`trading schema 18 names each earlier retrain's baseline: buy-and-hold for one market, equal weights for a \
portfolio (its markets joined with commas)`, () => {
  withDb(path.join(tempDir(), 'retrains.db'), (db) => {
    migrate(db, { ...TRADING_SCHEMA, migrations: TRADING_SCHEMA.migrations.slice(0, 17) });
    const insert = db.prepare(
      `INSERT INTO trading_retrains (started_at, exchange, symbol, timeframe, strategy, model_dir, outcome)
       VALUES (1, 'upbit', ?, '1h', 'x', '/m', 'rejected')`,
    );
    for (const symbol of ['BTC/KRW', 'BTC/KRW,ETH/KRW']) insert.run(symbol);
    migrate(db, TRADING_SCHEMA);
    assert.deepEqual(db.prepare('SELECT symbol, baseline FROM trading_retrains ORDER BY id').raw().all(), [
      ['BTC/KRW', 'buy-and-hold'],
      ['BTC/KRW,ETH/KRW', 'equal weights'],
    ]);
  });
});

/**
 * `bot predict` through the CLI: a saved model's action at the newest closed candle (or --at), its outputs, the same
 * decision the paper trader makes there, from a file or from a store topped up from the exchange, no account touched.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { accountHolding } from '../../src/agents/predict.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { candleRows, sliceCandles } from '../../src/core/candles.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { saveAgent } from '../trading/agents.ts';
import { runBot } from './run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-predict-'));
const candles = syntheticCandles({
  seed: 12,
  count: 300,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1000,
  symbol: 'KRW-BTC',
});
const csv = path.join(dir, 'btc.csv');
writeFileSync(csv, candlesToCsv(candles));
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 5, minOrderValue: 5000, quantityPrecision: 8 };

/** A config file pointing at the fake exchange, retrying fast. */
function fakeConfig(name: string, fake: FakeUpbit): string {
  const cfg = path.join(dir, name);
  const exchange = { ccxt: fake.ccxtOptions(), retries: 1, backoffMs: 1, maxBackoffMs: 2 };
  writeFileSync(cfg, JSON.stringify({ exchange, log: { file: '' } }));
  return cfg;
}

interface Predicted {
  version: string;
  candle: string;
  close: number;
  action: string;
  confidence: number;
  outputs: { kind: string; values: Record<string, number> };
  order: { side: string; value: number; refused?: string };
}

test(`bot predict --data: the action, confidence and Q-values at the newest candle or --at, the paper trader's \
decision, no database written`, async () => {
  const buyer = path.join(dir, 'models', 'buyer');
  const seeded = path.join(dir, 'models', 'seeded');
  await saveAgent(buyer, 'buy', candles);
  await saveAgent(seeded, 'seeded', candles, undefined, 5);
  const db = path.join(dir, 'never.db');
  const r = await runBot([
    'predict',
    '--model',
    buyer,
    '--data',
    csv,
    '--json',
    '--db',
    db,
    '--log-level',
    'error',
    '--backend',
    'cpu',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as Predicted;
  assert.equal(p.candle, isoTime(candles.ts[candles.ts.length - 1]));
  assert.equal(p.close, candles.close[candles.ts.length - 1]);
  assert.equal(p.version, 'initial');
  assert.equal(p.action, 'buy');
  assert.equal(p.outputs.kind, 'q-values');
  assert.ok(
    p.outputs.values.buy > p.outputs.values.sell && p.outputs.values.buy > p.outputs.values.hold,
    JSON.stringify(p.outputs),
  );
  assert.equal(existsSync(db), false, 'no database touched when the candles come from a file');

  // the seeded network at --at decides as the paper trader's policy call does, for a flat and a holding account
  const t = 200;
  const agent = await loadAgent(seeded);
  try {
    const builder = new ObservationBuilder(agent.observationSource(candles));
    for (const position of [0, 1]) {
      const expected = agent.policy.decide(
        builder.build(t, accountHolding(10_000_000, COSTS, position, candles.close[t])),
      );
      const out = await runBot([
        'predict',
        '--model',
        seeded,
        '--data',
        csv,
        '--at',
        isoTime(candles.ts[t] + 1_800_000),
        '--position',
        String(position),
        '--json',
        '--log-level',
        'error',
        '--backend',
        'cpu',
      ]);
      assert.equal(out.code, 0, out.stderr);
      const q = JSON.parse(out.stdout) as Predicted;
      assert.equal(q.candle, isoTime(candles.ts[t]), '--at picks the candle opening at or before it');
      assert.equal(q.action, expected.action);
      assert.ok(Math.abs(q.confidence - expected.confidence) < 1e-6);
    }
  } finally {
    agent.dispose();
  }
  const text = await runBot(['predict', '--model', buyer, '--data', csv, '--log-level', 'error', '--backend', 'cpu']);
  assert.match(
    text.stdout,
    new RegExp(
      String.raw`^model {7}.*buyer @ initial \(dqn-dnn\)\ncandle {6}\S+ close [\d,.]+ {2}\(\S*btc\.csv \(1h\)\)\n` +
        String.raw`action {6}buy {2}confidence \d\.\d{3}\n` +
        String.raw`q-values {4}buy [-\d.]+ {2}sell [-\d.]+ {2}hold [-\d.]+\naccount {5}flat`,
    ),
  );
});

test('bot predict says what the trader would do: a sell on a flat account is refused, so it holds', async () => {
  const seller = path.join(dir, 'models', 'seller');
  const buyer = path.join(dir, 'models', 'buyer2');
  await saveAgent(seller, 'sell', candles);
  await saveAgent(buyer, 'buy', candles);
  const ask = async (model: string, position: number) => {
    const args = ['predict', '--model', model, '--data', csv, '--position', String(position)];
    const r = await runBot([...args, '--json', '--log-level', 'error', '--backend', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Predicted;
  };
  const flatSell = await ask(seller, 0);
  assert.equal(flatSell.action, 'sell');
  assert.deepEqual(flatSell.order, { side: 'sell', value: 0, refused: 'no_position' });
  const heldSell = await ask(seller, 1);
  assert.equal(heldSell.order.side, 'sell');
  assert.equal(heldSell.order.refused, undefined);
  assert.ok(heldSell.order.value > 0, JSON.stringify(heldSell.order));
  const fullBuy = await ask(buyer, 1);
  assert.deepEqual(fullBuy.order, { side: 'buy', value: 0, refused: 'no_cash' });
  const text = await runBot(['predict', '--model', seller, '--data', csv, '--log-level', 'error', '--backend', 'cpu']);
  assert.match(text.stdout, /\norder {7}none: a sell would be refused \(nothing to sell\), so the trader holds\n?$/);
});

test('bot predict checks its flags first and names the range for an --at outside the data', async () => {
  const model = path.join(dir, 'models', 'buyer');
  const bad = await runBot(['predict', '--model', model, '--data', csv, '--position', '2', '--log-level', 'error']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'error: --position must be a fraction from 0 to 1, got "2"\n');
  // Number() read an empty --position as 0 and 0x1 as 1
  for (const v of ['', '0x1']) {
    const odd = await runBot(['predict', '--model', model, '--data', csv, '--position', v, '--log-level', 'error']);
    assert.equal(odd.code, 1);
    assert.equal(
      odd.stderr,
      `error: --position: "${v}" is not a decimal number (write it as e.g. 0.5, 10000000 or 1e7)\n`,
    );
  }
  const when = await runBot([
    'predict',
    '--model',
    model,
    '--data',
    csv,
    '--last-trade',
    'soon',
    '--log-level',
    'error',
  ]);
  assert.equal(when.code, 1);
  assert.match(when.stderr, /^error: --last-trade: cannot read "soon" as a date/);
  const after = await runBot([
    ...['predict', '--model', model, '--data', csv, '--at', isoTime(candles.ts[200])],
    ...['--last-trade', isoTime(candles.ts[201]), '--log-level', 'error', '--backend', 'cpu'],
  ]);
  assert.equal(after.code, 1);
  assert.equal(
    after.stderr,
    `error: --last-trade ${isoTime(candles.ts[201])} is after the close of the candle decided ` +
      `(${isoTime(candles.ts[200])})\n`,
  );
  const none = await runBot(['predict', '--model', path.join(dir, 'nope'), '--sample', '--log-level', 'error']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^error: --model .*nope: no such folder/);
  const late = await runBot([
    'predict',
    '--model',
    model,
    '--data',
    csv,
    '--at',
    '2030-01-01',
    '--log-level',
    'error',
    '--backend',
    'cpu',
  ]);
  assert.equal(late.code, 1);
  assert.match(
    late.stderr,
    new RegExp(
      String.raw`^error: --at 2030-01-01 is after the data; \S*btc\.csv \(1h\) ` +
        String.raw`covers 2024-01-01T00:00:00Z … 2024-01-13T11:00:00Z\n$`,
    ),
  );
});

test('bot predict on the store: tops it up from the exchange and decides at the newest closed candle', async () => {
  const db = path.join(dir, 'store.db');
  const store = CandleStore.open(db);
  const stored = sliceCandles(candles, 0, 250);
  store.upsert('upbit', 'BTC/KRW', '1h', candleRows(stored));
  store.close();
  const now = candles.ts[280] + 3_600_000 + 5_000; // candle 280 has just closed; 281 is still open
  const fake = await startFakeUpbit({ now: () => now, series: [{ market: 'KRW-BTC', candles }] });
  try {
    const cfg = fakeConfig('fake.json', fake);
    const r = await runBot([
      'predict',
      '--model',
      path.join(dir, 'models', 'buyer'),
      '--db',
      db,
      '--config',
      cfg,
      '--now',
      isoTime(now),
      '--json',
      '--log-level',
      'error',
      '--backend',
      'cpu',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout) as Predicted;
    assert.equal(p.candle, isoTime(candles.ts[280]), 'the newest closed candle, fetched for this prediction');
  } finally {
    await fake.close();
  }
  const again = CandleStore.open(db);
  try {
    assert.equal(again.lastTs('upbit', 'BTC/KRW', '1h'), candles.ts[280]);
    const runs = again.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'trading_runs'").get() as {
      n: number;
    };
    assert.equal(runs.n, 0, 'no trading run or account was created');
  } finally {
    again.close();
  }
});

test(`bot predict --now decides on the newest candle closed by then: candles after it in the store change \
nothing`, async () => {
  const seeded = path.join(dir, 'models', 'seeded-now');
  await saveAgent(seeded, 'seeded', candles, undefined, 5);
  const t = 200;
  const now = candles.ts[t] + 3_600_000 + 10_000; // candle 200 has closed; 201 is open; the store holds up to 299
  const fake = await startFakeUpbit({ now: () => now, series: [{ market: 'KRW-BTC', candles }] });
  const cfg = fakeConfig('fake-now.json', fake);
  const predict = (db: string, extra: string[]) =>
    runBot(['predict', '--model', seeded, '--db', db, '--config', cfg, '--now', isoTime(now), ...extra]);
  const quiet = ['--log-level', 'error', '--backend', 'cpu'];
  const ask = async (db: string, stored: typeof candles) => {
    const store = CandleStore.open(db);
    store.upsert('upbit', 'BTC/KRW', '1h', candleRows(stored));
    store.close();
    const r = await predict(db, ['--json', ...quiet]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Predicted;
  };
  try {
    const clean = await ask(path.join(dir, 'now-clean.db'), candles);
    assert.equal(clean.candle, isoTime(candles.ts[t]), 'the candle closed by --now, not the newest stored');
    assert.equal(clean.close, candles.close[t]);
    // the candles after --now rewritten wildly: the same decision and outputs
    const dirty = { ...candles, close: Float64Array.from(candles.close), volume: Float64Array.from(candles.volume) };
    for (let i = t + 1; i < dirty.close.length; i++) {
      dirty.close[i] = candles.close[i] * (i % 2 ? 3 : 0.2);
      dirty.volume[i] = 1e12;
    }
    const rewritten = await ask(path.join(dir, 'now-dirty.db'), dirty);
    assert.deepEqual(rewritten, clean);
    const text = await predict(path.join(dir, 'now-clean.db'), quiet);
    assert.match(text.stdout, new RegExp(`\\ncandle {6}${isoTime(candles.ts[t])} `));
    const late = await predict(path.join(dir, 'now-clean.db'), ['--at', isoTime(now + 3_600_000), ...quiet]);
    assert.equal(late.code, 1);
    assert.equal(
      late.stderr,
      `error: --at ${isoTime(now + 3_600_000)} is after --now ${isoTime(now)}: ` +
        'predict decides on candles closed by then\n',
    );
  } finally {
    await fake.close();
  }
});

/** A store holding BTC/KRW up to candle 249 while the clock has closed candle 280: the top-up asks for 250 … 280. */
const FAULT_STORED = 250;
const FAULT_NOW = candles.ts[280] + 3_600_000 + 5_000;
const faultStoredUpTo = isoTime(candles.ts[FAULT_STORED - 1]);

/** `bot predict --json` of a buying model on a new store of candles 0 … 249, through `cfg`, warnings shown. */
async function predictBehind(name: string, cfg: string, more: string[] = []) {
  const model = path.join(dir, 'models', 'buyer-faults');
  if (!existsSync(model)) await saveAgent(model, 'buy', candles);
  const db = path.join(dir, name);
  const store = CandleStore.open(db);
  store.upsert('upbit', 'BTC/KRW', '1h', candleRows(sliceCandles(candles, 0, FAULT_STORED)));
  store.close();
  return runBot([
    ...['predict', '--model', model, '--db', db, '--config', cfg, '--now', isoTime(FAULT_NOW)],
    ...['--json', '--log-level', 'warn', '--backend', 'cpu', ...more],
  ]);
}

test(`bot predict on the store when the exchange refuses (no such market, a rejected request): one error line, no \
prediction from the stored candles, nothing about the exchange being unreachable`, async () => {
  const unlisted = await startFakeUpbit({
    now: () => FAULT_NOW,
    markets: [{ market: 'KRW-ETH', korean_name: 'ETH', english_name: 'Ethereum' }],
  });
  try {
    const r = await predictBehind('unlisted.db', fakeConfig('unlisted.json', unlisted));
    assert.equal(r.stderr, 'error: --symbol: upbit has no market "BTC/KRW" (e.g. ETH/KRW)\n');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
  } finally {
    await unlisted.close();
  }
  const fake = await startFakeUpbit({ now: () => FAULT_NOW, series: [{ market: 'KRW-BTC', candles }] });
  try {
    // the exchange answers the candles request with a 400 (the request rejected): asked once, never retried
    fake.route('GET', '/v1/candles/minutes/:unit', () => ({
      status: 400,
      json: { error: { name: 'invalid_parameter', message: 'market is not traded' } },
    }));
    const r = await predictBehind('rejected.db', fakeConfig('rejected.json', fake));
    assert.match(r.stderr, /^error: upbit: BTC\/KRW 1h candles from \S+ failed: \S+: .*not traded.*\n$/);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(fake.candleRequests().length, 1, 'a refusal is not asked again');
  } finally {
    await fake.close();
  }
});

test(`bot predict on the store when every candles request gets a 500 until the retries run out: the stored \
candles, with a warning saying the exchange did not answer (not that it cannot be reached)`, async () => {
  const fake = await startFakeUpbit({ now: () => FAULT_NOW, series: [{ market: 'KRW-BTC', candles }] });
  try {
    fake.addFault({ kind: '500', times: 100 });
    const r = await predictBehind('storm.db', fakeConfig('storm.json', fake)); // retries: 1, so two tries
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Predicted).candle, faultStoredUpTo);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`upbit did not answer after 2 tries \(upbit: BTC/KRW 1h candles from \S+: \S+: .*500.*\); ` +
          `deciding on the stored BTC/KRW candles up to ${faultStoredUpTo}`,
      ),
    );
    assert.doesNotMatch(r.stderr, /cannot be reached/);
  } finally {
    await fake.close();
  }
});

test(`bot predict on the store when nothing listens where the exchange should be: the stored candles, with the \
warning that it cannot be reached`, async () => {
  const offline = path.join(dir, 'offline.json');
  const dead = 'http://127.0.0.1:1';
  const exchange = { ccxt: { urls: { api: { public: dead, private: dead } } }, retries: 1, backoffMs: 1 };
  writeFileSync(offline, JSON.stringify({ exchange: { ...exchange, maxBackoffMs: 2 }, log: { file: '' } }));
  const r = await predictBehind('offline.db', offline);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as Predicted).candle, faultStoredUpTo);
  assert.match(
    r.stderr,
    new RegExp(`upbit cannot be reached \\(.*\\); deciding on the stored BTC/KRW candles up to ${faultStoredUpTo}`),
  );
  // one line saying how old that candle is by the clock (candle 249 closed at 250's open, the clock is at 281's)
  const age = `the newest stored candle (${faultStoredUpTo}) closed 1 day 7 hours ago: this decides on old data`;
  assert.equal(r.stderr.split(age).length, 2, r.stderr);
  // --at asks for a candle: its age is the question, not news
  const at = await predictBehind('offline-at.db', offline, ['--at', isoTime(candles.ts[200])]);
  assert.equal(at.code, 0, at.stderr);
  assert.equal((JSON.parse(at.stdout) as Predicted).candle, isoTime(candles.ts[200]));
  assert.doesNotMatch(at.stderr, /old data/);
});

test(`bot predict on a derived series (\`bot data derive\`): no top-up, the stored candles, one line saying so, \
nothing written into the series`, async () => {
  const model = path.join(dir, 'models', 'buyer-faults');
  if (!existsSync(model)) await saveAgent(model, 'buy', candles);
  const db = path.join(dir, 'derived.db');
  const label = 'derived: 2× BTC/KRW rebalanced every 1h candle, fee 0%/yr';
  const store = CandleStore.open(db);
  store.replaceDerived({ ...sliceCandles(candles, 0, FAULT_STORED), exchange: 'upbit', symbol: 'BTC/KRW' }, label);
  store.close();
  // the exchange serves the real BTC/KRW, newer than the stored series: a top-up would mix them (and is refused)
  const fake = await startFakeUpbit({ now: () => FAULT_NOW, series: [{ market: 'KRW-BTC', candles }] });
  try {
    const r = await runBot([
      ...['predict', '--model', model, '--db', db, '--config', fakeConfig('derived.json', fake)],
      ...['--now', isoTime(FAULT_NOW), '--json', '--log-level', 'warn', '--backend', 'cpu'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Predicted).candle, faultStoredUpTo);
    const line = `upbit BTC/KRW 1h is ${label}, not topped up from the exchange; deciding on the stored BTC/KRW `;
    assert.equal(r.stderr.split(`${line}candles up to ${faultStoredUpTo}\n`).length, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /mix|cannot be reached/);
    assert.equal(fake.candleRequests().length, 0, 'the exchange is not asked for candles');
  } finally {
    await fake.close();
  }
  const again = CandleStore.open(db);
  try {
    assert.equal(again.lastTs('upbit', 'BTC/KRW', '1h'), candles.ts[FAULT_STORED - 1]);
    assert.equal(again.label('upbit', 'BTC/KRW', '1h'), label);
  } finally {
    again.close();
  }
});

test('bot predict offline, --now before the stored candles end: the warning names the candle decided on', async () => {
  const offline = path.join(dir, 'offline-past.json');
  const dead = 'http://127.0.0.1:1';
  const exchange = { ccxt: { urls: { api: { public: dead, private: dead } } }, retries: 1, backoffMs: 1 };
  writeFileSync(offline, JSON.stringify({ exchange: { ...exchange, maxBackoffMs: 2 }, log: { file: '' } }));
  // candle 200 closed at 201's open, 30 s before the clock; the store holds candles up to 249
  const r = await predictBehind('offline-past.db', offline, ['--now', isoTime(candles.ts[201] + 30_000)]);
  assert.equal(r.code, 0, r.stderr);
  const decided = isoTime(candles.ts[200]);
  assert.equal((JSON.parse(r.stdout) as Predicted).candle, decided);
  // it named the store's last candle (249), which the clock had not reached
  assert.match(
    r.stderr,
    new RegExp(`cannot be reached \\(.*\\); deciding on the stored BTC/KRW candles up to ${decided}\n`),
  );
});

test(`bot predict with a model of the bundled sample, offline after the quick start: each error names the command \
that works, and --sample decides`, async () => {
  const model = path.join(dir, 'models', 'of-sample');
  const daily = syntheticCandles({ seed: 3, count: 300, timeframe: '1d', exchange: 'sample', symbol: 'SP500/USD' });
  await saveAgent(model, 'seeded', daily);
  const offline = path.join(dir, 'offline-sample.json');
  const dead = 'http://127.0.0.1:1';
  const exchange = { ccxt: { urls: { api: { public: dead, private: dead } } }, retries: 1, backoffMs: 1 };
  writeFileSync(offline, JSON.stringify({ exchange: { ...exchange, maxBackoffMs: 2 }, log: { file: '' } }));
  const predict = (more: string[]) =>
    runBot([
      ...['predict', '--model', model, '--db', path.join(dir, 'empty-sample.db'), '--config', offline],
      ...['--log-level', 'warn', '--backend', 'cpu', ...more],
    ]);
  const hourly = await predict(['--symbol', 'BTC/KRW']);
  assert.equal(hourly.code, 1);
  assert.match(
    hourly.stderr,
    new RegExp(
      String.raw`^error: model \S+ was trained on sample SP500/USD 1d; this run uses 1h candles, .*: give --sample ` +
        String.raw`\(the bundled sample it was trained on\), or --timeframe 1d with 1d candles stored or ` +
        String.raw`--data FILE, or train a model on 1h candles\n$`,
    ),
  );
  const daily1 = await predict(['--symbol', 'BTC/KRW', '--timeframe', '1d']);
  assert.equal(daily1.code, 1);
  assert.match(
    daily1.stderr,
    new RegExp(
      String.raw`^error: nothing is stored for upbit BTC/KRW 1d and upbit cannot be reached: store a CSV with ` +
        String.raw`\x60bot data import FILE\x60, or use --data FILE or --sample\n$`,
      'm',
    ),
  );
  const works = await predict(['--sample', '--json']);
  assert.equal(works.code, 0, works.stderr);
  assert.match((JSON.parse(works.stdout) as Predicted).candle, /^2020-04-/);
  assert.doesNotMatch(works.stderr, /old data/, 'the sample is old by design: not said');
});

test(`bot predict on a continuous policy prints its target position once (it read "target position target \
0.2")`, async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-predict-continuous-'));
  const cfg = path.join(cwd, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({ agent: { modelsDir: path.join(cwd, 'models') }, log: { file: '' } }));
  const common = ['--sample', '--config', cfg, '--log-level', 'error', '--backend', 'cpu'];
  const train = await runBot(
    ['backtest', '--strategy', 'ppo-continuous', '--epochs', '1', '--out', path.join(cwd, 'run'), ...common],
    {},
    cwd,
  );
  assert.equal(train.code, 0, train.stderr);
  const r = await runBot(['predict', '--model', path.join(cwd, 'models', 'ppo-continuous'), ...common], {}, cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\ntarget position [\d.]+ {2}\(state value /);
  assert.doesNotMatch(r.stdout, /target position target/);
});

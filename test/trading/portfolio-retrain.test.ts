/**
 * `bot retrain --symbols … --model …` (issue 14) through the real CLI against the fake Upbit: a learned portfolio
 * model's challenger trained with its recipe on the refreshed candles, judged against the champion and equal weights
 * on one holdout, promoted only when it wins; the paper run of the home serves the new version from its next tick.
 * A rule portfolio strategy, and --symbols that the model does not trade, are refused in one line.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { candleRows, candlesFromRows, type Candles } from '../../src/core/candles.ts';
import { Rng } from '../../src/core/random.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { CandleStore } from '../../src/data/store.ts';
import { createPortfolioAgent, portfolioFeatures } from '../../src/agents/portfolio-agent.ts';
import { savePortfolioAgent } from '../../src/agents/portfolio-model.ts';
import { currentVersion, INITIAL_VERSION } from '../../src/agents/model-pointer.ts';
import { PortfolioObservationBuilder } from '../../src/market/portfolio-observation.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openPortfolioSession } from '../../src/trading/portfolio-session.ts';
import { runPortfolioRetrainJob } from '../../src/trading/portfolio-retrain.ts';
import { retrainHistory, type RetrainResult } from '../../src/trading/retrain.ts';
import { describe } from '../../src/cli/commands/retrain.ts';
import { servePortfolio } from '../server/portfolio-fixture.ts';
import { retrainChildRunner } from '../../src/trading/retrain-child.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { pairRecipe } from '../agents/portfolio-helpers.ts';
import { runBot, startBot, writeFakeExchangeConfig, type BotResult } from './cli.ts';
import { quietLogger, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const COUNT = 400;
const HOLDOUT = 60;

/**
 * A market from `start` on that drifts up with noise, then falls 0.5% a candle from candle COUNT - HOLDOUT on (the last
 * HOLDOUT candles, and the `after` candles that follow them).
 */
function market(symbol: string, seed: number, price: number, start = Date.UTC(2024, 0, 1), after = 0): Candles {
  const rng = new Rng(seed);
  let close = price;
  const rows = Array.from({ length: COUNT + after }, (_, i) => {
    const open = close;
    const drift = i >= COUNT - HOLDOUT ? -0.005 : 0.0005;
    close = open * (1 + drift + 0.003 * rng.normal());
    const high = Math.max(open, close) * 1.001;
    const low = Math.min(open, close) * 0.999;
    return { ts: start + i * HOUR, open, high, low, close, volume: 100 + 50 * rng.next() };
  });
  return candlesFromRows('upbit', symbol, '1h', rows);
}

/** A config file for the fake exchange and a tiny retrain (150 training candles, the HOLDOUT, one epoch). */
function retrainConfig(dir: string, fake: FakeUpbit, trading: Record<string, unknown> = {}): string {
  return writeFakeExchangeConfig(dir, fake, {
    ml: { backend: 'wasm' },
    trading: { retrain: { trainCandles: 150, holdoutCandles: HOLDOUT, epochs: 1, minImprovement: 0 }, ...trading },
  });
}

/**
 * The champion in `dir`/models/pf: a real portfolio model of BTC and ETH reading XRP whose policy head puts the whole
 * account in BTC (worst in the fall). Returns the model home.
 */
async function saveAllInBtcChampion(
  dir: string,
  series: Candles[],
  trainingWindow = { from: '', to: '' },
): Promise<string> {
  const home = path.join(dir, 'models', 'pf');
  await saveFixedPortfolio(home, series, [12, 0], trainingWindow);
  return home;
}

/**
 * A real portfolio model of BTC and ETH reading XRP (a recipe with cash) saved in `dir`, whose policy head gives the
 * latent logits `bias` whatever it sees: [12, 0] all in BTC, [-12, -12] all in cash.
 */
async function saveFixedPortfolio(
  dir: string,
  [btc, eth, xrp]: Candles[],
  bias: [number, number],
  trainingWindow = { from: '', to: '' },
): Promise<void> {
  await initBackend('wasm');
  const recipe = pairRecipe({ cash: true, costs: 'config' });
  const { features, scalers } = portfolioFeatures(recipe, [btc, eth, xrp], btc.ts[200]);
  const agent = createPortfolioAgent(recipe, new PortfolioObservationBuilder(features, 2, recipe.window), scalers, 1);
  const head = agent.learner.net.model.getLayer('policy');
  const [kernel, bias0] = head.getWeights();
  tf.tidy(() => head.setWeights([tf.zerosLike(kernel), tf.tensor1d(bias, bias0.dtype)]));
  await savePortfolioAgent(dir, agent, {
    name: 'pf',
    strategy: 'ppo-portfolio',
    seed: 1,
    trainingWindow,
    market: { exchange: btc.exchange, timeframe: btc.timeframe },
  });
  agent.dispose();
}

/**
 * BTC and ETH with XRP read, on a fake Upbit whose clock stands after their last candle (so it serves all of them and
 * nothing newer), and that clock.
 */
async function marketsAtEnd(): Promise<{ series: Candles[]; now: number; fake: FakeUpbit }> {
  const series = [market('BTC/KRW', 1, 50_000_000), market('ETH/KRW', 2, 3_000_000), market('XRP/KRW', 3, 3_000)];
  const now = series[0].ts[COUNT - 1] + HOUR + 10_000;
  const fake = await startFakeUpbit({
    now: () => now,
    series: series.map((candles) => ({ market: `KRW-${candles.symbol.split('/')[0]}`, candles })),
  });
  return { series, now, fake };
}

/**
 * Waits until a started `bot retrain` trains: its staging folder in `versions`, named by its pid, is there (polled
 * often: the test acts between its reading the champion and its verdict, however short its training). Returns its
 * pid and the folder's pid mark.
 */
async function training(bot: ReturnType<typeof startBot>, versions: string): Promise<{ pid: number; mark: string }> {
  const pid = bot.child.pid;
  assert.ok(pid !== undefined);
  const mark = `-${pid.toString(36)}`;
  let early: BotResult | undefined;
  void bot.done.then((r) => (early = r));
  for (const until = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 10))) {
    if (readdirSync(versions).some((f) => f.startsWith('.staging-') && f.endsWith(mark))) return { pid, mark };
    if (early) assert.fail(`it exited before training:\n${early.stderr}`);
    if (Date.now() > until) assert.fail('timed out waiting for it to train');
  }
}

test(`a portfolio challenger that made no trade on the holdout is not promoted by default (its 0.00% is flat's), as \
a single market's is; its row and verdict carry how challenger and champion traded; promoteWithoutTrades allows \
it`, async () => {
  const tmp = tempDir('bot-pf-retrain-flat-');
  const { series, now, fake } = await marketsAtEnd();
  try {
    const home = await saveAllInBtcChampion(tmp.dir, series); // all in BTC into a falling holdout
    const db = path.join(tmp.dir, 'bot.db');
    const retrain = (promoteWithoutTrades: boolean) =>
      runPortfolioRetrainJob({
        config: loadConfig({
          overrides: {
            exchange: { ccxt: fake.ccxtOptions(), retries: 0, backoffMs: 10, maxBackoffMs: 50 },
            data: { database: db },
            ml: { backend: 'wasm' },
            log: { file: '' },
            trading: {
              retrain: {
                trainCandles: 150,
                holdoutCandles: HOLDOUT,
                epochs: 1,
                minImprovement: 0,
                promoteWithoutTrades,
              },
            },
          },
        }),
        logger: quietLogger(),
        symbols: ['BTC/KRW', 'ETH/KRW'],
        model: home,
        every: 20,
        band: 0.01,
        clock: () => now,
        retryHoldout: true, // the second is judged on the first one's holdout
        // all in cash: it never trades
        train: (req) => saveFixedPortfolio(req.dir, [...req.traded, ...req.informative], [-12, -12]),
      });
    const flat = await retrain(false);
    assert.equal(flat.outcome, 'rejected', flat.reason);
    assert.match(
      flat.reason,
      new RegExp(
        '^challenger 0\\.00% beats champion -[\\d.]+% and equal weights rebalanced every 20 -[\\d.]+%, but made ' +
          "no trade on the holdout: its 0\\.00% is flat's",
      ),
    );
    assert.deepEqual(flat.scores?.activity?.challenger, { trades: 0, exposure: 0 });
    assert.ok((flat.scores?.activity?.champion?.trades ?? 0) > 0, JSON.stringify(flat.scores));
    assert.equal(currentVersion(home), INITIAL_VERSION);
    const st = CandleStore.open(db);
    const row = () =>
      st.db
        .prepare(
          `SELECT outcome, challenger_trades, challenger_exposure, champion_trades > 0, champion_exposure > 0.9
           FROM trading_retrains ORDER BY id DESC LIMIT 1`,
        )
        .raw()
        .get();
    try {
      assert.deepEqual(row(), ['rejected', 0, 0, 1, 1]);
      const allowed = await retrain(true);
      assert.equal(allowed.outcome, 'promoted', allowed.reason);
      assert.equal(currentVersion(home), allowed.challengerVersion);
      assert.deepEqual(row(), ['promoted', 0, 0, 1, 1]);
    } finally {
      st.close();
    }
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot retrain --symbols: a rule portfolio strategy is refused in one line, before any disk work; a single-market \
strategy on a portfolio home without --symbols is told to leave out --strategy`, async () => {
  const tmp = tempDir('bot-pf-retrain-');
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const r = await runBot(['retrain', '--symbols', 'BTC/KRW,ETH/KRW', '--strategy', 'equal-weight', '--db', db]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      'error: strategy "equal-weight" is a rule portfolio strategy: nothing to retrain; trade it with ' +
        'bot paper --symbols BTC/KRW,ETH/KRW --strategy equal-weight',
    );
    const one = await runBot(['retrain', '--symbols', 'BTC/KRW,ETH/KRW', '--strategy', 'sma-cross', '--db', db]);
    assert.match(one.stderr, /trades one market/);
    const none = await runBot(['retrain', '--symbols', 'BTC/KRW,ETH/KRW', '--db', db]);
    assert.match(none.stderr, /--model is needed with --symbols/);
    // a portfolio home without --symbols: the home, not a --symbols, asked for a portfolio strategy
    const home = await saveAllInBtcChampion(tmp.dir, [
      market('BTC/KRW', 1, 50_000_000),
      market('ETH/KRW', 2, 3_000_000),
      market('XRP/KRW', 3, 3_000),
    ]);
    const own = await runBot(['retrain', '--model', home, '--strategy', 'dqn-dnn', '--db', db]);
    assert.equal(own.code, 1);
    assert.equal(
      own.stderr.trim(),
      `error: strategy "dqn-dnn" trades one market; model ${home} is a portfolio model trading BTC/KRW,ETH/KRW: ` +
        'leave out --strategy to retrain it with its own strategy',
    );
    // CURRENT naming a version with no saved model: that line, not one asking for --strategy (audit, session 38)
    writeFileSync(path.join(home, 'CURRENT'), 'nonexist\n');
    const gone = await runBot(['retrain', '--model', home, '--db', db]);
    assert.equal(gone.code, 1);
    assert.equal(
      gone.stderr.trim(),
      `error: --model ${home}: version nonexist has no saved model at ${path.join(home, 'versions', 'nonexist')}`,
    );
    assert.equal(existsSync(db), false);
  } finally {
    tmp.cleanup();
  }
});

test(`bot retrain --symbols --model: a winning challenger is promoted and served by the running paper trader from its \
first candle after its holdout (a version that cannot load is not); an equal one is not promoted; other --symbols are \
refused`, async () => {
  const tmp = tempDir('bot-pf-retrain-');
  // 3 candles close after the retrain: the first ones the promoted version has not seen
  const start = Date.UTC(2024, 0, 1);
  const btc = market('BTC/KRW', 1, 50_000_000, start, 3);
  const eth = market('ETH/KRW', 2, 3_000_000, start, 3);
  const xrp = market('XRP/KRW', 3, 3_000, start, 3);
  const clock = { now: btc.ts[COUNT - HOLDOUT - 1] + HOUR + 10_000 };
  const fake = await startFakeUpbit({
    now: () => clock.now,
    series: [
      { market: 'KRW-BTC', candles: btc },
      { market: 'KRW-ETH', candles: eth },
      { market: 'KRW-XRP', candles: xrp },
    ],
  });
  let closeSession = () => {};
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const cfg = retrainConfig(tmp.dir, fake);
    const home = await saveAllInBtcChampion(tmp.dir, [btc, eth, xrp]);
    const common = ['--db', db, '--config', cfg, '--log-level', 'warn'];
    const symbols = ['--symbols', 'BTC/KRW,ETH/KRW', '--model', home];
    // the paper trader runs in this process the whole time, as `bot paper` does between ticks
    const exchangeSection = { ccxt: fake.ccxtOptions(), retries: 3, backoffMs: 10, maxBackoffMs: 50 };
    const config = loadConfig({
      overrides: { exchange: exchangeSection, data: { database: db }, ml: { backend: 'wasm' }, log: { file: '' } },
    });
    const session = await openPortfolioSession({
      config,
      logger: quietLogger(),
      mode: 'paper',
      name: 'default',
      symbols: ['BTC/KRW', 'ETH/KRW'],
      model: home,
      every: 20,
      band: 0.01,
      start: btc.ts[300],
      clock: () => clock.now,
    });
    closeSession = () => session.close();
    await session.trader.tick();
    // a version that cannot be loaded: logged, the serving one keeps trading
    mkdirSync(path.join(home, 'versions', 'broken'), { recursive: true });
    writeFileSync(path.join(home, 'versions', 'broken', 'meta.json'), '{}');
    writeFileSync(path.join(home, 'CURRENT'), 'broken');
    clock.now += 5 * HOUR;
    assert.equal((await session.trader.tick()).acted, 5);
    rmSync(path.join(home, 'CURRENT'));
    rmSync(path.join(home, 'versions', 'broken'), { recursive: true });

    const retrainedAt = btc.ts[COUNT - 1] + HOUR + 10_000;
    clock.now = retrainedAt;
    const retrain = () => runBot(['retrain', ...symbols, '--now', isoTime(retrainedAt), '--json', ...common]);
    const won = await retrain();
    assert.equal(won.code, 0, won.stderr);
    const r = JSON.parse(won.stdout) as {
      outcome: string;
      reason: string;
      challengerVersion: string;
      scores: { challenger: number; champion: number; buyHold: number };
      holdout: { from: string };
    };
    assert.equal(r.outcome, 'promoted', r.reason);
    assert.match(r.reason, /beats champion -?\d+\.\d\d% and equal weights rebalanced every 20/);
    assert.ok(r.scores.challenger > r.scores.champion && r.scores.challenger > r.scores.buyHold);
    assert.equal(r.holdout.from, isoTime(btc.ts[COUNT - HOLDOUT]), 'the holdout is the newest candles');
    assert.equal(currentVersion(home), r.challengerVersion);
    // the challenger's meta.json records its figures over the holdout it was judged on (it had none): the same return
    // as its score, and the Sharpe, drawdown and trades the dashboard's Models page shows
    const meta = JSON.parse(readFileSync(path.join(home, 'versions', r.challengerVersion, 'meta.json'), 'utf8')) as {
      metrics: { holdout?: Record<string, number>; symbol?: string };
    };
    const figures = meta.metrics.holdout;
    assert.ok(figures, JSON.stringify(meta.metrics));
    assert.ok(Math.abs(figures.totalReturn - r.scores.challenger) < 1e-9, `${figures.totalReturn}`);
    assert.ok(
      Number.isFinite(figures.sharpe) && figures.maxDrawdown >= 0 && figures.trades > 0,
      JSON.stringify(figures),
    );
    assert.equal(meta.metrics.symbol, 'BTC/KRW,ETH/KRW');

    // the tick after the promotion catches up to its holdout's end: the version before decides all of it (the new
    // one used to, in sample); the candles after it are the new version's
    await session.trader.tick();
    const { store, repo } = session;
    assert.equal(store.lastTs('upbit', 'XRP/KRW', '1h'), xrp.ts[COUNT - 1], 'the informative series is fetched');
    const run = repo.list()[0];
    const byVersion = () => repo.decisions(run.id).map((d) => [d.ts, d.modelVersion] as const);
    assert.ok(
      byVersion().every(([, v]) => v === INITIAL_VERSION),
      'the new version decides no candle of its holdout',
    );
    assert.equal(byVersion().at(-1)?.[0], btc.ts[COUNT - 1]);
    clock.now += 3 * HOUR;
    await session.trader.tick();
    const versions = byVersion();
    const switched = versions.findIndex(([, v]) => v === r.challengerVersion);
    assert.ok(switched > 0, 'the new version serves');
    assert.ok(versions.slice(0, switched).every(([, v]) => v === INITIAL_VERSION));
    assert.equal(versions[switched][0], btc.ts[COUNT], 'from the first candle after its holdout');
    assert.ok(versions.slice(switched).every(([, v]) => v === r.challengerVersion));

    // the same candles again: the new champion won its promotion on this whole holdout (meta.json holdoutWindow),
    // so it would be judged in sample there: no verdict, nothing changes; the home names its markets, so --model
    // alone retrains it as the portfolio it is (it used to be read as one market's)
    const same = await runBot(['retrain', '--model', home, '--now', isoTime(retrainedAt), '--json', ...common]);
    assert.equal(same.code, 0, same.stderr);
    const s = JSON.parse(same.stdout) as { outcome: string; reason: string; scores: { challenger: number } };
    assert.equal(s.outcome, 'skipped', s.reason);
    assert.match(s.reason, /^no verdict: .*\(selected or promoted on candles to [^)]+\)\), and 0 candle/);
    assert.equal(currentVersion(home), r.challengerVersion);
    assert.deepEqual(readdirSync(path.join(home, 'versions')), [r.challengerVersion], 'nothing else is kept');
    const history = (() => {
      const st = CandleStore.open(db);
      try {
        return retrainHistory(st).map((h) => h.outcome);
      } finally {
        st.close();
      }
    })();
    assert.deepEqual(history, ['skipped', 'promoted']);

    const wrong = await runBot(['retrain', '--symbols', 'ETH/KRW,BTC/KRW', '--model', home, ...common]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /trades BTC\/KRW,ETH\/KRW in that order and reads XRP\/KRW; --symbols names ETH/);
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
    // the home serves upbit 1h: another timeframe or a single market named is refused in one line
    for (const [flag, value, says] of [
      ['--timeframe', '1d', 'a model home serves one market'],
      ['--symbol', 'BTC/KRW', 'a model home serves one list of markets'],
    ]) {
      const other = await runBot(['retrain', '--model', home, flag, value, ...common]);
      assert.equal(other.code, 1);
      assert.equal(other.stderr.trim().split('\n').length, 1, other.stderr);
      assert.ok(other.stderr.includes(`${flag} names ${value}`) && other.stderr.includes(says), other.stderr);
    }
  } finally {
    closeSession();
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot paper --symbols … --model … --retrain CRON: each scheduled firing runs a child bot retrain --symbols that \
exits 0, records its verdict on the joined markets and moves CURRENT if and only if it promoted`, async () => {
  const tmp = tempDir('bot-pf-retrain-child-');
  // the child runs on the wall clock (as under `bot paper` without --now): the series end at the last closed hour
  const start = Math.floor(Date.now() / HOUR) * HOUR - COUNT * HOUR;
  const series = [
    market('BTC/KRW', 1, 50_000_000, start),
    market('ETH/KRW', 2, 3_000_000, start),
    market('XRP/KRW', 3, 3_000, start),
  ];
  const fake = await startFakeUpbit({
    series: series.map((candles) => ({ market: `KRW-${candles.symbol.split('/')[0]}`, candles })),
  });
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const config = retrainConfig(tmp.dir, fake);
    const home = await saveAllInBtcChampion(tmp.dir, series);
    const lines: string[] = [];
    const logger = quietLogger();
    logger.info = ((msg: string) => (lines.push(`info ${msg}`), logger)) as typeof logger.info;
    logger.error = ((msg: string) => (lines.push(`error ${msg}`), logger)) as typeof logger.error;
    // the flags `bot paper --symbols BTC/KRW,ETH/KRW --model … --rebalance-every 10 --retrain CRON` hands the runner
    const paperFlags = { symbols: 'BTC/KRW,ETH/KRW', rebalanceEvery: '10', db, config, logLevel: 'warn' };
    const fire = retrainChildRunner(paperFlags, home, logger);
    const retrains = () => {
      const st = CandleStore.open(db);
      try {
        return st.db
          .prepare(
            `SELECT symbol, model_dir, outcome, reason, challenger_version, scheduled
             FROM trading_retrains ORDER BY id`,
          )
          .all() as {
          scheduled: number;
          symbol: string;
          model_dir: string;
          outcome: string;
          reason: string;
          challenger_version: string;
        }[];
      } finally {
        st.close();
      }
    };
    // two firings: a champion all in BTC through the fall loses to a trained challenger; on the same candles that
    // challenger, promoted on this whole holdout, cannot be judged out of its sample: no verdict
    for (const expected of ['promoted', 'skipped']) {
      const before = currentVersion(home);
      lines.length = 0;
      await fire();
      assert.deepEqual(lines, ['info scheduled retrain starting', 'info scheduled retrain finished']);
      const rows = retrains();
      const row = rows[rows.length - 1];
      assert.equal(row.symbol, 'BTC/KRW,ETH/KRW');
      assert.equal(row.scheduled, 1, "a trader's --retrain child is a scheduled retrain (holdout-trials.ts)");
      assert.equal(row.model_dir, path.resolve(home));
      assert.equal(row.outcome, expected, row.reason);
      assert.equal(currentVersion(home), row.outcome === 'promoted' ? row.challenger_version : before);
    }
    const rows = retrains();
    assert.deepEqual(
      rows.map((r) => r.outcome),
      ['promoted', 'skipped'],
    );
    // judged against the run's baseline (--rebalance-every 10), not the retrain's default of 20
    assert.match(rows[0].reason, /beats champion -?\d+\.\d\d% and equal weights rebalanced every 10 /);
    assert.match(rows[1].reason, /^no verdict: the holdout .* reaches into the champion's sample/);
    assert.notEqual(currentVersion(home), INITIAL_VERSION);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot retrain --market-costs: a bad spec, the flag without --symbols, a market not traded, and bot paper --once \
--retrain are refused in one line with exit 1, before any disk work`, async () => {
  const tmp = tempDir('bot-pf-retrain-costs-');
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const pf = ['retrain', '--symbols', 'BTC/KRW,ETH/KRW', '--model', path.join(tmp.dir, 'models', 'pf')];
    for (const [args, line] of [
      [[...pf, '--market-costs', 'BTC/KRW'], '--market-costs wants SYMBOL=PRESET pairs, got "BTC/KRW"'],
      [[...pf, '--market-costs', 'BTC/KRW=dear'], 'unknown cost preset "dear" (presets: upbit-krw, krx-stock, zero)'],
      [
        [...pf, '--market-costs', 'XRP/KRW=zero'],
        '--market-costs names XRP/KRW, which is not traded (BTC/KRW, ETH/KRW)',
      ],
      [
        ['retrain', '--symbol', 'BTC/KRW', '--market-costs', 'BTC/KRW=zero'],
        '--market-costs is for portfolios: give --symbols BTC/KRW,ETH/KRW',
      ],
      [
        ['retrain', '--market-costs', 'BTC/KRW=zero'],
        '--market-costs is for portfolios: give --symbols BTC/KRW,ETH/KRW',
      ],
      [
        ['paper', '--model', path.join(tmp.dir, 'models', 'pf'), '--retrain', '0 3 * * *', '--once'],
        '--retrain runs beside the trader loop: drop --once',
      ],
    ] as const) {
      const r = await runBot([...args, '--db', db]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr.trim(), `error: ${line}`);
    }
    assert.equal(existsSync(db), false);
  } finally {
    tmp.cleanup();
  }
});

test(`bot retrain --symbols --market-costs judges challenger and champion with the flag's costs, and the child that \
bot paper --market-costs … --now T --retrain CRON starts gets both: its trading_retrains row is on the run's clock and \
costs; the row, the verdict line and GET /api/v1/retrains name those costs and equal weights as the \
baseline`, async () => {
  const tmp = tempDir('bot-pf-retrain-costs-');
  // a fixed clock after the last candle: the child fetches nothing newer than T (and nothing at all on the wall clock)
  const { series, now, fake } = await marketsAtEnd();
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const config = retrainConfig(tmp.dir, fake);
    const common = ['--now', isoTime(now), '--json', '--db', db, '--config', config, '--log-level', 'warn'];
    const retrainWith = async (extra: string[]) => {
      const home = await saveAllInBtcChampion(path.join(tmp.dir, `home${extra.length}`), series);
      const r = await runBot(['retrain', '--symbols', 'BTC/KRW,ETH/KRW', '--model', home, ...extra, ...common]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as RetrainResult & { scores: { champion: number; buyHold: number } };
    };
    // the champion puts the account in BTC; at krx-stock's whole units a 50,000,000 coin is out of a 10,000,000
    // account's reach, so it stays in cash through the fall instead of losing with it
    const plainResult = await retrainWith([]);
    const flaggedResult = await retrainWith(['--market-costs', 'BTC/KRW=krx-stock']);
    const [plain, flagged] = [plainResult.scores, flaggedResult.scores];
    assert.ok(plain.champion < -0.1, `the champion falls with BTC at the config's costs: ${plain.champion}`);
    assert.equal(flagged.champion, 0, 'the champion cannot buy a whole BTC');
    assert.notEqual(flagged.buyHold, plain.buyHold, 'equal weights are judged at the same costs');

    // the costs they were judged at, recorded as one market's retrain records its own (audit, session 38: none were)
    const perMarket = "BTC/KRW --market-costs krx-stock · ETH/KRW the config's account costs";
    assert.equal(plainResult.costs, "the config's account costs");
    assert.equal(flaggedResult.costs, perMarket);
    const line = describe(flaggedResult);
    assert.ok(line.includes(`(equal weights rebalanced every 20 `), line);
    assert.ok(line.includes(`, all judged at ${perMarket}, `), line);
    const served = await servePortfolio({ dir: tmp.dir, dbFile: db, now });
    try {
      const api = (await (await fetch(`${served.url}/api/v1/retrains`)).json()) as {
        retrains: { costs: string; baseline: string; buyHoldScore: number }[];
      };
      assert.deepEqual(
        api.retrains.map((r) => [r.costs, r.baseline, r.buyHoldScore]),
        [
          [perMarket, 'equal weights rebalanced every 20', flagged.buyHold],
          ["the config's account costs", 'equal weights rebalanced every 20', plain.buyHold],
        ],
      );
    } finally {
      await served.server.close();
    }

    // the child a `bot paper --symbols BTC/KRW,ETH/KRW --market-costs BTC/KRW=krx-stock --now T --retrain CRON` starts
    const home = await saveAllInBtcChampion(path.join(tmp.dir, 'child'), series);
    const paperFlags = { symbols: 'BTC/KRW,ETH/KRW', marketCosts: 'BTC/KRW=krx-stock', now: isoTime(now), db, config };
    await retrainChildRunner({ ...paperFlags, logLevel: 'warn' }, home, quietLogger())();
    const st = CandleStore.open(db);
    try {
      const row = st.db
        .prepare(
          `SELECT started_at, outcome, reason, champion_score, costs, baseline FROM trading_retrains
           WHERE model_dir = ?`,
        )
        .get(path.resolve(home)) as {
        started_at: number;
        outcome: string;
        reason: string;
        champion_score: number;
        costs: string;
        baseline: string;
      };
      assert.notEqual(row.outcome, 'failed', row.reason);
      assert.equal(row.started_at, now, "the run's clock");
      assert.equal(row.champion_score, 0, "the run's costs");
      assert.equal(row.costs, perMarket, 'the costs named as the run gave them');
      assert.equal(row.baseline, 'equal weights rebalanced every 20');
    } finally {
      st.close();
    }
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot retrain --symbols on a fixed clock (--now, as a replaying trader's child runs) trains and judges on the \
candles closed by then, none after, though the store holds later ones`, async () => {
  const tmp = tempDir('bot-pf-retrain-now-');
  const series = [market('BTC/KRW', 1, 50_000_000), market('ETH/KRW', 2, 3_000_000), market('XRP/KRW', 3, 3_000)];
  const fake = await startFakeUpbit({
    series: series.map((candles) => ({ market: `KRW-${candles.symbol.split('/')[0]}`, candles })),
  });
  try {
    const db = path.join(tmp.dir, 'bot.db');
    // every series whole, as a `bot data download` before the replay left them
    const st = CandleStore.open(db);
    for (const c of series) st.upsert('upbit', c.symbol, '1h', candleRows(c));
    st.close();
    const home = await saveAllInBtcChampion(tmp.dir, series);
    const now = series[0].ts[360] + 10_000; // the run's clock: candle 359 is the newest closed
    const r = await runBot([
      'retrain',
      '--symbols',
      'BTC/KRW,ETH/KRW',
      '--model',
      home,
      '--now',
      isoTime(now),
      '--json',
      '--db',
      db,
      '--config',
      retrainConfig(tmp.dir, fake),
      '--log-level',
      'warn',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { outcome: string; reason: string; holdout: { from: string; to: string } };
    assert.notEqual(out.outcome, 'failed', out.reason);
    assert.deepEqual(out.holdout, { from: isoTime(series[0].ts[360 - HOLDOUT]), to: isoTime(series[0].ts[359]) });
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot retrain --symbols does not promote over a version that another retrain of the home promoted while it \
trained, having taken the home's lock over as stale (it was judged against the champion before): CURRENT keeps that \
version`, async () => {
  const tmp = tempDir('bot-pf-retrain-two-db-');
  const { series, now, fake } = await marketsAtEnd();
  let paused: number | undefined;
  try {
    const cfg = retrainConfig(tmp.dir, fake, { lockStaleSeconds: 1 });
    const home = await saveAllInBtcChampion(tmp.dir, series);
    const versions = path.join(home, 'versions');
    mkdirSync(versions, { recursive: true });
    const retrain = (db: string) =>
      startBot([
        'retrain',
        ...['--symbols', 'BTC/KRW,ETH/KRW', '--model', home, '--now', isoTime(now), '--json'],
        ...['--db', path.join(tmp.dir, db), '--config', cfg, '--log-level', 'warn'],
      ]);
    // ours (a trader's child, say, on the trader's --db) is held still once it trains: its champion is read
    const ours = retrain('ours.db');
    paused = ours.child.pid;
    const { pid } = await training(ours, versions);
    process.kill(pid, 'SIGSTOP');
    // stopped, its lock's heartbeat goes stale (as a holder's does when its host hangs)
    await new Promise((r) => setTimeout(r, 1_500));
    // theirs (a `bot retrain` by hand, on another database) takes the lock over, runs whole meanwhile and promotes
    const theirs = await retrain('theirs.db').done;
    assert.equal(theirs.code, 0, theirs.stderr);
    const promoted = JSON.parse(theirs.stdout) as { outcome: string; reason: string; challengerVersion: string };
    assert.equal(promoted.outcome, 'promoted', promoted.reason);
    process.kill(pid, 'SIGCONT');
    const r = await ours.done;
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { outcome: string; reason: string; championVersion: string };
    assert.equal(out.championVersion, INITIAL_VERSION);
    assert.equal(out.outcome, 'rejected', out.reason);
    assert.match(out.reason, new RegExp(`CURRENT changed from initial to ${promoted.challengerVersion} during`));
    assert.equal(currentVersion(home), promoted.challengerVersion);
    assert.deepEqual(readdirSync(versions), [promoted.challengerVersion]);
  } finally {
    if (paused !== undefined) {
      try {
        process.kill(paused, 'SIGKILL'); // only when the test failed with it still running
      } catch {
        // already gone
      }
    }
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot retrain --symbols judges the champion out of its own sample: a champion that bot backtest trained to a day \
inside the holdout is judged from the next day on (the challenger trained before it); one trained to a day that leaves \
fewer than half the holdout gets no verdict, in one line, with nothing trained or promoted`, async () => {
  const tmp = tempDir('bot-pf-retrain-sample-');
  const { series, now, fake } = await marketsAtEnd();
  const [btc] = series;
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const common = ['--now', isoTime(now), '--db', db, '--config', retrainConfig(tmp.dir, fake), '--log-level', 'info'];
    const retrain = async (name: string, to: string, json: string[]) => {
      // days, as bot backtest --symbols records a portfolio model's training window
      const home = await saveAllInBtcChampion(path.join(tmp.dir, name), series, { from: '2024-01-01', to });
      const r = await runBot(['retrain', '--symbols', 'BTC/KRW,ETH/KRW', '--model', home, ...json, ...common]);
      return { home, r };
    };
    // the newest 60 candle times start at 2024-01-15T04:00Z: a champion trained through that day is judged on the
    // 40 from 2024-01-16T00:00Z on, and the challenger's window ends right before them
    const into = await retrain('into', '2024-01-15', ['--json']);
    assert.equal(into.r.code, 0, into.r.stderr);
    const out = JSON.parse(into.r.stdout) as {
      outcome: string;
      reason: string;
      holdout: { from: string; to: string };
      championTrainedTo: string;
      challengerVersion: string;
    };
    assert.notEqual(out.outcome, 'failed', out.reason);
    assert.deepEqual(out.holdout, { from: '2024-01-16T00:00:00Z', to: isoTime(btc.ts[COUNT - 1]) });
    assert.equal(out.championTrainedTo, '2024-01-15');
    const window = `window ${isoTime(btc.ts[360 - 150])} … 2024-01-15T23:00:00Z, holdout 2024-01-16T00:00:00Z`;
    assert.ok(into.r.stderr.includes(window), into.r.stderr);

    // through 2024-01-16: 16 candle times after it, fewer than 30
    const late = await retrain('late', '2024-01-16', []);
    assert.equal(late.r.code, 0, late.r.stderr);
    assert.equal(
      late.r.stdout,
      'skipped: no verdict: the holdout 2024-01-15T04:00:00Z … 2024-01-17T15:00:00Z reaches into the ' +
        "champion's sample (the champion trained to 2024-01-16), and 16 candle(s) after it are fewer than the 30 a " +
        'shortened holdout keeps (half of trading.retrain.holdoutCandles, at least 10): the champion would be ' +
        'judged in sample; a retrain from 2024-01-18T06:00:00Z on can judge it\n',
    );
    assert.equal(currentVersion(late.home), INITIAL_VERSION);
    assert.ok(!existsSync(path.join(late.home, 'versions')), 'no challenger was trained');
    const st = CandleStore.open(db);
    try {
      const [row] = retrainHistory(st);
      assert.equal(row.outcome, 'skipped');
      assert.equal(`skipped: ${row.reason}`, late.r.stdout.trim());
    } finally {
      st.close();
    }
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`a bot retrain killed with kill -9 leaves its trading_retrains row running only until the next retrain of the \
home, which removes its staging folder and closes the row as failed (killed); a row whose process lives stays \
running`, async () => {
  const tmp = tempDir('bot-pf-retrain-kill-');
  const { series, now, fake } = await marketsAtEnd();
  let killed: number | undefined;
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const home = await saveAllInBtcChampion(tmp.dir, series);
    const versions = path.join(home, 'versions');
    mkdirSync(versions, { recursive: true });
    const args = ['retrain', '--symbols', 'BTC/KRW,ETH/KRW', '--model', home, '--now', isoTime(now), '--json'];
    const common = ['--db', db, '--config', retrainConfig(tmp.dir, fake), '--log-level', 'warn'];
    const rows = () => {
      const st = CandleStore.open(db);
      try {
        return retrainHistory(st).reverse();
      } finally {
        st.close();
      }
    };
    const first = startBot([...args, ...common]);
    killed = first.child.pid;
    const { pid, mark } = await training(first, versions);
    process.kill(pid, 'SIGKILL');
    assert.equal((await first.done).signal, 'SIGKILL');
    const [left] = rows();
    assert.equal(left.outcome, 'running');
    assert.ok(left.challengerVersion?.endsWith(mark));
    // a retrain of the home that still runs, in this test's own process: its row is not closed
    const st = CandleStore.open(db);
    st.db
      .prepare(
        `INSERT INTO trading_retrains (started_at, exchange, symbol, timeframe, strategy, model_dir,
         challenger_version, outcome) VALUES (0, 'upbit', 'BTC/KRW,ETH/KRW', '1h', 'ppo-portfolio', ?, ?, 'running')`,
      )
      .run(left.modelDir, `20240101T000000Z-${process.pid.toString(36)}`);
    st.close();

    const next = await runBot([...args, ...common]);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`removed 1 leftover\\(s\\) of a killed retrain: \\.staging-\\S+${mark}`));
    const [closed, alive, own] = rows();
    assert.equal(closed.id, left.id);
    assert.equal(closed.outcome, 'failed');
    assert.equal(closed.reason, `killed: its process (pid ${killed}) ended before the verdict; nothing was promoted`);
    assert.equal(closed.finishedAt, now, "closed on the next retrain's clock");
    assert.equal(alive.outcome, 'running', 'a live process is never taken for a killed one');
    assert.notEqual(own.outcome, 'running');
    assert.ok(!readdirSync(versions).some((f) => f.endsWith(mark)), 'its staging folder is removed');
  } finally {
    if (killed !== undefined) {
      try {
        process.kill(killed, 'SIGKILL'); // only when the test failed before killing it
      } catch {
        // already gone
      }
    }
    await fake.close();
    tmp.cleanup();
  }
});

/**
 * A saved model paper-traded (real SQLite, real tfjs model files) against the backtest engine with the same model on
 * the same candles: the same trades, also when its features need a long history, and when the model home's pointer
 * switches to a version that reads further back than the one the run started with, and when it names one that cannot
 * be loaded.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { loadConfig } from '../../src/config/load.ts';
import { candleRows, candlesFromRows, sliceCandles, type Candles } from '../../src/core/candles.ts';
import { promoteVersion, stageVersion, versionDir } from '../../src/agents/model-pointer.ts';
import { recipeSizing } from '../../src/agents/setup.ts';
import { recipeHistory } from '../../src/agents/recipe-reach.ts';
import type { PolicyChoiceResult } from '../../src/trading/rule-policy-source.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import {
  saveAgent,
  SMALL_RECIPE,
  spoilNetworkShape,
  spoilScalerColumns,
  UNLOADABLE,
  assertFellBackThrice,
} from './agents.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { featureHistory } from '../../src/features/index.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';
import { capturingLogger } from '../helpers/log.ts';
import { log, setLogger } from '../../src/core/log.ts';

const HOUR = 3_600_000;

/** A temp folder, `count` hourly candles (seed 8) and a store, with trading.historyCandles 120. */
function modelPaperSetup(count: number) {
  const tmp = tempDir();
  const candles = syntheticCandles({ seed: 8, count, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
  const config = loadConfig({
    overrides: {
      data: { database: path.join(tmp.dir, 'bot.db') },
      log: { file: '' },
      trading: { historyCandles: 120 },
    },
  });
  return { tmp, candles, config, store: CandleStore.open(config.data.database) };
}

type Setup = ReturnType<typeof modelPaperSetup>;

/** A paper trader of a model source on the setup's candles from candle `startIndex`, at the clock's time. */
function modelTrader(
  s: Setup,
  served: PolicyChoiceResult,
  startIndex: number,
  clock: () => number,
  name = 'model',
): Trader {
  return new Trader({
    repo: new RunRepository(s.store.db),
    store: s.store,
    feed: seriesFeed(s.candles, HOUR),
    market: new PaperMarket(served.costs, served.sizing),
    policies: served.source,
    key: { mode: 'paper', name, exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
    balance: s.config.account.balance,
    historyCandles: s.config.trading.historyCandles,
    start: s.candles.ts[startIndex],
    clock,
    logger: quietLogger(),
  });
}

/** The backtest engine with the model saved in `dir` over `candles`, deciding from candle `from` on. */
async function backtestOf(dir: string, candles: Candles, from: number, s: Setup, served: PolicyChoiceResult) {
  const agent = await loadAgent(dir);
  try {
    return runBacktest({
      ...agent.observationSource(candles),
      range: { from, to: candles.ts.length },
      costs: served.costs,
      balance: s.config.account.balance,
      sizing: served.sizing,
      policy: agent.policy,
    });
  } finally {
    agent.dispose();
  }
}

/** A run's fills, or a backtest's trades, as rows to compare. */
const tradeRows = (trades: readonly TradeRow[]): TradeRow[] =>
  trades.map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));

/**
 * Paper-trades a seeded network saved with `recipe` from candle `startIndex` on (history: trading.historyCandles 120)
 * and backtests the same model from the same candle over `candles` from `backtestFrom` on: both runs' trades. `holes`:
 * candles (indices) the exchange lacks, left out of both; `startIndex` and `backtestFrom` count the candles left.
 */
async function paperAndBacktest(o: {
  recipe?: AgentRecipe;
  count: number;
  startIndex: number;
  backtestFrom: number;
  holes?: readonly number[];
}): Promise<{ paper: TradeRow[]; backtest: TradeRow[]; history: number; warm: number }> {
  const s = modelPaperSetup(o.count);
  if (o.holes) {
    const rows = candleRows(s.candles).filter((_, i) => !o.holes?.includes(i));
    s.candles = candlesFromRows(s.candles.exchange, s.candles.symbol, s.candles.timeframe, rows);
  }
  const { candles, config } = s;
  const home = path.join(s.tmp.dir, 'models', 'seeded');
  try {
    await saveAgent(home, 'seeded', candles, o.recipe, 3);
    const served = await modelPolicySource(home, config);
    const history = served.source.history ?? config.trading.historyCandles;
    await modelTrader(s, served, o.startIndex, () => candles.ts[candles.ts.length - 1] + HOUR + 1000).tick();
    const repo = new RunRepository(s.store.db);
    const run = repo.list()[0];
    const paper = tradeRows(repo.trades(run.id));
    const warm = repo.decisions(run.id).filter((d) => d.policy === 'warm-up').length;
    assert.equal(run.modelVersion, 'initial');

    const loaded = sliceCandles(candles, o.backtestFrom, candles.ts.length);
    const bt = await backtestOf(home, loaded, o.startIndex - o.backtestFrom, s, served);
    served.source.dispose?.();
    return { paper, backtest: tradeRows(bt.trades), history, warm };
  } finally {
    s.store.close();
    s.tmp.cleanup();
  }
}

interface TradeRow {
  ts: number;
  side: string;
  price: number;
  units: number;
}

test(`paper trading a saved model makes exactly the trades of the backtest engine with that model on the same \
candles`, async () => {
  const { paper, backtest } = await paperAndBacktest({ count: 320, startIndex: 160, backtestFrom: 40 });
  assert.ok(backtest.length >= 2, `the seeded network trades (${backtest.length})`);
  assert.deepEqual(paper, backtest);
});

test(`a model reading recursive features (ta's EMAs) loads the history they need: its paper trades are those of a \
backtest over the whole file, not only over the candles a short trading.historyCandles loads`, async () => {
  const recipe: AgentRecipe = { ...SMALL_RECIPE, features: 'rltrader-v1+ta' };
  const { paper, backtest, history } = await paperAndBacktest({
    recipe,
    count: 1100,
    startIndex: 900,
    backtestFrom: 0,
  });
  assert.equal(history, featureHistory('rltrader-v1+ta') + recipe.window - 1, 'history: warm-up + settle + window');
  assert.ok(backtest.length >= 2, `the seeded network trades (${backtest.length})`);
  assert.deepEqual(paper, backtest);
});

test(`holes in the exchange's series before the start (Upbit's missing hours): a model whose warm-up and window are \
its whole history decides from its first candle, with the trades of a backtest over every candle stored`, async () => {
  // SMALL_RECIPE reads 123 candles (rltrader-v1's 119 rows, window 5) before a decision, over historyCandles 120
  const holes = [60, 90, 91, 150];
  const { paper, backtest, history, warm } = await paperAndBacktest({
    count: 320,
    startIndex: 160 - holes.length,
    backtestFrom: 0,
    holes,
  });
  assert.equal(history, 123, 'the history is the warm-up and the window, the holes inside its 123 hours');
  assert.equal(warm, 0, `${warm} candles from the start were held as the warm-up`);
  assert.ok(backtest.length >= 2, `the seeded network trades (${backtest.length})`);
  assert.deepEqual(paper, backtest);
});

test(`paper: a model pointer switched to a version that needs more history (ta's EMAs, a longer window) is served on \
the history it needs: from then on the run decides and trades as a backtest of that version does`, async () => {
  const s = modelPaperSetup(1100);
  const { candles, config } = s;
  const home = path.join(s.tmp.dir, 'models', 'switched');
  // ta's EMAs settle over 600 candles, and a 60-candle window reaches past the history the first version loads
  const longer: AgentRecipe = { ...SMALL_RECIPE, features: 'rltrader-v1+ta', window: 60 };
  try {
    // the version the run starts with stays flat (always sell), so the run's account is the backtest's at the switch
    await saveAgent(home, 'sell', candles);
    const startIndex = 900;
    let now = candles.ts[startIndex] + HOUR + 1000;
    // the run's clock: a promotion is waited for up to the candle closing after it, on that clock (version-takeover.ts)
    const served = await modelPolicySource(home, config, () => now);
    const trader = modelTrader(s, served, startIndex, () => now);
    await trader.tick();
    const repo = new RunRepository(s.store.db);
    const run = repo.list()[0];
    assert.equal(run.lastTs, candles.ts[startIndex]);
    const before = served.source.history ?? 0;
    assert.ok(recipeHistory(longer) > before + 500, `needs more history: ${recipeHistory(longer)} vs ${before}`);

    const staged = stageVersion(home, 'longer');
    await saveAgent(staged.dir, 'seeded', candles, longer, 3);
    staged.commit();
    promoteVersion(home, 'longer');
    // a running loop's ticks, one candle each, then a catch-up after downtime
    for (let i = startIndex + 1; i <= startIndex + 30; i++) {
      now = candles.ts[i] + HOUR + 1000;
      await trader.tick();
    }
    now = candles.ts[candles.ts.length - 1] + HOUR + 1000;
    await trader.tick();
    const decisions = repo.decisions(run.id).filter((d) => d.ts > candles.ts[startIndex]);
    assert.equal(decisions.length, candles.ts.length - 1 - startIndex);
    assert.deepEqual(new Set(decisions.map((d) => d.modelVersion)), new Set(['longer']));
    const warm = decisions.filter((d) => d.policy === 'warm-up').length;
    assert.equal(warm, 0, `${warm} candles after the switch were held as the new version's warm-up`);

    const bt = await backtestOf(versionDir(home, 'longer'), candles, startIndex + 1, s, served);
    served.source.dispose?.();
    const names = ['buy', 'sell', 'hold'];
    assert.deepEqual(
      decisions.slice(0, -1).map((d) => d.action),
      [...bt.actions].map((a) => names[a]),
      "every decision is the backtest's",
    );
    assert.ok(bt.trades.length >= 2, `the seeded network trades (${bt.trades.length})`);
    assert.deepEqual(tradeRows(repo.trades(run.id)), tradeRows(bt.trades));
  } finally {
    s.store.close();
    s.tmp.cleanup();
  }
});

test(`paper: a model pointer switched to a version whose recipe sizes its orders otherwise (by its confidence, where \
the first version puts all in) trades with that version's sizing, as its backtest does`, async () => {
  const s = modelPaperSetup(400);
  const { candles, config } = s;
  const home = path.join(s.tmp.dir, 'models', 'resized');
  const sized: AgentRecipe = { ...SMALL_RECIPE, sizing: 'confidence' };
  try {
    await saveAgent(home, 'sell', candles);
    const startIndex = 250;
    let now = candles.ts[startIndex] + HOUR + 1000;
    const served = await modelPolicySource(home, config, () => now); // the run's clock
    assert.equal(served.sizing.kind, 'all', "the run's market sizes as the first version");
    const trader = modelTrader(s, served, startIndex, () => now);
    await trader.tick();
    const staged = stageVersion(home, 'sized');
    await saveAgent(staged.dir, 'seeded', candles, sized, 3);
    staged.commit();
    promoteVersion(home, 'sized');
    now = candles.ts[candles.ts.length - 1] + HOUR + 1000;
    await trader.tick();
    const repo = new RunRepository(s.store.db);
    const run = repo.list()[0];
    const bt = await backtestOf(versionDir(home, 'sized'), candles, startIndex + 1, s, {
      ...served,
      sizing: recipeSizing(sized, config.backtest),
    });
    served.source.dispose?.();
    assert.ok(bt.trades.length >= 2, `the seeded network trades (${bt.trades.length})`);
    assert.deepEqual(tradeRows(repo.trades(run.id)), tradeRows(bt.trades));
  } finally {
    s.store.close();
    s.tmp.cleanup();
  }
});

/**
 * A paper run from candle 250 of the model home `models/<name>` whose first version ('initial') sells, ticked once;
 * what is logged from then on is kept in `lines`. `tickAfter(k)`: the tick after candle k closes.
 */
async function startedModelRun(name: string) {
  const s = modelPaperSetup(300);
  const home = path.join(s.tmp.dir, 'models', name);
  const clock = { now: 0 };
  const at = (k: number) => s.candles.ts[k] + HOUR + 1000;
  await saveAgent(home, 'sell', s.candles);
  const served = await modelPolicySource(home, s.config, () => clock.now);
  const startIndex = 250;
  clock.now = at(startIndex);
  const trader = modelTrader(s, served, startIndex, () => clock.now);
  await trader.tick();
  const lines: string[] = [];
  const previous = log();
  setLogger(capturingLogger(lines));
  const tickAfter = (k: number) => {
    clock.now = at(k);
    return trader.tick();
  };
  const close = () => {
    setLogger(previous);
    served.source.dispose?.();
    s.store.close();
    s.tmp.cleanup();
  };
  return { s, home, clock, at, startIndex, trader, tickAfter, lines, repo: new RunRepository(s.store.db), close };
}

test(`paper: a model pointer naming a version that cannot be loaded (broken files) is logged once, not at every tick, \
while the serving version decides every candle; the version is tried again after 1 hour, then 2, and at once when \
CURRENT is written again, and served once it loads`, async () => {
  const { s, home, clock, at, startIndex, trader, tickAfter, lines, repo, close } = await startedModelRun('broken');
  const { candles } = s;
  try {
    mkdirSync(path.join(home, 'versions', 'broken'), { recursive: true });
    writeFileSync(path.join(home, 'versions', 'broken', 'meta.json'), '{}');
    writeFileSync(path.join(home, 'CURRENT'), 'broken');
    // one tick an hour: given up at the first, tried again at the second (its 1-hour wait over), held at the third
    for (let k = startIndex + 1; k <= startIndex + 3; k++) await tickAfter(k);
    const said = () => lines.filter((l) => l.includes('version broken'));
    assert.equal(said().length, 2, lines.join(''));
    [1, 2].forEach((hours, n) =>
      assert.match(
        said()[n],
        new RegExp(
          `version broken cannot be loaded \\(.*\\); still serving initial \\(tried again in ${hours}h, at ` +
            `${new Date(at(startIndex + 1 + n) + hours * HOUR).toISOString()}, or at once when CURRENT is written`,
        ),
      ),
    );
    // CURRENT written again a minute later (its wait runs 2 hours): tried again at once, and given up again
    writeFileSync(path.join(home, 'CURRENT'), 'broken');
    clock.now += 60_000;
    await trader.tick();
    assert.equal(said().length, 3, lines.join(''));
    assert.match(said()[2], /cannot be loaded .*tried again in 1h/);
    const run = repo.list()[0];
    const decided = repo.decisions(run.id).map((d) => ({ ts: d.ts, version: d.modelVersion }));
    const expected = [0, 1, 2, 3].map((n) => ({ ts: candles.ts[startIndex + n], version: 'initial' }));
    assert.deepEqual(decided, expected, 'every candle is decided by the serving version');

    // the files mended and CURRENT written again: served from that tick on
    rmSync(path.join(home, 'versions', 'broken'), { recursive: true });
    const staged = stageVersion(home, 'broken');
    await saveAgent(staged.dir, 'buy', candles);
    staged.commit();
    promoteVersion(home, 'broken');
    await tickAfter(startIndex + 4);
    assert.equal(repo.decisions(run.id).at(-1)?.modelVersion, 'broken');
    assert.match(lines.at(-1) as string, /now serving version broken/);
  } finally {
    close();
  }
});

/**
 * A version `name` saved, `spoil`ed and promoted under a started run, then three hourly ticks: it is given up in one
 * line matching `why` at the first, tried again at the second (its 1-hour wait over), held at the third, while the
 * version serving before decides every candle.
 */
async function promotedBrokenVersion(name: string, spoil: (dir: string, candles: Candles) => unknown, why: RegExp) {
  const { s, home, startIndex, tickAfter, lines, repo, close } = await startedModelRun(name);
  try {
    const staged = stageVersion(home, name);
    await saveAgent(staged.dir, 'buy', s.candles);
    await spoil(staged.dir, s.candles);
    staged.commit();
    promoteVersion(home, name);
    for (let k = startIndex + 1; k <= startIndex + 3; k++) await tickAfter(k);
    const said = lines.filter((l) => l.includes(`version ${name}`));
    assert.equal(said.length, 2, lines.join(''));
    assert.match(said[0], why);
    const decided = repo.decisions(repo.list()[0].id).map((d) => ({ ts: d.ts, version: d.modelVersion }));
    const expected = [0, 1, 2, 3].map((n) => ({ ts: s.candles.ts[startIndex + n], version: 'initial' }));
    assert.deepEqual(decided, expected, 'every candle is decided by the serving version');
  } finally {
    close();
  }
}

test(`paper: a promoted version whose files load but whose scaler does not fit the features is given up in one line \
when the tick meets the run's candles; the version serving before keeps deciding every candle`, async () => {
  // it used to replace the serving version, then fail every tick (tried again and again) with no decision
  await promotedBrokenVersion(
    'columns',
    spoilScalerColumns,
    /version columns cannot be loaded over the run's candles \(scaler .*not-a-feature.*\); still serving initial/,
  );
});

/**
 * `bot paper --once` in the model home `models/<name>` (not saved yet): `onceAfter(k)` starts a fresh source and
 * trader, as each process does, and ticks it once after candle k closes (`at(k)`); the runs start at candle 250, and
 * what is logged is kept in `lines`.
 */
function onceRuns(name: string) {
  const s = modelPaperSetup(300);
  const home = path.join(s.tmp.dir, 'models', name);
  const lines: string[] = [];
  const previous = log();
  setLogger(capturingLogger(lines));
  const startIndex = 250;
  const at = (k: number) => s.candles.ts[k] + HOUR + 1000;
  const onceAfter = async (k: number, runName = 'model') => {
    const served = await modelPolicySource(home, s.config, () => at(k));
    try {
      await modelTrader(s, served, startIndex, () => at(k), runName).tick();
    } finally {
      served.source.dispose?.();
    }
  };
  const close = () => {
    setLogger(previous);
    s.store.close();
    s.tmp.cleanup();
  };
  return { s, home, lines, repo: new RunRepository(s.store.db), startIndex, at, onceAfter, close };
}

test(`paper --once (a process per tick): while CURRENT names a version whose scaler does not fit the features, the \
run's last served version decides its candles with one line naming both; the give-up is stored with the run, so a \
later tick skips the version in one line while its wait runs; a new run is refused`, async () => {
  const { s, home, lines, repo, startIndex, onceAfter, close } = onceRuns('once');
  try {
    await saveAgent(home, 'sell', s.candles); // 'initial'
    await onceAfter(startIndex);
    const staged = stageVersion(home, 'columns');
    await saveAgent(staged.dir, 'buy', s.candles);
    spoilScalerColumns(staged.dir);
    staged.commit();
    promoteVersion(home, 'columns');
    // each tick used to end in a ModelRefusedError, its candle never decided; then each process tried it again (its
    // give-up was in memory only) and said so at every tick: the run stores it, and the next process skips it
    for (let k = startIndex + 1; k <= startIndex + 3; k++) await onceAfter(k);
    writeFileSync(path.join(home, 'CURRENT'), 'initial');
    await onceAfter(startIndex + 4);
    const said = lines.filter((l) => l.includes('version columns'));
    assert.equal(said.length, 3, lines.join(''));
    const givenUp = /version columns cannot be loaded over the run's candles \(scaler .*\); still serving initial/;
    for (const line of said.slice(0, 2)) assert.match(line, givenUp);
    // the scaler's and the features' spec and count are equal: only the column that differs is named
    assert.match(said[0], /\(scaler does not fit the features of \S+: column 1 is not-a-feature in the scaler but /);
    // given up again at the second tick (its 1-hour wait over), skipped at the third (its 2-hour wait runs)
    assert.match(said[1], /tried again in 2h/);
    assert.match(said[2], /version columns is skipped, as this run gave it up; still serving initial \(tried again/);
    const run = repo.list()[0];
    const decided = repo.decisions(run.id).map((d) => ({ ts: d.ts, version: d.modelVersion }));
    const expected = [0, 1, 2, 3, 4].map((n) => ({ ts: s.candles.ts[startIndex + n], version: 'initial' }));
    assert.deepEqual(decided, expected, 'every candle is decided by the version the run served');
    assert.equal(repo.list()[0].modelVersion, 'initial');

    // a new run has no version served to fall back on: refused at its first tick, as before
    promoteVersion(home, 'columns');
    await assert.rejects(onceAfter(startIndex + 5, 'new'), /version columns cannot be loaded over the run's candles/);
  } finally {
    close();
  }
});

test(`paper: a promoted version whose files load and features build but whose network fails on them (weights of \
another shape) is given up in one line; the version serving before keeps deciding every candle`, async () => {
  // it used to replace the serving version, then fail at every decision (the tick thrown, tried again for good)
  await promotedBrokenVersion(
    'network',
    spoilNetworkShape,
    new RegExp(
      "version network cannot be loaded over the run's candles \\(its network cannot decide them: observation " +
        'has .*\\); still serving initial \\(tried again in 1h',
    ),
  );
});

test(`paper --once (a process per tick): a CURRENT version whose network fails on the run's candles is given up with \
the run: later ticks skip it in one line while its wait runs (as a clocked process does), the run's last served \
version deciding every candle; a newly promoted version is tried at once; a new run is refused`, async () => {
  const { s, home, lines, repo, startIndex, at, onceAfter, close } = onceRuns('once-network');
  const promoteBroken = async (version: string) => {
    const staged = stageVersion(home, version);
    await saveAgent(staged.dir, 'buy', s.candles);
    await spoilNetworkShape(staged.dir, s.candles);
    staged.commit();
    promoteVersion(home, version);
  };
  try {
    await saveAgent(home, 'sell', s.candles); // 'initial'
    await onceAfter(startIndex);
    await promoteBroken('network');
    // each process tried it again (its give-up was in memory only) and said so at every tick, waiting 1h each time
    for (let k = startIndex + 1; k <= startIndex + 4; k++) await onceAfter(k);
    const said = lines.filter((l) => l.includes('version network'));
    const givenUp = (k: number, hours: number) =>
      new RegExp(
        "version network cannot be loaded over the run's candles \\(its network cannot decide them: .*\\); still " +
          `serving initial \\(tried again in ${hours}h, at ${new Date(at(k) + hours * HOUR).toISOString()}`,
      );
    assert.equal(said.length, 4, lines.join(''));
    assert.match(said[0], givenUp(startIndex + 1, 1));
    assert.match(said[1], givenUp(startIndex + 2, 2), 'its 1-hour wait over, tried again: twice the wait');
    assert.match(
      said[2],
      new RegExp(
        'version network is skipped, as this run gave it up; still serving initial \\(tried again in 2h, at ' +
          new Date(at(startIndex + 2) + 2 * HOUR).toISOString(),
      ),
    );
    assert.match(said[3], givenUp(startIndex + 4, 4));
    const run = repo.list()[0];
    const decided = repo.decisions(run.id).map((d) => ({ ts: d.ts, version: d.modelVersion }));
    const expected = [0, 1, 2, 3, 4].map((n) => ({ ts: s.candles.ts[startIndex + n], version: 'initial' }));
    assert.deepEqual(decided, expected, 'every candle is decided by the version the run served');
    assert.equal(repo.get(run.id).modelRefusal?.version, 'network', 'the give-up is stored with the run');

    // another version promoted while the give-up holds: tried at the next tick (and given up in its own line)
    await promoteBroken('network2');
    await onceAfter(startIndex + 5);
    const next = lines.filter((l) => l.includes('version network2'));
    assert.equal(next.length, 1, lines.join(''));
    assert.match(next[0], /version network2 cannot be loaded over the run's candles \(its network cannot decide/);

    // a new run has no version served to fall back on: refused at its first tick
    await assert.rejects(
      onceAfter(startIndex + 6, 'new'),
      (e: Error) => e.name === 'ModelRefusedError' && /version network2 cannot be loaded over/.test(e.message),
    );
  } finally {
    close();
  }
});

test(`paper --once (a process per tick): a CURRENT version whose files cannot be loaded at all (weights cut short, a \
meta.json that is not JSON, a 1d model for a 1h run) does not stop the run: the run's last served version decides \
with one line, the give-up stored so the next process skips it; a new run is refused in one line`, async () => {
  for (const { name, spoil, says, final } of UNLOADABLE) {
    const { s, home, lines, repo, startIndex, at, onceAfter, close } = onceRuns(`unloadable-${name}`);
    try {
      await saveAgent(home, 'sell', s.candles); // 'initial'
      await onceAfter(startIndex);
      const staged = stageVersion(home, name);
      await saveAgent(staged.dir, 'buy', s.candles);
      spoil(staged.dir);
      staged.commit();
      promoteVersion(home, name);
      // each process exited 1 when it loaded CURRENT, before any tick: the run's candles went undecided
      for (let k = startIndex + 1; k <= startIndex + 3; k++) await onceAfter(k);
      assertFellBackThrice(lines, name, says, final);
      const run = repo.list()[0];
      const decided = repo.decisions(run.id).map((d) => ({ ts: d.ts, version: d.modelVersion }));
      const expected = [0, 1, 2, 3].map((n) => ({ ts: s.candles.ts[startIndex + n], version: 'initial' }));
      assert.deepEqual(decided, expected, `${name}: every candle is decided by the version the run served`);
      assert.equal(repo.get(run.id).modelRefusal?.version, name, 'the give-up is stored with the run');

      // a new run has nothing to fall back on: refused before its first tick with the files' own line, and at it
      const served = await modelPolicySource(home, s.config, () => at(startIndex + 4));
      try {
        const trader = modelTrader(s, served, startIndex, () => at(startIndex + 4), 'new');
        assert.throws(() => trader.checkStart(), says);
        await assert.rejects(trader.tick(), (e: Error) => e.name === 'ModelRefusedError' && says.test(e.message));
        assert.equal(repo.list().length, 1, 'no new run left');
      } finally {
        served.source.dispose?.();
      }
    } finally {
      close();
    }
  }
});

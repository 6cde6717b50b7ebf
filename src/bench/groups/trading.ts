/** Bench group: paper trading tick latency with a saved agent. */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import winston from 'winston';
import type { AgentRecipe } from '../../agents/recipe.ts';
import { createNet, headsFor, networkSpec, prepareData } from '../../agents/setup.ts';
import { recipeWarmup } from '../../agents/recipe-reach.ts';
import { loadConfig } from '../../config/load.ts';
import { candleRows, type Candles } from '../../core/candles.ts';
import { CandleStore } from '../../data/store.ts';
import { syntheticCandles } from '../../data/synthetic.ts';
import { initBackend } from '../../nn/backend/backend.ts';
import { saveAgentModel } from '../../agents/save.ts';
import { loadStrategy } from '../../agents/strategy.ts';
import { modelPolicySource } from '../../trading/model-policy-source.ts';
import { PaperMarket } from '../../trading/paper-market.ts';
import { RunRepository } from '../../trading/run-repository.ts';
import { Trader } from '../../trading/trader.ts';
import { quantile, tail } from '../quantile.ts';
import type { BenchGroup } from '../table.ts';
import { guardDir } from '../cleanup.ts';

const HOUR = 3_600_000;
const HISTORY = 500;
const TICKS = 60;
/** Candles an aged run has acted on before its timed ticks. */
const AGED = 20_000;

/** An untrained (seeded) agent for a recipe, saved as `bot backtest` would: latency does not depend on training. */
async function saveUntrained(dir: string, name: string, recipe: AgentRecipe, candles: Candles): Promise<void> {
  const prepared = prepareData(recipe, candles, { from: recipeWarmup(recipe), to: candles.ts.length });
  const spec = networkSpec(recipe, prepared, 7);
  const net = createNet(spec, headsFor(recipe).continuous);
  await saveAgentModel(dir, net.model, recipe, prepared, {
    name,
    strategy: name,
    seed: 7,
    learner: { kind: recipe.learner.kind, extraState: {}, bestEpoch: 0, epochs: 0 },
    trainingWindow: { from: '', to: '' },
    dataHash: '',
    metrics: {},
    codeVersion: 'bench',
  });
  net.dispose();
}

/** Ticks once an hour after the first tick (one candle each), timed; sorted milliseconds. */
async function timedTicks(trader: Trader, clock: { now: number }): Promise<number[]> {
  const times: number[] = [];
  for (let k = 1; k < TICKS; k++) {
    clock.now += HOUR;
    const t0 = performance.now();
    const r = await trader.tick();
    times.push(performance.now() - t0);
    if (r.acted !== 1) throw new Error(`tick ${k} acted on ${r.acted} candles`);
  }
  return times.sort((a, b) => a - b);
}

export const tradingGroup: BenchGroup = {
  name: 'trading',
  description:
    `paper tick latency, candle close → persisted decision (SQLite, ${HISTORY} ` +
    `candles of history, features/images, model), exchange reply excluded`,
  async run(report) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-trading-'));
    const removeDir = guardDir(dir);
    const logger = winston.createLogger({
      silent: true,
      transports: [new winston.transports.Console({ silent: true })],
    });
    try {
      const config = loadConfig({ overrides: { data: { database: path.join(dir, 'bot.db') }, log: { file: '' } } });
      const backend = await initBackend(config.ml.backend);
      const candles = syntheticCandles({
        seed: 3,
        count: HISTORY + TICKS + 1,
        timeframe: '1h',
        start: Date.UTC(2024, 0, 1),
        tick: 1000,
      });
      const store = CandleStore.open(config.data.database);
      store.upsert(config.exchange.id, config.symbol, config.timeframe, candleRows(candles));
      const repo = new RunRepository(store.db);
      for (const name of ['dqn-dnn', 'cnnrnn-dqn']) {
        const strategy = await loadStrategy(name);
        if (strategy.kind !== 'agent') continue;
        const home = path.join(dir, 'models', name);
        await saveUntrained(home, name, strategy.recipe as AgentRecipe, candles);
        const { source, sizing, costs } = await modelPolicySource(home, config);
        const startIndex = candles.ts.length - TICKS;
        const clock = { now: candles.ts[startIndex] + HOUR + 1000 };
        const trader = new Trader({
          repo,
          store,
          feed: { fetchClosed: async () => [] },
          market: new PaperMarket(costs, sizing),
          policies: source,
          key: {
            mode: 'paper',
            name: `bench-${name}`,
            exchange: config.exchange.id,
            symbol: config.symbol,
            timeframe: config.timeframe,
          },
          balance: config.account.balance,
          historyCandles: HISTORY,
          start: candles.ts[startIndex],
          clock: () => clock.now,
          logger,
        });
        await trader.tick(); // first tick: run creation and model warm-up
        const tensorsBefore = tf.memory().numTensors;
        const times = await timedTicks(trader, clock);
        report({
          figure: `${name} tick p50`,
          value: quantile(times, 0.5),
          unit: 'ms',
          note: `${TICKS - 1} ticks, backend ${backend.name}`,
        });
        const worst = tail(times);
        report({
          figure: `${name} tick ${worst.label}`,
          value: worst.value,
          unit: 'ms',
          note: `of ${times.length} ticks`,
        });
        report({
          figure: `${name} tensor growth over the ticks`,
          value: tf.memory().numTensors - tensorsBefore,
          unit: 'tensors',
          note: 'should be 0',
        });
        source.dispose?.();
      }
      await agedRun(dir, store, config, logger, report);
      store.close();
    } finally {
      await removeDir();
    }
  },
};

/**
 * A dqn-dnn run started AGED candles ago: a tick loads the history its decision reads, not every candle since the
 * run's start (each tick re-read and re-featurised all of them before, growing with the run's age).
 */
async function agedRun(
  dir: string,
  store: CandleStore,
  config: ReturnType<typeof loadConfig>,
  logger: winston.Logger,
  report: Parameters<BenchGroup['run']>[0],
): Promise<void> {
  const candles = syntheticCandles({
    seed: 5,
    count: HISTORY + AGED + TICKS,
    timeframe: '1h',
    start: Date.UTC(2022, 0, 1),
    tick: 1000,
  });
  const symbol = 'AGED/KRW';
  store.upsert(config.exchange.id, symbol, config.timeframe, candleRows(candles));
  const strategy = await loadStrategy('dqn-dnn');
  if (strategy.kind !== 'agent') return;
  const home = path.join(dir, 'models', 'aged');
  await saveUntrained(home, 'dqn-dnn', strategy.recipe as AgentRecipe, candles);
  const { source, sizing, costs } = await modelPolicySource(home, config);
  const clock = { now: candles.ts[candles.ts.length - TICKS] + HOUR + 1000 };
  const trader = new Trader({
    repo: new RunRepository(store.db),
    store,
    feed: { fetchClosed: async () => [] },
    market: new PaperMarket(costs, sizing),
    policies: source,
    key: { mode: 'paper', name: 'bench-aged', exchange: config.exchange.id, symbol, timeframe: config.timeframe },
    balance: config.account.balance,
    historyCandles: HISTORY,
    start: candles.ts[HISTORY],
    clock: () => clock.now,
    logger,
  });
  await trader.tick(); // the run's first AGED candles, caught up in one tick
  const times = await timedTicks(trader, clock);
  report({
    figure: `dqn-dnn tick p50, run ${AGED} candles old`,
    value: quantile(times, 0.5),
    unit: 'ms',
    note: `${TICKS - 1} ticks`,
  });
  source.dispose?.();
}

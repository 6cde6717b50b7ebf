/**
 * Paper = backtest parity with a decision rule (issue 13): a saved model whose meta carries a switching margin, a
 * holding period and a decision interval makes exactly the backtest engine's trades when the paper trader runs it
 * over the same candles, across two ticks (the rule's state lives on in the served policy between them) and across
 * restarts (a new policy learns the last trade from the run's stored fills); so does a model that fell back to a
 * baseline at the validation gate.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { test } from 'node:test';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { createNet, networkSpec, prepareData } from '../../src/agents/setup.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { saveAgentModel } from '../../src/agents/save.ts';
import type { DecisionRule } from '../../src/agents/decision-rule.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { loadConfig } from '../../src/config/load.ts';
import { sliceCandles, type Candles } from '../../src/core/candles.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import type { PolicySource } from '../../src/trading/types.ts';
import type { EnsembleMeta } from '../../src/agents/ensemble.ts';
import type { AgentNet } from '../../src/nn/agent-net.ts';
import { SMALL_RECIPE } from './agents.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const SWITCH = 0.1;
const RULE: DecisionRule = { margin: 0.05, minHold: 3, every: 2 };

async function saveSeeded(dir: string, candles: Candles, rule?: DecisionRule, ensemble?: EnsembleMeta): Promise<void> {
  await initBackend('auto');
  const prepared = prepareData(SMALL_RECIPE, candles, {
    from: recipeWarmup(SMALL_RECIPE),
    to: candles.ts.length,
  });
  const nets = (ensemble?.margins ?? [0]).map((_, i) =>
    pushed(createNet(networkSpec(SMALL_RECIPE, prepared, 3 + i), false), ensemble ? 3 * SWITCH : SWITCH),
  );
  const net = nets[0];
  await saveAgentModel(dir, net.model, SMALL_RECIPE, prepared, {
    name: 'ruled',
    strategy: 'dqn-dnn',
    seed: 3,
    learner: {
      kind: 'dqn',
      extraState: {},
      bestEpoch: 0,
      epochs: 0,
      ...(rule ? { decision: rule } : {}),
      ...(ensemble ? { ensemble } : {}),
    },
    members: nets.slice(1).map((n) => n.model),
    trainingWindow: { from: '', to: '' },
    dataHash: '',
    metrics: {},
    codeVersion: 'test',
  });
  for (const n of nets) n.dispose();
}

/** The seeded network, pushed to switch: Q(buy) − Q(sell) falls with the hold ratio, features still move it. */
function pushed(net: AgentNet, push: number): AgentNet {
  const weights = net.model.getWeights();
  const kernel = weights[weights.length - 2];
  const [rows, cols] = kernel.shape as [number, number];
  const k = kernel.dataSync().slice();
  const bias = weights[weights.length - 1].dataSync().slice();
  k[(rows - 3) * cols] -= 2 * push;
  k[(rows - 3) * cols + 1] += 2 * push;
  bias[0] += push;
  bias[1] -= push;
  const kt = tf.tensor2d(k, [rows, cols]);
  const bt = tf.tensor1d(bias);
  net.model.setWeights([...weights.slice(0, -2), kt, bt]);
  tf.dispose([kt, bt]);
  return net;
}

/**
 * The trades a model saved with `rule` makes on paper and in the backtest engine (equal, asserted), with the plain
 * model's engine trades beside them.
 */
async function paperAndEngine(
  rule: DecisionRule,
  ensemble?: EnsembleMeta,
  perCandle?: { loaded: number[]; history: number[] },
  restartEvery?: number,
): Promise<{ engineTrades: Fill[]; plainTrades: Fill[] }> {
  const tmp = tempDir();
  const candles = syntheticCandles({
    seed: 8,
    count: 420,
    timeframe: '1h',
    start: Date.UTC(2024, 0, 1),
    tick: 1000,
  });
  const config = loadConfig({
    overrides: {
      data: { database: path.join(tmp.dir, 'bot.db') },
      log: { file: '' },
      trading: { historyCandles: 120 },
    },
  });
  const home = path.join(tmp.dir, 'models', 'ruled');
  const plainHome = path.join(tmp.dir, 'models', 'plain');
  const store = CandleStore.open(config.data.database);
  try {
    await saveSeeded(home, candles, rule, ensemble);
    await saveSeeded(plainHome, candles, undefined, ensemble);
    const { source: served, sizing, costs } = await modelPolicySource(home, config);
    // the real source, with the length of the candles each tick hands it written down
    const source: PolicySource = {
      label: served.label,
      history: served.history,
      forCandles(c) {
        perCandle?.loaded.push(c.ts.length);
        perCandle?.history.push(served.history ?? 0);
        return served.forCandles(c);
      },
      dispose: () => served.dispose?.(),
    };
    const startIndex = 160;
    const mid = 300;
    let now = candles.ts[mid] + HOUR + 1000;
    const traderOn = (policies: PolicySource) =>
      new Trader({
        repo: new RunRepository(store.db),
        store,
        feed: seriesFeed(candles, HOUR),
        market: new PaperMarket(costs, sizing),
        policies,
        key: {
          mode: 'paper',
          name: 'ruled',
          exchange: 'upbit',
          symbol: 'BTC/KRW',
          timeframe: '1h',
        },
        balance: config.account.balance,
        historyCandles: config.trading.historyCandles,
        start: candles.ts[startIndex],
        clock: () => now,
        logger: quietLogger(),
      });
    const trader = traderOn(source);
    await trader.tick();
    if (restartEvery) {
      // a cron'd `bot paper --once` every few closes: a new process each time, with a new policy that saw nothing
      const last = candles.ts.length - 1;
      for (let k = mid + restartEvery; k < last + restartEvery; k += restartEvery) {
        now = candles.ts[Math.min(k, last)] + HOUR + 1000;
        const fresh = (await modelPolicySource(home, config)).source;
        try {
          await traderOn(fresh).tick();
        } finally {
          fresh.dispose?.();
        }
      }
    }
    if (perCandle) {
      // a run that has traded for a while, ticking at every close: each tick decides one candle
      perCandle.loaded.length = 0;
      perCandle.history.length = 0;
      for (let k = mid + 1; k < candles.ts.length; k++) {
        now = candles.ts[k] + HOUR + 1000;
        assert.equal((await trader.tick()).acted, 1);
      }
    }
    now = candles.ts[candles.ts.length - 1] + HOUR + 1000;
    if (!restartEvery) await trader.tick();
    const repo = new RunRepository(store.db);
    const run = repo.list()[0];
    const paperTrades = repo.trades(run.id).map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    source.dispose?.();
    const decided = repo.decisions(run.id).find((d) => d.policy !== 'warm-up');
    assert.ok(decided, 'the paper trader decided after its warm-up');

    // one candle more history than the trader loads: candle indices differ, the rule's decisions must not
    const loaded = sliceCandles(candles, startIndex - 121, candles.ts.length);
    const firstDecision = loaded.ts.indexOf(decided.ts);
    const backtest = async (dir: string) => {
      const agent = await loadAgent(dir);
      try {
        const opts = {
          ...agent.observationSource(loaded),
          // from the paper trader's first decision after its warm-up (it holds through the recipe's warm-up)
          range: { from: firstDecision, to: loaded.ts.length },
          costs,
          balance: config.account.balance,
          sizing,
        };
        return runBacktest({ ...opts, policy: agent.policy }).trades.map((t) => ({
          ts: t.ts,
          side: t.side,
          price: t.price,
          units: t.units,
        }));
      } finally {
        agent.dispose();
      }
    };
    const engineTrades = await backtest(home);
    const plainTrades = await backtest(plainHome);
    assert.deepEqual(paperTrades, engineTrades);
    return { engineTrades, plainTrades };
  } finally {
    store.close();
    tmp.cleanup();
  }
}

interface Fill {
  ts: number;
  side: string;
  price: number;
  units: number;
}

async function parity(ensemble?: EnsembleMeta): Promise<void> {
  const { engineTrades, plainTrades } = await paperAndEngine(RULE, ensemble);
  assert.ok(
    engineTrades.length >= 4,
    `the ruled model trades (${engineTrades.length}; plain ${plainTrades.length}; ${JSON.stringify(ensemble)})`,
  );
  assert.ok(
    plainTrades.length > engineTrades.length,
    `the rule changes the trades (${plainTrades.length} plain, ${engineTrades.length} ruled)`,
  );
  for (const t of engineTrades) assert.equal(new Date(t.ts).getUTCHours() % 2, 0, 'fills on the 2-candle grid');
}

test(`paper trading a model with a margin, holding period and decision interval makes exactly the backtest \
trades`, () => parity());

test('paper trading an ensemble (vote, then mean) with a decision rule makes exactly the backtest trades', async () => {
  await parity({ kind: 'vote', margins: [0.02, 0, 0.05] });
  await parity({ kind: 'mean', margins: [0.05, 0.05, 0.05] });
});

test(`paper trading an ensemble with a member that fell back at the gate makes exactly the backtest trades, and the \
member votes its baseline`, async () => {
  for (const kind of ['vote', 'mean'] as const) {
    const margins = [0.02, 0, 0.05];
    const all = await paperAndEngine(RULE, { kind, margins });
    // the second member fell back to buy-and-hold: it votes "buy" in cash and "hold" when invested (mean: sits out)
    const one = await paperAndEngine(RULE, { kind, margins, fallbacks: [null, 'buyAndHold', null] });
    assert.ok(one.engineTrades.length >= 1, `${kind}: the ensemble still trades (${one.engineTrades.length})`);
    assert.notDeepEqual(one.engineTrades, all.engineTrades, `${kind}: the member's fallback changes the trades`);
  }
});

test(`a run ticking at every close long after its start loads only the history its next decision reads (not every \
candle since the run's history start), and still makes exactly the backtest trades`, async () => {
  const perCandle = { loaded: [] as number[], history: [] as number[] };
  const { engineTrades } = await paperAndEngine(RULE, undefined, perCandle);
  assert.ok(engineTrades.length >= 4, `the ruled model trades (${engineTrades.length})`);
  assert.ok(perCandle.loaded.length > 100, `ticks that decided (${perCandle.loaded.length})`);
  perCandle.loaded.forEach((n, i) => {
    // the history before the candle decided, and that candle
    assert.equal(n, perCandle.history[i] + 1, `tick ${i}: ${n} candles handed to the policy`);
  });
});

test(`a paper run restarted every few closes (a new process and policy each time, as a cron'd --once) keeps the \
holding period from its stored fills: exactly the trades of an uninterrupted run and of the backtest`, async () => {
  // a holding period longer than the restarts' spacing, and an interval whose grid the restarts cut across
  const rule: DecisionRule = { margin: 0, minHold: 6, every: 2 };
  const { engineTrades, plainTrades } = await paperAndEngine(rule, undefined, undefined, 3);
  assert.ok(engineTrades.length >= 4, `the ruled model trades (${engineTrades.length})`);
  assert.ok(plainTrades.length > engineTrades.length, 'the holding period changes the trades');
  // longer than the history a tick loads: the last fill lies before the tick's candles, counted in stored ones
  const long = await paperAndEngine({ margin: 0, minHold: 130, every: 1 }, undefined, undefined, 3);
  assert.ok(long.engineTrades.length >= 2, `the long-holding model trades (${long.engineTrades.length})`);
});

test('paper trading a model that fell back at the validation gate makes exactly the backtest trades', async () => {
  // buy-and-hold: one buy at the first decision, whatever the (churning) network says; flat: nothing at all
  const held = await paperAndEngine({ ...RULE, fallback: 'buyAndHold' });
  assert.ok(held.plainTrades.length >= 4, `the network alone churns (${held.plainTrades.length} trades)`);
  assert.deepEqual(
    held.engineTrades.map((t) => t.side),
    ['buy'],
    `buy-and-hold fallback: ${JSON.stringify(held.engineTrades)}`,
  );
  const flat = await paperAndEngine({ ...RULE, fallback: 'flat' });
  assert.deepEqual(flat.engineTrades, [], 'flat fallback trades nothing');
});

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { marketOf } from '../../src/agents/model-market.ts';
import * as tf from '@tensorflow/tfjs';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { createNet, networkSpec, prepareData } from '../../src/agents/setup.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import type { Candles } from '../../src/core/candles.ts';
import { createPortfolioAgent, portfolioFeatures } from '../../src/agents/portfolio-agent.ts';
import { savePortfolioAgent } from '../../src/agents/portfolio-model.ts';
import type { PortfolioRecipe } from '../../src/agents/portfolio-recipe.ts';
import { PortfolioObservationBuilder } from '../../src/market/portfolio-observation.ts';
import { emptyCandles } from '../../src/core/candles.ts';
import { saveAgentModel } from '../../src/agents/save.ts';
import { promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import dqnDnn from '../../strategies/dqn-dnn.ts';

/** dqn-dnn's recipe with a tiny network, so test models build and save in milliseconds. */
export const SMALL_RECIPE: AgentRecipe = {
  ...(dqnDnn.recipe as AgentRecipe),
  network: { kind: 'dnn', hidden: [4], dropout: 0, batchNorm: false, activation: 'relu' },
};

/**
 * Saves a real agent (tfjs model + meta, loadable by loadAgent). 'buy' / 'sell': every kernel is zero and the output
 * bias favours that action ('buy' keeps the account long, 'sell' keeps it flat). 'seeded': the untrained seeded
 * network.
 */
export async function saveAgent(
  dir: string,
  action: 'buy' | 'sell' | 'seeded',
  candles: Candles,
  recipe: AgentRecipe = SMALL_RECIPE,
  seed = 1,
): Promise<void> {
  await initBackend('auto');
  const warm = recipeWarmup(recipe);
  const prepared = prepareData(recipe, candles, { from: warm, to: candles.ts.length });
  const spec = networkSpec(recipe, prepared, seed);
  const net = createNet(spec, false);
  if (action !== 'seeded') setConstant(net.model, action);
  await saveAgentModel(dir, net.model, recipe, prepared, {
    name: `agent-${action}`,
    strategy: 'dqn-dnn',
    seed,
    learner: { kind: 'dqn', extraState: {}, bestEpoch: 0, epochs: 0 },
    trainingWindow: { from: '', to: '' },
    market: marketOf(candles),
    dataHash: '',
    metrics: {},
    codeVersion: 'test',
  });
  net.dispose();
}

/**
 * Renames the first scaler column in `dir`'s meta.json (a one-market model's scaler, or each of a portfolio model's):
 * the files load, but no observation can be built over candles.
 */
export function spoilScalerColumns(dir: string): void {
  const file = path.join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as { scaler: { columns: string[] } | { columns: string[] }[] };
  for (const scaler of Array.isArray(meta.scaler) ? meta.scaler : [meta.scaler]) scaler.columns[0] = 'not-a-feature';
  writeFileSync(file, JSON.stringify(meta));
}

/**
 * Puts in `dir` (a saved single-market agent) the network of one saved with a window one candle longer: the files load
 * and the features build, but the network fails on the observations (as weights of another shape do).
 */
export async function spoilNetworkShape(
  dir: string,
  candles: Candles,
  recipe: AgentRecipe = SMALL_RECIPE,
): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bot-network-'));
  try {
    const other = path.join(tmp, 'longer');
    await saveAgent(other, 'buy', candles, { ...recipe, window: recipe.window + 1 });
    for (const f of ['model.json', 'model.weights.bin']) copyFileSync(path.join(other, f), path.join(dir, f));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A model home whose CURRENT names `version`: a saved 'buy' agent (of `recipe`) staged, committed and promoted. */
export async function promotedChampion(
  home: string,
  candles: Candles,
  version = 'champion',
  recipe: AgentRecipe = SMALL_RECIPE,
): Promise<void> {
  const staged = stageVersion(home, version);
  await saveAgent(staged.dir, 'buy', candles, recipe);
  staged.commit();
  promoteVersion(home, version);
}

function setConstant(model: tf.LayersModel, action: 'buy' | 'sell'): void {
  const weights = model.getWeights();
  const replaced = weights.map((w, i) =>
    i === weights.length - 1 ? tf.tensor1d(action === 'buy' ? [5, 0, 0] : [0, 5, 0]) : tf.zerosLike(w),
  );
  model.setWeights(replaced);
  replaced.forEach((t) => t.dispose());
}

/** Hourly candles: a wavy rise for `up` candles, then a steady fall of 0.4% per candle for `down` candles. */
export function riseThenFall(up: number, down: number, start = Date.UTC(2024, 0, 1)): Candles {
  const n = up + down;
  const c = emptyCandles('upbit', 'BTC/KRW', '1h', n);
  let price = 50_000_000;
  for (let i = 0; i < n; i++) {
    const open = price;
    price = i < up ? price * (1 + 0.001 + 0.01 * Math.sin(i / 5)) : price * 0.996;
    c.ts[i] = start + i * 3_600_000;
    c.open[i] = open;
    c.close[i] = price;
    c.high[i] = Math.max(open, price) * 1.001;
    c.low[i] = Math.min(open, price) * 0.999;
    c.volume[i] = 10 + 5 * Math.cos(i / 7);
  }
  return c;
}

/**
 * Ways a saved version's files cannot be loaded at all (single-market or portfolio): weights cut short, a meta.json
 * that is not JSON, a model of another timeframe (1d) than the runs' 1h. Each names what its one line says.
 */
export const UNLOADABLE: readonly { name: string; spoil: (dir: string) => void; says: RegExp; final?: boolean }[] = [
  {
    name: 'truncated',
    spoil: (dir) => writeFileSync(path.join(dir, 'model.weights.bin'), Buffer.alloc(100)),
    says: /model\.weights\.bin has 100 bytes, model\.json expects \d+ \(truncated or foreign\)/,
  },
  {
    name: 'corrupt',
    spoil: (dir) => writeFileSync(path.join(dir, 'meta.json'), '{"learner": '),
    says: /meta\.json is not valid JSON|no readable meta\.json/,
  },
  {
    name: 'daily',
    spoil: (dir) => {
      const file = path.join(dir, 'meta.json');
      const meta = JSON.parse(readFileSync(file, 'utf8')) as { market: { timeframe: string } };
      meta.market.timeframe = '1d';
      writeFileSync(file, JSON.stringify(meta));
    },
    says: /was trained on .*1d.*; this run uses 1h candles/,
    final: true, // another timeframe never passes: no timed retry (audit, session 38)
  },
];

/**
 * The lines of three hourly `--once` ticks (`lines`) over a CURRENT version `name` that cannot be loaded (`says`):
 * given up (1h), given up again when its wait is over (2h), then skipped by the next process while it waits, the
 * version `initial` serving. `final`: a version trained for another run, given up once with no timed retry, then
 * skipped by each next process.
 */
export function assertFellBackThrice(lines: readonly string[], name: string, says: RegExp, final = false): void {
  const said = lines.filter((l) => l.includes(`version ${name}`));
  assert.equal(said.length, 3, lines.join(''));
  const given = final ? [said[0]] : [said[0], said[1]];
  for (const [n, line] of given.entries()) {
    assert.match(line, new RegExp(`version ${name} cannot be loaded \\(.*\\); still serving initial`));
    assert.match(
      line,
      final ? /\(not tried again unless CURRENT is written again\)/ : new RegExp(`\\(tried again in ${n + 1}h`),
    );
    assert.match(line, says);
  }
  for (const line of said.slice(given.length))
    assert.match(line, new RegExp(`version ${name} is skipped, as this run gave it up; still serving initial`));
}

/**
 * A portfolio model trading the first two of `series` and reading the rest, its scalers fitted on the first 300
 * candles, saved in `dir`; `head`: the policy head's bias (the network's weights otherwise as seeded).
 */
export async function savePortfolioModel(
  dir: string,
  recipe: PortfolioRecipe,
  series: Candles[],
  exchange: string,
  head?: number[],
): Promise<void> {
  const { features, scalers } = portfolioFeatures(recipe, series, series[0].ts[300]);
  const agent = createPortfolioAgent(recipe, new PortfolioObservationBuilder(features, 2, recipe.window), scalers, 5);
  if (head) {
    const layer = agent.learner.net.model.getLayer('policy');
    const [kernel, bias] = layer.getWeights();
    layer.setWeights([tf.zerosLike(kernel), tf.tensor1d(head, bias.dtype)]);
  }
  await savePortfolioAgent(dir, agent, {
    name: 'switched',
    strategy: 'ppo-portfolio',
    seed: 5,
    trainingWindow: { from: '', to: '' },
    market: { exchange, timeframe: '1h' },
  });
  agent.dispose();
}

/**
 * `npm run bench -- learners`: training speed of the learners, against RLTrader (PyTorch 1.13 CPU, one thread) measured
 * on this kind of machine on its v3 data for Samsung 005930 (490 steps per epoch, one fit per epoch).
 * Data files come from ../shared/data of the project or BOT_BENCH_DATA (src/bench/data-dir.ts); a missing file skips
 * its figures, and the table's notes say which folder was used.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BenchGroup, Figure } from '../table.ts';
import { loadConfig } from '../../config/load.ts';
import { PROJECT_ROOT } from '../../core/project-root.ts';
import { candlesFromRows, type Candles } from '../../core/candles.ts';
import { parseCandlesCsv } from '../../data/csv.ts';
import { initBackend } from '../../nn/backend/backend.ts';
import { createLearner, networkSpec, prepareData, trainingEnvs } from '../../agents/setup.ts';
import { recipeWarmup } from '../../agents/recipe-reach.ts';
import type { IndexRange } from '../../agents/splits.ts';
import { EpochTrace } from '../../agents/learners/epoch-trace.ts';
import { epsilonAt } from '../../agents/learners/schedule.ts';
import type { AgentRecipe } from '../../agents/recipe.ts';
import type { AgentStrategy } from '../../agents/strategy.ts';
import { guardChild, guardDir } from '../cleanup.ts';
import { benchDataDir, benchDataFile, type BenchDataDir } from '../data-dir.ts';
import { samplesTrained } from './image-recipes.ts';

const SAMSUNG = 'krx_005930_samsung_1d_2018-2021.csv';
const BINANCE_1H = 'binance_btc_usdt_1h_2022-2025.csv';
const RLTRADER_STEPS = 490;
const RUN_EPOCHS = 50;
/**
 * RLTrader's median seconds per epoch (incl. its one fit) on this kind of machine: stored figures, not measured by
 * this bench. `sideBySide` (2026-11-26, measured alongside this bot) is what the ratios divide by; `earlier` is the
 * first measurement (an earlier day), kept for comparison with older tables.
 */
const RLTRADER_SECONDS: Record<string, { sideBySide: number; earlier: number }> = {
  'rltrader-dqn-dnn': { sideBySide: 0.176, earlier: 0.198 },
  'rltrader-a2c-cnn': { sideBySide: 0.28, earlier: 0.333 },
};

function peerNote(name: string): string {
  const { sideBySide, earlier } = RLTRADER_SECONDS[name];
  return `vs RLTrader's stored median ${sideBySide} s (measured side by side 2026-11-26; ${earlier} s an earlier day)`;
}

type Report = (f: Omit<Figure, 'group'>) => void;

function loadCsv(file: string, symbol: string): Candles {
  return candlesFromRows('file', symbol, '', parseCandlesCsv(readFileSync(file, 'utf8'), { file }));
}

async function recipeOf(name: string): Promise<AgentRecipe> {
  const mod = (await import(path.join(PROJECT_ROOT, 'strategies', `${name}.ts`))) as { default: AgentStrategy };
  return mod.default.recipe as AgentRecipe;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Trains `epochs` epochs on `range`; seconds and learner updates of each epoch (acting, stepping the env and learning)
 * and steps per epoch.
 */
function timeEpochs(
  recipe: AgentRecipe,
  candles: Candles,
  range: IndexRange,
  epochs: number,
): { seconds: number[]; steps: number; updates: number[]; tensorsGrew: number } {
  const config = loadConfig({ overrides: { log: { level: 'error', file: '' } } });
  const prepared = prepareData(recipe, candles, range);
  const learner = createLearner(recipe, networkSpec(recipe, prepared, 1), 1);
  const envs = trainingEnvs(recipe, config, prepared, range, 1);
  const trace = new EpochTrace(learner.net.heads.value ?? 0, learner.net.heads.policy ?? 0);
  const seconds: number[] = [];
  const updates: number[] = [];
  let steps = 0;
  let tensorsAfterFirst = 0;
  try {
    for (let e = 0; e < epochs; e++) {
      trace.reset();
      const eps = recipe.exploration ? epsilonAt(recipe.exploration, e, epochs) : 0;
      const t0 = performance.now();
      const stats = learner.runEpoch(envs, eps, trace);
      seconds.push((performance.now() - t0) / 1000);
      steps = stats.steps;
      updates.push(stats.updates);
      if (e === 0) tensorsAfterFirst = tf.memory().numTensors;
    }
    return { seconds, steps, updates, tensorsGrew: tf.memory().numTensors - tensorsAfterFirst };
  } finally {
    learner.dispose();
    learner.net.dispose();
  }
}

async function rltraderFigures(report: Report, data: BenchDataDir): Promise<void> {
  const file = benchDataFile(data, SAMSUNG);
  if (file === undefined) {
    report({ figure: 'rltrader protocol', value: 'skipped', unit: '', note: `${SAMSUNG} not found` });
    return;
  }
  const candles = loadCsv(file, '005930/KRW');
  for (const name of ['rltrader-dqn-dnn', 'rltrader-a2c-cnn']) {
    const recipe = await recipeOf(name);
    // rltrader-v1 is computed from OHLCV here, so its 120-candle averages need a warm-up before the 490 steps
    const from = recipeWarmup(recipe);
    const range = { from, to: Math.min(candles.close.length, from + RLTRADER_STEPS + 1) };
    // RLTrader's figure is the median over a whole run, so is ours: 50 epochs (a recipe's run is 100), the first left
    // out. The first ~10 epochs of a fresh process run up to 2× slower while V8 tiers up the JS and wasm code.
    const r = timeEpochs(recipe, candles, range, RUN_EPOCHS);
    const s = median(r.seconds.slice(1));
    const first10 = median(r.seconds.slice(1, 11));
    const peer = RLTRADER_SECONDS[name].sideBySide;
    const measured = `median of epochs 2–${RUN_EPOCHS}, ${r.steps} steps incl. one fit`;
    report({ figure: `${name} seconds/epoch`, value: s, unit: 's', note: `${measured}; RLTrader ${peer} s (stored)` });
    const warmUp = `the warm-up: ${(peer / first10).toFixed(1)}× RLTrader's stored ${peer} s`;
    report({ figure: `${name} seconds/epoch, epochs 2–11`, value: first10, unit: 's', note: warmUp });
    const target = `target ≥ 5×, goal 10×; ${peerNote(name)}`;
    report({ figure: `${name} speed-up vs RLTrader`, value: peer / s, unit: '×', note: target });
    const peerSteps = `RLTrader ${Math.round(RLTRADER_STEPS / peer)} steps/s (from its stored ${peer} s)`;
    report({ figure: `${name} env steps/s`, value: r.steps / s, unit: 'steps/s', note: peerSteps });
    if (r.tensorsGrew !== 0)
      report({ figure: `${name} tensor growth`, value: r.tensorsGrew, unit: 'tensors', note: 'should be 0' });
  }
}

async function replayFigures(report: Report, data: BenchDataDir): Promise<void> {
  const file = benchDataFile(data, BINANCE_1H);
  if (file === undefined) {
    report({ figure: 'replay', value: 'skipped', unit: '', note: `${BINANCE_1H} not found` });
    return;
  }
  const candles = loadCsv(file, 'BTC/USDT');
  const targets: Record<string, number> = { 'dqn-dnn': 5000, 'ppo-dnn': 10000 };
  for (const name of ['dqn-dnn', 'ppo-dnn']) {
    const recipe = await recipeOf(name);
    const from = recipeWarmup(recipe);
    const range = { from, to: Math.min(candles.close.length, from + 4000) };
    const r = timeEpochs(recipe, candles, range, 4);
    const s = median(r.seconds.slice(1));
    report({
      figure: `${name} env steps/s incl. learning`,
      value: r.steps / s,
      unit: 'steps/s',
      note: `BTC/USDT 1h, ${r.steps} steps/epoch; target ≥ ${targets[name].toLocaleString('en-US')}`,
    });
  }
  await dqnSampleFigures(report, 'cnnrnn-dqn', candles);
}

/**
 * A DQN recipe's training samples/s over 300 candles (the second of two epochs), with `warmup` 64. The second epoch
 * carries the replay and the step counter over, so its batches are the learner's own count, not guessed from the steps.
 */
export async function dqnSampleFigures(report: Report, name: string, candles: Candles): Promise<void> {
  const recipe = await recipeOf(name);
  const from = recipeWarmup(recipe);
  const range = { from, to: from + 300 };
  const r = timeEpochs({ ...recipe, learner: { ...recipe.learner, kind: 'dqn', warmup: 64 } }, candles, range, 2);
  const batchSize = (recipe.learner as { batchSize?: number }).batchSize ?? 32;
  const updates = r.updates[1];
  report({
    figure: `${name} training samples/s`,
    value: samplesTrained(recipe, { updates, steps: r.steps }) / r.seconds[1],
    unit: 'samples/s',
    note: `${r.steps} env steps${recipe.image ? ' with image rendering' : ''}, ${updates} batches of ${batchSize}`,
  });
  report({
    figure: `${name} env steps/s incl. learning`,
    value: r.steps / r.seconds[1],
    unit: 'steps/s',
    note: recipe.image ? 'chart-image sequences rendered per step' : 'acting and learning included',
  });
}

/**
 * The default `bot backtest` (no flags but a scratch folder): Upbit BTC/KRW 1h from the store or exchange, else the
 * sample.
 */
async function defaultRun(report: Report): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-backtest-'));
  const removeDir = guardDir(dir);
  try {
    const cfg = path.join(dir, 'config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        data: { database: path.join(dir, 'bot.db') },
        log: { file: '' },
        backtest: { outDir: path.join(dir, 'backtests') },
        agent: { modelsDir: path.join(dir, 'models') },
      }),
    );
    const t0 = performance.now();
    // not spawnSync: a bench stopped meanwhile kills it and removes the folder (src/bench/cleanup.ts), at once
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/bot.js'), 'backtest', '--config', cfg], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20 * 60_000,
    });
    const stop = guardChild(child);
    let output = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => ((output += d.toString()), (stderr += d.toString())));
    const [status] = (await once(child, 'close')) as [number | null];
    await stop();
    const seconds = (performance.now() - t0) / 1000;
    const notice = /sample/i.test(output) ? 'offline: bundled S&P 500 sample' : 'store/exchange data';
    report({
      figure: 'default bot backtest end to end',
      value: status === 0 ? seconds : 'failed',
      unit: status === 0 ? 's' : '',
      note: status === 0 ? `${notice}; target: a few minutes` : (stderr.trim().split('\n').pop() ?? '').slice(0, 80),
    });
  } finally {
    await removeDir();
  }
}

export const learnersGroup: BenchGroup = {
  name: 'learners',
  description: 'learner training speed vs RLTrader; replay steps/s; CNN+RNN samples/s; default bot backtest time',
  async run(report) {
    const backend = await initBackend('auto');
    report({ figure: 'tfjs backend', value: backend.name, unit: '' });
    const data = benchDataDir();
    report({ figure: 'real data folder', value: data.dir ? 'found' : 'none', unit: '', note: data.note });
    await rltraderFigures(report, data);
    await replayFigures(report, data);
    await defaultRun(report);
  },
};

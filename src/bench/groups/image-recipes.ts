/**
 * The chart-image recipes' speed for the nets table (issue 16): `cnnrnn-dqn` and `cnnrnn-ppo` trained through their
 * real learner and environments on a synthetic series — training samples/s (DQN: replay batches; PPO: rollout
 * samples × passes) and environment steps/s with rendering, acting and learning all included.
 */
import path from 'node:path';
import type { Figure } from '../table.ts';
import { loadConfig } from '../../config/load.ts';
import { PROJECT_ROOT } from '../../core/project-root.ts';
import { syntheticCandles } from '../../data/synthetic.ts';
import { initBackend } from '../../nn/backend/backend.ts';
import { createLearner, networkSpec, prepareData, trainingEnvs } from '../../agents/setup.ts';
import { recipeWarmup } from '../../agents/recipe-reach.ts';
import { EpochTrace, type EpochStats } from '../../agents/learners/epoch-trace.ts';
import { epsilonAt } from '../../agents/learners/schedule.ts';
import type { AgentRecipe } from '../../agents/recipe.ts';
import type { AgentStrategy } from '../../agents/strategy.ts';

/** Candles of one training epoch: enough for DQN's replay warm-up and several PPO rollouts. */
const EPOCH_CANDLES = 600;

async function recipeOf(name: string): Promise<AgentRecipe> {
  const mod = (await import(path.join(PROJECT_ROOT, 'strategies', `${name}.ts`))) as { default: AgentStrategy };
  return mod.default.recipe as AgentRecipe;
}

/** Samples an epoch trained on: DQN's replay batches, or PPO's every env step times its passes over the rollout. */
export function samplesTrained(recipe: AgentRecipe, stats: Pick<EpochStats, 'updates' | 'steps'>): number {
  const l = recipe.learner as { batchSize?: number; epochsPerRollout?: number };
  if (recipe.learner.kind === 'dqn') return stats.updates * (l.batchSize ?? 32);
  return stats.steps * (l.epochsPerRollout ?? 4);
}

/** Two epochs on wasm; the second (V8 and tfjs warmed up) is the figure. */
export async function imageRecipeFigures(report: (f: Omit<Figure, 'group'>) => void): Promise<void> {
  await initBackend('wasm');
  const config = loadConfig({ overrides: { log: { level: 'error', file: '' } } });
  const candles = syntheticCandles({ seed: 5, count: 2000 });
  for (const name of ['cnnrnn-dqn', 'cnnrnn-ppo']) {
    const recipe = await recipeOf(name);
    const from = recipeWarmup(recipe);
    const range = { from, to: from + EPOCH_CANDLES };
    const prepared = prepareData(recipe, candles, range);
    const learner = createLearner(recipe, networkSpec(recipe, prepared, 1), 1);
    const envs = trainingEnvs(recipe, config, prepared, range, 1);
    const trace = new EpochTrace(learner.net.heads.value ?? 0, learner.net.heads.policy ?? 0);
    try {
      const eps = (e: number) => (recipe.exploration ? epsilonAt(recipe.exploration, e, 2) : 0);
      learner.runEpoch(envs, eps(0), trace);
      trace.reset();
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const stats = learner.runEpoch(envs, eps(1), trace);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      // a busy machine shows as CPU seconds well below the wall seconds the figures divide by
      const load = `${seconds.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`;
      const samples = samplesTrained(recipe, stats);
      const image = recipe.image ? `${recipe.image.frames} × ${recipe.image.spec}` : '';
      report({
        figure: `wasm ${name} recipe training samples/s`,
        value: samples / seconds,
        unit: 'samples/s',
        note: `${image}, ${stats.updates} updates in one epoch of ${stats.steps} env steps (${load})`,
      });
      report({
        figure: `wasm ${name} recipe env steps/s incl. learning`,
        value: stats.steps / seconds,
        unit: 'steps/s',
        note: `${envs.length} env(s), images rendered per step, acting and learning included`,
      });
    } finally {
      learner.dispose();
      learner.net.dispose();
    }
  }
}

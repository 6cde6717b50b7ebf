/**
 * Saving a trained agent as a model folder: the network and the meta (recipe, features, scaler, spec) loadAgent needs.
 */
import type * as tf from '@tensorflow/tfjs';
import { saveModel } from '../nn/model-files.ts';
import type { AgentLearnerMeta } from './load-agent.ts';
import type { AgentRecipe } from './recipe.ts';
import type { ModelMarket } from './model-market.ts';
import { headsFor, networkSpec, type PreparedData } from './setup.ts';

interface AgentModelMeta {
  name: string;
  strategy: string;
  /**
   * The file the strategy was loaded from when not strategies/<strategy>.ts: only named in a retrain's refusal, never
   * imported from here (a model folder is data, src/trading/retrain-job.ts).
   */
  strategyFile?: string;
  seed: number;
  /** What the learner adds to the recipe: its kind, extra state and how training went. */
  learner: Pick<AgentLearnerMeta, 'kind' | 'extraState' | 'bestEpoch' | 'epochs' | 'decision' | 'engines' | 'ensemble'>;
  /** An ensemble's members after the first (`model`), saved as `member1`, `member2`, … (issue 13). */
  members?: tf.LayersModel[];
  trainingWindow: { from: string; to: string };
  /** The validation windows its epoch, margin and gate were chosen on (open times of their first and last candles). */
  validationWindows?: { from: string; to: string }[];
  /** The series it was trained on. */
  market?: ModelMarket;
  dataHash: string;
  metrics: Record<string, unknown>;
  codeVersion: string;
}

/**
 * Saves an agent's network as a model folder with everything `loadAgent` needs: the recipe, the feature set and
 * its scaler, the image spec and the network spec. One format for backtest, retrain, benches and tests; an ensemble
 * of seeds is one folder with one network file per member (they share the recipe, features and scaler).
 */
export async function saveAgentModel(
  dir: string,
  model: tf.LayersModel,
  recipe: AgentRecipe,
  prepared: PreparedData,
  m: AgentModelMeta,
): Promise<void> {
  const learner: AgentLearnerMeta = { ...m.learner, recipe, continuous: headsFor(recipe).continuous };
  const matrix = prepared.matrix;
  await saveModel(
    dir,
    { model, ...Object.fromEntries((m.members ?? []).map((net, i) => [`member${i + 1}`, net])) },
    {
      name: m.name,
      strategy: m.strategy,
      ...(m.strategyFile ? { strategyFile: m.strategyFile } : {}),
      ...(matrix ? { featureSet: matrix.spec, featureVersion: matrix.version, scaler: prepared.scaler } : {}),
      ...(recipe.image ? { image: recipe.image } : {}),
      network: networkSpec(recipe, prepared, m.seed),
      learner: learner as unknown as Record<string, unknown>,
      trainingWindow: m.trainingWindow,
      ...(m.validationWindows ? { validationWindows: m.validationWindows } : {}),
      ...(m.market ? { market: m.market } : {}),
      dataHash: m.dataHash,
      seed: m.seed,
      metrics: m.metrics,
      codeVersion: m.codeVersion,
      createdAt: new Date().toISOString(),
    },
  );
}

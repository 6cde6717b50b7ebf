import { isoTime } from '../data/timeframe.ts';
import type { AgentLearnerMeta } from '../agents/agent-policy.ts';
import { trainOnFold } from '../agents/run.ts';
import { headsFor, networkSpec } from '../agents/setup.ts';
import { computeMetrics } from '../backtest/metrics.ts';
import { hashData, saveModel } from '../ml/model-files.ts';
import type { ChallengerRequest } from './retrain.ts';

/** The real challenger: the learners' fold training (epoch chosen on validation), saved like `bot backtest` saves agents. */
export async function trainChallenger(req: ChallengerRequest): Promise<void> {
  const { recipe, candles, fold, seed } = req;
  const agent = await trainOnFold({
    config: req.config,
    recipe,
    strategyName: req.strategyName,
    candles,
    fold,
    seed,
    epochs: req.epochs,
    logger: req.logger,
    label: `${candles.symbol} retrain`,
  });
  try {
    const { continuous } = headsFor(recipe);
    const learnerMeta: AgentLearnerMeta = {
      kind: agent.learner.kind,
      recipe,
      continuous,
      extraState: agent.learner.extraState(),
      bestEpoch: agent.training.bestEpoch,
      epochs: agent.training.epochs.length,
    };
    const validation = computeMetrics(agent.backtest(fold.validation), candles.timeframe);
    await saveModel(req.dir, { model: agent.learner.net.model }, {
      name: req.modelName,
      strategy: req.strategyName,
      ...(agent.prepared.matrix ? { featureSet: agent.prepared.matrix.spec, featureVersion: agent.prepared.matrix.version, scaler: agent.prepared.scaler } : {}),
      ...(recipe.image ? { image: recipe.image } : {}),
      network: networkSpec(recipe, agent.prepared, seed),
      learner: learnerMeta as unknown as Record<string, unknown>,
      trainingWindow: { from: isoTime(candles.ts[fold.train.from]), to: isoTime(candles.ts[fold.train.to - 1]) },
      dataHash: hashData(candles.ts.subarray(fold.train.from, fold.train.to), candles.close.subarray(fold.train.from, fold.train.to)),
      seed,
      metrics: { validation, validationSharpe: agent.training.bestSharpe, symbol: candles.symbol, timeframe: candles.timeframe, exchange: candles.exchange },
      codeVersion: 'retrain',
      createdAt: new Date().toISOString(),
    });
  } finally {
    agent.dispose();
  }
}

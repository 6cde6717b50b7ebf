/** The real retrain challenger: fold training, saved like `bot backtest` saves agents. */
import { saveTrainedAgent, trainOnFold } from '../agents/train-fold.ts';
import { computeMetrics } from '../market/metrics.ts';
import type { ChallengerRequest } from './retrain.ts';

/** The real challenger: the learners' fold training (epoch chosen on validation), saved like `bot backtest` saves agents. */
export async function trainChallenger(req: ChallengerRequest): Promise<void> {
  const { recipe, candles, fold, seed } = req;
  const agent = await trainOnFold({
    settings: req.config,
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
    const validation = computeMetrics(agent.backtest(fold.validation), candles.timeframe);
    await saveTrainedAgent(req.dir, agent, {
      name: req.modelName,
      strategy: req.strategyName,
      candles,
      fold,
      seed,
      metrics: {
        validation,
        validationSharpe: agent.training.bestSharpe,
        symbol: candles.symbol,
        timeframe: candles.timeframe,
        exchange: candles.exchange,
      },
    });
  } finally {
    agent.dispose();
  }
}

/**
 * The real retrain challenger: fold training, saved like `bot backtest` saves agents; a champion that is an ensemble
 * of seeds (issue 13) is challenged by an ensemble of as many seeds, of the same kind.
 */
import { saveTrainedAgent, trainOnFold, type TrainedAgent } from '../agents/train-fold.ts';
import { computeMetrics } from '../market/metrics.ts';
import type { ChallengerRequest } from './retrain.ts';

/**
 * The real challenger: the learners' fold training (epoch chosen on validation), saved like `bot backtest` saves
 * agents; for an ensemble, seeds `seed … seed + members − 1` as the backtest's `--seeds N --ensemble KIND` trains them.
 */
export async function trainChallenger(req: ChallengerRequest): Promise<void> {
  const { recipe, candles, fold, seed } = req;
  const agents: TrainedAgent[] = [];
  try {
    for (let s = 0; s < (req.ensemble?.members ?? 1); s++) {
      agents.push(
        await trainOnFold({
          settings: req.config,
          recipe,
          strategyName: req.strategyName,
          candles,
          fold,
          seed: seed + s,
          epochs: req.epochs,
          logger: req.logger,
          label: `${candles.symbol} retrain seed${seed + s}`,
        }),
      );
    }
    const agent = agents[0];
    const validation = computeMetrics(agent.backtest(fold.validation), candles.timeframe);
    await saveTrainedAgent(req.dir, agent, {
      name: req.modelName,
      strategy: req.strategyName,
      ...(req.strategyFile ? { strategyFile: req.strategyFile } : {}),
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
      ...(req.ensemble ? { ensemble: { kind: req.ensemble.kind, agents } } : {}),
    });
  } finally {
    for (const a of agents) a.dispose();
  }
}

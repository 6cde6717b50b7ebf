/**
 * `bot backtest --strategy ppo-portfolio|ppo-etf-pair` (issue 14): a learning portfolio strategy walk-forward. The
 * last `testShare` of the usable clock is cut into `folds` blocks; fold k trains on every clock time before its block
 * (scalers fitted there too) and trades its block; the blocks run as one account through the portfolio engine beside
 * the portfolio baselines on the same candles. Several seeds: the first is the headline, all of them mean ± sd. The
 * last fold's agent of the first seed is saved as a model folder.
 */
import { marketOf, sayModelMarket } from '../agents/model-market.ts';
import { refuseModelHome } from '../agents/model-pointer.ts';
import path from 'node:path';
import {
  agentPolicy,
  portfolioBuilder,
  portfolioFeatures,
  trainPortfolioAgent,
  type PortfolioAgent,
} from '../agents/portfolio-agent.ts';
import { loadPortfolioAgent, savePortfolioAgent } from '../agents/portfolio-model.ts';
import { readPortfolioModelInfo } from '../agents/portfolio-model-meta.ts';
import type { PortfolioRecipe } from '../agents/portfolio-recipe.ts';
import { UserError } from '../core/errors.ts';
import { alignSeries, candlesFrom } from '../data/timeline.ts';
import type { Costs } from '../market/costs.ts';
import { firstDecisionIndex } from '../market/portfolio-env.ts';
import { inSampleWarning } from './model-backtest.ts';
import {
  modelFigures,
  portfolioModelMetrics,
  runPortfolioRun,
  type PortfolioRunRequest,
  type PortfolioSeries,
} from './portfolio-backtest.ts';
import type { PortfolioReport } from './portfolio-report.ts';
import { notOutOfSampleWarning } from './report.ts';

export interface PortfolioAgentRunRequest {
  strategy: { name: string; recipe: PortfolioRecipe };
  traded: readonly PortfolioSeries[];
  informative: readonly PortfolioSeries[];
  /** Per traded market, in order. */
  costs: readonly Costs[];
  balance: number;
  band: number;
  seed: number;
  seeds: number;
  epochs?: number;
  folds?: number;
  every: number;
  randomSeeds: number;
  outDir: string;
  out?: string;
  /** Model folder written with the last fold's agent (first seed). */
  modelDir: string;
  log(line: string): void;
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What both portfolio agent runs (train walk-forward, or a saved model) hand the portfolio backtest as they got it. */
type RunSettings = Pick<
  PortfolioRunRequest,
  'informative' | 'costs' | 'balance' | 'seed' | 'every' | 'band' | 'randomSeeds' | 'outDir' | 'out'
>;

function runSettings(req: RunSettings): RunSettings {
  const { informative, costs, balance, seed, every, band, randomSeeds, outDir, out } = req;
  return { informative, costs, balance, seed, every, band, randomSeeds, outDir, out };
}

/** Cuts [first, len) into training and `folds` test blocks over the last `testShare`. */
function foldBlocks(first: number, len: number, folds: number, testShare: number, episode: number): number[] {
  const testStart = first + Math.floor((len - first) * (1 - testShare));
  if (testStart - first < episode + 2)
    throw new UserError(`the training part holds ${testStart - first} candle times, fewer than one episode + 2`);
  const size = Math.floor((len - testStart) / folds);
  if (size < 2) throw new UserError(`${len - testStart} test candle times cannot make ${folds} folds`);
  return Array.from({ length: folds + 1 }, (_, k) => (k === folds ? len : testStart + k * size));
}

export async function runPortfolioAgentRun(
  req: PortfolioAgentRunRequest,
): Promise<{ report: PortfolioReport; dir: string }> {
  refuseModelHome(req.modelDir);
  const { recipe } = req.strategy;
  const traded = req.traded.map((s) => s.candles);
  const informative = req.informative.map((s) => s.candles);
  const tl = alignSeries(traded);
  const probe = portfolioFeatures(recipe, [...traded, ...informative], tl.ts[tl.ts.length - 1] + 1);
  const builder = portfolioBuilder(recipe, probe.features, traded.length);
  const first = firstDecisionIndex(tl, builder);
  const folds = req.folds ?? recipe.folds ?? 2;
  const blocks = foldBlocks(first, tl.ts.length, folds, recipe.testShare ?? 0.3, recipe.episodeLength);
  const epochs = req.epochs ?? recipe.epochs;
  const agents: PortfolioAgent[][] = [];
  try {
    for (let s = 0; s < req.seeds; s++) {
      const seed = req.seed + s;
      const perFold: PortfolioAgent[] = [];
      agents.push(perFold);
      for (let k = 0; k < folds; k++) {
        const started = performance.now();
        perFold.push(
          trainPortfolioAgent({
            recipe,
            traded,
            informative,
            costs: req.costs,
            balance: req.balance,
            band: req.band,
            range: { from: first, to: blocks[k] },
            seed: seed * 101 + k,
            epochs,
          }),
        );
        const secs = ((performance.now() - started) / 1000).toFixed(1);
        req.log(
          `seed ${seed} fold ${k + 1}/${folds}: trained ${epochs} epochs on ${iso(tl.ts[first])} … ` +
            `${iso(tl.ts[blocks[k] - 1])} (${secs} s), trades ${iso(tl.ts[blocks[k]])} … ` +
            `${iso(tl.ts[blocks[k + 1] - 1])}`,
        );
      }
    }
    const pick = (perFold: PortfolioAgent[]) => (ts: number) => {
      for (let k = folds - 1; k >= 0; k--) if (ts >= tl.ts[blocks[k]]) return perFold[k];
      return null;
    };
    const testFrom = tl.ts[blocks[0]];
    const cut = (s: PortfolioSeries): PortfolioSeries => ({ ...s, candles: candlesFrom(s.candles, testFrom) });
    const name = req.strategy.name;
    const policies = agents.map((perFold, s) =>
      agentPolicy(`${name}/seed${req.seed + s}`, pick(perFold), recipe.episodeLength),
    );
    const result = runPortfolioRun({
      name,
      policy: policies[0],
      seedPolicies: policies,
      series: req.traded.map(cut),
      ...runSettings(req),
      agent: {
        learner: recipe.learner.kind,
        action: recipe.cash
          ? 'Gaussian on logits (markets + cash, one logit pinned at 0) through a softmax'
          : traded.length === 2
            ? "the seed's one-number split: first market's share = sigmoid(u), u Gaussian; the rest in the second"
            : 'Gaussian on logits (markets, one logit pinned at 0) through a softmax, fully invested',
        epochs,
        seeds: req.seeds,
        window: recipe.window,
        episodeLength: recipe.episodeLength,
        stopLoss: recipe.stopLoss ?? null,
        folds: Array.from({ length: folds }, (_, k) => ({
          train: [iso(tl.ts[first]), iso(tl.ts[blocks[k] - 1])],
          test: [iso(tl.ts[blocks[k]]), iso(tl.ts[blocks[k + 1] - 1])],
        })),
        model: path.resolve(req.modelDir),
      },
    });
    await savePortfolioAgent(req.modelDir, agents[0][folds - 1], {
      name: path.basename(req.modelDir),
      strategy: name,
      seed: req.seed,
      trainingWindow: { from: iso(tl.ts[first]), to: iso(tl.ts[blocks[folds - 1] - 1]) },
      market: { exchange: traded[0].exchange, timeframe: traded[0].timeframe },
      // the first seed's figures over the test windows, which the saved agent's fold traded last (the dashboard's
      // Models page and a single market's meta.json read `test` alike)
      metrics: portfolioModelMetrics(traded, { test: modelFigures(result.report.summary, result.trades) }),
    });
    return result;
  } finally {
    for (const perFold of agents) for (const a of perFold) a.dispose();
  }
}

export interface PortfolioModelRunRequest {
  modelDir: string;
  series: readonly PortfolioSeries[];
  informative: readonly PortfolioSeries[];
  /** Per traded market, in order. */
  costs: readonly Costs[];
  balance: number;
  band: number;
  seed: number;
  every: number;
  randomSeeds: number;
  outDir: string;
  out?: string;
  /** First decision at or after this open time (the candles before it are the features' history). */
  from?: number;
  log(line: string): void;
  /** Said when the range is not out of sample (inSampleWarning). */
  warn(line: string): void;
}

/**
 * `bot backtest --model models/<portfolio>`: the saved agent over the range from its first full window (or `from`,
 * if later), untrained. The candles before the first decision are history, as in a paper run of the model.
 */
export async function runPortfolioModelRun(
  req: PortfolioModelRunRequest,
): Promise<{ report: PortfolioReport; dir: string }> {
  const traded = req.series.map((s) => s.candles);
  sayModelMarket(req.modelDir, req.modelDir, marketOf(traded), (line) => req.log(line));
  const agent = await loadPortfolioAgent(
    req.modelDir,
    traded,
    req.informative.map((s) => s.candles),
  );
  try {
    const tl = alignSeries(traded);
    const warmedUp = firstDecisionIndex(tl, agent.builder);
    let first = warmedUp;
    if (req.from !== undefined) {
      const asked = req.from;
      while (first < tl.ts.length && tl.ts[first] < asked) first++;
    }
    // the data line names what set the first time: --from, the model's warm-up, or (neither) the latest-starting series
    const startSetBy = first > warmedUp ? '--from' : first > 0 ? "the model's warm-up" : undefined;
    if (tl.ts.length - first < 2)
      throw new UserError(`the range leaves ${tl.ts.length - first} candle times after warm-up`);
    const meta = readPortfolioModelInfo(req.modelDir);
    req.log(`model ${req.modelDir} (${meta.strategy}) from ${iso(tl.ts[first])}; trained on ${meta.trainingWindow}`);
    // a portfolio agent trains its epochs through and chooses nothing on validation windows: the training window only
    const last = tl.ts[tl.ts.length - 1];
    const inSample = meta.trained && inSampleWarning({ trainingWindow: meta.trained }, tl.ts[first], last);
    if (inSample) req.warn(notOutOfSampleWarning(inSample));
    const testFrom = tl.ts[first];
    return runPortfolioRun({
      name: meta.strategy,
      policy: agentPolicy(meta.strategy, () => agent, agent.recipe.episodeLength),
      series: req.series.map((s) => ({ ...s, candles: candlesFrom(s.candles, testFrom) })),
      ...runSettings(req),
      agent: { model: path.resolve(req.modelDir), trainingWindow: meta.trainingWindow },
      ...(inSample ? { notOutOfSample: inSample } : {}),
      ...(startSetBy !== undefined ? { startSetBy } : {}),
    });
  } finally {
    agent.dispose();
  }
}

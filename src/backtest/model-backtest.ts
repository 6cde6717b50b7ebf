/** `bot backtest --model <dir>`: a saved agent evaluated greedily over a range, without training, and reported. */
import { afterWindowEnd, isoTime } from '../data/timeframe.ts';
import type { Series } from '../data/source.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { marketOf, sayModelMarket } from '../agents/model-market.ts';
import { loadAgent } from '../agents/load-agent.ts';
import { resolveModel } from '../agents/model-pointer.ts';
import { recipeCostPreset, recipeCosts, recipeSizing } from '../agents/setup.ts';
import { runBacktest } from '../market/backtest-engine.ts';
import { initBackend } from '../nn/backend/backend.ts';
import type { ModelMeta } from '../nn/model-files.ts';
import type { BacktestSettings } from './config.ts';
import { MIN_RANGE_CANDLES, rangeIndices } from './range.ts';
import { reportBacktest, type BacktestRun } from './rule-backtest.ts';
import { notOutOfSampleWarning, type NotOutOfSample } from './report.ts';

export interface ModelBacktestRequest {
  settings: BacktestSettings;
  series: Series;
  /** A model home (`models/<name>`): its serving version is evaluated. */
  modelHome: string;
  from?: number;
  to?: number;
  seed: number;
  out?: string;
  logger: Logger;
}

/**
 * Evaluates a saved agent greedily, without training, over [from, to): the same loader, observation code and
 * engine as the paper trader, so `bot backtest --model` shows what `bot paper --model` would have done.
 */
export async function runModelBacktest(req: ModelBacktestRequest): Promise<BacktestRun> {
  const { settings, series, logger } = req;
  const { dir, version } = resolveModel(req.modelHome);
  sayModelMarket(req.modelHome, dir, marketOf(series.candles), (line) => logger.warn(line));
  await initBackend(settings.ml.backend, logger);
  const agent = await loadAgent(dir);
  try {
    const candles = series.candles;
    const asked = rangeIndices(candles, req.from, req.to, series.label);
    const from = Math.max(asked.from, agent.warmup);
    if (asked.to - from < MIN_RANGE_CANDLES) {
      throw new UserError(
        `${series.label}: the model needs ${agent.warmup} candles of history before ` +
          `its first decision; the range leaves ${Math.max(0, asked.to - from)}`,
      );
    }
    if (from > asked.from)
      logger.info(
        `first decision at ${isoTime(candles.ts[from])}: the model's features need ${agent.warmup} earlier candles`,
      );
    const inSample = inSampleWarning(agent.meta, candles.ts[from], candles.ts[asked.to - 1]);
    if (inSample) logger.warn(notOutOfSampleWarning(inSample));
    const costs = recipeCosts(agent.recipe, settings.account);
    const sizing = recipeSizing(agent.recipe, settings.backtest);
    const result = runBacktest({
      ...agent.observationSource(candles),
      range: { from, to: asked.to },
      costs,
      balance: settings.account.balance,
      sizing,
      policy: agent.policy,
    });
    return await reportBacktest({
      settings,
      series,
      strategy: {
        name: agent.meta.strategy,
        kind: 'agent',
        description: `saved model ${req.modelHome} (version ${version}), evaluated without training`,
      },
      result,
      costs,
      sizing,
      rule: agent.policy.rule,
      costPreset: recipeCostPreset(agent.recipe, settings.account),
      seed: req.seed,
      out: req.out,
      ...(inSample ? { notOutOfSample: inSample } : {}),
    });
  } finally {
    agent.dispose();
  }
}

/**
 * Why a range [first, last] (candle open times) of a model's backtest is not out of sample, if it is not (said in its
 * report too): it starts
 * before the end of the training window, or it overlaps a validation window the model's epoch and margin were chosen
 * on (results there are biased upward too). Models saved before their validation windows were recorded are checked
 * against the training window only.
 */
export function inSampleWarning(
  meta: Pick<ModelMeta, 'trainingWindow' | 'validationWindows'>,
  first: number,
  last: number,
): NotOutOfSample | undefined {
  const trained = meta.trainingWindow;
  const trainingWindow = { from: trained.from, to: trained.to };
  // a date-only end ('2025-02-20', older portfolio models) is the whole day, not its midnight
  if (afterWindowEnd(trained.to) > first)
    return {
      reason: `the range starts before the end of the model's training ` + `window (${trained.from} … ${trained.to})`,
      trainingWindow,
      validationWindows: [],
    };
  const hit = (meta.validationWindows ?? []).filter((w) => Date.parse(w.from) <= last && afterWindowEnd(w.to) > first);
  if (!hit.length) return undefined;
  return {
    reason:
      `the range overlaps the validation windows the model's epoch and margin were chosen on ` +
      `(${hit.map((w) => `${w.from} … ${w.to}`).join(', ')})`,
    trainingWindow,
    validationWindows: hit.map((w) => ({ from: w.from, to: w.to })),
  };
}

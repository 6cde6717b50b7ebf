/**
 * Where a portfolio run's policy comes from (issue 14): the contract a portfolio trader asks — policy(view) →
 * target weights over its markets, or null to keep what is held — and its rule implementation
 * (strategies/equal-weight.ts).
 * A learned portfolio model (a model folder whose recipe is a portfolio recipe) is the other source
 * (src/trading/portfolio-model-source.ts).
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { PortfolioStrategy } from '../agents/portfolio-strategy.ts';
import { createPortfolioRulePolicy } from '../agents/portfolio-rule-guard.ts';
import { ruleTickCandles, trainingFlags } from '../agents/strategy.ts';
import type { PortfolioPolicy } from '../market/portfolio-engine.ts';
import type { Costs } from '../market/costs.ts';
import type { ServedRun, VersionRefusalRecord } from './types.ts';

export interface PortfolioPolicyHandle {
  /** Gives target weights at a close from what the view shows (candles up to that close, current weights). */
  policy: PortfolioPolicy;
  /** Saved-model version that serves (undefined for rule strategies). */
  version?: string;
  label: string;
  /** The model version the source gives up on, stored with the run as it decides (RunState.modelRefusal). */
  refusal?: VersionRefusalRecord;
  /**
   * As PolicyHandle.until: the first candle time it may not decide (a version promoted meanwhile saw the ones before).
   */
  until?: number;
  /**
   * As PolicyHandle.warmup, in time: the first candle time its policy decides (a model's features are full there);
   * each one before is a keep of its warm-up (none for a rule's).
   */
  warmupUntil?: number;
  /**
   * As PolicyHandle.costs, per market in the run's order: the costs its fills and orders are charged when they are not
   * the run's (a saved model version serving in the stead of the one the process started with, at its own recipe's,
   * with the run's per-market overrides). Absent: the run's.
   */
  costs?: readonly Costs[];
}

export interface PortfolioPolicySource {
  /** What the run records as its policy, e.g. `strategy:equal-weight/20`; a restart must name the same. */
  readonly label: string;
  /** A saved model's: the real path of its home, which the run stores (RunState.modelHome). */
  readonly home?: string;
  /** Candles of history a new run loads before its first traded candle (default: trading.historyCandles). */
  readonly history?: number;
  /** Candles of every series a tick loads before the first candle time it decides (default: `history`). */
  readonly lookback?: number;
  /**
   * Series the policy reads but the run does not trade (a model's informative series); the trader fetches them (those
   * of the version the tick serves).
   */
  readonly informative?: readonly string[];
  /**
   * Brings the source up to the policy the tick will serve (a saved model's pointer, moved by a promotion or by hand),
   * before the tick reads `history`, `lookback` and `informative` to backfill and load its series: the version's.
   */
  follow?(run?: ServedRun): Promise<void>;
  /** Throws what a new run is refused with before its first tick, as PolicySource.checkNewRun. */
  checkNewRun?(): void;
  /**
   * The tick's backfill failed (`error`): when `follow` brought up a version that reads a series the serving one does
   * not, that series is the likely cause (an exchange that does not list it), and the source gives that version up
   * and keeps serving the one before. Says whether it did: the trader then backfills the serving version's series
   * (`history` and `informative` are its again) and the tick goes on; otherwise the failure fails the tick.
   */
  switchFailed?(error: unknown): boolean;
  /**
   * The policy for these series (every market's closed candles of the tick, `lookback` before its first candle time
   * and then up to the newest, in the run's market order, then each informative series' in `informative` order).
   * Undefined: the version `follow` brought up cannot be aimed over them and is given up; the trader backfills and
   * loads the serving version's series (`history`, `lookback` and `informative` are its again) and asks again.
   * `runVersion` and `refusal`: the model version the run last served and the one it gave up on, and `from`: the
   * first candle time the handle decides, as PolicySource.forCandles's.
   */
  forSeries(
    series: readonly Candles[],
    informative: readonly Candles[],
    runVersion?: string,
    refusal?: VersionRefusalRecord,
    from?: number,
  ): PortfolioPolicyHandle | undefined | Promise<PortfolioPolicyHandle | undefined>;
  dispose?(): void;
}

/**
 * A rule portfolio strategy as a policy source. Its policy is a function of the clock index and the view only, so
 * building it again at every tick (or after a restart) decides exactly as one policy over the whole run would.
 */
export function portfolioRuleSource(
  strategy: PortfolioStrategy,
  ctx: { symbols: readonly string[]; seed: number; every: number; /** the --strategy given */ argument?: string },
): PortfolioPolicySource {
  if (strategy.recipe) {
    const train = trainingFlags(ctx.argument ?? strategy.name, strategy.name);
    throw new UserError(
      `strategy "${strategy.name}" learns its weights: train it with bot backtest ${train.flags}, ` +
        'then trade the saved model with --model',
    );
  }
  const rule = strategy;
  const label = `strategy:${createPortfolioRulePolicy(rule, ctx).name}`;
  return {
    label,
    history: 1,
    // the view a user's rule may read at a tick (equal-weight reads only the clock index), or its own `lookback`
    lookback: ruleTickCandles(rule),
    forSeries: () => ({ policy: createPortfolioRulePolicy(rule, ctx), label }),
  };
}

/**
 * `bot retrain --symbols A,B` (issue 14). A rule portfolio strategy (equal-weight: fixed weights on a calendar) has
 * no learned parameters: asking to retrain it is refused with one line and exit code 1, before any network or disk
 * work, as `bot retrain --strategy sma-cross` is for one market.
 *
 * The promotion path of a learned portfolio model (README "Portfolio paper and live trading"): a model home
 * (`models/<name>`, src/agents/model-pointer.ts: versions and one CURRENT pointer) whose meta.json records its
 * `strategy` and its `portfolio.symbols`. A retrain refreshes every market, aligns them on one clock, trains a
 * challenger on the sliding window into a staged version, scores challenger and champion over the holdout through
 * the portfolio engine (runPortfolioBacktest) beside equal weights rebalanced every K, and promotes with one pointer
 * switch only a challenger that beats both — the rule single-market retrain applies with buy-and-hold. The trainer
 * is the portfolio learner's (another branch); until it lands, such a home gets a one-line refusal here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { loadPortfolioStrategy } from '../agents/portfolio-strategy.ts';
import { currentVersion, versionDir } from '../agents/model-pointer.ts';

/** What a model home's serving meta.json says about a portfolio model, if it is one. */
function portfolioMeta(home: string): { strategy?: string; symbols: string[] } | undefined {
  const version = existsSync(home) ? currentVersion(home) : undefined;
  if (!version) return undefined;
  try {
    const meta = JSON.parse(readFileSync(path.join(versionDir(home, version), 'meta.json'), 'utf8')) as {
      strategy?: unknown;
      portfolio?: { symbols?: unknown };
    };
    const symbols = meta.portfolio?.symbols;
    if (!Array.isArray(symbols)) return undefined;
    return { strategy: typeof meta.strategy === 'string' ? meta.strategy : undefined, symbols: symbols.map(String) };
  } catch {
    return undefined;
  }
}

/** Checks a portfolio retrain request; today every path ends in a one-line UserError saying why. */
export async function refusePortfolioRetrain(req: {
  symbols: readonly string[];
  strategy?: string;
  model?: string;
}): Promise<never> {
  const meta = req.model ? portfolioMeta(req.model) : undefined;
  if (req.model && meta) {
    throw new UserError(
      `--model ${req.model} is a portfolio model (${meta.symbols.join(',')}): retraining it needs the portfolio ` +
        'learner (issue 14), which this build does not have',
    );
  }
  if (!req.strategy) throw new UserError('--strategy is needed with --symbols (a portfolio strategy)');
  const strategy = await loadPortfolioStrategy(req.strategy);
  throw new UserError(
    `strategy "${strategy.name}" is a rule portfolio strategy: nothing to retrain; trade it with ` +
      `bot paper --symbols ${req.symbols.join(',')} --strategy ${strategy.name}`,
  );
}

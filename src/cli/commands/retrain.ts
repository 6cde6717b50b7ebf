/** `bot retrain`: one retrain of a model home. */
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { addCommonOptions, setupCommand, trainingCount, wholeNumber, type CommonFlags } from '../context.ts';
import { checkCron, scheduleTask } from '../../trading/schedule.ts';
import type { HoldoutActivity, RetrainResult } from '../../trading/retrain.ts';
import { parsePortfolioFlags, type PortfolioFlags } from '../portfolio-flags.ts';
import { clockFrom } from './paper.ts';
import { RETRAIN_PARENT_ENV, watchRetrainParent } from '../../trading/parent-watch.ts';
import { printJson, printText } from '../../core/redact.ts';

interface RetrainFlags extends CommonFlags, PortfolioFlags {
  strategy?: string;
  model?: string;
  schedule?: string;
  epochs?: string;
  seed?: string;
  json?: boolean;
  now?: string;
  retryHoldout?: boolean;
}

/**
 * The outcome in one line: the reason, then each score it does not already give (each figure once), then the holdout,
 * the costs the scores were judged at and the champion's training end (the holdout starts after it:
 * src/trading/retrain-holdout.ts).
 */
/**
 * How challenger and champion traded on the holdout: `holdout trades: challenger 3 (45% of candles in a position),
 * champion 1 (97%)`.
 */
function holdoutTrades(a: { challenger: HoldoutActivity; champion: HoldoutActivity | null }): string {
  const exposed = (x: HoldoutActivity) => `${(x.exposure * 100).toFixed(0)}%`;
  const champion = a.champion ? `, champion ${a.champion.trades} (${exposed(a.champion)})` : '';
  const challenger = `challenger ${a.challenger.trades} (${exposed(a.challenger)} of candles in a position)`;
  return `holdout trades: ${challenger}${champion}`;
}

export function describe(r: RetrainResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const s = r.scores;
  const figures = s
    ? (
        [
          ['challenger', s.challenger],
          ['champion', s.champion],
          [r.baseline ?? 'buy-and-hold', s.buyHold],
        ] as const
      )
        .filter((f): f is readonly [string, number] => f[1] !== null)
        .map(([name, x]) => `${name} ${pct(x)}`)
        .filter((figure) => !r.reason.includes(figure))
    : [];
  const judged = [
    r.holdout && !r.reason.includes(r.holdout.from) ? `holdout ${r.holdout.from} … ${r.holdout.to}` : undefined,
    r.costs ? `all judged at ${r.costs}` : undefined,
    r.championTrainedTo && !r.reason.includes(r.championTrainedTo)
      ? `champion trained to ${r.championTrainedTo}`
      : undefined,
    s?.activity ? holdoutTrades(s.activity) : undefined,
  ].filter((part) => part !== undefined);
  return (
    `${r.outcome}: ${r.reason}${figures.length ? ` (${figures.join(', ')})` : ''}` +
    (judged.length ? `; ${judged.join(', ')}` : '') +
    (r.warning ? `\nwarning: ${r.warning}` : '')
  );
}

export function registerRetrain(program: Command): void {
  const cmd = program
    .command('retrain')
    .description(
      'train a challenger on the newest window, compare with the ' +
        'serving model on the latest holdout, promote only a winner',
    )
    .option('--strategy <name>', 'agent strategy from strategies/ (default: the one that trained --model)')
    .option(
      '--model <folder>',
      'model home to promote into, an existing folder (default: <agent.modelsDir>/<strategy>)',
    )
    .option('--schedule <cron>', 'keep running and retrain on this cron schedule (UTC), e.g. "0 3 * * *"')
    .option('--epochs <n>', 'training epochs (default trading.retrain.epochs)')
    .option('--seed <n>', 'training seed (default backtest.seed)')
    .option('--retry-holdout', 'promote a winner although earlier challengers lost on candles of its holdout')
    .option('--json', 'print the outcome as JSON')
    .option('--now <time>', 'a fixed clock instead of the wall clock (tests against the fake exchange)')
    .option('--symbols <list>', 'portfolio: the markets A,B[,…] of a portfolio model (--model), in its order')
    .option('--rebalance-every <n>', 'portfolio: the equal-weight baseline rebalances every n candles (default 20)')
    .option('--band <fraction>', 'portfolio: skip moves under this fraction of the value (default 0.01)')
    .option('--market-costs <list>', 'portfolio: a cost preset per market, SYMBOL=PRESET[,…] (over account.markets)');
  addCommonOptions(cmd, { market: true, db: true, backend: true });
  cmd.action(async (flags: RetrainFlags) => {
    // a trader's scheduled retrain child stops itself if the trader dies (src/trading/parent-watch.ts)
    watchRetrainParent();
    // the flags first, then the config (and zod with its schemas): a flag mistake is one line before either loads
    const epochs = trainingCount(flags.epochs, 'epochs');
    const seed = wholeNumber(flags.seed, '--seed', 0);
    const clock = clockFrom(flags.now);
    if (flags.schedule !== undefined) checkCron(flags.schedule, '--schedule');
    const { config, logger } = await setupCommand(flags);
    // the training code, and TensorFlow.js with it, loads once the flags are checked
    const { checkPortfolioRetrain, portfolioHomeSymbols, runPortfolioRetrainJob } =
      await import('../../trading/portfolio-retrain.ts');
    const { runRetrainJob } = await import('../../trading/retrain-job.ts');
    // a home serves one market, or one list of markets: a portfolio home's retrain reads them from it (no --symbols)
    const home = flags.model ?? (flags.strategy ? path.join(config.agent.modelsDir, flags.strategy) : undefined);
    const homeSymbols = flags.symbols === undefined && home ? portfolioHomeSymbols(home) : undefined;
    if (homeSymbols && flags.symbol !== undefined)
      throw new UserError(
        `model ${home} is a portfolio model trading ${homeSymbols.join(',')}; --symbol names ${flags.symbol}: ` +
          'a model home serves one list of markets (leave out --symbol)',
      );
    const portfolio = parsePortfolioFlags(homeSymbols ? { ...flags, symbols: homeSymbols.join(',') } : flags);
    const job = {
      config,
      logger,
      strategy: flags.strategy,
      model: flags.model,
      epochs,
      seed,
      clock,
      // a schedule's firings are not retries (src/trading/holdout-trials.ts): this one, or a trader's --retrain child
      scheduled: flags.schedule !== undefined || process.env[RETRAIN_PARENT_ENV] !== undefined,
      retryHoldout: flags.retryHoldout === true,
      named: { exchange: flags.exchange, symbol: flags.symbol, timeframe: flags.timeframe },
    };
    // a portfolio model: checked before any network or disk work (the model's markets, in its order)
    if (portfolio) await checkPortfolioRetrain({ ...job, symbols: portfolio.symbols, symbolsOfHome: !!homeSymbols });
    const once = () => (portfolio ? runPortfolioRetrainJob({ ...job, ...portfolio }) : runRetrainJob(job));
    const print = (r: RetrainResult) => (flags.json ? printJson(r, 0) : printText(describe(r)));
    if (!flags.schedule) {
      const r = await once();
      print(r);
      if (r.outcome === 'failed') process.exitCode = 1;
      return;
    }
    const task = scheduleTask(
      flags.schedule,
      'retrain',
      async () => print(await once()),
      (e) => logger.error(`retrain failed: ${(e as Error).message}`),
    );
    logger.info(`retraining on "${flags.schedule}" (UTC); next ${task.nextRun()?.toISOString() ?? '—'}`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        logger.info(`${sig}: stopping after the retrain in flight, if any`);
        void task.stop().then(resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  });
}

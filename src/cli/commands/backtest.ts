/** `bot backtest` (rule, agent or saved-model runs) and `bot report`. */
import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { PORTFOLIO_REPORT_SCHEMA } from '../../backtest/portfolio-report.ts';
import path from 'node:path';
import type { readReportFile } from '../../backtest/report-file.ts';
import { REPORT_SCHEMA, summaryTable } from '../../backtest/report.ts';
import type { BacktestRun } from '../../backtest/rule-backtest.ts';
import {
  loadStrategy,
  RULE_WARMUP_CANDLES,
  strategyFileOf,
  strategyHome,
  type Strategy,
} from '../../agents/strategy.ts';
import { parseEnsembleKind } from '../../agents/ensemble-kind.ts';
import { loadSeries } from '../../data/source.ts';
import { parseTime } from '../../data/timeframe.ts';
import { rangeBeyondData } from '../../backtest/range.ts';
import type { Candles } from '../../core/candles.ts';
import { UserError } from '../../core/errors.ts';
import { addCommonOptions, setupCommand, trainingCount, wholeNumber, type CommonFlags } from '../context.ts';
import { checkOutFolder } from '../out-paths.ts';
import { parseBalance } from '../../trading/flags.ts';
import { checkBalance, runCosts } from '../../market/costs.ts';
import { defaultCostsNote } from '../../market/default-costs-note.ts';
import {
  checkModelNameFlag,
  refuseHome,
  refuseTrainingFlag,
  trainingFlag,
  type BacktestFlags,
} from '../backtest-flags.ts';
import { checkColumnsFlag, COLUMNS_HELP, fileTimeframe, refuseMootMarketFlags } from './data.ts';
import { isPortfolioRun, portfolioBacktest } from './portfolio-backtest.ts';
import { refusePortfolioOnlyFlags } from '../portfolio-flags.ts';
import { eitherNotBoth } from '../../core/flag-conflicts.ts';
import { printJson, printText } from '../../core/redact.ts';

export function registerBacktest(program: Command): void {
  const cmd = program
    .command('backtest')
    .description(
      'run a strategy over history against buy-and-hold, flat, random and SMA-cross baselines; writes a report',
    )
    .option('--strategy <name>', 'a strategy in strategies/ or a strategy .ts file (default: config backtest.strategy)')
    .option('--data <file>', 'candles from a CSV file instead of the store')
    .option('--columns <names>', COLUMNS_HELP)
    .option('--sample', 'use the bundled sample series (S&P 500 daily)')
    .option('--from <date>', 'first candle (open time ≥ this)')
    .option('--to <date>', 'end (candles opening before this)')
    .option('--out <dir>', 'report folder (default backtests/<run-id>)')
    .option('--seed <n>', 'seed for random strategies and baselines (default: config backtest.seed)')
    .option('--balance <amount>', 'starting cash (overrides account.balance)')
    .option('--epochs <n>', 'agent strategies: training epochs')
    .option('--seeds <n>', 'agent strategies: train this many seeds and report mean ± sd')
    .option('--ensemble <kind>', "agent strategies: trade each fold's seeds as one model, vote or mean (saved as one)")
    .option('--folds <k>', 'agent strategies: walk-forward folds')
    .option('--name <name>', 'agent strategies: model folder name under models/')
    .option('--model <dir>', 'evaluate a saved model (models/<name>) on the range without training')
    .option('--json', 'print report.json instead of the table')
    .option('--symbols <list>', 'portfolio: markets A,B[,…] on one account (with a portfolio strategy: equal-weight)')
    .option('--rebalance-every <K>', 'portfolio: equal-weight rebalance period in candles (default 20)')
    .option('--band <fraction>', 'portfolio: skip moves under this share of the value (default 0.01)')
    .option('--informative <list>', "portfolio agents: series X[,…] as features, not traded (replaces the recipe's)")
    .option('--market-costs <list>', 'portfolio: a cost preset per market, SYMBOL=PRESET[,…] (e.g. X=krx-stock)');
  addCommonOptions(cmd, { market: true, db: true, backend: true }).action(async (flags: BacktestFlags) => {
    checkColumnsFlag(flags);
    // a saved model is evaluated, not trained (single-market or portfolio): these used to be ignored
    const training = trainingFlag(flags);
    if (training && flags.model !== undefined)
      throw new UserError(`${training} is for training: use it with --strategy, not with --model (a saved model)`);
    const extra: Record<string, unknown> = {};
    if (flags.balance !== undefined) extra.account = { balance: parseBalance(flags.balance, '--balance') };
    if (await isPortfolioRun(flags)) {
      await portfolioBacktest(flags, extra);
      return;
    }
    // the single-market run reads none of these; it used to run without a word (paper and live refuse them)
    refusePortfolioOnlyFlags(flags);
    eitherNotBoth(['--data FILE', flags.data], ['--sample', flags.sample]);
    refuseMootMarketFlags(flags);
    const from = flags.from !== undefined ? parseTime(flags.from, '--from') : undefined;
    const to = flags.to !== undefined ? parseTime(flags.to, '--to') : undefined;
    if (from !== undefined && to !== undefined && to <= from)
      throw new UserError(`--to ${flags.to} is not after --from ${flags.from}`);
    const seedFlag = wholeNumber(flags.seed, '--seed', 0);
    // every flag is checked before any network or disk work (issue 17)
    const epochs = trainingCount(flags.epochs, 'epochs');
    const seeds = trainingCount(flags.seeds, 'seeds');
    const folds = trainingCount(flags.folds, 'folds');
    checkModelNameFlag(flags);
    const ensemble = flags.ensemble !== undefined ? parseEnsembleKind(flags.ensemble) : undefined;
    if (ensemble && flags.model !== undefined) throw new UserError('--ensemble trains seeds: use it with --strategy');
    eitherNotBoth(['--model DIR', flags.model], ['--strategy NAME', flags.strategy]);
    // then the files and folders the flags name (flags first, as on the portfolio path)
    if (flags.data && !existsSync(flags.data)) throw new UserError(`--data: no such file ${flags.data}`);
    checkOutFolder(flags.out, { empty: true });
    // a broken saved model (truncated weights, malformed scaler, a recipe edited to no longer fit its network) before
    // the config, the exchange and the candles: it used to be found after candles were fetched and stored
    if (flags.model !== undefined) (await import('../../agents/model-folder-check.ts')).checkModelHome(flags.model);
    // and the config last, as on the portfolio path (a bad --name used to be told the --config file was missing)
    const { config, logger } = await setupCommand(flags, extra);
    const seed = seedFlag ?? config.backtest.seed;
    // the bundled sample stands in for the exchange only in the main job with no market named
    const offlineFallback = flags.symbol === undefined && flags.exchange === undefined && flags.timeframe === undefined;
    const source = {
      config,
      dataFile: flags.data,
      columns: flags.columns,
      timeframe: fileTimeframe(flags),
      sample: flags.sample,
      offlineFallback,
    };
    const strategyArg = flags.strategy ?? config.backtest.strategy;
    const strategy = flags.model === undefined ? await loadStrategy(strategyArg) : undefined;
    // a strategy file outside strategies/, recorded with its model so that a retrain never trains another recipe
    const strategyFile = strategyFileOf(strategyArg);
    if (strategy) {
      if (ensemble && strategy.kind !== 'agent')
        throw new UserError(`--ensemble needs an agent strategy, not ${strategy.name}`);
      // after the strategy's kind: a rule strategy asked for --seeds 2 here, then refused --seeds
      // an ensemble of the one default seed used to be built without a word
      if (ensemble && (seeds ?? 1) < 2)
        throw new UserError(`--ensemble ${flags.ensemble} trades a fold's seeds as one model: give --seeds 2 or more`);
      if (ensemble && strategy.kind === 'agent')
        (await import('../../agents/ensemble.ts')).checkEnsembleRecipe(ensemble, strategy.recipe);
      if (strategy.kind !== 'agent') refuseTrainingFlag(flags, strategy.name);
      // the folder the trained model goes to, before the exchange and the candles: a file named as a shipped
      // strategy only with --name (strategyHome)
      else {
        if (flags.name === undefined) strategyHome(strategyFile, strategy.name, config.agent.modelsDir, '--name NAME');
        await refuseHome(config.agent.modelsDir, flags.name ?? strategy.name);
      }
    }
    // one minimum-order check for every run, before any candles or model are loaded (a saved model's run used to
    // print a report of zeros): against the costs it trades under, its recipe's or the config's
    const costs = await costsName(flags.model, strategy);
    checkBalance(config.account, runCosts(costs, config.account));
    // the default's Upbit KRW costs on a USDT, USD or stock series: one line naming them and how to choose others
    // and a --from or --to past the data's ends, which the run clamps to the candles there are
    const noteSeries = (candles: Candles) => {
      const note = costs === 'config' ? defaultCostsNote(config.account, [candles.symbol]) : undefined;
      if (note) logger.info(note);
      const flag = (text: string | undefined, ms: number | undefined) =>
        text !== undefined && ms !== undefined ? { text, ms } : undefined;
      for (const line of rangeBeyondData(candles, flag(flags.from, from), flag(flags.to, to))) logger.info(line);
    };
    if (flags.model !== undefined) {
      // loaded when used, like the agent runner below: rule backtests do not pay for loading tfjs
      const { runModelBacktest } = await import('../../backtest/model-backtest.ts');
      const series = await loadSeries({ ...source, from: undefined, to });
      noteSeries(series.candles);
      const run = await runModelBacktest({
        settings: config,
        series,
        modelHome: flags.model,
        from,
        to,
        seed,
        out: flags.out,
        logger,
      });
      printRun(run, flags.json === true);
      return;
    }
    if (!strategy) throw new Error('unreachable: a run without --model has a strategy');
    if (strategy.kind === 'agent') {
      const series = await loadSeries({ ...source, from, to });
      noteSeries(series.candles);
      const { runAgentBacktest } = await import('../../backtest/agent-backtest.ts');
      await runAgentBacktest({
        settings: config,
        series,
        strategy,
        ...(strategyFile ? { strategyFile } : {}),
        flags: {
          epochs,
          seed: seedFlag !== undefined ? seed : undefined,
          seeds,
          ...(ensemble ? { ensemble } : {}),
          folds,
          name: flags.name,
          out: flags.out,
          from,
          to,
          json: flags.json === true,
        },
        logger,
      });
      return;
    }

    // rule indicators need history before --from: files load whole, the store with a warm-up margin of candles;
    // decisions start at --from
    const fromFile = flags.data !== undefined || flags.sample === true;
    const series = await loadSeries({
      ...source,
      from: fromFile ? undefined : from,
      to,
      ...(fromFile ? {} : { warmup: RULE_WARMUP_CANDLES }),
    });
    logger.info(`backtest ${strategy.name} on ${series.label}`);
    noteSeries(series.candles);
    const { runRuleBacktest } = await import('../../backtest/rule-backtest.ts');
    const run = await runRuleBacktest({ settings: config, series, strategy, from, to, seed, out: flags.out });
    printRun(run, flags.json === true);
  });
}

/** The cost preset a run trades under: a saved model's recipe's, an agent recipe's, or 'config' (rules). */
async function costsName(model: string | undefined, strategy: Strategy | undefined): Promise<string> {
  if (model === undefined) return strategy?.kind === 'agent' ? strategy.recipe.costs : 'config';
  const { resolveModel } = await import('../../agents/model-pointer.ts');
  const { savedModelCosts } = await import('../../agents/model-costs.ts');
  return savedModelCosts(resolveModel(model).dir);
}

function printRun(run: BacktestRun, json: boolean): void {
  if (json) printJson(run.report);
  else {
    printText(summaryTable(run.report));
    printText(`\nreport: ${path.resolve(run.files.html)}`);
  }
}

/** The newest run folder under `dir` (by report.json modification time) that `bot report` prints, or undefined. */
export async function latestRun(dir: string): Promise<string | undefined> {
  // the report reader's schemas (zod) load when a report is read, not with the command list (`bot --help`)
  const { readReportFile } = await import('../../backtest/report-file.ts');
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  const runs: { dir: string; mtime: number }[] = [];
  for (const e of entries) {
    const file = path.join(dir, e, 'report.json');
    if (existsSync(file)) runs.push({ dir: path.join(dir, e), mtime: statSync(file).mtimeMs });
  }
  runs.sort((a, b) => b.mtime - a.mtime);
  // a sweep writes its report under backtests/ too; taken as the latest, it made `bot report` fail with "not a
  // backtest report". A report.json that cannot be read stays a candidate, so its own error is the one shown.
  return runs.find((r) => !isOtherReport(readReportFile(path.join(r.dir, 'report.json'))))?.dir;
}

/** A report.json of another kind than a backtest run's (a sweep's, `bot-sweep-report/1`), complete or not. */
function isOtherReport(r: ReturnType<typeof readReportFile>): boolean {
  if (r.kind === 'sweep') return true;
  return (
    r.kind === 'unreadable' &&
    r.schema !== undefined &&
    r.schema !== REPORT_SCHEMA &&
    r.schema !== PORTFOLIO_REPORT_SCHEMA
  );
}

/**
 * Where `bot report RUN` looks: an absolute or ./ ../ path only as given (under backtests/ it would be another path);
 * a bare name as a folder from here, then as a run id under `root`.
 */
function runPlaces(run: string, root: string): string[] {
  if (path.isAbsolute(run) || /^\.\.?([/\\]|$)/.test(run)) return [run];
  return [run, path.join(root, run)];
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('print the summary table of a stored backtest run (the latest when none is named)')
    .argument('[run]', 'run id under backtests/ or a report folder')
    .option('--json', 'print report.json');
  addCommonOptions(cmd, { market: false, db: false }).action(
    async (run: string | undefined, flags: CommonFlags & { json?: boolean }) => {
      const { config } = await setupCommand(flags);
      const root = config.backtest.outDir;
      let dir: string | undefined;
      if (run === undefined) {
        dir = await latestRun(root);
        if (!dir) throw new UserError(`no backtest runs in ${path.resolve(root)}; run \`bot backtest\` first`);
      } else {
        const places = runPlaces(run, root);
        dir = places.find((d) => existsSync(path.join(d, 'report.json')));
        if (dir === undefined) {
          const looked = places.map((d) => path.join(d, 'report.json')).join(' and ');
          throw new UserError(`no run "${run}" (looked for ${looked})`);
        }
      }
      const file = path.join(dir, 'report.json');
      const { readReportFile } = await import('../../backtest/report-file.ts');
      const parsed = readReportFile(file);
      if (parsed.kind === 'unreadable') throw new UserError(`${file}: ${parsed.problem}`);
      if (flags.json) {
        printJson(parsed.report);
        return;
      }
      if (parsed.kind === 'sweep')
        throw new UserError(
          `${dir} is a sweep (bot sweep), which bot report does not print: open ` +
            `${path.resolve(dir, parsed.report.files.html)} (or bot report ${run ?? dir} --json)`,
        );
      if (parsed.kind === 'portfolio') {
        const { portfolioTable } = await import('../../backtest/portfolio-backtest.ts');
        printText(portfolioTable(parsed.report));
      } else {
        printText(summaryTable(parsed.report));
        // an agent run's lines under the table, as its backtest printed them (the same function, from the same file)
        const { agentSummaryLines } = await import('../../backtest/agent-summary.ts');
        for (const line of agentSummaryLines(parsed.report)) printText(line);
      }
      const html = parsed.kind === 'single' ? parsed.report.files.html : 'report.html';
      printText(`\nreport: ${path.resolve(dir, html)}`);
    },
  );
}

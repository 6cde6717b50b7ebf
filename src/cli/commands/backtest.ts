/** `bot backtest` (rule, agent or saved-model runs) and `bot report`. */
import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { readReport, summaryTable } from '../../backtest/report.ts';
import { runRuleBacktest, type BacktestRun } from '../../backtest/rule-backtest.ts';
import { loadStrategy, RULE_WARMUP_CANDLES, ruleCosts } from '../../agents/strategy.ts';
import { parseEnsembleKind } from '../../agents/ensemble.ts';
import { loadSeries } from '../../data/source.ts';
import { parseTime, timeframeMs } from '../../data/timeframe.ts';
import { UserError } from '../../core/errors.ts';
import { costPreset, type Costs } from '../../market/costs.ts';
import { addCommonOptions, setupCommand, type CommonFlags } from '../context.ts';
import { checkColumnsFlag, COLUMNS_HELP } from './data.ts';

interface BacktestFlags extends CommonFlags {
  strategy?: string;
  data?: string;
  columns?: string;
  sample?: boolean;
  from?: string;
  to?: string;
  out?: string;
  seed?: string;
  balance?: string;
  epochs?: string;
  seeds?: string;
  ensemble?: string;
  folds?: string;
  name?: string;
  model?: string;
  json?: boolean;
  symbols?: string;
  informative?: string;
  marketCosts?: string;
  rebalanceEvery?: string;
  band?: string;
}

function wholeNumber(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${flag} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

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
    .option('--informative <list>', 'portfolio agents: series X[,…] read as features, not traded')
    .option('--market-costs <list>', 'portfolio: a cost preset per market, SYMBOL=PRESET[,…] (e.g. X=krx-stock)');
  addCommonOptions(cmd, { market: true, db: true, backend: true }).action(async (flags: BacktestFlags) => {
    checkColumnsFlag(flags);
    const extra: Record<string, unknown> = {};
    if (flags.balance !== undefined) {
      const b = Number(flags.balance);
      if (!(Number.isFinite(b) && b > 0))
        throw new UserError(`--balance must be a positive amount, got "${flags.balance}"`);
      extra.account = { balance: b };
    }
    if (await isPortfolioRun(flags)) {
      await portfolioBacktest(flags, extra);
      return;
    }
    const { config, logger } = setupCommand(flags, extra);
    if (flags.data && flags.sample) throw new UserError('use either --data FILE or --sample, not both');
    if (flags.data && !existsSync(flags.data)) throw new UserError(`--data: no such file ${flags.data}`);
    const from = flags.from !== undefined ? parseTime(flags.from, '--from') : undefined;
    const to = flags.to !== undefined ? parseTime(flags.to, '--to') : undefined;
    if (from !== undefined && to !== undefined && to <= from)
      throw new UserError(`--to ${flags.to} is not after --from ${flags.from}`);
    const seed = wholeNumber(flags.seed, '--seed', 0) ?? config.backtest.seed;
    // every flag is checked before any network or disk work (issue 17)
    const epochs = wholeNumber(flags.epochs, '--epochs', 1);
    const seeds = wholeNumber(flags.seeds, '--seeds', 1);
    const folds = wholeNumber(flags.folds, '--folds', 1);
    const ensemble = flags.ensemble !== undefined ? parseEnsembleKind(flags.ensemble) : undefined;
    if (ensemble && flags.model !== undefined) throw new UserError('--ensemble trains seeds: use it with --strategy');
    if (flags.model !== undefined && flags.strategy !== undefined)
      throw new UserError('use either --model DIR or --strategy NAME, not both');
    // the bundled sample stands in for the exchange only in the main job with no market named
    const offlineFallback = flags.symbol === undefined && flags.exchange === undefined && flags.timeframe === undefined;
    const source = { config, dataFile: flags.data, columns: flags.columns, sample: flags.sample, offlineFallback };
    if (flags.model !== undefined) {
      // loaded when used, like the agent runner below: rule backtests do not pay for loading tfjs
      const { runModelBacktest } = await import('../../backtest/model-backtest.ts');
      const series = await loadSeries({ ...source, from: undefined, to });
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
    const strategy = await loadStrategy(flags.strategy ?? config.backtest.strategy);

    if (ensemble && strategy.kind !== 'agent')
      throw new UserError(`--ensemble needs an agent strategy, not ${strategy.name}`);
    if (strategy.kind === 'agent') {
      const series = await loadSeries({ ...source, from, to });
      const { runAgentBacktest } = await import('../../backtest/agent-backtest.ts');
      await runAgentBacktest({
        settings: config,
        series,
        strategy,
        flags: {
          epochs,
          seed: flags.seed !== undefined ? seed : undefined,
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

    // rule indicators need history before --from: files load whole, the store with a warm-up margin; decisions start at --from
    const fromFile = flags.data !== undefined || flags.sample === true;
    const warmFrom =
      from !== undefined && !fromFile ? from - RULE_WARMUP_CANDLES * timeframeMs(config.timeframe) : undefined;
    const series = await loadSeries({ ...source, from: warmFrom, to });
    logger.info(`backtest ${strategy.name} on ${series.label}`);
    const run = await runRuleBacktest({ settings: config, series, strategy, from, to, seed, out: flags.out });
    printRun(run, flags.json === true);
  });
}

/** `bot backtest --symbols A,B …`: a portfolio strategy and its portfolio baselines (issue 14). */
async function portfolioBacktest(flags: BacktestFlags, extra: Record<string, unknown>): Promise<void> {
  const { parseSymbolsFlag, loadPortfolioSeries, SAMPLE_2X, SAMPLE_INVERSE } =
    await import('../../data/portfolio-source.ts');
  const { runPortfolioRun, portfolioTable } = await import('../../backtest/portfolio-backtest.ts');
  const { loadPortfolioStrategy } = await import('../../agents/portfolio-strategy.ts');
  const { readPortfolioModelInfo } = await import('../../agents/portfolio-model.ts');
  if (flags.model !== undefined && flags.strategy !== undefined)
    throw new UserError('use either --model DIR or --strategy NAME, not both');
  const { resolveModel } = await import('../../agents/model-pointer.ts');
  const modelDir = flags.model !== undefined ? resolveModel(flags.model).dir : undefined;
  const modelInfo = modelDir !== undefined ? readPortfolioModelInfo(modelDir) : undefined;
  let symbols = flags.symbols !== undefined ? parseSymbolsFlag(flags.symbols) : [];
  let informative = flags.informative !== undefined ? parseListFlag(flags.informative, '--informative') : [];
  const dataFiles = flags.data !== undefined ? flags.data.split(',').map((f) => f.trim()) : undefined;
  if (dataFiles && flags.sample) throw new UserError('use either --data FILES or --sample, not both');
  if (dataFiles && symbols.length === 0) {
    throw new UserError('--data a.csv,b.csv pairs with --symbols A,B (then --informative X); give --symbols');
  }
  for (const f of dataFiles ?? []) if (!existsSync(f)) throw new UserError(`--data: no such file ${f}`);
  checkColumnsFlag(flags);
  const every = wholeNumber(flags.rebalanceEvery, '--rebalance-every', 1) ?? 20;
  const band = flags.band !== undefined ? Number(flags.band) : 0.01;
  if (!(band >= 0 && band < 1)) throw new UserError(`--band must be a fraction in [0, 1), got "${flags.band}"`);
  const from = flags.from !== undefined ? parseTime(flags.from, '--from') : undefined;
  const to = flags.to !== undefined ? parseTime(flags.to, '--to') : undefined;
  if (from !== undefined && to !== undefined && to <= from) {
    throw new UserError(`--to ${flags.to} is not after --from ${flags.from}`);
  }
  const epochs = wholeNumber(flags.epochs, '--epochs', 1);
  const seeds = wholeNumber(flags.seeds, '--seeds', 1) ?? 1;
  const folds = wholeNumber(flags.folds, '--folds', 1);
  if (flags.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(flags.name))
    throw new UserError(`--name "${flags.name}" must be letters, digits, ., _ or -`);
  const marketCosts = parseMarketCosts(flags.marketCosts);
  const { config, logger } = setupCommand({ ...flags, symbol: undefined }, extra);
  const seed = wholeNumber(flags.seed, '--seed', 0) ?? config.backtest.seed;
  const strategy = modelInfo ? undefined : await loadPortfolioStrategy(flags.strategy ?? 'equal-weight');
  const recipe = strategy?.recipe;
  if (informative.length > 0 && (modelInfo?.informative.length || recipe?.informative)) {
    throw new UserError('this recipe names its informative series; --informative is for recipes that do not');
  }
  if (informative.length > 0 && !recipe && !modelInfo)
    throw new UserError('--informative feeds a learning portfolio strategy; a rule strategy reads no other series');
  if (modelInfo) {
    if (symbols.length === 0) symbols = modelInfo.symbols;
    informative = modelInfo.informative;
  } else if (recipe) {
    if (symbols.length === 0 && recipe.symbols) symbols = recipe.symbols;
    if (recipe.informative) informative = recipe.informative;
    if (symbols.length === 0 && flags.sample)
      symbols = informative.includes('SP500/USD')
        ? [SAMPLE_2X, SAMPLE_INVERSE]
        : ['SP500/USD', SAMPLE_2X, SAMPLE_INVERSE];
  }
  if (symbols.length === 0 && !flags.sample) {
    const what = strategy ? `strategy "${strategy.name}"` : 'this model';
    throw new UserError(`${what} trades several markets: give --symbols A,B[,…] (and --data a.csv,b.csv or --sample)`);
  }
  const unknown = [...marketCosts.keys()].find((s) => symbols.length > 0 && !symbols.includes(s));
  if (unknown) throw new UserError(`--market-costs names ${unknown}, which is not traded (${symbols.join(', ')})`);
  const overlap = informative.find((s) => symbols.includes(s));
  if (overlap) throw new UserError(`${overlap} is both traded and informative; an informative series is not traded`);
  if (dataFiles && dataFiles.length !== symbols.length + informative.length) {
    throw new UserError(
      `--data names ${dataFiles.length} files for ${symbols.length} --symbols and ${informative.length} ` +
        'informative series; pair them in that order',
    );
  }
  const { columns, sample } = flags;
  const all = loadPortfolioSeries({
    config,
    symbols: symbols.length > 0 ? [...symbols, ...informative] : [],
    dataFiles,
    columns,
    sample,
    from,
    to,
  });
  const traded = all.slice(0, all.length - informative.length);
  const info = all.slice(all.length - informative.length);
  const baseCosts =
    (recipe?.costs ?? modelInfo?.costs ?? 'config') === 'config'
      ? ruleCosts(config.account)
      : costPreset(recipe?.costs ?? modelInfo!.costs);
  const common = {
    series: traded,
    costs: traded.map((s) => marketCosts.get(s.candles.symbol) ?? baseCosts),
    balance: config.account.balance,
    seed,
    every,
    band,
    randomSeeds: 10,
    outDir: config.backtest.outDir,
    out: flags.out,
  };
  let result;
  if (modelInfo || recipe) {
    const { runPortfolioAgentRun, runPortfolioModelRun } = await import('../../backtest/portfolio-agent-backtest.ts');
    const log = (line: string) => logger.info(line);
    result = modelInfo
      ? await runPortfolioModelRun({ ...common, modelDir: modelDir!, informative: info, log })
      : await runPortfolioAgentRun({
          ...common,
          strategy: { name: strategy!.name, recipe: recipe! },
          traded,
          informative: info,
          seeds,
          epochs,
          folds,
          modelDir: path.join(config.agent.modelsDir, flags.name ?? strategy!.name),
          log,
        });
  } else {
    const s = strategy!;
    if (s.recipe) throw new Error('unreachable');
    result = runPortfolioRun({
      ...common,
      name: s.name,
      policy: s.createPolicy({ symbols: traded.map((x) => x.candles.symbol), seed, every }),
    });
  }
  const { report, dir } = result;
  if (flags.json === true) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(portfolioTable(report));
    if (report.agent?.model) console.log(`\nmodel: ${String(report.agent.model)}`);
    console.log(`\nreport: ${path.resolve(dir, 'report.html')}`);
  }
}

/** `--market-costs A/KRW=upbit-krw,KODEX=krx-stock`: a cost preset per market (the others keep the run's costs). */
function parseMarketCosts(value: string | undefined): Map<string, Costs> {
  const out = new Map<string, Costs>();
  if (value === undefined) return out;
  for (const part of value.split(',')) {
    const eq = part.lastIndexOf('=');
    const symbol = part.slice(0, eq).trim();
    if (eq <= 0 || symbol === '') throw new UserError(`--market-costs wants SYMBOL=PRESET pairs, got "${part}"`);
    if (out.has(symbol)) throw new UserError(`--market-costs names ${symbol} twice`);
    out.set(symbol, costPreset(part.slice(eq + 1).trim()));
  }
  return out;
}

/** A comma list of names (at least one, no blanks, no repeats). */
function parseListFlag(value: string, flag: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((s) => s === '')) throw new UserError(`${flag} has an empty name: "${value}"`);
  if (new Set(names).size !== names.length) throw new UserError(`${flag} names a series twice: "${value}"`);
  return names;
}

/** Portfolio runs: --symbols or --informative, a portfolio strategy, or a portfolio model folder. */
async function isPortfolioRun(flags: BacktestFlags): Promise<boolean> {
  if (flags.symbols !== undefined || flags.informative !== undefined) return true;
  if (flags.model !== undefined) {
    const { resolveModel } = await import('../../agents/model-pointer.ts');
    const { isPortfolioModelDir } = await import('./portfolio-predict.ts');
    return isPortfolioModelDir(resolveModel(flags.model).dir);
  }
  if (flags.strategy === undefined) return false;
  const { isPortfolioStrategyName } = await import('../../agents/portfolio-strategy.ts');
  return isPortfolioStrategyName(flags.strategy);
}

function printRun(run: BacktestRun, json: boolean): void {
  if (json) console.log(JSON.stringify(run.report, null, 2));
  else {
    console.log(summaryTable(run.report));
    console.log(`\nreport: ${path.resolve(run.files.html)}`);
  }
}

/** The newest report folder under `dir` (by report.json modification time), or undefined. */
export function latestRun(dir: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  let best: { dir: string; mtime: number } | undefined;
  for (const e of entries) {
    const file = path.join(dir, e, 'report.json');
    if (!existsSync(file)) continue;
    const mtime = statSync(file).mtimeMs;
    if (!best || mtime > best.mtime) best = { dir: path.join(dir, e), mtime };
  }
  return best?.dir;
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('print the summary table of a stored backtest run (the latest when none is named)')
    .argument('[run]', 'run id under backtests/ or a report folder')
    .option('--json', 'print report.json');
  addCommonOptions(cmd, { market: false, db: false }).action(
    (run: string | undefined, flags: CommonFlags & { json?: boolean }) => {
      const { config } = setupCommand(flags);
      const root = config.backtest.outDir;
      let dir: string | undefined;
      if (run === undefined) {
        dir = latestRun(root);
        if (!dir) throw new UserError(`no backtest runs in ${path.resolve(root)}; run \`bot backtest\` first`);
      } else if (existsSync(path.join(run, 'report.json'))) dir = run;
      else if (existsSync(path.join(root, run, 'report.json'))) dir = path.join(root, run);
      else
        throw new UserError(
          `no run "${run}" (looked for ${path.join(run, 'report.json')} and ${path.join(root, run, 'report.json')})`,
        );
      const report = readReport(path.join(dir, 'report.json'));
      if (flags.json) console.log(JSON.stringify(report, null, 2));
      else {
        console.log(summaryTable(report));
        console.log(`\nreport: ${path.resolve(dir, report.files.html)}`);
      }
    },
  );
}

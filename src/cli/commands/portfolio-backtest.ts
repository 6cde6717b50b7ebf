/**
 * `bot backtest` over several markets (issue 14): `--symbols`, `--informative`, `--market-costs`, a portfolio rule
 * strategy, a learning portfolio strategy trained walk-forward, or a saved portfolio model; portfolio baselines beside.
 */
import path from 'node:path';
import { UserError } from '../../core/errors.ts';
import { parseSymbolList } from '../../core/market-symbol.ts';
import { parseTime } from '../../data/timeframe.ts';
import { checkOneGrid } from '../../data/timeline.ts';
import { checkBalance, portfolioCosts, runCosts } from '../../market/costs.ts';
import { defaultCostsNote } from '../../market/default-costs-note.ts';
import { setupCommand, trainingCount, wholeNumber } from '../context.ts';
import { checkOutFolder } from '../out-paths.ts';
import { checkMarketCostsTraded, parseMarketCosts, rebalanceFlags, refuseSymbolFlag } from '../portfolio-flags.ts';
import { checkModelNameFlag, refuseHome, refuseTrainingFlag, type BacktestFlags } from '../backtest-flags.ts';
import { checkColumnsFlag } from './data.ts';
import { eitherNotBoth } from '../../core/flag-conflicts.ts';
import { printJson, printText } from '../../core/redact.ts';

/** `bot backtest --symbols A,B …`: a portfolio strategy and its portfolio baselines (issue 14). */
export async function portfolioBacktest(flags: BacktestFlags, extra: Record<string, unknown>): Promise<void> {
  const portfolioSource = await import('../../data/portfolio-source.ts');
  const { checkDataFiles, checkOneQuote, dataFilesFlag, parsePortfolioSymbols, loadPortfolioSeries } = portfolioSource;
  const { SAMPLE_2X, SAMPLE_INVERSE } = portfolioSource;
  const { runPortfolioRun, portfolioTable } = await import('../../backtest/portfolio-backtest.ts');
  const { loadPortfolioStrategy } = await import('../../agents/portfolio-strategy.ts');
  const { readPortfolioModelInfo } = await import('../../agents/portfolio-model-meta.ts');
  eitherNotBoth(['--model DIR', flags.model], ['--strategy NAME', flags.strategy]);
  // the portfolio's markets are --symbols' (or the model's, the recipe's): a --symbol beside them was read by nothing
  refuseSymbolFlag(flags, "a portfolio backtest trades --symbols A,B (or its model's or recipe's markets)");
  const { resolveModel } = await import('../../agents/model-pointer.ts');
  const modelDir = flags.model !== undefined ? resolveModel(flags.model).dir : undefined;
  const modelInfo = modelDir !== undefined ? readPortfolioModelInfo(modelDir) : undefined;
  let symbols = flags.symbols !== undefined ? parsePortfolioSymbols(flags.symbols) : [];
  let informative =
    flags.informative !== undefined ? parseSymbolList(flags.informative, '--informative', 'series') : [];
  const dataFiles = flags.data !== undefined ? dataFilesFlag(flags.data) : undefined;
  eitherNotBoth(['--data FILES', dataFiles], ['--sample', flags.sample]);
  if (dataFiles && symbols.length === 0) {
    throw new UserError(
      '--data a.csv,b.csv pairs with --symbols BTC/KRW,ETH/KRW (then --informative X/KRW); give --symbols',
    );
  }
  checkColumnsFlag(flags);
  const { every, band } = rebalanceFlags(flags);
  const from = flags.from !== undefined ? parseTime(flags.from, '--from') : undefined;
  const to = flags.to !== undefined ? parseTime(flags.to, '--to') : undefined;
  if (from !== undefined && to !== undefined && to <= from) {
    throw new UserError(`--to ${flags.to} is not after --from ${flags.from}`);
  }
  const epochs = trainingCount(flags.epochs, 'epochs');
  const seeds = trainingCount(flags.seeds, 'seeds') ?? 1;
  // portfolio agents train no ensemble: the flag used to be accepted and ignored, whatever --seeds said
  if (flags.ensemble !== undefined)
    throw new UserError('--ensemble is for one market; a portfolio run trades its first seed (leave out --ensemble)');
  const folds = trainingCount(flags.folds, 'folds');
  checkModelNameFlag(flags);
  const marketCosts = parseMarketCosts(flags.marketCosts);
  // then the files and folders the flags name
  checkDataFiles(dataFiles ?? []);
  checkOutFolder(flags.out, { empty: true });
  // a broken saved model (its weights, scalers, or a recipe that no longer fits its network) before the config, the
  // exchange and the candles, as on one market
  if (modelDir !== undefined) (await import('../../agents/model-folder-check.ts')).checkModelFolder(modelDir);
  const { config, logger } = await setupCommand({ ...flags, symbol: undefined }, extra);
  const seed = wholeNumber(flags.seed, '--seed', 0) ?? config.backtest.seed;
  const strategy = modelInfo ? undefined : await loadPortfolioStrategy(flags.strategy ?? 'equal-weight');
  const recipe = strategy?.recipe;
  if (strategy && !recipe) refuseTrainingFlag(flags, strategy.name);
  // a saved model's features and scalers were fitted on its informative series: it reads those or none
  if (informative.length > 0 && modelInfo?.informative.length) {
    throw new UserError(
      `model ${modelDir} reads the informative series it was trained on (${modelInfo.informative.join(', ')}); ` +
        '--informative is for strategies',
    );
  }
  if (informative.length > 0 && !recipe && !modelInfo)
    throw new UserError('--informative feeds a learning portfolio strategy; a rule strategy reads no other series');
  if (modelInfo) {
    if (symbols.length === 0) symbols = modelInfo.symbols;
    informative = modelInfo.informative;
  } else if (recipe) {
    if (symbols.length === 0 && recipe.symbols) symbols = recipe.symbols;
    // --informative replaces the recipe's (the ETF-pair seed's SP500/USD, on series derived from another index)
    if (recipe.informative && informative.length === 0) informative = recipe.informative;
    else if (recipe.informative) {
      const named = recipe.informative.join(', ');
      logger.info(
        `--informative ${informative.join(', ')} replaces strategy "${strategy!.name}"'s informative ${named}`,
      );
    }
    if (symbols.length === 0 && flags.sample)
      symbols = informative.includes('SP500/USD')
        ? [SAMPLE_2X, SAMPLE_INVERSE]
        : ['SP500/USD', SAMPLE_2X, SAMPLE_INVERSE];
  }
  if (symbols.length === 0 && !flags.sample) {
    const what = strategy ? `strategy "${strategy.name}"` : 'this model';
    throw new UserError(
      `${what} trades several markets: give --symbols BTC/KRW,ETH/KRW[,…] (and --data a.csv,b.csv or --sample)`,
    );
  }
  // a rule strategy on --sample trades the sample's two derived markets: named here, so --market-costs is checked
  if (symbols.length === 0) symbols = [SAMPLE_2X, SAMPLE_INVERSE];
  // markets named by the recipe or the saved model, not by --symbols (checked as it was parsed)
  if (flags.symbols === undefined)
    checkOneQuote(symbols, modelInfo ? `model ${modelDir}` : `strategy "${strategy?.name}"`);
  checkMarketCostsTraded(marketCosts, symbols);
  const overlap = informative.find((s) => symbols.includes(s));
  if (overlap) throw new UserError(`${overlap} is both traded and informative; an informative series is not traded`);
  if (dataFiles && dataFiles.length !== symbols.length + informative.length) {
    throw new UserError(
      `--data names ${dataFiles.length} files for ${symbols.length} --symbols and ${informative.length} ` +
        'informative series; pair them in that order',
    );
  }
  // the trained model's folder before any candles are loaded, as on one market (a file named as a shipped strategy
  // only with --name: strategyHome)
  if (recipe && flags.name === undefined) {
    const { strategyFileOf, strategyHome } = await import('../../agents/strategy.ts');
    strategyHome(strategyFileOf(flags.strategy ?? ''), strategy!.name, config.agent.modelsDir, '--name NAME');
  }
  if (recipe) await refuseHome(config.agent.modelsDir, flags.name ?? strategy!.name);
  const baseCosts = runCosts(recipe?.costs ?? modelInfo?.costs ?? 'config', config.account);
  const costsOf = (traded: readonly string[]) => portfolioCosts(traded, baseCosts, config.account.markets, marketCosts);
  // before the candles are loaded, as on one market
  checkBalance(config.account, costsOf(symbols));
  const { columns, sample } = flags;
  // a saved model on the store: its timeframe checked before any candle is read, as bot predict checks it (another
  // market is said once the candles are loaded, by the run)
  if (modelInfo && modelDir && flags.model && dataFiles === undefined && !sample)
    (await import('../../agents/model-market.ts')).checkConfiguredMarket(flags.model, modelDir, config, symbols);
  const all = loadPortfolioSeries({
    config,
    symbols: [...symbols, ...informative],
    dataFiles,
    columns,
    ...(dataFiles !== undefined && flags.timeframe !== undefined ? { timeframe: flags.timeframe } : {}),
    sample,
    // a saved model reads the candles before --from as the history of its features; it decides from --from on
    from: modelInfo ? undefined : from,
    to,
    whence: (s) =>
      recipe?.informative?.includes(s) && flags.informative === undefined
        ? `the informative series strategy "${strategy!.name}" names: --informative SYMBOL[,…] reads another ` +
          '(e.g. the index your traded series were derived from)'
        : undefined,
  });
  const traded = all.slice(0, all.length - informative.length);
  const info = all.slice(all.length - informative.length);
  // offset grids would fill decisions before the candles they read had closed: one line before any training
  checkOneGrid(traded.map((s) => s.candles));
  // the default's Upbit KRW costs on markets not quoted in KRW (those without a costs entry or --market-costs), once
  // the series passed their checks, as on one market: a refused run prints its one line only
  const onDefaults = costsOf(symbols).map((c, i) => (c.defaults ? symbols[i] : undefined));
  const costsNote = defaultCostsNote(
    config.account,
    onDefaults.filter((s) => s !== undefined),
  );
  if (costsNote) logger.info(costsNote);
  const common = {
    series: traded,
    costs: costsOf(traded.map((s) => s.candles.symbol)).map((c) => c.costs),
    balance: config.account.balance,
    seed,
    every,
    band,
    randomSeeds: config.backtest.randomSeeds,
    outDir: config.backtest.outDir,
    out: flags.out,
  };
  let result;
  if (modelInfo || recipe) {
    const { runPortfolioAgentRun, runPortfolioModelRun } = await import('../../backtest/portfolio-agent-backtest.ts');
    const log = (line: string) => logger.info(line);
    // the networks run on the configured backend, as in `bot predict` and the paper trader (tfjs's default is cpu)
    const { initBackend } = await import('../../nn/backend/backend.ts');
    await initBackend(config.ml.backend, logger);
    result = modelInfo
      ? await runPortfolioModelRun({
          ...common,
          modelDir: modelDir!,
          informative: info,
          from,
          log,
          warn: (line) => logger.warn(line),
        })
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
    const { createPortfolioRulePolicy } = await import('../../agents/portfolio-rule-guard.ts');
    result = runPortfolioRun({
      ...common,
      name: s.name,
      policy: createPortfolioRulePolicy(s, { symbols: traded.map((x) => x.candles.symbol), seed, every }),
    });
  }
  const { report, dir } = result;
  if (flags.json === true) printJson(report);
  else {
    printText(portfolioTable(report));
    if (report.agent?.model) printText(`\nmodel: ${String(report.agent.model)}`);
    printText(`\nreport: ${path.resolve(dir, 'report.html')}`);
  }
}

/** Portfolio runs: --symbols or --informative, a portfolio strategy, or a portfolio model folder. */
export async function isPortfolioRun(flags: BacktestFlags): Promise<boolean> {
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

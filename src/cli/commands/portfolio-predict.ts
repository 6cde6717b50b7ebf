/**
 * `bot predict --model models/<portfolio model>` (issue 14): the target weights a saved portfolio model gives after
 * the newest common close by the clock (`--now`) or `--at`, from the same observation builder and policy call as the
 * backtest; on the store, every series topped up from the exchange first, as one market's is.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.ts';
import { log } from '../../core/log.ts';
import { printJson } from '../../core/redact.ts';
import { isoTime } from '../../data/timeframe.ts';
import { candleAt, closedSeries, oldCandleLine } from '../candle-at.ts';
import { setupCommand, type CommonFlags } from '../context.ts';

interface PortfolioPredictFlags extends CommonFlags {
  data?: string;
  sample?: boolean;
  at?: string;
  weights?: string;
  json?: boolean;
  now?: string;
}

/** What `bot predict` parsed and checked for every model: `--at` (not after `--now`) and the clock's time. */
export interface PredictClock {
  at: number | undefined;
  /** `--now` or the wall clock: only candles closed by it reach the decision. */
  clock: number;
}

/** Is the model folder `dir` a portfolio model (its meta.json says so)? */
export function isPortfolioModelDir(dir: string): boolean {
  const meta = path.join(dir, 'meta.json');
  return existsSync(meta) && readFileSync(meta, 'utf8').includes('"portfolio": true');
}

export async function portfolioPredict(
  home: string,
  dir: string,
  flags: PortfolioPredictFlags,
  { at, clock }: PredictClock,
): Promise<void> {
  // the model reads the markets it was trained on: a --symbol was read by nothing
  const { refuseSymbolFlag } = await import('../portfolio-flags.ts');
  refuseSymbolFlag(flags, `portfolio model ${home} reads the markets it was trained on`);
  const { readPortfolioModelInfo } = await import('../../agents/portfolio-model-meta.ts');
  const { loadPortfolioAgent } = await import('../../agents/portfolio-model.ts');
  const { dataFilesFlag, loadPortfolioSeries } = await import('../../data/portfolio-source.ts');
  const { alignSeries } = await import('../../data/timeline.ts');
  const info = readPortfolioModelInfo(dir);
  const held = flags.weights !== undefined ? flags.weights.split(',').map(Number) : info.symbols.map(() => 0);
  const total = held.reduce((a, b) => a + b, 0);
  if (held.length !== info.symbols.length || held.some((w) => !(w >= 0)) || total > 1 + 1e-9)
    throw new UserError(
      `--weights wants ${info.symbols.length} fractions ≥ 0 summing to ≤ 1 (${info.symbols.join(', ')}), ` +
        `got "${flags.weights}"`,
    );
  // a broken saved model before the config, the exchange and the candles, as one market's predict checks it
  (await import('../../agents/model-folder-check.ts')).checkModelFolder(dir);
  const { config } = await setupCommand({ ...flags, symbol: undefined });
  const symbols = [...info.symbols, ...info.informative];
  const dataFiles = flags.data !== undefined ? dataFilesFlag(flags.data) : undefined;
  const fromStore = dataFiles === undefined && !flags.sample;
  const { checkConfiguredMarket, checkModelMarket, marketOf } = await import('../../agents/model-market.ts');
  // the model's market checked before the store is topped up, as one market's predict does
  const early = fromStore ? checkConfiguredMarket(home, dir, config, info.symbols) : undefined;
  if (fromStore) {
    // each series, traded and informative, topped up from the exchange first, as one market's is (offline: the stored
    // candles, with a warning)
    const { topUpStore } = await import('../fresh-series.ts');
    for (const symbol of symbols) await topUpStore({ ...config, symbol }, () => clock);
  }
  // every series cut to its candles closed by the clock: none after --now is read
  const series = loadPortfolioSeries({ config, symbols, dataFiles, sample: flags.sample }).map((s) =>
    closedSeries(s, clock, flags.now),
  );
  const traded = series.slice(0, info.symbols.length).map((s) => s.candles);
  const otherMarket = fromStore ? early : checkModelMarket(home, dir, marketOf(traded));
  if (otherMarket) log().warn(otherMarket);
  const tl = alignSeries(traded);
  // --at on the common timeline, refused as for one market when it is before or after the data
  const common = { ts: tl.ts, timeframe: traded[0].timeframe };
  const t = candleAt({ candles: common, label: `the common timeline of ${info.symbols.join(', ')}` }, at, flags.at);
  // as one market's: the store's newest common candle may be long closed; not said for --at, a file or the sample
  const old = fromStore && at === undefined ? oldCandleLine(tl.ts[t], common.timeframe, clock) : undefined;
  if (old) log().warn(old);
  const { initBackend } = await import('../../nn/backend/backend.ts');
  await initBackend(config.ml.backend);
  const agent = await loadPortfolioAgent(
    dir,
    traded,
    series.slice(info.symbols.length).map((s) => s.candles),
  );
  try {
    // as one market's predict: no decision on a window that reaches the features' warm-up rows (zeros, not data)
    const { firstDecisionIndex } = await import('../../market/portfolio-env.ts');
    const first = firstDecisionIndex(tl, agent.builder);
    if (t < first) {
      const until = isoTime(first < tl.ts.length ? tl.ts[first] : agent.builder.firstTs);
      throw new UserError(
        `features are not full until ${until} (the warm-up of ${symbols.join(', ')}): no decision at ` +
          isoTime(tl.ts[t]),
      );
    }
    const weights = agent.weights(agent.builder.build(tl.ts[t], held, 0));
    const cash = 1 - weights.reduce((a, b) => a + b, 0);
    const out = {
      model: home,
      strategy: info.strategy,
      candle: isoTime(tl.ts[t]),
      held: Object.fromEntries(info.symbols.map((s, i) => [s, held[i]])),
      informative: info.informative,
      weights: Object.fromEntries(info.symbols.map((s, i) => [s, weights[i]])),
      cash,
    };
    if (flags.json) {
      printJson(out);
      return;
    }
    console.log(
      [
        `model       ${home} (${info.strategy}), reading ${[...info.symbols, ...info.informative].join(', ')}`,
        `candle      ${out.candle} (decided at its close, orders fill at the next open)`,
        ...info.symbols.map((s, i) => `weight      ${s.padEnd(16)} ${(weights[i] * 100).toFixed(1)}%`),
        `weight      ${'cash'.padEnd(16)} ${(Math.max(0, cash) * 100).toFixed(1)}%`,
        `account     holding ${info.symbols.map((s, i) => `${s} ${(held[i] * 100).toFixed(0)}%`).join(', ')} ` +
          '(--weights sets what the agent sees)',
      ].join('\n'),
    );
  } finally {
    agent.dispose();
  }
}

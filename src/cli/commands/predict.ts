/**
 * `bot predict`: a saved model's action for the newest candle closed by the clock (`--now`) or `--at`, with its
 * outputs; no account touched.
 */
import type { Command } from 'commander';
import { checkDataFiles, dataFilesFlag } from '../../data/portfolio-source.ts';
import { isoTime, parseTime } from '../../data/timeframe.ts';
import { decimalFlag } from '../../core/decimal.ts';
import { UserError } from '../../core/errors.ts';
import { log } from '../../core/log.ts';
import { printJson } from '../../core/redact.ts';
import { candleAt, closedSeries, oldCandleLine } from '../candle-at.ts';
import { freshSeries } from '../fresh-series.ts';
import type { PlannedOrder } from '../../agents/predict.ts';
import type { RejectReason } from '../../market/account.ts';
import { addCommonOptions, setupCommand, type CommonFlags } from '../context.ts';
import { isPortfolioModelDir, portfolioPredict } from './portfolio-predict.ts';
import { eitherNotBoth } from '../../core/flag-conflicts.ts';

interface PredictFlags extends CommonFlags {
  model?: string;
  data?: string;
  sample?: boolean;
  at?: string;
  position?: string;
  lastTrade?: string;
  weights?: string;
  json?: boolean;
  now?: string;
}

export function registerPredict(program: Command): void {
  const cmd = program
    .command('predict')
    .description(
      "a saved model's action for the newest closed candle (or --at): action, confidence and the network's " +
        'outputs; no account is touched',
    )
    .requiredOption('--model <folder>', 'saved model home (models/<name>; its serving version)')
    .option(
      '--data <file>',
      'candles from a CSV file instead of the store (a portfolio model: a.csv,b.csv,… paired with its markets, ' +
        'in order)',
    )
    .option('--sample', 'the bundled sample series (S&P 500 daily)')
    .option('--at <time>', 'decide after the candle opening at or before this time (default: the newest closed candle)')
    .option(
      '--position <fraction>',
      'the agent sees an account holding this fraction of its value in the asset (default 0: flat)',
    )
    .option(
      '--last-trade <time>',
      "when the position's last fill was: a model's holding period (minHold) counts from it (default: unknown, " +
        'not applied)',
    )
    .option('--weights <list>', 'portfolio models: the weights the agent sees held, a,b,… (default: all cash)')
    .option('--json', 'machine-readable output')
    .option('--now <time>', 'a fixed clock instead of the wall clock (tests against the fake exchange)');
  addCommonOptions(cmd, { market: true, db: true, backend: true }).action(async (flags: PredictFlags) => {
    // every flag first, before any disk or network work
    eitherNotBoth(['--data FILE', flags.data], ['--sample', flags.sample]);
    // a portfolio model pairs a.csv,b.csv,… with its markets in order, as bot backtest --symbols does
    const dataFiles = flags.data !== undefined ? dataFilesFlag(flags.data) : undefined;
    checkDataFiles(dataFiles ?? []);
    const at = flags.at !== undefined ? parseTime(flags.at, '--at') : undefined;
    const position = flags.position !== undefined ? decimalFlag(flags.position, '--position') : 0;
    if (!(Number.isFinite(position) && position >= 0 && position <= 1))
      throw new UserError(`--position must be a fraction from 0 to 1, got "${flags.position}"`);
    const lastTrade = flags.lastTrade !== undefined ? parseTime(flags.lastTrade, '--last-trade') : undefined;
    const fixed = flags.now !== undefined ? parseTime(flags.now, '--now') : undefined;
    const now = fixed !== undefined ? () => fixed : Date.now;
    if (at !== undefined && fixed !== undefined && at > fixed)
      throw new UserError(`--at ${flags.at} is after --now ${flags.now}: predict decides on candles closed by then`);
    const home = flags.model as string;
    const { resolveModel } = await import('../../agents/model-pointer.ts');
    const model = resolveModel(home);
    if (isPortfolioModelDir(model.dir)) {
      if (flags.position !== undefined) throw new UserError('--position is for one market; give --weights a,b,…');
      if (lastTrade !== undefined) throw new UserError('--last-trade is for one-market models (a holding period)');
      // the same clock and --at as one market's: each series is cut to the candles closed by it
      await portfolioPredict(home, model.dir, flags, { at, clock: now() });
      return;
    }
    if (flags.weights !== undefined) throw new UserError('--weights is for portfolio models; give --position');
    if (dataFiles !== undefined && dataFiles.length > 1)
      throw new UserError(`--data names ${dataFiles.length} files; model ${home} trades one market: give one file`);
    // a broken saved model before the config, the exchange and the candles: it used to be found after candles were
    // fetched and stored, or as a stack at the decision (a recipe edited to no longer fit its network)
    (await import('../../agents/model-folder-check.ts')).checkModelFolder(model.dir);
    const { config } = await setupCommand(flags);
    const { checkConfiguredMarket, checkModelMarket, marketOf } = await import('../../agents/model-market.ts');
    // candles from the exchange are checked before they are fetched; a file's or the sample's once read
    const fromExchange = flags.data === undefined && flags.sample !== true;
    const early = fromExchange ? checkConfiguredMarket(home, model.dir, config, config.symbol) : undefined;

    // only candles closed by the clock: a store or file holding later ones must not reach the decision
    const series = closedSeries(
      await freshSeries(config, flags.sample === true, flags.data, now, flags.timeframe),
      now(),
      flags.now,
    );
    const c = series.candles;
    const otherMarket = fromExchange ? early : checkModelMarket(home, model.dir, marketOf(c));
    if (otherMarket) log().warn(otherMarket);
    const t = candleAt(series, at, flags.at);
    // the store's newest candle may be long closed (an exchange not reached): said, unless --at asked for a candle
    const old = fromExchange && at === undefined ? oldCandleLine(c.ts[t], c.timeframe, now()) : undefined;
    if (old) log().warn(old);

    const { initBackend } = await import('../../nn/backend/backend.ts');
    const { loadAgent } = await import('../../agents/load-agent.ts');
    const { accountHolding, plannedOrder, predictAt } = await import('../../agents/predict.ts');
    const { recipeCosts, recipeSizing } = await import('../../agents/setup.ts');
    await initBackend(config.ml.backend);
    const agent = await loadAgent(model.dir);
    try {
      const account = accountHolding(
        config.account.balance,
        recipeCosts(agent.recipe, config.account),
        position,
        c.close[t],
      );
      const p = predictAt(agent, c, t, account, lastTrade);
      const order = plannedOrder(p, account, recipeSizing(agent.recipe, config.backtest));
      const out = {
        model: home,
        version: model.version,
        strategy: agent.meta.strategy,
        data: series.label,
        candle: isoTime(p.ts),
        close: p.close,
        position,
        action: p.decision.action,
        confidence: p.decision.confidence,
        ...(p.decision.targetPosition !== undefined ? { targetPosition: p.decision.targetPosition } : {}),
        outputs: p.outputs,
        ...(agent.policy.rule.fallback ? { fallback: agent.policy.rule.fallback } : {}),
        ...(p.held ? { heldBy: p.held.by, held: p.held.note } : {}),
        ...(p.minHoldNote ? { minHold: p.minHoldNote } : {}),
        order,
      };
      if (flags.json) {
        printJson(out);
        return;
      }
      const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 6 });
      // a continuous policy's one value is the target position its kind already names
      const values = Object.entries(p.outputs.values)
        .map(([k, v]) => (k === 'target' ? fmt(v) : `${k} ${fmt(v)}`))
        .join('  ');
      const target = out.targetPosition !== undefined ? `  target position ${out.targetPosition.toFixed(3)}` : '';
      const stateValue = p.outputs.stateValue !== undefined ? `  (state value ${fmt(p.outputs.stateValue)})` : '';
      const holding =
        position > 0 ? `holding ${(position * 100).toFixed(0)}% of its value (bought at this close)` : 'flat';
      console.log(
        [
          `model       ${home} @ ${model.version} (${agent.meta.strategy})`,
          `candle      ${out.candle} close ${fmt(p.close)}  (${series.label})`,
          `action      ${p.decision.action}  confidence ${p.decision.confidence.toFixed(3)}${target}`,
          `${p.outputs.kind.padEnd(11)} ${values}${stateValue}`,
          // the validation gate (issue 13): the outputs are shown, but the model trades a baseline
          ...(out.fallback ? [`gate        trades ${out.fallback}: the network did not beat it on validation`] : []),
          ...(p.held ? [`${p.held.by === 'noMajority' ? 'vote' : 'rule'}        ${p.held.note}`] : []),
          ...(p.minHoldNote ? [`minHold     ${p.minHoldNote}`] : []),
          `account     ${holding}: --position sets what the agent sees`,
          `order       ${orderLine(order)}`,
        ].join('\n'),
      );
    } finally {
      agent.dispose();
    }
  });
}

/** The trader's side of a prediction: the order it would place at the next open, or why it would hold. */
function orderLine(order: PlannedOrder): string {
  if (order.side === 'none') return 'none (the trader holds)';
  const value = order.value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (order.refused === undefined) return `${order.side} for about ${value} at the next open`;
  const why: Record<RejectReason, string> = {
    no_position: 'nothing to sell',
    no_cash: 'no cash to buy with',
    below_min_order: "below the exchange's minimum order",
    below_precision: "below the exchange's quantity precision",
  };
  return `none: a ${order.side} would be refused (${why[order.refused]}), so the trader holds`;
}

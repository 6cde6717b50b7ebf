/**
 * The README's per-series walk-forward table (issue 13) from one `bot backtest --strategy S --folds K --seeds N --json`
 * report: the agent's runs (mean ± sd of validation score and test columns, the validation gate's fallbacks, the
 * chained headline) and the baselines on the same test windows (buy-and-hold, flat, SMA cross, and random over 10
 * seeds with both spreads: the sd over all seed × window runs, and the sd over seeds of each seed's mean over the
 * windows; and the report's own random column over the chained span, mean ± sd over its seeds). The numbers are
 * src/backtest/walk-forward-summary.ts's; this file prints them.
 * Usage: node --import tsx scripts/walk-forward-table.ts REPORT.json DATA.csv [FROM-DATE]
 */
import { readFileSync } from 'node:fs';
import { filterRange, loadCsvFile } from '../src/data/source.ts';
import {
  metricCells,
  parseWalkForwardReport,
  summarizeWalkForward,
  summaryFormat,
  type MeanSd,
  type MetricColumns,
} from '../src/backtest/walk-forward-summary.ts';

const [reportFile, dataFile, fromDate] = process.argv.slice(2);
if (!reportFile || !dataFile) {
  console.error('usage: walk-forward-table.ts REPORT.json DATA.csv [FROM-DATE]');
  process.exit(2);
}
const report = parseWalkForwardReport(readFileSync(reportFile, 'utf8'), reportFile);
const from = fromDate ? Date.parse(`${fromDate}T00:00:00Z`) : undefined;
const candles = filterRange(loadCsvFile(dataFile, { symbol: 'X' }), from, undefined);
const s = summarizeWalkForward(report, candles);

const { pm, pct, num, money, met } = summaryFormat;

function row(name: string, c: MetricColumns, val?: MeanSd): string {
  return `| ${[name, val ? pm(val, num) : '', ...metricCells(c)].join(' | ')} |`;
}

const v = s.validation;
console.log(
  `validation score (selection): agent ${pm(v.ungated, num)}, traded ${pm(v.traded, num)}; means ` +
    `${v.ungated.mean.toFixed(3)} / ${v.traded.mean.toFixed(3)}`,
);
console.log(
  `gate fallbacks: ${JSON.stringify(s.gate)}; per run: ` + s.traded.map((t) => `${t.run}:${t.traded}`).join(' '),
);
const w = s.chained;
if (w)
  console.log(
    `chained (seed 1): ${pct(w.totalReturn)}, Sharpe ${num(w.sharpe)}, ${w.trades} trades, ` +
      `fees ${money(w.feesPaid)}, max DD ${pct(w.maxDrawdown)}`,
  );
for (const p of s.perSeed)
  console.log(
    `seed ${p.seed}: fees over its ${p.windows} windows (each from a fresh account) ${money(p.fees)}, ` +
      `trades ${p.trades}`,
  );
console.log('| strategy | validation score | test return | test Sharpe | max drawdown | trades | fees + tax |');
console.log(row('agent', s.agent, v.traded));
if (s.ensemble) console.log(row(`${s.ensemble.kind} ensemble`, s.ensemble.agent));
console.log(row('buy-and-hold', s.baselines.buyAndHold));
console.log(row('flat', s.baselines.flat));
console.log(row(`random (${s.randomSeeds} seeds)`, s.baselines.random));
console.log(row('sma-cross', s.baselines.smaCross));
const { agentMean, pooled, seedSpread, reportColumn } = s.sharpe;
console.log(
  `Sharpe target: agent mean ${num(agentMean)} (sd over seeds of the per-seed mean ${num(s.agentSeedSharpeSd)}); ` +
    `random mean ${num(pooled.randomMean)}, + pooled sd (${s.randomSeeds * s.windows} runs) = ${num(pooled.bar)} ` +
    `→ ${met(pooled.met)}; + sd over ${s.randomSeeds} seeds of the per-seed ` +
    `mean over ${s.windows} windows (${num(seedSpread.sd)}) = ${num(seedSpread.bar)} → ` +
    `${met(seedSpread.met)}; buy-and-hold mean Sharpe ${num(s.baselines.buyAndHold.sharpe.mean)}`,
);
if (s.ensemble) {
  const e = s.ensemble.sharpe;
  console.log(
    `Sharpe target, the ${s.ensemble.kind} ensemble: mean ${num(e.agentMean)} over ${s.windows} windows; ` +
      `pooled ${num(e.pooled.bar)} → ${met(e.pooled.met)}; ` +
      `seed spread ${num(e.seedSpread.bar)} → ${met(e.seedSpread.met)}`,
  );
}
// the third reading: the report's own `random (mean ± sd)` column, over the chained test span, sd over its seeds
if (reportColumn)
  console.log(
    `Sharpe target, the report's random column (chained span): ${num(reportColumn.randomMean)} ± ` +
      `${num(reportColumn.sd)} = ${num(reportColumn.bar)} → ${met(reportColumn.met)}`,
  );

/**
 * The README's per-series walk-forward table (issue 13) from one `bot backtest --strategy S --folds K --seeds N --json`
 * report: the agent's runs (mean ± sd of validation score and test columns, the validation gate's fallbacks, the
 * chained headline) and the baselines on the same test windows (buy-and-hold, flat, SMA cross, and random over 10
 * seeds with both spreads: the sd over all seed × window runs, and the sd over seeds of each seed's mean over the
 * windows; and the report's own random column over the chained span, mean ± sd over its seeds).
 * Usage: node --import tsx scripts/walk-forward-table.ts REPORT.json DATA.csv [FROM-DATE]
 */
import { readFileSync } from 'node:fs';
import { filterRange, loadCsvFile } from '../src/data/source.ts';
import { runBacktest } from '../src/market/backtest-engine.ts';
import { computeMetrics, type Metrics } from '../src/market/metrics.ts';
import type { Policy } from '../src/core/policy.ts';
import { buyAndHoldPolicy, flatPolicy, randomPolicy, smaCrossPolicy } from '../src/agents/rule-policies.ts';

interface RunJson {
  fold: number;
  seed: number;
  validationScore: number;
  metrics: Metrics;
  gate?: { agentScore: number; flatScore: number; buyAndHoldScore: number; fallback?: string };
}

const [reportFile, dataFile, fromDate] = process.argv.slice(2);
if (!reportFile || !dataFile) {
  console.error('usage: walk-forward-table.ts REPORT.json DATA.csv [FROM-DATE]');
  process.exit(2);
}
const text = readFileSync(reportFile, 'utf8');
const report = JSON.parse(text.slice(text.indexOf('{'))) as {
  settings: { costs: never; balance: number };
  /** The report's own baselines over the headline span (with folds: the chained test windows); random: mean and sd. */
  baselines?: { random?: { metrics: Metrics; sd?: Partial<Record<keyof Metrics, number>> } };
  extra: {
    agent: {
      folds: { test: { from: number; to: number } }[];
      runs: RunJson[];
      walkForward?: { metrics: Metrics };
      selection: { gate?: { flat: number; buyAndHold: number } };
    };
  };
};
const agent = report.extra.agent;
const from = fromDate ? Date.parse(`${fromDate}T00:00:00Z`) : undefined;
const candles = filterRange(loadCsvFile(dataFile, { symbol: 'X' }), from, undefined);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
};
const pm = (xs: number[], f: (v: number) => string) => `${f(mean(xs))} ± ${f(sd(xs))}`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: number) => v.toFixed(2);
const int = (v: number) => v.toFixed(1);
const money = (v: number) => Math.round(v).toLocaleString('en-US');

function row(name: string, ms: Metrics[], val?: number[]): string {
  return `| ${name} | ${val ? pm(val, num) : ''} | ${pm(
    ms.map((m) => m.totalReturn),
    pct,
  )} | ${pm(
    ms.map((m) => m.sharpe),
    num,
  )} | ${pm(
    ms.map((m) => m.maxDrawdown),
    pct,
  )} | ${pm(
    ms.map((m) => m.trades),
    int,
  )} | ${pm(
    ms.map((m) => m.feesPaid),
    money,
  )} |`;
}

const runs = agent.runs;
// the score of what each run trades: the agent's, or the baseline's it fell back to
const traded = runs.map((r) =>
  r.gate?.fallback === 'flat'
    ? r.gate.flatScore
    : r.gate?.fallback === 'buyAndHold'
      ? r.gate.buyAndHoldScore
      : r.validationScore,
);
const ungated = runs.map((r) => r.gate?.agentScore ?? r.validationScore);
const bt = (policy: Policy, range: { from: number; to: number }) =>
  computeMetrics(
    runBacktest({
      candles,
      window: 0,
      range,
      costs: report.settings.costs,
      balance: report.settings.balance,
      sizing: { kind: 'all' },
      policy,
    }),
    candles.timeframe,
  );
const windows = agent.folds.map((f) => f.test);
const hold = windows.map((w) => bt(buyAndHoldPolicy(), w));
const flat = windows.map((w) => bt(flatPolicy(), w));
const sma = windows.map((w) => bt(smaCrossPolicy(candles, 20, 50), w));
const randomBySeed: Metrics[][] = [];
for (let s = 0; s < 10; s++) randomBySeed.push(windows.map((w) => bt(randomPolicy(1 * 7919 + s), w)));
const random = randomBySeed.flat();

console.log(
  `validation score (selection): agent ${pm(ungated, num)}, traded ${pm(traded, num)}; means ` +
    `${mean(ungated).toFixed(3)} / ${mean(traded).toFixed(3)}`,
);
console.log(
  `gate fallbacks: ${JSON.stringify(agent.selection.gate ?? null)}; per run: ` +
    runs.map((r) => `f${r.fold + 1}s${r.seed}:${r.gate?.fallback ?? 'agent'}`).join(' '),
);
const w = agent.walkForward?.metrics;
if (w)
  console.log(
    `chained (seed 1): ${pct(w.totalReturn)}, Sharpe ${num(w.sharpe)}, ${w.trades} trades, ` +
      `fees ${money(w.feesPaid)}, max DD ${pct(w.maxDrawdown)}`,
  );
const seeds = [...new Set(runs.map((r) => r.seed))];
for (const s of seeds) {
  const rs = runs.filter((r) => r.seed === s);
  const fees = rs.reduce((a, r) => a + r.metrics.feesPaid, 0);
  const trades = rs.reduce((a, r) => a + r.metrics.trades, 0);
  console.log(
    `seed ${s}: fees over its ${rs.length} windows (each from a fresh account) ${money(fees)}, trades ${trades}`,
  );
}
console.log('| strategy | validation score | test return | test Sharpe | max drawdown | trades | fees + tax |');
console.log(
  row(
    'agent',
    runs.map((r) => r.metrics),
    traded,
  ),
);
console.log(row('buy-and-hold', hold));
console.log(row('flat', flat));
console.log(row('random (10 seeds)', random));
console.log(row('sma-cross', sma));
const agentSeedMeans = seeds.map((s) => mean(runs.filter((r) => r.seed === s).map((r) => r.metrics.sharpe)));
const randomSeedMeans = randomBySeed.map((ms) => mean(ms.map((m) => m.sharpe)));
const agentSharpe = mean(runs.map((r) => r.metrics.sharpe));
const pooledBar = mean(random.map((m) => m.sharpe)) + sd(random.map((m) => m.sharpe));
const seedBar = mean(randomSeedMeans) + sd(randomSeedMeans);
console.log(
  `Sharpe target: agent mean ${num(agentSharpe)} (sd over seeds of the per-seed mean ${num(sd(agentSeedMeans))}); ` +
    `random mean ${num(mean(random.map((m) => m.sharpe)))}, + pooled sd (${random.length} runs) = ${num(pooledBar)} ` +
    `→ ${agentSharpe >= pooledBar ? 'met' : 'not met'}; + sd over ${randomSeedMeans.length} seeds of the per-seed ` +
    `mean over ${windows.length} windows (${num(sd(randomSeedMeans))}) = ${num(seedBar)} → ` +
    `${agentSharpe >= seedBar ? 'met' : 'not met'}; buy-and-hold mean Sharpe ${num(mean(hold.map((m) => m.sharpe)))}`,
);
// the third reading: the report's own `random (mean ± sd)` column, over the chained test span, sd over its seeds
const printed = report.baselines?.random;
if (printed?.sd?.sharpe !== undefined) {
  const printedBar = printed.metrics.sharpe + printed.sd.sharpe;
  console.log(
    `Sharpe target, the report's random column (chained span): ${num(printed.metrics.sharpe)} ± ` +
      `${num(printed.sd.sharpe)} = ${num(printedBar)} → ${agentSharpe >= printedBar ? 'met' : 'not met'}`,
  );
}

/**
 * A walk-forward study's baselines recomputed without retraining (issue 13): for each report of a study folder
 * (DIR/<strategy>-<key>/report.json, as scripts/walk-forward-study.ts writes it), the baselines alone are run again
 * with the current code on the report's own test windows (its costs, sizing, base seed, random seeds, and each fold's
 * decision rule), and a copy of the report with its baseline parts rewritten (`baselines`, `extra.agent.sameWindows`,
 * `extra.agent.targets`) goes to OUT/<strategy>-<key>/report.json. The agent's parts are copied as they are; the input
 * is never written. walk-forward-study.ts with `--out OUT` then prints its tables and targets tally from the copies
 * (it skips runs whose report exists). Prints, per report, the seed-spread bar before → after.
 *
 * Usage: node --import tsx scripts/rebaseline-study.ts --in DIR --out DIR --data DIR [--data DIR …]
 *   --in     the study folder (read only)
 *   --out    where the rewritten copies go (a report already there is replaced)
 *   --data   folders holding the series' CSV files: a report's file is <data.symbol>.csv in the first that has it
 * Exit 2 for bad flags or a report that cannot be rebuilt (checked before anything is written), else 0.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../src/core/errors.ts';
import { filterRange, loadCsvFile } from '../src/data/source.ts';
import type { Candles } from '../src/core/candles.ts';
import { runBaselines } from '../src/backtest/baselines.ts';
import { storedBaselines } from '../src/backtest/report.ts';
import { sameWindowsReport } from '../src/backtest/same-windows-report.ts';
import { PLAIN_SCHEDULE, scheduleOf, type ScheduleRule } from '../src/agents/decision-rule.ts';
import {
  parseWalkForwardReport,
  reportSizing,
  summarizeWalkForward,
  summaryFormat,
  type SharpeBar,
  type WalkForwardReport,
} from '../src/backtest/walk-forward-summary.ts';

/** The further fields of a report this script reads. */
type Report = WalkForwardReport & {
  data: { symbol: string; timeframe: string; from: string; to: string };
  baselines: { random: { seeds?: number; rule?: ScheduleRule; foldRules?: ScheduleRule[] } };
  extra: {
    agent: {
      walkForward?: { range: { from: number; to: number } };
      ensemble?: unknown;
      targets?: {
        sharpeMean: number;
        randomPlusSd: Record<'seedSpread' | 'pooled', SharpeBar> & { reportColumn?: SharpeBar };
      };
    };
  };
};

interface Job {
  name: string;
  input: string;
  output: string;
  report: Report;
  candles: Candles;
}

function parseArgs(argv: readonly string[]): { dir: string; out: string; data: string[] } {
  let dir: string | undefined;
  let out: string | undefined;
  const data: string[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!['--in', '--out', '--data'].includes(flag)) throw new UserError(`unknown flag ${flag}`);
    if (value === undefined || value.startsWith('--')) throw new UserError(`${flag} needs a value`);
    if (flag === '--in') dir = value;
    else if (flag === '--out') out = value;
    else data.push(value);
  }
  if (!dir || !out || !data.length) throw new UserError('usage: --in DIR --out DIR --data DIR [--data DIR …]');
  if (!existsSync(dir)) throw new UserError(`--in ${dir}: no such folder`);
  if (path.resolve(dir) === path.resolve(out)) throw new UserError('--out must differ from --in: the input is kept');
  return { dir, out, data };
}

/**
 * The candles the report's indices point into: its file cut where its run cut it (the first headline candle is
 * `data.from` at index walkForward.range.from), checked against its first and last headline candle.
 */
function reportCandles(report: Report, file: string, label: string): Candles {
  const all = loadCsvFile(file, { symbol: report.data.symbol });
  const range = report.extra.agent.walkForward?.range;
  if (!range) throw new UserError(`${label}: no chained walk-forward (extra.agent.walkForward): run with --folds`);
  const first = all.ts.indexOf(Date.parse(report.data.from));
  const start = first - range.from;
  if (first < 0 || start < 0) throw new UserError(`${label}: ${file} has no candle at ${report.data.from}`);
  const candles = filterRange(all, all.ts[start]);
  if (candles.timeframe !== report.data.timeframe || candles.ts[range.to - 1] !== Date.parse(report.data.to))
    throw new UserError(`${label}: ${file} is not the series its windows index (${report.data.timeframe}, to)`);
  return candles;
}

function findJobs(dir: string, out: string, data: readonly string[]): Job[] {
  const jobs: Job[] = [];
  for (const name of readdirSync(dir).sort()) {
    const input = path.join(dir, name, 'report.json');
    if (!existsSync(input)) continue;
    const report = parseWalkForwardReport(readFileSync(input, 'utf8'), input) as Report;
    if (report.extra.agent.ensemble) throw new UserError(`${input}: an --ensemble run (not supported here)`);
    const csv = `${report.data.symbol}.csv`;
    const where = data.find((d) => existsSync(path.join(d, csv)));
    if (!where) throw new UserError(`${input}: ${csv} is in none of the --data folders`);
    const candles = reportCandles(report, path.join(where, csv), input);
    jobs.push({ name, input, output: path.join(out, name, 'report.json'), report, candles });
  }
  if (!jobs.length) throw new UserError(`${dir}: no <strategy>-<key>/report.json`);
  return jobs;
}

/** The report with its baselines run again (agent-backtest.ts's options, read back from the report). */
function rebaseline(report: Report, candles: Candles): Report {
  const agent = report.extra.agent;
  const seed = report.settings.seed ?? 1;
  const stored = report.baselines.random;
  // each fold's rule as the run recorded it: its base seed's run's, else the random column's (one, or one a fold)
  const foldRule = (fold: number): ScheduleRule =>
    scheduleOf(
      agent.runs.find((r) => r.fold === fold && r.seed === seed)?.rule ??
        stored.foldRules?.[fold] ??
        stored.rule ??
        PLAIN_SCHEDULE,
    );
  const range = agent.walkForward!.range;
  const baselines = runBaselines({
    candles,
    range,
    costs: report.settings.costs,
    balance: report.settings.balance,
    sizing: reportSizing(report.settings.sizing),
    rule: foldRule(0),
    restarts: agent.folds.slice(1).map((f, i) => ({ at: f.test.from, rule: foldRule(i + 1) })),
    randomSeeds: stored.seeds ?? 10,
    seed,
  });
  const copy = structuredClone(report);
  copy.baselines = storedBaselines(baselines) as unknown as Report['baselines'];
  const { json } = sameWindowsReport(summarizeWalkForward(copy, candles));
  Object.assign(copy.extra.agent, json);
  return copy;
}

const { num, met } = summaryFormat;
const barText = (b: SharpeBar | undefined): string =>
  b ? `${num(b.randomMean)} ± ${num(b.sd)} | ${num(b.bar)} | ${met(b.met)}` : '– | – | –';

function main(): number {
  let jobs: Job[];
  let out: string;
  try {
    const args = parseArgs(process.argv.slice(2));
    out = args.out;
    jobs = findJobs(args.dir, args.out, args.data);
  } catch (e) {
    console.error(`rebaseline-study: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const lines = [
    `| report | agent mean test Sharpe | random (seed spread) before | bar before | met before | ` +
      'random (seed spread) after | bar after | met after | report column met before → after |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  let before = 0;
  let after = 0;
  for (const job of jobs) {
    const copy = rebaseline(job.report, job.candles);
    mkdirSync(path.dirname(job.output), { recursive: true });
    writeFileSync(job.output, JSON.stringify(copy, null, 2) + '\n');
    const b = job.report.extra.agent.targets?.randomPlusSd;
    const a = copy.extra.agent.targets!.randomPlusSd;
    if (b?.seedSpread.met) before++;
    if (a.seedSpread.met) after++;
    const column = (t?: SharpeBar) => (t ? met(t.met) : '–');
    lines.push(
      `| ${job.name} | ${num(copy.extra.agent.targets!.sharpeMean)} | ${barText(b?.seedSpread)} | ` +
        `${barText(a.seedSpread)} | ${column(b?.reportColumn)} → ${column(a.reportColumn)} |`,
    );
  }
  lines.push('', `seed-spread bar met: ${before} of ${jobs.length} before, ${after} of ${jobs.length} after`);
  console.log(lines.join('\n'));
  console.error(`wrote ${jobs.length} report(s) under ${out}`);
  return 0;
}

process.exitCode = main();

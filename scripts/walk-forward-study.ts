/**
 * A walk-forward study (issue 13, "Defaults chosen by evidence") in one command: every strategy × series runs as
 * `bot backtest --strategy S --data FILE [--from] [--to] --folds F --seeds N --json`, then per series a table row per
 * strategy (src/backtest/walk-forward-summary.ts's numbers), each strategy's targets tally over the series, and with
 * two or more strategies the README's replacement rule for each later one against the first.
 *
 * Usage: node --import tsx scripts/walk-forward-study.ts --strategy NAME_OR_FILE [--strategy …]
 *          --series KEY=FILE[@FROM[..TO]] [--series …] [--folds 4] [--seeds 3] [--jobs 2] [--out DIR] [-- BOT FLAGS]
 *   --strategy   an agent strategy in strategies/ or a .ts file, as `bot backtest --strategy` takes it
 *   --series     KEY (letters, digits, _ and -) names the series; FROM and TO are dates as `bot backtest --from/--to`
 *                read them: btc=data/btc.csv, btc=data/btc.csv@2024-01-01, btc=data/btc.csv@2024-01-01..2025-01-01
 *   --jobs       backtests run at once (child processes)
 *   --out        study folder (default studies/walk-forward): each run's report is DIR/<strategy>-<key>/report.json,
 *                its model models/study-<strategy>-<key>
 *   after `--`   flags passed to every `bot backtest` (e.g. -- --epochs 5 --config my.json)
 * A run whose report.json already exists in DIR is skipped, so an interrupted study resumes where it stopped (the
 * folder of a run without one is cleared and run again; delete the report to rerun it; a report made with other
 * --folds or --seeds is an error). Progress goes to stderr, the tables to stdout. Exit 2 for bad flags (checked
 * before any run), 1 when any run failed (the others still run and are summarised), else 0.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStrategy } from '../src/agents/strategy.ts';
import { UserError } from '../src/core/errors.ts';
import { filterRange, loadCsvFile } from '../src/data/source.ts';
import { parseTime } from '../src/data/timeframe.ts';
import {
  compareCandidates,
  metricCells,
  parseWalkForwardReport,
  summarizeWalkForward,
  summaryFormat,
  type WalkForwardSummary,
} from '../src/backtest/walk-forward-summary.ts';

const BOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/bot.js');
/** Flags the study sets on every run itself. */
const OWN_FLAGS = ['--strategy', '--data', '--from', '--to', '--folds', '--seeds', '--json', '--out', '--name'];

interface StudySeries {
  key: string;
  file: string;
  from?: string;
  to?: string;
}

interface StudyStrategy {
  /** What --strategy was given. */
  arg: string;
  /** Its name in tables and folder names: the strategy name, or the file's base name. */
  label: string;
}

interface Study {
  strategies: StudyStrategy[];
  series: StudySeries[];
  folds: number;
  seeds: number;
  jobs: number;
  out: string;
  botFlags: string[];
}

interface Run {
  strategy: StudyStrategy;
  series: StudySeries;
  dir: string;
}

const wholeNumber = (flag: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a whole number ≥ 1, got "${v}"`);
  return n;
};

function parseSeries(value: string): StudySeries {
  const eq = value.indexOf('=');
  if (eq < 1) throw new UserError(`--series ${value}: expected KEY=FILE[@FROM[..TO]]`);
  const key = value.slice(0, eq);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(key))
    throw new UserError(`--series ${value}: KEY must be letters, digits, _ or -`);
  let file = value.slice(eq + 1);
  let from: string | undefined;
  let to: string | undefined;
  const at = file.lastIndexOf('@');
  if (at >= 0) {
    const [a, b, ...rest] = file.slice(at + 1).split('..');
    if (rest.length) throw new UserError(`--series ${value}: expected @FROM..TO`);
    file = file.slice(0, at);
    from = a || undefined;
    to = b || undefined;
    const f = from !== undefined ? parseTime(from, `--series ${key} FROM`) : undefined;
    const t = to !== undefined ? parseTime(to, `--series ${key} TO`) : undefined;
    if (f !== undefined && t !== undefined && t <= f)
      throw new UserError(`--series ${key}: TO ${to} is not after ${from}`);
  }
  if (!file) throw new UserError(`--series ${value}: no FILE`);
  if (!existsSync(file)) throw new UserError(`--series ${key}: no such file ${file}`);
  return { key, file, from, to };
}

function parseArgs(argv: readonly string[]): Study {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const botFlags = dash >= 0 ? argv.slice(dash + 1) : [];
  const clash = botFlags.find((f) => OWN_FLAGS.includes(f.split('=')[0]));
  if (clash) throw new UserError(`${clash} after -- is set by the study itself`);
  const strategies: string[] = [];
  const series: StudySeries[] = [];
  const study = { folds: 4, seeds: 3, jobs: 2, out: path.join('studies', 'walk-forward') };
  for (let i = 0; i < own.length; i++) {
    const flag = own[i];
    const value = own[i + 1];
    if (!['--strategy', '--series', '--folds', '--seeds', '--jobs', '--out'].includes(flag))
      throw new UserError(`unknown flag ${flag} (bot backtest flags go after --)`);
    if (value === undefined || value.startsWith('--')) throw new UserError(`${flag} needs a value`);
    i++;
    if (flag === '--strategy') strategies.push(value);
    else if (flag === '--series') series.push(parseSeries(value));
    else if (flag === '--out') study.out = value;
    else study[flag === '--folds' ? 'folds' : flag === '--seeds' ? 'seeds' : 'jobs'] = wholeNumber(flag, value);
  }
  if (!strategies.length) throw new UserError('name at least one --strategy');
  if (!series.length) throw new UserError('name at least one --series KEY=FILE');
  const keys = series.map((s) => s.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new UserError(`--series ${twice} is named twice`);
  const labelled = strategies.map((arg) => ({ arg, label: path.basename(arg).replace(/\.ts$/, '') }));
  const labels = labelled.map((s) => s.label);
  const dup = labelled.find((s, i) => labels.indexOf(s.label) !== i);
  if (dup) throw new UserError(`two strategies are both named ${dup.label}: rename one file`);
  const bad = labelled.find((s) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s.label));
  if (bad) throw new UserError(`strategy file ${bad.arg}: its name must be letters, digits, ., _ or -`);
  return { strategies: labelled, series, ...study, botFlags };
}

/** Every strategy must load as an agent strategy, as `bot backtest --strategy` loads it. */
async function checkStrategies(strategies: readonly StudyStrategy[]): Promise<void> {
  for (const s of strategies) {
    const loaded = await loadStrategy(s.arg);
    if (loaded.kind !== 'agent')
      throw new UserError(
        `--strategy ${s.arg} is a rule strategy: a study compares agents by their validation scores ` +
          '(the tables show buy-and-hold, flat, random and sma-cross beside them)',
      );
  }
}

const reportFile = (run: Run) => path.join(run.dir, 'report.json');

/** An existing report must be a walk-forward report of the study's folds and seeds, or the study stops. */
function checkExisting(run: Run, study: Study): void {
  const file = reportFile(run);
  const { folds, seeds } = parseWalkForwardReport(readFileSync(file, 'utf8'), file).settings;
  if (folds !== study.folds || seeds !== study.seeds)
    throw new UserError(
      `${file} was made with --folds ${String(folds)} --seeds ${String(seeds)}, not ${study.folds} and ` +
        `${study.seeds}: use another --out or delete it`,
    );
}

/**
 * Runs one backtest as a child process; resolves to undefined on success, else why it failed. The run's folder is
 * the study's own (DIR/<strategy>-<key>) and holds no report (a run with one is skipped): what it holds is what an
 * interrupted run left, cleared so the backtest gets the new or empty --out it asks for.
 */
function runBacktest(run: Run, study: Study): Promise<string | undefined> {
  rmSync(run.dir, { recursive: true, force: true });
  const { strategy, series } = run;
  const args = [BOT, 'backtest', '--strategy', strategy.arg, '--data', series.file];
  if (series.from) args.push('--from', series.from);
  if (series.to) args.push('--to', series.to);
  args.push('--folds', String(study.folds), '--seeds', String(study.seeds), '--json', '--out', run.dir);
  args.push('--name', `study-${strategy.label}-${series.key}`, ...study.botFlags);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', (e) => resolve(`could not start: ${e.message}`));
    child.on('close', (code, signal) => {
      const last =
        stderr
          .split(/\r?\n|\r/)
          .filter((l) => l.trim())
          .pop() ?? '(no stderr)';
      if (code !== 0) resolve(`exit ${code ?? signal}: ${last}`);
      else if (!existsSync(reportFile(run))) resolve(`exit 0 but no ${reportFile(run)}`);
      else resolve(undefined);
    });
  });
}

async function runAll(runs: readonly Run[], study: Study): Promise<Map<Run, string>> {
  const failed = new Map<Run, string>();
  const queue = [...runs];
  let done = 0;
  const worker = async () => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      const name = `${run.strategy.label} × ${run.series.key}`;
      console.error(`start ${name}`);
      const problem = await runBacktest(run, study);
      done++;
      if (problem) failed.set(run, problem);
      console.error(
        `${problem ? 'FAILED' : 'done'} ${name} (${done} of ${runs.length})${problem ? `: ${problem}` : ''}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(study.jobs, runs.length) }, worker));
  return failed;
}

const { pct, num, pm, met } = summaryFormat;

function seriesTable(series: StudySeries, rows: [StudyStrategy, WalkForwardSummary | string][], study: Study): string {
  const span = series.from || series.to ? ` from ${series.from ?? 'the start'} to ${series.to ?? 'the end'}` : '';
  const lines = [
    `### ${series.key}: ${path.basename(series.file)}${span}, ${study.folds} fold(s) × ${study.seeds} seed(s)`,
    '',
    '| strategy | validation score | test return | test Sharpe | max drawdown | trades | fees + tax | ' +
      'buy-and-hold Sharpe | buy-and-hold max DD | random + 1 sd (seed spread) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [strategy, s] of rows) {
    if (typeof s === 'string') {
      lines.push(`| ${strategy.label} | ${s} |||||||||`);
      continue;
    }
    const a = s.agent;
    const hold = s.baselines.buyAndHold;
    lines.push(
      `| ${strategy.label} | ${pm(s.validation.score, num)} | ${metricCells(a).join(' | ')} | ` +
        `${pm(hold.sharpe, num)} | ${pm(hold.maxDrawdown, pct)} | ` +
        `${num(s.sharpe.seedSpread.bar)} ${met(s.sharpe.seedSpread.met)} |`,
    );
  }
  return lines.join('\n');
}

function tally(strategy: StudyStrategy, summaries: readonly WalkForwardSummary[]): string {
  const n = summaries.length;
  const count = (f: (s: WalkForwardSummary) => boolean | undefined) => summaries.filter((s) => f(s) === true).length;
  const withColumn = summaries.filter((s) => s.sharpe.reportColumn).length;
  return (
    `| ${strategy.label} | ${count((s) => s.targets.sharpeNonNegative)} of ${n} | ` +
    `${count((s) => s.sharpe.pooled.met)} of ${n} | ${count((s) => s.sharpe.seedSpread.met)} of ${n} | ` +
    `${count((s) => s.sharpe.reportColumn?.met)} of ${withColumn} | ` +
    `${count((s) => s.targets.drawdownBelowBuyAndHold)} of ${n} | ` +
    `${count((s) => s.targets.sharpeAboveBuyAndHold)} of ${n} |`
  );
}

async function main(): Promise<number> {
  let study: Study;
  let runs: Run[];
  try {
    study = parseArgs(process.argv.slice(2));
    await checkStrategies(study.strategies);
    runs = study.series.flatMap((series) =>
      study.strategies.map((strategy) => ({
        strategy,
        series,
        dir: path.join(study.out, `${strategy.label}-${series.key}`),
      })),
    );
    for (const run of runs) if (existsSync(reportFile(run))) checkExisting(run, study);
  } catch (e) {
    console.error(`walk-forward-study: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const todo = runs.filter((r) => !existsSync(reportFile(r)));
  for (const r of runs)
    if (!todo.includes(r))
      console.error(
        `skipped ${r.strategy.label} × ${r.series.key}: ${reportFile(r)} exists (resuming; delete it to rerun)`,
      );
  console.error(
    `${runs.length} runs: ${todo.length} to run (--jobs ${study.jobs}), ${runs.length - todo.length} skipped`,
  );
  const failed = await runAll(todo, study);

  const bySeries = new Map<StudySeries, Map<StudyStrategy, WalkForwardSummary>>();
  const out: string[] = [];
  for (const series of study.series) {
    const candles = filterRange(
      loadCsvFile(series.file, { symbol: series.key }),
      series.from !== undefined ? parseTime(series.from, 'FROM') : undefined,
      series.to !== undefined ? parseTime(series.to, 'TO') : undefined,
    );
    const summaries = new Map<StudyStrategy, WalkForwardSummary>();
    const rows: [StudyStrategy, WalkForwardSummary | string][] = [];
    for (const run of runs.filter((r) => r.series === series)) {
      const problem = failed.get(run);
      if (problem) {
        rows.push([run.strategy, `failed (${problem})`]);
        continue;
      }
      try {
        const s = summarizeWalkForward(parseWalkForwardReport(readFileSync(reportFile(run), 'utf8'), run.dir), candles);
        summaries.set(run.strategy, s);
        rows.push([run.strategy, s]);
      } catch (e) {
        failed.set(run, `summary: ${e instanceof Error ? e.message : String(e)}`);
        rows.push([run.strategy, `failed (${failed.get(run) ?? ''})`]);
      }
    }
    bySeries.set(series, summaries);
    out.push(seriesTable(series, rows, study), '');
  }
  out.push(
    '### Targets (series where each holds, of those with a report)',
    '',
    '| strategy | Sharpe ≥ 0 | Sharpe ≥ random + 1 sd, pooled | … seed spread | … report column | ' +
      'max DD below buy-and-hold | Sharpe above buy-and-hold |',
    '|---|---|---|---|---|---|---|',
  );
  for (const strategy of study.strategies) {
    const summaries = study.series.flatMap((se) => bySeries.get(se)?.get(strategy) ?? []);
    out.push(tally(strategy, summaries));
  }
  const [first, ...later] = study.strategies;
  if (later.length) {
    out.push(
      '',
      `### Rule: a candidate replaces ${first.label} only if its mean over the series of the per-series mean ` +
        'validation score is higher and it is higher on at least 3 of every 4 series',
      '',
    );
    for (const candidate of later) {
      const both = study.series.filter((se) => bySeries.get(se)?.has(first) && bySeries.get(se)?.has(candidate));
      if (!both.length) {
        out.push(`- ${candidate.label}: no series where both have a report`);
        continue;
      }
      const score = (st: StudyStrategy) => both.map((se) => bySeries.get(se)?.get(st)?.validation.score.mean ?? NaN);
      const v = compareCandidates(score(first), score(candidate));
      const partial = both.length < study.series.length ? ` (only the ${both.length} series both have)` : '';
      out.push(
        `- ${candidate.label} vs ${first.label}: mean validation score ${v.candidateMean.toFixed(3)} vs ` +
          `${v.currentMean.toFixed(3)}, higher on ${v.higher} of ${v.series} series${partial} (needs ${v.needed}) → ` +
          `${v.passes ? 'replaces' : 'does not replace'} ${first.label}`,
      );
    }
    // per-series validation sds are of the order of the differences between recipes (README, issue 13)
    if (study.series.length < 4) {
      out.push(
        `- with ${study.series.length} series the rule cannot tell noise from an effect: ` +
          "README's choices used 4 to 12",
      );
    }
  }
  console.log(out.join('\n'));
  if (failed.size) console.error(`${failed.size} run(s) failed`);
  return failed.size ? 1 : 0;
}

process.exitCode = await main();

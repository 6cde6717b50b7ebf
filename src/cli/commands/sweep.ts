/** `bot sweep`: a grid or random search of an agent recipe over seeds, folds and markets, in-process or on Redis. */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../core/errors.ts';
import { checkName } from '../../core/names.ts';
import { parseSymbolList } from '../../core/market-symbol.ts';
import type { BackendName } from '../../nn/backend/backend.ts';
import { loadStrategy, STRATEGIES_DIR } from '../../agents/strategy.ts';
import { loadSeries } from '../../data/source.ts';
import { parseTime } from '../../data/timeframe.ts';
import type { GridAxis, SweepRequest } from '../../sweep/grid.ts';
import type { LoadedSeries } from '../../sweep/plan.ts';
import { checkRedisUrl } from '../../sweep/redis-url.ts';
import type { SweepMode } from '../../sweep/run.ts';
import { addCommonOptions, setupCommand, trainingCount, wholeNumber, type CommonFlags } from '../context.ts';
import { fileTimeframe } from './data.ts';
import { checkOutFolder } from '../out-paths.ts';
import { checkSweepOutId, holdsSweepReportOnly } from '../../sweep/out-folder.ts';
import { SweepStop } from '../../sweep/stop.ts';
import { eitherNotBoth } from '../../core/flag-conflicts.ts';

interface SweepFlags extends CommonFlags {
  strategy?: string;
  grid?: string[];
  random?: string;
  seeds?: string;
  seed?: string;
  folds?: string;
  epochs?: string;
  symbols?: string;
  data?: string;
  sample?: boolean;
  from?: string;
  to?: string;
  name?: string;
  file?: string;
  workers?: string;
  queue?: string;
  gpu?: boolean;
  out?: string;
  json?: boolean;
  saveStrategy?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The request from flags, or from `--file` with flags given on the command line winning. Reads only that file. */
export async function sweepRequest(flags: SweepFlags, defaultSeed: number): Promise<SweepRequest> {
  // the sweep file's schema (zod) loads with the run, not with the command list (`bot --help`)
  const { checkGrid, checkJobCount, parseGridFlag, parseSweepFile } = await import('../../sweep/grid.ts');
  let file: ReturnType<typeof parseSweepFile> | undefined;
  if (flags.file !== undefined) {
    eitherNotBoth(['--file', flags.file], ['--grid', flags.grid], ' (put the grid in the file)');
    let text: string;
    try {
      text = readFileSync(flags.file, 'utf8');
    } catch {
      throw new UserError(`--file: cannot read ${flags.file}`);
    }
    file = parseSweepFile(text, flags.file);
  }
  const grid: GridAxis[] = file
    ? Object.entries(file.grid).map(([key, values]) => ({ key, values }))
    : (flags.grid ?? []).map(parseGridFlag);
  const strategy = flags.strategy ?? file?.strategy;
  if (strategy === undefined) throw new UserError('name the agent with --strategy NAME (or "strategy" in --file)');
  if (grid.length === 0) throw new UserError('give at least one --grid KEY=V1,V2 (or "grid" in --file)');
  const random = wholeNumber(flags.random, '--random', 1) ?? file?.random;
  checkGrid(grid, random);
  const symbols = flags.symbols !== undefined ? parseSymbolList(flags.symbols, '--symbols') : file?.symbols;
  const data = flags.data ?? file?.data;
  const sample = flags.sample ?? file?.sample;
  if ([symbols !== undefined, data !== undefined, sample === true].filter(Boolean).length > 1)
    throw new UserError('use one of --symbols, --data FILE or --sample');
  const from = flags.from ?? file?.from;
  const to = flags.to ?? file?.to;
  if (from !== undefined) parseTime(from, '--from');
  if (to !== undefined) parseTime(to, '--to');
  if (from !== undefined && to !== undefined && parseTime(to, '--to') <= parseTime(from, '--from'))
    throw new UserError(`--to ${to} is not after --from ${from}`);
  const name = flags.name ?? file?.name;
  if (name !== undefined) checkName(name);
  const request: SweepRequest = {
    strategy,
    grid,
    ...(random !== undefined ? { random } : {}),
    seeds: wholeNumber(flags.seeds, '--seeds', 1) ?? file?.seeds ?? 1,
    seed: wholeNumber(flags.seed, '--seed', 0) ?? file?.seed ?? defaultSeed,
    folds: wholeNumber(flags.folds, '--folds', 1) ?? file?.folds ?? 1,
    ...((trainingCount(flags.epochs, 'epochs') ?? file?.epochs) !== undefined
      ? { epochs: trainingCount(flags.epochs, 'epochs') ?? file?.epochs }
      : {}),
    ...(symbols ? { symbols } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(sample ? { sample } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(name !== undefined ? { name } : {}),
    ...((flags.gpu ?? file?.gpu) ? { gpu: true } : {}),
  };
  if (request.epochs !== undefined && grid.some((a) => a.key === 'epochs'))
    throw new UserError('--epochs and a grid over epochs both set the epochs: give one');
  checkJobCount(request);
  // the file --data names after every flag, as bot backtest does
  if (data !== undefined && !existsSync(data)) throw new UserError(`--data: no such file ${data}`);
  return request;
}

/**
 * The values given on the command line, each checked alone as sweepRequest checks it (a flag wins over --file, so its
 * mistake is one whatever the file says): before the config and the sweep file's schema load.
 */
function checkSweepFlags(flags: SweepFlags): void {
  wholeNumber(flags.random, '--random', 1);
  if (flags.symbols !== undefined) parseSymbolList(flags.symbols, '--symbols');
  if (flags.from !== undefined) parseTime(flags.from, '--from');
  if (flags.to !== undefined) parseTime(flags.to, '--to');
  if (flags.name !== undefined) checkName(flags.name);
  wholeNumber(flags.seeds, '--seeds', 1);
  wholeNumber(flags.seed, '--seed', 0);
  wholeNumber(flags.folds, '--folds', 1);
  trainingCount(flags.epochs, 'epochs');
}

function checkSaveStrategy(file: string | undefined): void {
  if (file === undefined) return;
  if (!file.endsWith('.ts'))
    throw new UserError(`--save-strategy ${file}: a strategy file ends in .ts (e.g. strategies/my-dqn.ts)`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(path.basename(file, '.ts')))
    throw new UserError(
      `--save-strategy ${file}: the file name must be letters, digits, _ or - (it is the strategy's name)`,
    );
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(
      `--save-strategy ${file}: no folder ${dir}; make it first, or save to ` +
        `${path.join(STRATEGIES_DIR, path.basename(file))} (then --strategy ${path.basename(file, '.ts')} loads it)`,
    );
  if (existsSync(file)) throw new UserError(`--save-strategy ${file} exists; choose another file or remove it`);
}

/**
 * `--workers`/`--concurrency`: job processes at a time, each training its own tfjs model; at most 4 per core (more only
 * wait for the cores, each holding its memory). Default: the cores.
 */
export function jobProcesses(value: string | undefined, flag: string): number {
  const cores = os.availableParallelism();
  const n = wholeNumber(value, flag, 1) ?? cores;
  if (n > 4 * cores)
    throw new UserError(
      `${flag} ${n}: at most ${4 * cores} here (4 × the ${cores} cores): each job is a process training its own ` +
        'model, and more than that only wait for the cores, each holding its memory',
    );
  return n;
}

/** Refuses a named tfjs backend that cannot run here (one line); tfjs is loaded only when a backend is named. */
export async function checkBackend(name: BackendName): Promise<void> {
  const { requireBackend } = await import('../../nn/backend/backend.ts');
  await requireBackend(name);
}

/** ` after 3 attempts each`: the tries the failed jobs' last run gave them (their range when they differ). */
function afterAttempts(failures: readonly { attempts?: number }[]): string {
  const counts = failures.flatMap((f) => (f.attempts === undefined ? [] : [f.attempts]));
  if (counts.length === 0) return '';
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  if (low !== high) return ` after ${low} to ${high} attempts`;
  return ` after ${low} attempt${low === 1 ? '' : 's'}${failures.length > 1 ? ' each' : ''}`;
}

/**
 * The common flags the sweep's figures depend on, for the saved winner's bot backtest line (src/sweep/replay-flags.ts):
 * the config, the market's exchange and timeframe, and the in-process workers' backend (with --queue each worker's).
 */
function replayCommonFlags(flags: SweepFlags, mode: SweepMode): string[] {
  const given: [string, string | undefined][] = [
    ['--config', flags.config],
    ['--exchange', flags.exchange],
    ['--timeframe', flags.timeframe],
    ['--backend', mode.kind === 'local' ? flags.backend : undefined],
  ];
  return given.flatMap(([flag, value]) => (value === undefined ? [] : [flag, value]));
}

export function registerSweep(program: Command): void {
  const cmd = program
    .command('sweep')
    .description(
      'train an agent recipe over a grid of parameters × seeds × folds × ' +
        'markets; rank by validation only; report with overfitting statistics',
    )
    .option('--strategy <name>', 'agent strategy in strategies/')
    .option(
      '--grid <key=v1,v2>',
      'a recipe key and its values (repeat for each key), e.g. learner.learningRate=1e-3,3e-4',
      collect,
    )
    .option('--random <k>', 'random search: K configurations drawn from the grid (seeded by --seed)')
    .option('--seeds <n>', 'seeds per configuration (default 1)')
    .option('--seed <n>', 'first seed (default: config backtest.seed)')
    .option('--folds <k>', 'walk-forward folds (default 1)')
    .option('--epochs <n>', 'training epochs (default: the recipe, then config agent.epochs)')
    .option('--symbols <list>', 'markets from the store, comma-separated (e.g. BTC/KRW,ETH/KRW)')
    .option('--data <file>', 'candles from a CSV file instead of the store')
    .option('--sample', 'use the bundled sample series (S&P 500 daily)')
    .option('--from <date>', 'first candle (open time ≥ this)')
    .option('--to <date>', 'end (candles opening before this)')
    .option('--name <name>', 'a name for the sweep (shown in the report)')
    .option('--file <sweep.json>', 'the sweep in a JSON file (same names as the flags; grid as {"key": [values]})')
    .option('--workers <n>', 'in-process mode: child processes (default: the cores; at most 4 × the cores)')
    .option(
      '--queue <url>',
      'distributed mode: put the jobs on the BullMQ queue at redis://host:port and wait for bot worker',
    )
    .option('--gpu', 'the jobs want a GPU: they go to the GPU queue, taken only by bot worker --gpu')
    .option('--out <dir>', 'report folder (default backtests/sweep-<id>)')
    .option('--json', 'print report.json instead of the summary')
    .option(
      '--save-strategy <file>',
      'write the winning configuration as a strategy file (e.g. strategies/dqn-tuned.ts)',
    );
  addCommonOptions(cmd, { market: true, db: true, backend: true }).action(async (flags: SweepFlags) => {
    // every flag and the grid are checked before any network or disk work; the flags' own values before the config
    // (and zod with its schemas) loads
    checkSweepFlags(flags);
    const workers = jobProcesses(flags.workers, '--workers');
    eitherNotBoth(['--workers N (in-process)', flags.workers], ['--queue URL (workers elsewhere)', flags.queue]);
    if (flags.queue !== undefined && flags.backend !== undefined)
      throw new UserError(
        "--backend chooses the in-process workers' backend; with --queue each bot worker chooses its own " +
          '(bot worker --backend NAME)',
      );
    const mode: SweepMode =
      flags.queue !== undefined ? { kind: 'queue', url: checkRedisUrl(flags.queue) } : { kind: 'local', workers };
    const { config, logger } = await setupCommand(flags);
    const request = await sweepRequest(flags, config.backtest.seed);
    if (request.gpu && mode.kind === 'local')
      throw new UserError('--gpu sends jobs to the GPU queue: use it with --queue URL');
    checkSaveStrategy(flags.saveStrategy);
    // the check bot backtest makes: a folder holding anything but a sweep's report (a backtest's) is refused
    checkOutFolder(flags.out, {
      empty: {
        why: "a sweep would write its report over it; a folder holding this sweep's report only is reused",
        reuse: holdsSweepReportOnly,
      },
    });
    const strategy = await loadStrategy(request.strategy);
    if (strategy.kind !== 'agent') throw new UserError(`bot sweep trains agents; ${strategy.name} is a rule strategy`);
    // the planner (with the recipe's schemas and the feature code) loads with a run, not with `bot --help`; it
    // reaches no training code, so a recipe's grid mistake loads no TensorFlow.js
    const { configurations, planSweep } = await import('../../sweep/plan.ts');
    const configs = configurations(request, strategy.recipe);
    // the children would refuse a backend this machine lacks only after the sweep is recorded in SQLite
    if (mode.kind === 'local' && config.ml.backend !== 'auto') await checkBackend(config.ml.backend);
    if (mode.kind === 'queue') await (await import('../../sweep/redis.ts')).assertReachable(mode.url);

    const from = request.from !== undefined ? parseTime(request.from, '--from') : undefined;
    const to = request.to !== undefined ? parseTime(request.to, '--to') : undefined;
    const series: LoadedSeries[] = [];
    for (const symbol of request.symbols ?? [undefined]) {
      const s = await loadSeries({
        config: symbol ? { ...config, symbol } : config,
        dataFile: request.data,
        // as for bot backtest: beside --data (or "data" in --file) the file's timeframe
        timeframe: fileTimeframe({ data: request.data, timeframe: flags.timeframe }),
        sample: request.sample,
        from,
        to,
      });
      series.push({ candles: s.candles, label: s.label, fromGiven: from !== undefined });
    }
    const { codeFingerprint } = await import('../../sweep/fingerprint.ts');
    const plan = planSweep(request, configs, series, config, codeFingerprint());
    checkSweepOutId(flags.out, plan.id);
    const { runSweep } = await import('../../sweep/run.ts');
    const stop = new SweepStop();
    const unlisten = stop.listen();
    const outcome = await runSweep({
      plan,
      request,
      settings: config,
      mode,
      database: config.data.database,
      logger,
      out: flags.out,
      json: flags.json === true,
      saveStrategy: flags.saveStrategy,
      replay: replayCommonFlags(flags, mode),
      stop,
    }).finally(unlisten);
    if (outcome.stopped) {
      process.exitCode = stop.exitCode();
      return;
    }
    // the report ranks the jobs that finished; a caller (a script chaining `bot backtest --strategy` on the saved
    // winner) must still see that the sweep is not complete
    const { failed, planned } = outcome.report.jobs;
    if (failed > 0) {
      const first = outcome.report.failures[0];
      throw new UserError(
        `${failed} of ${planned} jobs failed${afterAttempts(outcome.report.failures)} (first: ${first.label} ` +
          `${first.market} fold ${first.fold} seed ` +
          `${first.seed}: ${first.error}); the report ranks the finished ones; ` +
          'run the same command again to retry them',
      );
    }
  });
}

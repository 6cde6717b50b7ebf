/** `bot data` (download, list, gaps, import, export) and the flags every command that takes candles offers. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import type { Exchange } from 'ccxt';
import type { Config } from '../../config/schema.ts';
import { decimalFlag } from '../../core/decimal.ts';
import { UserError } from '../../core/errors.ts';
import { parseSpotSymbol } from '../../core/market-symbol.ts';
import { candlesToCsv, parseCandlesCsvDetailed, parseColumnsSpec } from '../../data/csv.ts';
import { printCsvWarnings } from '../../data/csv-warnings.ts';
import type { SeriesRequest } from '../../data/source.ts';
import { candleRows, emptyCandles } from '../../core/candles.ts';
import { checkDeriveSpec, deriveLabel, deriveLeveraged } from '../../data/derive.ts';
import { refuseDerivedTarget } from '../../data/derived-target.ts';
import { describeJump, misfitOf } from '../../data/fit.ts';
import { gapCause } from '../../data/gap-cause.ts';
import { isSampleSeries, loadSample } from '../../data/sample.ts';
import { existingBotDatabase } from '../../data/bot-file.ts';
import { CandleStore, type SeriesInfo } from '../../data/store.ts';
import { gapLine, lastMissingOf, shortTime } from '../../data/gap-range.ts';
import { describeRange, isoTime, parseTime, timeframeMs } from '../../data/timeframe.ts';
import { parseSymbolsFlag } from '../../data/portfolio-source.ts';
import { addCommonOptions, setupCommand, type CommonFlags } from '../context.ts';
import { checkOutFile } from '../out-paths.ts';
import { openRunsUsing } from '../../trading/series-users.ts';
import { shellWord } from '../../trading/unpromoted-versions.ts';
import { eitherNotBoth } from '../../core/flag-conflicts.ts';
import { printJson, printText } from '../../core/redact.ts';

/** Flags every command that takes candles offers: `--data FILE`, `--sample`, `--from`, `--to` (and `--columns`). */
export interface DataSourceFlags {
  data?: string;
  sample?: boolean;
  from?: string;
  to?: string;
  /** The CSV's columns in file order, for a file without a header the reader does not recognise. */
  columns?: string;
  /** With `--data`: the file's timeframe, for a file whose steps cannot tell it. */
  timeframe?: string;
}

export const COLUMNS_HELP =
  "the CSV's columns in file order when it has no header the reader knows, e.g. time,open,high,low,close,volume " +
  '(_ or skip for a column to ignore)';

/** `--columns` checked before any I/O; it only means something with `--data FILE`. */
export function checkColumnsFlag(flags: { data?: string; columns?: string }): void {
  if (flags.columns === undefined) return;
  if (flags.data === undefined) throw new UserError('--columns describes the file of --data FILE; give --data too');
  parseColumnsSpec(flags.columns);
}

export function addDataSourceOptions(cmd: Command): Command {
  return cmd
    .option(
      '--data <file>',
      'read candles from a CSV file instead of the database (any format `bot data import` reads)',
    )
    .option('--sample', 'use the bundled offline sample (S&P 500 daily, 2000-2020)')
    .option('--from <date>', 'first candle open time to use, e.g. 2024-01-01')
    .option('--to <date>', 'end (exclusive) of the candles to use');
}

/**
 * `--timeframe` beside `--data FILE` is the file's timeframe, for files whose steps cannot tell it (sessions of one
 * candle each, src/data/csv-steps.ts); without `--data` it only names the stored series (a config override).
 */
/**
 * The market flags a file or the sample makes moot, refused in one line: `--sample` is S&P 500 1d whatever
 * --exchange, --symbol or --timeframe say, and a file's candles come from no exchange and are named after the file.
 * They used to be ignored.
 */
export function refuseMootMarketFlags(flags: { data?: string; sample?: boolean } & CommonFlags): void {
  if (flags.sample) {
    const moot = (['exchange', 'symbol', 'timeframe'] as const).find((k) => flags[k] !== undefined);
    if (moot)
      throw new UserError(`--${moot} does not apply to --sample (the bundled S&P 500 1d series): drop one of them`);
  }
  if (flags.data === undefined) return;
  // the series is named after the file (report.json's symbol is its stem): --symbol was read by nothing
  const moot = (['exchange', 'symbol'] as const).find((k) => flags[k] !== undefined);
  if (moot) throw new UserError(`--${moot} does not apply to --data FILE (${FROM_FILE[moot]}): drop one of them`);
}

/** Why a market flag is moot next to --data FILE. */
const FROM_FILE = { exchange: 'its candles come from the file', symbol: 'the series is named after the file' };

export function fileTimeframe(flags: { data?: string; timeframe?: string }): string | undefined {
  return flags.data !== undefined ? flags.timeframe : undefined;
}

export function seriesRequestFromFlags(config: Config, flags: DataSourceFlags): SeriesRequest {
  eitherNotBoth(['--data FILE', flags.data], ['--sample', flags.sample]);
  checkColumnsFlag(flags);
  return {
    config,
    dataFile: flags.data,
    columns: flags.columns,
    ...(fileTimeframe(flags) !== undefined ? { timeframe: fileTimeframe(flags) } : {}),
    sample: flags.sample === true,
    // a reversed range used to end in "no candles for … in [2010-…, 2009-…)", which reads like missing data
    ...timeRangeFlags(flags),
  };
}

function withStore<T>(config: Config, fn: (store: CandleStore) => T): T {
  const store = CandleStore.open(config.data.database);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/**
 * `withStore` for the commands that only read (list, gaps, export): a database file that does not exist reads as
 * empty and is not created, so a mistyped `--db` leaves no stray file behind; another program's SQLite file is
 * refused unchanged (existingBotDatabase).
 */
function readStore<T>(config: Config, empty: T, fn: (store: CandleStore) => T): T {
  return existingBotDatabase(config.data.database) ? withStore(config, fn) : empty;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

interface DownloadFlags extends CommonFlags {
  since?: string;
  until?: string;
  symbols?: string;
}

interface ListFlags extends CommonFlags {
  json?: boolean;
}

interface GapFlags extends CommonFlags {
  json?: boolean;
  from?: string;
  to?: string;
}

interface ImportFlags extends CommonFlags {
  tz?: string;
  columns?: string;
  now?: string;
}

interface DeriveFlags extends CommonFlags {
  from?: string;
  leverage?: string;
  feeAnnual?: string;
}

interface ExportFlags extends CommonFlags {
  from?: string;
  to?: string;
  out?: string;
  force?: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function download(flags: DownloadFlags): Promise<void> {
  // --symbols A,B (issue 14): each market into the store, one after the other, checked before any work
  eitherNotBoth(['--symbol (one market)', flags.symbol], ['--symbols (several)', flags.symbols]);
  const symbols = flags.symbols !== undefined ? parseSymbolsFlag(flags.symbols) : undefined;
  const { config } = await setupCommand(flags);
  const since = parseTime(flags.since ?? config.data.since, flags.since !== undefined ? '--since' : 'data.since');
  const until = flags.until !== undefined ? parseTime(flags.until, '--until') : undefined;
  if (until !== undefined && until <= since)
    throw new UserError(`--until (${flags.until}) must be after --since (${isoTime(since)})`);
  const markets = symbols ?? [config.symbol];
  // before any market is fetched: a derived one among them would stop the download half done
  readStore(config, undefined, (store) => {
    for (const symbol of markets) {
      refuseDerivedTarget(store, { exchange: config.exchange.id, symbol, timeframe: config.timeframe }, 'download');
    }
  });
  // ccxt takes seconds to load: only the commands that talk to an exchange pay for it
  const { createExchange } = await import('../../data/exchange.ts');
  const ex = createExchange(config);
  for (const symbol of markets) await downloadOne(config, ex, symbol, since, until);
}

/**
 * The note after a download or import that replaced stored candles with other values (`theirs`: whose values they now
 * hold), so neither overwrites stored prices silently.
 */
function replacedNote(replaced: number, theirs: string, check: string): void {
  if (replaced > 0)
    console.log(`note: ${plural(replaced, 'stored candle')} had other values and now hold the ${theirs} (${check})`);
}

async function downloadOne(
  config: Config,
  ex: Exchange,
  symbol: string,
  since: number,
  until: number | undefined,
): Promise<void> {
  const { id } = config.exchange;
  const { timeframe } = config;
  const step = timeframeMs(timeframe);
  const { retryOptionsFrom, ExchangeUnreachableError, offlineHint } = await import('../../data/exchange.ts');
  const { downloadToStore } = await import('../../data/download.ts');
  // the progress bar's library loads for a terminal only
  const cliProgress = process.stderr.isTTY ? (await import('cli-progress')).default : undefined;
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${symbol} ${timeframe} [{bar}] {percentage}% | {value}/{total} candles | {eta_formatted} left`,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let barStart: number | undefined;
  const store = CandleStore.open(config.data.database);
  let result: Awaited<ReturnType<typeof downloadToStore>>;
  try {
    result = await downloadToStore(
      store,
      ex,
      { exchange: id, symbol, timeframe, since, until },
      {
        retry: retryOptionsFrom(config),
        onPage: (_rows, p) => {
          if (!bar) return;
          if (barStart !== p.startTs) {
            barStart = p.startTs;
            bar.start(Math.max(1, Math.ceil((p.endTs - barStart) / step)), 0);
          }
          bar.update(Math.ceil((p.reachedTs - barStart) / step));
          if (p.reachedTs >= p.endTs) bar.stop(); // before the summary log line
        },
      },
    );
  } catch (e) {
    if (e instanceof ExchangeUnreachableError) throw new UserError(`${e.message}; ${offlineHint()}`);
    throw e;
  } finally {
    bar?.stop();
    store.close();
  }
  withStore(config, (store) => {
    const info = store.series().find((s) => s.exchange === id && s.symbol === symbol && s.timeframe === timeframe);
    console.log(
      `${id} ${symbol} ${timeframe}: ${result.fetched} closed candles ` +
        `fetched in ${result.pages} requests, ${result.added} new, ${result.replaced} replaced`,
    );
    replacedNote(
      result.replaced,
      "exchange's",
      'the exchange revised them, or they came from a file: `bot data import` of another source or --tz',
    );
    if (info) {
      console.log(`stored ${shortTime(info.first)} … ${shortTime(info.last)}: ${info.count} candles`);
      if (info.gaps > 0)
        console.log(
          `note: ${plural(info.missing, 'candle')} missing in ${plural(info.gaps, 'gap')} ` +
            `(${gapCause(id)}); see \`bot data gaps\``,
        );
    } else console.log('nothing stored: the exchange had no closed candles in that range');
  });
}

async function list(flags: ListFlags): Promise<void> {
  const { config } = await setupCommand(flags);
  const series: SeriesInfo[] = readStore(config, [], (store) => store.series());
  if (flags.json) {
    printJson(series.map((s) => ({ ...s, firstTime: isoTime(s.first), lastTime: isoTime(s.last) })));
    return;
  }
  if (series.length === 0) {
    console.log(
      `no candles stored in ${config.data.database}; try \`bot data download\` or \`bot data import FILE --symbol X\``,
    );
    return;
  }
  printText(
    table(
      ['exchange', 'symbol', 'timeframe', 'first', 'last', 'count', 'gaps'],
      series.map((s) => [
        s.exchange,
        s.symbol,
        s.timeframe,
        shortTime(s.first),
        shortTime(s.last),
        String(s.count),
        s.gaps ? `${s.gaps} (${s.missing} missing)` : '0',
      ]),
    ),
  );
  for (const s of series) {
    if (s.label !== undefined) printText(`${s.exchange} ${s.symbol} ${s.timeframe}: ${s.label}`);
  }
}

/**
 * `--from` and `--to` of `bot data gaps`/`export` and `bot chart`, checked before the store is opened: an empty range
 * used to end in "no stored candles", which sends the user looking for a series that is there.
 */
function timeRangeFlags(flags: { from?: string; to?: string }): { from?: number; to?: number } {
  const from = flags.from !== undefined ? parseTime(flags.from, '--from') : undefined;
  const to = flags.to !== undefined ? parseTime(flags.to, '--to') : undefined;
  if (from !== undefined && to !== undefined && to <= from)
    throw new UserError(`--to ${flags.to} is not after --from ${flags.from}`);
  return { from, to };
}

async function gaps(flags: GapFlags): Promise<void> {
  const { config } = await setupCommand(flags);
  const { id } = config.exchange;
  const { symbol, timeframe } = config;
  const { from, to } = timeRangeFlags(flags);
  const { ranges, count } = readStore(config, { ranges: [], count: 0 }, (store) => ({
    ranges: store.gaps(id, symbol, timeframe, from, to),
    count: store.load(id, symbol, timeframe, from, to).ts.length,
  }));
  // with --from/--to the line names the range: candles stored outside it are not "no stored candles" at all
  if (count === 0) {
    const range = describeRange(from, to);
    throw new UserError(`no stored candles for ${id} ${symbol} ${timeframe}${range}; see \`bot data list\``);
  }
  const step = timeframeMs(timeframe);
  if (flags.json) {
    // `to` is exclusive (the next stored candle); `lastMissing` is the last missing candle, where the text ends
    const json = ranges.map((g) => {
      const lastMissing = lastMissingOf(g, step);
      return {
        ...g,
        fromTime: isoTime(g.from),
        toTime: isoTime(g.to),
        lastMissing,
        lastMissingTime: isoTime(lastMissing),
      };
    });
    printJson(json);
    return;
  }
  if (ranges.length === 0) {
    console.log(`${id} ${symbol} ${timeframe}: no gaps in ${count} candles`);
    return;
  }
  const missing = ranges.reduce((s, g) => s + g.missing, 0);
  console.log(
    `${id} ${symbol} ${timeframe}: ${plural(missing, 'candle')} missing in ${plural(ranges.length, 'gap')} ` +
      `(not an error: ${gapCause(id)}); ` +
      'each from its first to its last missing candle',
  );
  for (const g of ranges) console.log(`  ${gapLine(g, step)}`);
}

async function importFile(file: string, flags: ImportFlags): Promise<void> {
  if (!flags.symbol) throw new UserError('--symbol is required (e.g. --symbol BTC/KRW)');
  if (flags.columns !== undefined) parseColumnsSpec(flags.columns);
  const now = flags.now !== undefined ? parseTime(flags.now, '--now') : Date.now();
  const { config } = await setupCommand({ ...flags, timeframe: undefined });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`cannot read ${file}`);
  }
  const name = path.basename(file);
  const parsed = parseCandlesCsvDetailed(text, {
    file: name,
    timeframe: flags.timeframe,
    tz: flags.tz,
    columns: flags.columns,
    now,
  });
  const exchange = config.exchange.id;
  const rows = parsed.rows;
  const series = { exchange, symbol: config.symbol, timeframe: parsed.timeframe };
  const seriesName = `${exchange} ${config.symbol} ${parsed.timeframe}`;
  const { added, replaced, restorable } = withStore(config, (store) => {
    refuseDerivedTarget(store, series, 'import');
    // before writing: candles off the stored grid would sit beside the stored ones (two a day), not replace them,
    // and candles of another market or currency would join its prices
    const misfit = misfitOf(store, series, rows);
    if (misfit?.kind === 'grid')
      throw new UserError(
        `${name}: candle ${isoTime(misfit.ts)} is off the grid of the stored ${seriesName} series (${misfit.why}): ` +
          (misfit.days
            ? 'the file likely stamps its candles on another weekday than the stored ones'
            : "the file's times were likely read in another time zone (check --tz)") +
          '; nothing stored',
      );
    if (misfit?.kind === 'price')
      throw new UserError(
        `${name}: ${describeJump(misfit.jump, seriesName)}: the file is likely another market's or currency's ` +
          '(check --symbol and --exchange); nothing stored',
      );
    return store.storeImport(exchange, config.symbol, parsed.timeframe, rows);
  });
  const dropped = parsed.duplicates > 0 ? `, ${plural(parsed.duplicates, 'exact duplicate row')} dropped` : '';
  console.log(
    `imported ${rows.length} ${parsed.timeframe} candles (${parsed.layout}, ${parsed.times}) ` +
      `as ${seriesName}: ` +
      `${shortTime(rows[0].ts)} … ${shortTime(rows[rows.length - 1].ts)}, ${added} new, ${replaced} replaced${dropped}`,
  );
  printCsvWarnings(name, parsed.notes);
  const restore =
    restorable === undefined
      ? ''
      : `; run \`bot data download ${downloadFlagsOf(flags, series)} --since ${isoTime(restorable.from)}\` ` +
        "to restore the exchange's";
  replacedNote(replaced, "file's", `check --tz and --exchange if the file should have matched them${restore}`);
  if (parsed.leftOpen !== undefined)
    console.log(
      `note: left out the last row, ${shortTime(parsed.leftOpen)}: its candle had not closed yet ` +
        '(only closed candles are stored; import the file again after it closes)',
    );
}

/** The flags that name `series` (and its database, its config) on `bot data download`, for a note to copy. */
function downloadFlagsOf(flags: CommonFlags, series: { exchange: string; symbol: string; timeframe: string }): string {
  const quote = (v: string) => (/^[\w./:@-]+$/.test(v) ? v : shellWord(v));
  const named = [
    ['--config', flags.config],
    ['--db', flags.db],
    ['--exchange', series.exchange],
    ['--symbol', series.symbol],
    ['--timeframe', series.timeframe],
  ].filter((f): f is [string, string] => f[1] !== undefined);
  return named.map(([k, v]) => `${k} ${quote(v)}`).join(' ');
}

async function exportCsv(flags: ExportFlags): Promise<void> {
  const { config } = await setupCommand(flags);
  const { id } = config.exchange;
  const { from, to } = timeRangeFlags(flags);
  if (flags.force && flags.out === undefined) throw new UserError('--force replaces the --out file: give --out too');
  checkOutFile(flags.out, 'candles.csv', { replace: flags.force === true });
  const candles = readStore(config, emptyCandles(id, config.symbol, config.timeframe), (store) =>
    store.load(id, config.symbol, config.timeframe, from, to),
  );
  if (candles.ts.length === 0) {
    const range = describeRange(from, to);
    throw new UserError(
      `no stored candles for ${id} ${config.symbol} ${config.timeframe}${range}; see \`bot data list\``,
    );
  }
  const csv = candlesToCsv(candles);
  if (flags.out) {
    // missing folders are made, as for bot chart's --out (checkOutFile found where they go can hold them)
    mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
    writeFileSync(flags.out, csv);
    console.log(`wrote ${candles.ts.length} candles to ${flags.out}`);
  } else process.stdout.write(csv);
}

/** `bot data derive`: a leveraged or inverse series from a stored index, stored with its "derived" label. */
async function derive(flags: DeriveFlags): Promise<void> {
  if (!flags.from) throw new UserError('--from is required: the stored index to derive from, e.g. --from SP500/USD');
  if (!flags.symbol)
    throw new UserError('--symbol is required: the derived series to write, e.g. --symbol SP500-2X/USD');
  const indexMarket = parseSpotSymbol(flags.from, '--from');
  const derived = parseSpotSymbol(flags.symbol, '--symbol');
  // the derived prices are the index's, in its quote: another quote would label them wrongly and pass the portfolio's
  // one-quote check beside markets priced in it
  if (derived.quote !== indexMarket.quote) {
    throw new UserError(
      `--symbol ${flags.symbol} is priced in ${derived.quote} but --from ${flags.from} in ${indexMarket.quote}: ` +
        `a derived series keeps its index's quote, e.g. --symbol ${derived.base}/${indexMarket.quote}`,
    );
  }
  if (flags.leverage === undefined) throw new UserError('--leverage is required (2 for 2×, -1 for inverse)');
  const spec = {
    leverage: decimalFlag(flags.leverage, '--leverage'),
    feeAnnual: flags.feeAnnual !== undefined ? decimalFlag(flags.feeAnnual, '--fee-annual') : 0,
    symbol: flags.symbol,
  };
  if (flags.symbol === flags.from) throw new UserError('--symbol must differ from --from (the index stays)');
  checkDeriveSpec(spec);
  const { config } = await setupCommand(flags);
  const { id } = config.exchange;
  const { timeframe } = config;
  const label = deriveLabel(flags.from, spec, timeframe);
  const from = flags.from;
  const stored = withStore(config, (store) => {
    refuseFetchedTarget(store, id, spec.symbol, timeframe);
    refuseTradedTarget(store, { exchange: id, symbol: spec.symbol, timeframe });
    let index = store.load(id, from, timeframe);
    if (index.ts.length === 0 && isSampleSeries(id, from, timeframe)) {
      // the README's example on a fresh install: the bundled sample is exchange `sample`'s index, stored beside it
      index = loadSample();
      const rows = store.upsert(id, from, timeframe, candleRows(index));
      console.log(`stored ${rows} ${timeframe} candles of the bundled sample as ${id} ${from}`);
    }
    if (index.ts.length === 0) {
      throw new UserError(`no stored candles for ${id} ${from} ${timeframe}; see \`bot data list\``);
    }
    return store.replaceDerived(deriveLeveraged(index, spec), label);
  });
  console.log(`stored ${stored} ${timeframe} candles as ${id} ${spec.symbol} (${label})`);
}

/**
 * Deriving replaces the target series, so a --symbol holding downloaded or imported candles is refused (they would be
 * lost, and paper or live on that market would trade synthetic prices); a series derived earlier has a label and may
 * be derived again.
 */
function refuseFetchedTarget(store: CandleStore, id: string, symbol: string, timeframe: string): void {
  if (store.lastTs(id, symbol, timeframe) === undefined || store.label(id, symbol, timeframe) !== undefined) return;
  const n = store.load(id, symbol, timeframe).ts.length;
  throw new UserError(
    `--symbol ${symbol}: ${id} ${symbol} ${timeframe} holds ${plural(n, 'candle')} not derived by the bot ` +
      '(downloaded or imported), which deriving would replace; nothing stored: name a new series, e.g. ' +
      `--symbol ${derivedExample(symbol)}`,
  );
}

/**
 * Deriving rewrites every candle of the target: a paper or live run that trades it (or reads it, a portfolio model's
 * informative series) and has not ended would go on deciding, and comparing itself with buy-and-hold, on the new prices
 * beside fills made on the old ones. Ended runs are not asked about: their fills and equity stay as recorded.
 */
function refuseTradedTarget(store: CandleStore, series: { exchange: string; symbol: string; timeframe: string }): void {
  const [run, ...more] = openRunsUsing(store.db, series);
  if (run === undefined) return;
  const { exchange, symbol, timeframe } = series;
  const markets = run.portfolio ? `--symbols ${run.symbol}` : `--symbol ${run.symbol}`;
  const others = more.length > 0 ? ` (and ${plural(more.length, 'other run')})` : '';
  throw new UserError(
    `--symbol ${symbol}: the ${run.mode} run "${run.name}" (id ${run.id}) ${run.use} ${exchange} ${symbol} ` +
      `${timeframe} and has not ended${others}; deriving would rewrite the prices under it; nothing stored: end it ` +
      `first (bot ${run.mode} --end --name ${run.name} ${markets} --timeframe ${timeframe}) or name a new series`,
  );
}

/** A free-looking name for a derived series of `symbol`: BASE-2X/QUOTE. */
function derivedExample(symbol: string): string {
  const [base, quote] = symbol.split('/');
  return `${base}-2X/${quote}`;
}

/** `bot data …`: download, list, gaps, import, export, derive. */
export function registerData(program: Command): void {
  const data = program
    .command('data')
    .description(
      'market data: download from the exchange, import/export CSV, list what is stored, find gaps, ' +
        'derive leveraged or inverse series',
    );

  addCommonOptions(
    data
      .command('download')
      .description('download closed candles through ccxt into the database (incremental: only what is new)')
      .option('--since <date>', 'start when nothing is stored yet (default: data.since)')
      .option('--until <date>', 'end (exclusive); default: the last closed candle')
      .option('--symbols <list>', 'several markets A,B[,…], each into the store (portfolios, issue 14)'),
  ).action((opts: DownloadFlags) => download(opts));

  addCommonOptions(
    data.command('list').description('stored series: exchange, symbol, timeframe, first, last, count, gaps'),
    { db: true, market: false },
  )
    .option('--json', 'machine-readable output')
    .action((opts: ListFlags) => list(opts));

  addCommonOptions(data.command('gaps').description('missing candle ranges of one stored series'))
    .option('--from <date>', 'only look from this time')
    .option('--to <date>', 'only look before this time')
    .option('--json', 'machine-readable output')
    .action((opts: GapFlags) => gaps(opts));

  addCommonOptions(
    data
      .command('import')
      .description(
        'store candles from a CSV file: generic timestamp|date,open,high,low,close,volume; pyupbit exports; ' +
          'RLTrader CSV; investing.com (Korean headers); ' +
          'without a header: Binance kline dumps, RLTrader v1 files, or any layout named with --columns. ' +
          'The whole file or nothing is stored. --exchange defaults ' +
          'to exchange.id, --timeframe is inferred when omitted.',
      )
      .argument('<file>', 'CSV file')
      .option('--tz <zone>', 'time zone of times without an offset (default UTC; Asia/Seoul for pyupbit exports)')
      .option('--columns <names>', COLUMNS_HELP)
      .option('--now <time>', 'a fixed clock instead of the wall clock: which candles have closed (tests)'),
  ).action((file: string, opts: ImportFlags) => importFile(file, opts));

  addCommonOptions(
    data.command('export').description('write a stored series as CSV (timestamp,open,high,low,close,volume; UTC)'),
  )
    .option('--from <date>', 'first candle open time')
    .option('--to <date>', 'end (exclusive)')
    .option('--out <file>', 'output file (default: stdout); an existing one only with --force')
    .option('--force', 'replace the --out file when it exists')
    .action((opts: ExportFlags) => exportCsv(opts));

  addCommonOptions(
    data
      .command('derive')
      .description(
        'build a leveraged (--leverage 2) or inverse (--leverage -1) series from a stored index ' +
          'and store it as --symbol, labelled as derived (rebalanced every candle: K × the index return − the annual ' +
          'fee pro rata); a --symbol holding downloaded or imported candles is refused',
      )
      .requiredOption('--from <symbol>', 'stored index to derive from (same exchange and timeframe)')
      .requiredOption('--leverage <K>', "multiple of each candle's index return: 2, -1, …")
      .option('--fee-annual <F>', 'annual fee as a fraction, charged pro rata per candle (default 0)'),
  ).action((opts: DeriveFlags) => derive(opts));
}

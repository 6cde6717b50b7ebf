/** Reading candle CSVs (headered flavours, headerless Binance/RLTrader layouts, `--columns`) and writing them back. */
import { UserError } from '../core/errors.ts';
import type { CandleRow, Candles } from '../core/candles.ts';
import { describeFold, earlierReading, parseCsvTime, readClock, readCsvTime, readFoldsInOrder } from './csv-time.ts';
import { timeZoneOfCell, zoneFormatter } from './csv-time.ts';
import { timeframeOfRows } from './csv-steps.ts';
import { checkPrices, dropExactDuplicates, wildMoves, WILD_MOVE, type LinedRow } from './csv-checks.ts';
import { isoTime, timeframeMs } from './timeframe.ts';

interface CsvParseOptions {
  /**
   * Expected timeframe; omitted: inferred from the most common step between rows (src/data/csv-steps.ts, which
   * also says which gaps are sessions and which files mix timeframes).
   */
  timeframe?: string;
  /** Time zone of wall-clock times without an offset (IANA name). Default UTC, or Asia/Seoul for pyupbit exports. */
  tz?: string;
  /** File name used in error messages. */
  file?: string;
  /**
   * `--columns`: the columns in file order (`time,open,high,low,close,volume`, `_` or `skip` for one to ignore).
   * Omitted: read from the header, or a known headerless layout.
   */
  columns?: string;
  /**
   * The clock that tells which candles have closed (`bot data import`): a row opening after it is refused, and the
   * last row when it is still open is left out (reported as `leftOpen`). Omitted: rows are not checked against time.
   */
  now?: number;
}

type CsvFlavour = 'generic' | 'pyupbit' | 'rltrader' | 'investing' | 'binance' | 'headerless' | 'columns';

interface ParsedCsv {
  rows: CandleRow[];
  timeframe: string;
  flavour: CsvFlavour;
  tz: string;
  /** How the file was read, for people: `pyupbit CSV`, `Binance klines CSV without header`, … */
  layout: string;
  /** With `now`: the open time of the last row, left out because its candle had not closed yet. */
  leftOpen?: number;
  /** How the times were read, for people: `times in Asia/Seoul`, `times in UTC`, `times at their own offsets`, … */
  times: string;
  /** Rows that repeated another exactly (time and values), left out. */
  duplicates: number;
  /** What to check in a file that was read (no volume column, wild moves), one line each, for a warning. */
  notes: string[];
}

const TIME_NAMES = [
  'timestamp',
  'date',
  'datetime',
  'time',
  'open_time',
  'opentime',
  'candle_date_time_utc',
  '날짜',
  '일자',
  '일시',
];
/** A date column that a separate `time` column (time of day: `09:00`, `09:00:00`, `0900`, `090000`) completes. */
const DATE_NAMES = ['date', '날짜', '일자'];
const COLUMN_NAMES: Record<'open' | 'high' | 'low' | 'close' | 'volume', string[]> = {
  open: ['open', '시가', 'opening_price'],
  high: ['high', '고가', 'high_price'],
  low: ['low', '저가', 'low_price'],
  close: ['close', '종가', 'trade_price', 'price'],
  volume: ['volume', '거래량', 'vol', 'vol.', 'candle_acc_trade_volume'],
};
const FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;
type Field = (typeof FIELDS)[number];
/** Column indices of the fields; volume may be absent (OHLC-only data: FX, indices), and is then stored as 0. */
type Cols = Record<Exclude<Field, 'volume'>, number> & { volume?: number };

/** Splits one CSV line into fields (double quotes, "" escapes); `sep` is `,`, `;` or a tab. */
function splitCsvLine(line: string, sep = ','): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const MULTIPLIER: Record<string, string> = { K: 'e3', M: 'e6', B: 'e9' };

/** A number as CSV exports write them: `1,234.5`, `"0.33K"`, `12.3M`. Returns NaN when it is not one. */
export function parseCsvNumber(raw: string): number {
  const s = raw.trim().replace(/^"|"$/g, '');
  const m =
    /^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?)([KMB])?$/i.exec(s) ?? /^([+-]?\.\d+)([KMB])?$/i.exec(s);
  if (!m) return NaN;
  const mantissa = m[1].replace(/,/g, '');
  return m[2] ? Number(mantissa + MULTIPLIER[m[2].toUpperCase()]) : Number(mantissa);
}

interface Layout {
  flavour: CsvFlavour;
  time: number;
  /** A separate time-of-day column read with the date in `time` (`Date,Time` files). */
  clock?: number;
  cols: Cols;
  /** Index of the first line with candles (after the header, if any). */
  dataFrom: number;
  /** Fields every row must have: the header's count, a headerless dump's, or the columns `--columns` names. */
  exact: number;
  /** What fixes `exact`, after "N fields, ": `expected 12`, `but the header (line 1) has 6`. */
  exactText: string;
  layout: string;
}

const UTC_FORMAT = zoneFormatter('UTC');
const EPOCH_MS_OR_US = /^(\d{13}|\d{16})$/;
const PLAIN_DATE = /^(\d{4}-\d{2}-\d{2}|\d{8})$/;

/** Whether a line's first field is a time and its next four are numbers: a row of candles, not a header. */
function looksLikeRow(cells: readonly string[]): boolean {
  return (
    cells.length >= 5 &&
    Number.isFinite(parseCsvTime(cells[0], 'UTC', UTC_FORMAT)) &&
    cells.slice(1, 5).every((c) => Number.isFinite(parseCsvNumber(c)))
  );
}

/** Names this reader looks for; one named twice leaves it unsaid which column holds the prices or the time. */
const KNOWN_NAMES = new Set([...TIME_NAMES, ...Object.values(COLUMN_NAMES).flat()]);

function detectLayout(header: string[], where: string, at: number, sep: string): Layout {
  const names = header.map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  const twice = names.find((n, i) => KNOWN_NAMES.has(n) && names.indexOf(n) < i);
  if (twice !== undefined) throw new UserError(`${where}: the header names column "${twice}" twice`);
  let time = names.findIndex((n) => TIME_NAMES.includes(n));
  // `Date,Time` (MetaTrader, many stock exports): the time of day is in a column of its own
  const dateAt = names.findIndex((n) => DATE_NAMES.includes(n));
  const clockAt = names.indexOf('time');
  const clock = dateAt >= 0 && clockAt >= 0 && (time === dateAt || time === clockAt) ? clockAt : undefined;
  if (clock !== undefined) time = dateAt;
  let flavour: CsvFlavour = 'generic';
  if (time < 0 && names[0] === '') {
    time = 0;
    flavour = 'pyupbit';
  }
  if (time < 0 && header.slice(1).filter((c) => Number.isFinite(parseCsvNumber(c))).length >= 4) {
    throw new UserError(
      `${where}: no header, and "${header[0].trim()}" in the first column is not a time ` +
        '(pass --columns to say which column holds it, e.g. --columns _,time,open,high,low,close,volume)',
    );
  }
  if (time < 0)
    throw new UserError(
      `${where}: no time column (expected one named timestamp or date, ` +
        `or an unnamed first column); header is "${header.join(sep)}"`,
    );
  if (names.includes('날짜') || names.includes('vol.') || names.includes('변동 %') || names.includes('change %'))
    flavour = 'investing';
  const cols = {} as Cols;
  for (const f of FIELDS) {
    const candidates = COLUMN_NAMES[f];
    let idx = -1;
    for (const c of candidates) {
      idx = names.indexOf(c);
      if (idx >= 0) break;
    }
    if (idx >= 0) cols[f] = idx;
    else if (f !== 'volume') throw new UserError(`${where}: no ${f} column in header "${header.join(sep)}"`);
  }
  return {
    flavour,
    time,
    ...(clock !== undefined ? { clock } : {}),
    cols,
    dataFrom: at + 1,
    exact: header.length,
    exactText: `but the header (line ${at + 1}) has ${header.length}`,
    layout: clock !== undefined ? `${flavour} CSV, date and time columns` : `${flavour} CSV`,
  };
}

const OHLCV_FROM_1 = { open: 1, high: 2, low: 3, close: 4, volume: 5 };

/**
 * The layout of a file whose first line is already a row: Binance's kline dumps (12 fields, open time in ms or µs,
 * open, high, low, close, volume, close time, quote volume, trades, taker buy base, taker buy quote, ignore) or
 * RLTrader's v1 files and the like (time, open, high, low, close, volume).
 */
function headerlessLayout(cells: readonly string[], where: string, at: number): Layout {
  const first = cells[0].trim();
  if (cells.length === 12 && EPOCH_MS_OR_US.test(first) && EPOCH_MS_OR_US.test(cells[6].trim())) {
    const layout = 'Binance klines CSV without header';
    return {
      flavour: 'binance',
      time: 0,
      cols: OHLCV_FROM_1,
      dataFrom: at,
      exact: 12,
      exactText: 'expected 12',
      layout,
    };
  }
  if (cells.length === 6) {
    const rltrader = PLAIN_DATE.test(first);
    return {
      flavour: rltrader ? 'rltrader' : 'headerless',
      time: 0,
      cols: OHLCV_FROM_1,
      dataFrom: at,
      exact: 6,
      exactText: 'expected 6',
      layout: rltrader ? 'RLTrader v1 CSV without header' : 'CSV without header (time,open,high,low,close,volume)',
    };
  }
  const known = '(Binance klines: 12 fields; RLTrader v1: date,open,high,low,close,volume)';
  if (cells.length < 6) {
    const few = `${cells.length} fields are fewer than time,open,high,low,close,volume`;
    const ohlc = cells.length === 5 ? '; without volume, name them: --columns time,open,high,low,close' : '';
    throw new UserError(`${where}: no header, and ${few} ${known}${ohlc}`);
  }
  const example = ['time', ...FIELDS, ...Array<string>(cells.length - 6).fill('_')].join(',');
  throw new UserError(
    `${where}: no header, and ${cells.length} fields match no layout this reader knows ${known}; ` +
      `name them in file order with --columns, e.g. --columns ${example}`,
  );
}

const COLUMN_ALIASES: Record<string, 'time' | Field | 'skip'> = {
  time: 'time',
  date: 'time',
  timestamp: 'time',
  open: 'open',
  high: 'high',
  low: 'low',
  close: 'close',
  volume: 'volume',
  _: 'skip',
  skip: 'skip',
};

/**
 * What `--columns time,open,high,low,close,volume` says (file order; `_` or `skip` ignores a column; without volume
 * the volume is stored as 0). `date` and `time` both named: the date and its time of day (`clock`), read together as
 * the header reader reads `Date,Time` files.
 */
export function parseColumnsSpec(spec: string): { time: number; clock?: number; cols: Cols; names: string[] } {
  const names = spec.split(',').map((n) => n.trim().toLowerCase());
  const at: Partial<Record<'time' | Field, number>> = {};
  const dated = names.includes('date');
  let clock: number | undefined;
  names.forEach((n, i) => {
    if (dated && n === 'time') {
      if (clock !== undefined) throw new UserError(`--columns: time is named twice in "${spec}"`);
      clock = i;
      return;
    }
    const role = COLUMN_ALIASES[n];
    if (role === undefined) {
      const known = 'use time, open, high, low, close, volume, and _ or skip for a column to ignore';
      throw new UserError(`--columns: unknown column "${n}" (${known})`);
    }
    if (role === 'skip') return;
    if (at[role] !== undefined) throw new UserError(`--columns: ${role} is named twice in "${spec}"`);
    at[role] = i;
  });
  const missing = (['time', 'open', 'high', 'low', 'close'] as const).filter((r) => at[r] === undefined);
  if (missing.length > 0) {
    const hint = 'name every column in file order, e.g. time,open,high,low,close,volume';
    throw new UserError(`--columns: no ${missing.join(', ')} in "${spec}" (${hint})`);
  }
  const { time, open, high, low, close, volume } = at as Record<'time' | Exclude<Field, 'volume'>, number> & {
    volume?: number;
  };
  const fields = { open, high, low, close, ...(volume !== undefined ? { volume } : {}) };
  return { time, ...(clock !== undefined ? { clock } : {}), cols: fields, names };
}

/**
 * The layout `--columns` gives; a first line that holds no numbers where it names prices is a header and skipped, once
 * it has as many fields as the columns named (one more or fewer: the layout does not describe the file).
 */
function columnsLayout(spec: string, first: readonly string[], at: number, file: string): Layout {
  const { time, clock, cols, names } = parseColumnsSpec(spec);
  const prices = ['open', 'high', 'low', 'close'] as const;
  const header = prices.every((f) => !Number.isFinite(parseCsvNumber(first[cols[f]] ?? '')));
  const layout = `CSV read as --columns ${names.join(',')}`;
  // every row has the columns it names: a row with one more or less is shifted, its prices read from the wrong place
  const exactText = `but --columns names ${names.length}`;
  if (header && first.length !== names.length)
    throw new UserError(`${file}:${at + 1}: the header has ${first.length} fields, ${exactText} (${layout})`);
  const dataFrom = header ? at + 1 : at;
  return {
    flavour: 'columns',
    time,
    ...(clock !== undefined ? { clock } : {}),
    cols,
    dataFrom,
    exact: names.length,
    exactText,
    layout,
  };
}

/**
 * The separator of a file from its first line: a tab in it makes the file tab-separated (RLTrader's KOSPI file),
 * quoted "2,054" fields and all; four or more semicolons semicolon-separated (European spreadsheets, where a comma
 * may be a decimal one); else commas.
 */
function separatorOf(line: string): string {
  if (line.includes('\t')) return '\t';
  return splitCsvLine(line, ';').length >= 5 ? ';' : ',';
}

const SEPARATOR_NAMES: Record<string, string> = { '\t': 'tab-separated', ';': 'semicolon-separated' };

/**
 * The time of a `Date,Time` row as one cell (`2024-01-02 09:00`, `20240102 0900`), read as a single time column is:
 * without an offset in the time zone of the file.
 */
function dateAndTime(cells: readonly string[], dateAt: number, clockAt: number, where: string): string {
  const clock = cells[clockAt].trim();
  const read = readClock(clock);
  if (typeof read !== 'object') {
    const why = read !== undefined ? `: ${read}` : ' (09:00, 09:00:00, 0900 or 090000)';
    throw new UserError(`${where}: "${clock}" in the time column is not a time of day${why}`);
  }
  return `${cells[dateAt].trim()} ${clock}`;
}

/** How the times were read: each in `tz`, each at its own offset (then `tz` did not apply), or some of both. */
function timesText(zones: { utc: number; offset: number; wall: number }, tz: string, tzGiven: boolean): string {
  if (zones.utc + zones.offset === 0) return `times in ${tz}`;
  const own = zones.offset === 0 ? 'times in UTC' : 'times at their own UTC offsets';
  if (zones.wall === 0)
    return tz === 'UTC' || !tzGiven ? own : `${own}, not ${tz}: --tz applies only to times without an offset`;
  const zoned = zones.utc + zones.offset;
  return `times: ${zoned} at ${zoned === 1 ? 'its' : 'their'} own offset, ${zones.wall} in ${tz}`;
}

/**
 * Reads OHLCV candles from CSV text: a generic `timestamp|date[,time],open,high,low,close[,volume]` file, a pyupbit
 * export, RLTrader's CSV or an investing.com export (Korean headers); without a header, Binance's kline dumps and
 * RLTrader's v1 files; any layout with `columns`. Commas, semicolons or tabs separate fields; with a header every row
 * has its number of fields. Rows may be ascending or descending; rows repeating another exactly are dropped. Any
 * bad row is a UserError "FILE:LINE: reason" and nothing is returned.
 */
export function parseCandlesCsvDetailed(text: string, opts: CsvParseOptions = {}): ParsedCsv {
  const file = opts.file ?? '<csv>';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (opts.columns !== undefined) parseColumnsSpec(opts.columns);
  if (opts.timeframe !== undefined) timeframeMs(opts.timeframe);
  const firstAt = lines.findIndex((l) => l.trim() !== '');
  if (firstAt < 0) throw new UserError(`${file}: the file is empty`);
  const sep = separatorOf(lines[firstAt]);
  const first = splitCsvLine(lines[firstAt], sep);
  const where1 = `${file}:${firstAt + 1}`;
  const layout =
    opts.columns !== undefined
      ? columnsLayout(opts.columns, first, firstAt, file)
      : looksLikeRow(first)
        ? headerlessLayout(first, where1, firstAt)
        : detectLayout(first, where1, firstAt, sep);
  const tz = opts.tz ?? (layout.flavour === 'pyupbit' ? 'Asia/Seoul' : 'UTC');
  const fmt = zoneFormatter(tz);

  const rows: LinedRow[] = [];
  // rows at a wall-clock time a daylight saving fall-back repeats, with their earlier reading
  const folds = new Map<LinedRow, number>();
  const zones = { utc: 0, offset: 0, wall: 0 };
  let rltrader = true;
  let dashVolumes = 0;
  for (let i = layout.dataFrom; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    const cells = splitCsvLine(line, sep);
    if (cells.length !== layout.exact) {
      // a number like 1,234 unquoted is two fields: the row would be read with the wrong volume
      const split = cells.length > layout.exact ? '; a number with a comma (1,234) must be quoted' : '';
      throw new UserError(`${where}: ${cells.length} fields, ${layout.exactText} (${layout.layout})${split}`);
    }
    const timeCell =
      layout.clock === undefined ? cells[layout.time].trim() : dateAndTime(cells, layout.time, layout.clock, where);
    if (!/^\d{8}$/.test(timeCell)) rltrader = false;
    const ts = readCsvTime(timeCell, tz, fmt);
    if (typeof ts === 'string') throw new UserError(`${where}: cannot read "${timeCell}" as a time: ${ts}`);
    if (!Number.isFinite(ts)) throw new UserError(`${where}: cannot read "${timeCell}" as a time`);
    const zone = timeZoneOfCell(timeCell);
    zones[zone ?? 'wall']++;
    const row = { ts, open: 0, high: 0, low: 0, close: 0, volume: 0, line: i + 1 };
    const earlier = zone === undefined ? earlierReading(ts, tz, fmt) : undefined;
    if (earlier !== undefined) folds.set(row, earlier);
    for (const f of FIELDS) {
      const at = layout.cols[f];
      if (at === undefined) continue;
      const cell = cells[at].trim();
      if (cell === '') throw new UserError(`${where}: empty ${f}`);
      // investing.com's mark for no volume
      if (f === 'volume' && cell === '-') {
        dashVolumes++;
        continue;
      }
      if (sep === ';' && cell.includes(','))
        throw new UserError(
          `${where}: "${cell}" in column ${f} has a comma, which in a semicolon-separated file may be a ` +
            "decimal comma: write numbers with a '.' decimal point",
        );
      const v = parseCsvNumber(cell);
      if (!Number.isFinite(v)) throw new UserError(`${where}: unparseable number "${cell}" in column ${f}`);
      if (v < 0) throw new UserError(`${where}: negative ${f} ${v}`);
      row[f] = v;
    }
    checkPrices(row, where);
    rows.push(row);
  }
  if (rows.length === 0) throw new UserError(`${file}: no candle rows after the header`);
  const noVolume =
    layout.cols.volume === undefined
      ? 'no volume column'
      : dashVolumes === rows.length
        ? 'every volume is "-"'
        : undefined;
  const flavour: CsvFlavour = layout.flavour === 'generic' && rltrader ? 'rltrader' : layout.flavour;
  const described = flavour === layout.flavour ? layout.layout : `${flavour} CSV`;

  const ambiguous = readFoldsInOrder(rows, folds);
  rows.sort((a, b) => a.ts - b.ts || a.line - b.line);
  const duplicates = dropExactDuplicates(rows, file, (ts) =>
    ambiguous.has(ts) ? `${describeFold(ts, tz, fmt)}: give times with an offset or in UTC` : undefined,
  );

  if (opts.now !== undefined) refuseFuture(rows, opts.now, file);
  const timeframe = timeframeOfRows(rows, file, opts.timeframe);
  const leftOpen = opts.now !== undefined ? dropOpenCandle(rows, timeframe, opts.now, file) : undefined;
  const sepName = SEPARATOR_NAMES[sep];
  const notes: string[] = [];
  if (noVolume !== undefined) notes.push(`${noVolume}: volume read as 0; features that use volume will see 0`);
  const wild = wildMoves(rows);
  if (wild !== undefined)
    notes.push(
      `${wild.count} ${wild.count === 1 ? 'candle moves' : 'candles move'} more than ${WILD_MOVE}× within or ` +
        `between candles (first: line ${wild.firstLine}); check the file`,
    );
  return {
    rows: rows.map(({ line: _line, ...r }) => r),
    timeframe,
    flavour,
    tz,
    layout: sepName !== undefined ? `${described}, ${sepName}` : described,
    times: timesText(zones, tz, opts.tz !== undefined || layout.flavour === 'pyupbit'),
    duplicates,
    notes,
    ...(leftOpen !== undefined ? { leftOpen } : {}),
  };
}

/** Only closed candles are stored (`now`): a row opening after now is a broken row, refused with its line. */
function refuseFuture(rows: readonly { ts: number; line: number }[], now: number, file: string): void {
  const future = rows.filter((r) => r.ts > now);
  if (future.length === 0) return;
  const first = future.reduce((a, b) => (b.line < a.line ? b : a));
  const more = future.length > 1 ? ` (${future.length} such rows)` : '';
  throw new UserError(
    `${file}:${first.line}: ${isoTime(first.ts)} is in the future (now ${isoTime(now)}): ` +
      `only closed candles are stored${more}`,
  );
}

/**
 * The last row still open at `now` is the partial candle an export made during it ends with (pyupbit's does): it is
 * taken out of `rows` and its open time returned, for the import to say so.
 */
function dropOpenCandle(
  rows: { ts: number; line: number }[],
  timeframe: string,
  now: number,
  file: string,
): number | undefined {
  const last = rows[rows.length - 1];
  if (last.ts + timeframeMs(timeframe) <= now) return undefined;
  if (rows.length === 1)
    throw new UserError(`${file}:${last.line}: the only row, ${isoTime(last.ts)}, has not closed yet`);
  rows.pop();
  return last.ts;
}

export function parseCandlesCsv(text: string, opts: CsvParseOptions = {}): CandleRow[] {
  return parseCandlesCsvDetailed(text, opts).rows;
}

/** CSV text of candles in the generic flavour (ISO UTC times), which `bot data import` reads back unchanged. */
export function candlesToCsv(c: Candles): string {
  const out: string[] = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < c.ts.length; i++) {
    out.push(`${isoTime(c.ts[i])},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`);
  }
  return out.join('\n') + '\n';
}

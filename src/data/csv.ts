/** Reading and writing candle CSV files in the common flavours. */
import { UserError } from '../core/errors.ts';
import type { CandleRow, Candles } from '../core/candles.ts';
import { isoTime, timeframeMs } from './timeframe.ts';

export interface CsvParseOptions {
  /** Expected timeframe; omitted: inferred from the most common spacing of the rows. */
  timeframe?: string;
  /** Time zone of wall-clock times without an offset (IANA name). Default UTC, or Asia/Seoul for pyupbit exports. */
  tz?: string;
  /** File name used in error messages. */
  file?: string;
}

export type CsvFlavour = 'generic' | 'pyupbit' | 'rltrader' | 'investing';

export interface ParsedCsv {
  rows: CandleRow[];
  timeframe: string;
  flavour: CsvFlavour;
  tz: string;
}

const TIME_NAMES = ['timestamp', 'date', 'datetime', 'time', 'open_time', 'opentime', 'candle_date_time_utc', '날짜', '일자', '일시'];
const COLUMN_NAMES: Record<'open' | 'high' | 'low' | 'close' | 'volume', string[]> = {
  open: ['open', '시가', 'opening_price'],
  high: ['high', '고가', 'high_price'],
  low: ['low', '저가', 'low_price'],
  close: ['close', '종가', 'trade_price', 'price'],
  volume: ['volume', '거래량', 'vol', 'vol.', 'candle_acc_trade_volume'],
};
const FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;

/** Splits one CSV line into fields (double quotes, "" escapes). */
export function splitCsvLine(line: string): string[] {
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
    else if (ch === ',') {
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
  const m = /^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?)([KMB])?$/i.exec(s) ?? /^([+-]?\.\d+)([KMB])?$/i.exec(s);
  if (!m) return NaN;
  const mantissa = m[1].replace(/,/g, '');
  return m[2] ? Number(mantissa + MULTIPLIER[m[2].toUpperCase()]) : Number(mantissa);
}

/** Offset (ms) of a time zone from UTC at an instant. */
function zoneOffsetMs(instant: number, tz: string, fmt: Intl.DateTimeFormat): number {
  const parts = fmt.formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const hour = get('hour') % 24;
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), hour, get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

export function zoneFormatter(tz: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new UserError(`--tz: unknown time zone "${tz}" (use an IANA name such as UTC or Asia/Seoul)`);
  }
}

const DATE_RE = /^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses a time cell into ms UTC, or NaN. Wall-clock times without an offset are read in `tz`. */
export function parseCsvTime(raw: string, tz: string, fmt: Intl.DateTimeFormat): number {
  const s = raw.trim();
  if (/^\d{8}$/.test(s)) return wallToUtc(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)), 0, 0, 0, 0, tz, fmt);
  if (/^\d{13}$/.test(s)) return Number(s);
  if (/^\d{10}$/.test(s)) return Number(s) * 1000;
  const m = DATE_RE.exec(s);
  if (!m) return NaN;
  const [y, mo, d, h, mi, sec, ms] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0', (m[7] ?? '0').padEnd(3, '0')].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return NaN;
  const offset = m[8];
  if (offset) {
    const utc = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
    if (offset.toUpperCase() === 'Z') return utc;
    const om = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)!;
    const sign = om[1] === '-' ? -1 : 1;
    return utc - sign * (Number(om[2]) * 60 + Number(om[3])) * 60_000;
  }
  return wallToUtc(y, mo, d, h, mi, sec, ms, tz, fmt);
}

function wallToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, tz: string, fmt: Intl.DateTimeFormat): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(wall).getUTCDate() !== d) return NaN;
  if (tz === 'UTC') return wall;
  let guess = wall - zoneOffsetMs(wall, tz, fmt);
  guess = wall - zoneOffsetMs(guess, tz, fmt);
  return guess;
}

interface Layout {
  flavour: CsvFlavour;
  time: number;
  cols: Record<(typeof FIELDS)[number], number>;
}

function detectLayout(header: string[], where: string): Layout {
  const names = header.map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  let time = names.findIndex((n) => TIME_NAMES.includes(n));
  let flavour: CsvFlavour = 'generic';
  if (time < 0 && names[0] === '') {
    time = 0;
    flavour = 'pyupbit';
  }
  if (time < 0) throw new UserError(`${where}: no time column (expected one named timestamp or date, or an unnamed first column); header is "${header.join(',')}"`);
  if (names.includes('날짜') || names.includes('vol.') || names.includes('변동 %') || names.includes('change %')) flavour = 'investing';
  const cols = {} as Layout['cols'];
  for (const f of FIELDS) {
    const candidates = COLUMN_NAMES[f];
    let idx = -1;
    for (const c of candidates) {
      idx = names.indexOf(c);
      if (idx >= 0) break;
    }
    if (idx < 0) throw new UserError(`${where}: no ${f} column in header "${header.join(',')}"`);
    cols[f] = idx;
  }
  return { flavour, time, cols };
}

const TF_UNITS: [number, string][] = [
  [7 * 86_400_000, 'w'],
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
];

/** The timeframe name of a spacing in ms (`3600000` → `1h`), or undefined. */
export function timeframeOfMs(ms: number): string | undefined {
  for (const [unit, name] of TF_UNITS) if (ms >= unit && ms % unit === 0) return `${ms / unit}${name}`;
  return undefined;
}

/** Most common positive spacing between consecutive sorted times. */
function commonSpacing(ts: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (let i = 1; i < ts.length; i++) {
    const d = ts[i] - ts[i - 1];
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [d, n] of counts) if (n > bestCount || (n === bestCount && best !== undefined && d < best)) [best, bestCount] = [d, n];
  return best;
}

/**
 * Reads OHLCV candles from CSV text: a generic `timestamp|date,open,high,low,close,volume` file, a pyupbit export,
 * RLTrader's CSV or an investing.com export (Korean headers). Rows may be ascending or descending. Any bad row
 * is a UserError "FILE:LINE: reason" and nothing is returned.
 */
export function parseCandlesCsvDetailed(text: string, opts: CsvParseOptions = {}): ParsedCsv {
  const file = opts.file ?? '<csv>';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) throw new UserError(`${file}: the file is empty`);
  const layout = detectLayout(splitCsvLine(lines[headerAt]), `${file}:${headerAt + 1}`);
  const tz = opts.tz ?? (layout.flavour === 'pyupbit' ? 'Asia/Seoul' : 'UTC');
  const fmt = zoneFormatter(tz);
  const width = Math.max(layout.time, ...Object.values(layout.cols)) + 1;
  if (opts.timeframe !== undefined) timeframeMs(opts.timeframe);

  const rows: (CandleRow & { line: number })[] = [];
  let rltrader = true;
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    const cells = splitCsvLine(line);
    if (cells.length < width) throw new UserError(`${where}: ${cells.length} fields, expected at least ${width}`);
    const timeCell = cells[layout.time].trim();
    if (!/^\d{8}$/.test(timeCell)) rltrader = false;
    const ts = parseCsvTime(timeCell, tz, fmt);
    if (!Number.isFinite(ts)) throw new UserError(`${where}: cannot read "${timeCell}" as a time`);
    const row = { ts, open: 0, high: 0, low: 0, close: 0, volume: 0, line: i + 1 };
    for (const f of FIELDS) {
      const cell = cells[layout.cols[f]];
      const v = f === 'volume' && /^\s*-?\s*$/.test(cell) ? 0 : parseCsvNumber(cell);
      if (!Number.isFinite(v)) throw new UserError(`${where}: unparseable number "${cell.trim()}" in column ${f}`);
      if (v < 0) throw new UserError(`${where}: negative ${f} ${v}`);
      row[f] = v;
    }
    if (row.high < row.low) throw new UserError(`${where}: high ${row.high} is below low ${row.low}`);
    rows.push(row);
  }
  if (rows.length === 0) throw new UserError(`${file}: no candle rows after the header`);
  const flavour: CsvFlavour = layout.flavour === 'generic' && rltrader ? 'rltrader' : layout.flavour;

  rows.sort((a, b) => a.ts - b.ts || a.line - b.line);
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].ts === rows[i - 1].ts) {
      const [first, second] = [rows[i - 1].line, rows[i].line].sort((a, b) => a - b);
      throw new UserError(`${file}:${second}: duplicate time ${isoTime(rows[i].ts)} (also on line ${first})`);
    }
  }

  const ts = rows.map((r) => r.ts);
  const spacing = commonSpacing(ts);
  let timeframe = opts.timeframe;
  if (timeframe === undefined) {
    const inferred = spacing === undefined ? undefined : timeframeOfMs(spacing);
    if (inferred === undefined) {
      throw new UserError(
        spacing === undefined
          ? `${file}: a single row cannot tell the timeframe; pass --timeframe`
          : `${file}: rows are ${spacing} ms apart, which is no timeframe; pass --timeframe`,
      );
    }
    timeframe = inferred;
  }
  const step = timeframeMs(timeframe);
  if (spacing !== undefined && spacing < step) {
    throw new UserError(`${file}: rows are mostly ${timeframeOfMs(spacing) ?? spacing + ' ms'} apart, but the timeframe is ${timeframe}`);
  }
  // daily and longer candles read in a zone with daylight saving time sit an hour off now and then
  const slack = step >= 86_400_000 ? 3_600_000 : 0;
  for (let i = 1; i < rows.length; i++) {
    const d = rows[i].ts - rows[i - 1].ts;
    const off = d % step;
    if (Math.min(off, step - off) > slack) {
      throw new UserError(
        `${file}:${rows[i].line}: mixed timeframe: ${isoTime(rows[i].ts)} is ${d / 60_000} min after the previous row, not a multiple of ${timeframe}`,
      );
    }
  }
  return { rows: rows.map(({ line: _line, ...r }) => r), timeframe, flavour, tz };
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

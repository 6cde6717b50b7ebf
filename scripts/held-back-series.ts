/**
 * Rebuilds the sixteen real daily OHLCV series of README.md's "Held back outside ../shared/data" tables from
 * public npm tarballs, so a user can rerun the same walk-forward checks. Issue 13: "Other real series, not in
 * ../shared/data, are kept back to check that the choice generalises"; this script is how they are fetched, since
 * no data goes into git. It is a reproducibility aid, not part of the test suite (it needs the npm registry).
 * Each package is fetched once with `npm pack` into a temp dir (removed at the end) and only the one file needed
 * is extracted with `tar`. Output: timestamp,open,high,low,close,volume with ISO UTC daily stamps, oldest first,
 * duplicate stamps dropped (first kept), high/low widened to the max/min of open, high, low, close.
 * Licences: vega-datasets BSD-3-Clause, @observablehq/sample-datasets ISC, dc Apache-2.0, hqchart Apache-2.0,
 * jqwidgets-framework a commercial licence free for non-commercial use, amcharts3 a linkware licence that forbids
 * redistribution without permission; the files are downloaded from the public registry for the user's own use and
 * nothing is redistributed.
 * Usage: node --import tsx scripts/held-back-series.ts [OUT_DIR]   (default OUT_DIR: held-back/, git-ignored)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Format = 'yahoo_iso' | 'mdy_header' | 'mdy_noheader' | 'hqchart_day';

interface Series {
  out: string;
  pkg: string;
  file: string;
  format: Format;
}

interface Candle {
  ts: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

const HQ_DAY = 'package/src/jscommon/umychart.testdata/DayKLine';
/** An index's daily candles from hqchart's test data (`code`: e.g. 000300.sh). */
const hqchart = (out: string, code: string): Series => ({
  out,
  pkg: 'hqchart@1.1.15808',
  file: `${HQ_DAY}/${code}.day.kline.json`,
  format: 'hqchart_day',
});
const AM_DATA = 'package/amcharts/plugins/dataloader/examples/data';
const SERIES: Series[] = [
  { out: 'spx_1d_2000_2020.csv', pkg: 'vega-datasets@3.2.1', file: 'package/data/sp500-2000.csv', format: 'yahoo_iso' },
  {
    out: 'aapl_1d_2013_2018.csv',
    pkg: '@observablehq/sample-datasets@1.0.1',
    file: 'package/aapl.csv',
    format: 'yahoo_iso',
  },
  { out: 'ndx_1d_1985_2012.csv', pkg: 'dc@2.1.10', file: 'package/web/ndx.csv', format: 'mdy_header' },
  {
    out: 'tsla_1d_2010_2014.csv',
    pkg: 'jqwidgets-framework@27.0.1',
    file: 'package/demos/sampledata/TSLA_stockprice.csv',
    format: 'mdy_noheader',
  },
  hqchart('csi300_1d_2005_2024.csv', '000300.sh'),
  hqchart('sse_composite_1d_1991_2024.csv', '000001.sh'),
  // the fresh five of round nine (README): raw prices, used only after their splits (MSFT 2003, TXN 2000; GOOG none)
  {
    out: 'goog_1d_2004_2014_raw.csv',
    pkg: 'jqwidgets-framework@27.0.1',
    file: 'package/demos/sampledata/GOOG_stockprice.csv',
    format: 'mdy_noheader',
  },
  { out: 'msft_1d_2000_2014_raw.csv', pkg: 'amcharts3@3.21.15', file: `${AM_DATA}/MSFT.csv`, format: 'yahoo_iso' },
  { out: 'txn_1d_2000_2014_raw.csv', pkg: 'amcharts3@3.21.15', file: `${AM_DATA}/TXN.csv`, format: 'yahoo_iso' },
  hqchart('chinext_1d_2010_2024.csv', '399006.sz'),
  hqchart('szse_sme100_1d_2006_2024.csv', '399005.sz'),
  // round fifteen's fresh series (docs/issue-13-evidence.md): raw prices, the two banks used only after their last
  // bonus-share gap (Ping An Bank 2016-06-16, SPDB 2017-05-25), 000151.sz after 2006-03-31
  hqchart('pingan_bank_1d_1991_2024_raw.csv', '000001.sz'),
  hqchart('spdb_1d_1999_2024_raw.csv', '600000.sh'),
  hqchart('szse_000151_1d_2000_2024_raw.csv', '000151.sz'),
  hqchart('szse_component_1d_1991_2024.csv', '399001.sz'),
  hqchart('csi500_futures_1d_2015_2024.csv', 'ICL8.cfe'),
];

function num(value: unknown, where: string): number {
  const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: bad number ${String(value)}`);
  return v;
}

function isoDay(y: number, m: number, d: number, where: string): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (!Number.isInteger(y) || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw new Error(`${where}: bad date ${y}-${m}-${d}`);
  }
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T00:00:00Z`;
}

/** Column index of `name` in a CSV header (quotes stripped, case-insensitive). */
function headerIndex(header: string, where: string): (name: string) => number {
  const names = header.split(',').map((s) => s.replace(/"/g, '').trim().toLowerCase());
  return (name) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`${where}: no "${name}" column in header`);
    return i;
  };
}

function parse(text: string, format: Format, where: string): Candle[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const candle = (ts: string, f: unknown[], at: number, line: number): Candle => {
    const w = `${where} line ${line}`;
    return {
      ts,
      o: num(f[at], w),
      h: num(f[at + 1], w),
      l: num(f[at + 2], w),
      c: num(f[at + 3], w),
      v: num(f[at + 4], w),
    };
  };
  if (format === 'yahoo_iso' || format === 'mdy_header') {
    // Date,Open,High,Low,Close,[Adj Close,]Volume with YYYY-MM-DD dates, or "date",… with MM/DD/YYYY dates
    const ix = headerIndex(lines[0] ?? '', where);
    const cols = ['date', 'open', 'high', 'low', 'close', 'volume'].map(ix);
    return lines.slice(1).map((line, i) => {
      const f = line.split(',').map((s) => s.replace(/"/g, ''));
      const w = `${where} line ${i + 2}`;
      const parts = (f[cols[0]] ?? '').split(format === 'yahoo_iso' ? '-' : '/').map(Number);
      const [y, m, d] = format === 'yahoo_iso' ? parts : [parts[2], parts[0], parts[1]];
      return candle(
        isoDay(y, m, d, w),
        cols.slice(1).map((c) => f[c]),
        0,
        i + 2,
      );
    });
  }
  if (format === 'mdy_noheader') {
    // M/D/YYYY,open,high,low,close,volume,… (comma or tab separated), no header
    return lines.map((line, i) => {
      const f = line.split(/[,\t]/);
      const [m, d, y] = (f[0] ?? '').split('/').map(Number);
      return candle(isoDay(y, m, d, `${where} line ${i + 1}`), f, 1, i + 1);
    });
  }
  // hqchart: {"data":[[YYYYMMDD, previous close, open, high, low, close, volume, amount], …]}
  const json = JSON.parse(text) as { data?: unknown };
  if (!Array.isArray(json.data)) throw new Error(`${where}: no "data" array`);
  return json.data.map((row: unknown, i) => {
    if (!Array.isArray(row)) throw new Error(`${where}: data[${i}] is not an array`);
    const s = String(row[0]);
    const ts = isoDay(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)), `${where} data[${i}]`);
    return candle(ts, [row[2], row[3], row[4], row[5], row[6] ?? 0], 0, i);
  });
}

/** Oldest first, first of each duplicate stamp kept, high/low widened to cover open and close. */
function clean(rows: Candle[]): { rows: Candle[]; clamped: number; duplicates: number } {
  const sorted = [...rows].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  const out: Candle[] = [];
  let clamped = 0;
  for (const r of sorted) {
    if (out.length > 0 && out[out.length - 1].ts === r.ts) continue;
    const hi = Math.max(r.o, r.h, r.l, r.c);
    const lo = Math.min(r.o, r.h, r.l, r.c);
    if (hi !== r.h || lo !== r.l) clamped++;
    out.push({ ...r, h: hi, l: lo });
  }
  return { rows: out, clamped, duplicates: sorted.length - out.length };
}

const fmt = (v: number): string => String(Number(v.toFixed(6)));

function toCsv(rows: Candle[]): string {
  const body = rows.map((r) => [r.ts, fmt(r.o), fmt(r.h), fmt(r.l), fmt(r.c), fmt(r.v)].join(',')).join('\n');
  return `timestamp,open,high,low,close,volume\n${body}\n`;
}

/** First non-empty line of a failed child's stderr (or its error message). */
function childError(err: unknown): string {
  const stderr = (err as { stderr?: Buffer | string }).stderr;
  const text = stderr ? String(stderr) : err instanceof Error ? err.message : String(err);
  const line = text.split('\n').find((l) => l.trim() !== '' && !/^npm (error|ERR!) *$/.test(l.trim()));
  return (line ?? 'unknown error').trim();
}

function pack(spec: string, dir: string): string {
  let stdout: string;
  try {
    // no --json: its file listing of a large package overflows the pipe; the last stdout line is the tarball name
    stdout = execFileSync('npm', ['pack', spec, '--pack-destination', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(`npm pack ${spec} failed (is the npm registry reachable?): ${childError(err)}`, { cause: err });
  }
  const name = stdout.trim().split('\n').pop()?.trim() ?? '';
  if (!name.endsWith('.tgz')) throw new Error(`npm pack ${spec}: no tarball name in its output`);
  return path.join(dir, name);
}

function extract(tarball: string, file: string, dir: string, spec: string): string {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('tar', ['xzf', tarball, '-C', dir, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`${file} not extracted from ${spec}: ${childError(err)}`, { cause: err });
  }
  return path.join(dir, file);
}

function main(args: string[]): void {
  if (args.length > 1 || args[0]?.startsWith('-')) {
    throw new Error('usage: node --import tsx scripts/held-back-series.ts [OUT_DIR]');
  }
  // the default is the checkout's git-ignored held-back/, wherever the script is run from
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const outDir = args[0] === undefined ? path.join(root, 'held-back') : path.resolve(args[0]);
  const work = mkdtempSync(path.join(tmpdir(), 'held-back-'));
  try {
    const tarballs = new Map<string, string>();
    for (const s of SERIES) {
      if (!tarballs.has(s.pkg)) tarballs.set(s.pkg, pack(s.pkg, work));
    }
    // every file is extracted and parsed before any is written, so a failure leaves no partial set behind
    const built = SERIES.map((s, i) => {
      const file = extract(tarballs.get(s.pkg) ?? '', s.file, path.join(work, `x${i}`), s.pkg);
      const cleaned = clean(parse(readFileSync(file, 'utf8'), s.format, `${s.pkg} ${s.file}`));
      if (cleaned.rows.length === 0) throw new Error(`${s.pkg} ${s.file}: no rows`);
      return { series: s, ...cleaned };
    });
    mkdirSync(outDir, { recursive: true });
    for (const { series, rows, clamped, duplicates } of built) {
      const target = path.join(outDir, series.out);
      writeFileSync(target, toCsv(rows));
      const first = rows[0].ts.slice(0, 10);
      const last = rows[rows.length - 1].ts.slice(0, 10);
      console.log(
        `${target}: ${rows.length} rows, ${first} to ${last}, high/low clamped on ${clamped}, ` +
          `${duplicates} duplicate stamps dropped (${series.pkg})`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`held-back-series: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

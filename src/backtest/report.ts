/**
 * The backtest report folder: report.json, report.html, trades.csv and pictures; reading it back and its summary
 * table.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isoTime } from '../data/timeframe.ts';
import { scheduleOf } from '../agents/decision-rule.ts';
import type { Baselines, BaselineName } from './baselines.ts';
import { BASELINE_NAMES, NO_SIZING, sizingText } from './baselines.ts';
import { tradesFingerprint, type BacktestResult, type Trade } from '../market/backtest-engine.ts';
import { sizeRefusals } from '../market/account.ts';
import {
  METRIC_ROWS,
  MIN_ANNUALISED_RETURNS,
  annualisationText,
  metricsToJson,
  tooShortToAnnualise,
  type Metrics,
} from '../market/metrics.ts';

export const REPORT_SCHEMA = 'bot-backtest-report/1';

interface ReportImage {
  /** PNG file, absolute or relative to the report folder. */
  file: string;
  caption: string;
}

export interface ReportTable {
  caption?: string;
  columns: string[];
  rows: (string | number)[][];
}

/** A block other parts add to the report (learning curves, epoch summaries, per-seed tables…). */
export interface ReportSection {
  title: string;
  text?: string;
  images?: ReportImage[];
  tables?: ReportTable[];
}

export interface ReportExtra {
  title?: string;
  images?: ReportImage[];
  tables?: ReportTable[];
  sections?: ReportSection[];
  /** Stored under `extra` in report.json. */
  json?: Record<string, unknown>;
}

interface ReportInput {
  runId: string;
  title?: string;
  strategy: { name: string; kind: string; description: string };
  data: { label: string; origin: string; notice?: string; notOutOfSample?: NotOutOfSample };
  /** Balance, costs, sizing, seed… as given; stored as is. */
  settings: Record<string, unknown>;
  result: BacktestResult;
  metrics: Metrics;
  baselines: Baselines;
  extra?: ReportExtra;
}

export interface ReportFiles {
  dir: string;
  json: string;
  trades: string;
  png: string;
  html: string;
}

/**
 * Why a saved model's backtest range is not out of sample (src/backtest/model-backtest.ts inSampleWarning): stored in
 * report.json as `data.notOutOfSample` and said under the table, in report.html and by `bot report`.
 */
export interface NotOutOfSample {
  /** Why, e.g. "the range starts before the end of the model's training window (…)"; warning and note add the rest. */
  reason: string;
  /** The model's training window (open times, ISO). */
  trainingWindow: { from: string; to: string };
  /** The validation windows the range overlaps (the model's epoch was chosen on them); empty when none does. */
  validationWindows: { from: string; to: string }[];
}

/** The warning a run that is not out of sample logs when it starts: the reason, then what it means. */
export function notOutOfSampleWarning(n: NotOutOfSample): string {
  return `${n.reason}: not out of sample`;
}

/** The line under a table (console, report.html, a portfolio's too) of a run that is not out of sample. */
export function notOutOfSampleNote(n: NotOutOfSample | undefined): string[] {
  return n ? [`note: NOT OUT OF SAMPLE: ${n.reason}`] : [];
}

/** report.json as stored; `bot report` reads it back. */
export interface StoredReport {
  schema: string;
  runId: string;
  createdAt: string;
  title: string;
  strategy: { name: string; kind: string; description: string };
  data: {
    label: string;
    origin: string;
    notice?: string;
    exchange: string;
    symbol: string;
    timeframe: string;
    from: string;
    to: string;
    candles: number;
    /** The span is too short for the annualised figures to mean much (tooShortToAnnualise); absent in old reports. */
    tooShortToAnnualise?: boolean;
    /** The range is not out of sample for the saved model it tests; absent when it is (or for a trained run). */
    notOutOfSample?: NotOutOfSample;
  };
  settings: Record<string, unknown>;
  metrics: Record<string, unknown>;
  baselines: Record<
    BaselineName,
    {
      description: string;
      /** How it sized its orders (baselines.ts sizingText); absent from older reports. */
      sizing?: string;
      metrics: Record<string, unknown>;
      sd?: Record<string, number>;
      seeds?: number;
      /** `random` under an agent's decision rule: the schedule it traded by; absent without one (and old reports). */
      rule?: { every: number; minHold: number };
      /** `random` over chained folds whose agents traded by different rules (learnerChoice): each fold's, in order. */
      foldRules?: { every: number; minHold: number }[];
      /** Its orders refused for their size, by reason (random: over all its seeds); absent when none (old reports). */
      rejected?: Record<string, number>;
    }
  >;
  tradesFingerprint: string;
  trades: number;
  /** Orders the account refused, by reason (only reasons that happened; absent when none). */
  rejected?: Record<string, number>;
  files: { trades: string; png: string; html: string };
  extra?: Record<string, unknown>;
}

const CSV_HEADER = 'index,time,side,price,units,gross,fee,tax,realized_pnl,cash,units_after';

function tradesCsv(trades: readonly Trade[]): string {
  const lines = [CSV_HEADER];
  for (const t of trades) {
    lines.push(
      [
        t.index,
        isoTime(t.ts),
        t.side,
        t.price,
        t.units,
        t.gross,
        t.fee,
        t.tax,
        t.realizedPnl,
        t.cash,
        t.unitsAfter,
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** The baselines as report.json stores them (scripts/rebaseline-study.ts rewrites a report's with it). */
export function storedBaselines(input: Baselines): StoredReport['baselines'] {
  const baselines = {} as StoredReport['baselines'];
  for (const name of BASELINE_NAMES) {
    const b = input[name];
    baselines[name] = {
      description: b.description,
      sizing: b.sizing,
      metrics: metricsToJson(b.metrics),
      ...(b.sd ? { sd: b.sd as Record<string, number> } : {}),
      ...(b.seeds !== undefined ? { seeds: b.seeds } : {}),
      ...(b.rule ? { rule: scheduleOf(b.rule) } : {}),
      ...(b.foldRules ? { foldRules: b.foldRules.map(scheduleOf) } : {}),
      ...(sizeRefusals(b.rejected).length > 0 ? { rejected: Object.fromEntries(sizeRefusals(b.rejected)) } : {}),
    };
  }
  return baselines;
}

function storedReport(input: ReportInput, files: ReportFiles): StoredReport {
  const r = input.result;
  const refused = Object.entries(r.rejected).filter(([, n]) => n > 0);
  const baselines = storedBaselines(input.baselines);
  return {
    schema: REPORT_SCHEMA,
    runId: input.runId,
    createdAt: new Date().toISOString(),
    title: input.title ?? `${input.strategy.name} on ${input.data.label}`,
    strategy: input.strategy,
    data: {
      ...input.data,
      exchange: r.exchange,
      symbol: r.symbol,
      timeframe: r.timeframe,
      from: isoTime(r.timestamps[0]),
      to: isoTime(r.timestamps[r.timestamps.length - 1]),
      candles: r.timestamps.length,
      tooShortToAnnualise: tooShortToAnnualise(input.metrics),
    },
    settings: input.settings,
    metrics: metricsToJson(input.metrics),
    baselines,
    tradesFingerprint: tradesFingerprint(r.trades),
    trades: r.trades.length,
    ...(refused.length > 0 ? { rejected: Object.fromEntries(refused) } : {}),
    files: { trades: path.basename(files.trades), png: path.basename(files.png), html: path.basename(files.html) },
    ...(input.extra?.json ? { extra: input.extra.json } : {}),
  };
}

/** Writes report.json, trades.csv, equity.png and a self-contained report.html into `dir`. */
export async function writeReport(dir: string, input: ReportInput): Promise<ReportFiles> {
  mkdirSync(dir, { recursive: true });
  const files: ReportFiles = {
    dir,
    json: path.join(dir, 'report.json'),
    trades: path.join(dir, 'trades.csv'),
    png: path.join(dir, 'equity.png'),
    html: path.join(dir, 'report.html'),
  };
  const r = input.result;
  const stored = storedReport(input, files);
  writeFileSync(files.trades, tradesCsv(r.trades));
  // the image library (sharp) loads when a report is written, not with the backtest command's flags
  const { writeEquityPng } = await import('./chart.ts');
  await writeEquityPng(files.png, {
    title: stored.title,
    timestamps: r.timestamps,
    close: r.close,
    equity: r.equity,
    benchmark: input.baselines.buy_and_hold.equity,
    benchmarkLabel: 'buy and hold',
    trades: r.trades,
    offset: r.range.from,
  });
  writeFileSync(files.json, JSON.stringify(stored, null, 2) + '\n');
  writeFileSync(files.html, renderHtml(stored, dir, files, input.extra, r.trades));
  return files;
}

/**
 * A cell of the console table and report.html. An unbounded ratio (a profit factor without losing sells, Sortino or
 * Calmar without downside) is ∞ there; report.json keeps "Infinity", valid JSON.
 */
function formatCell(v: unknown, format: string): string {
  if (v === Infinity || v === 'Infinity') return '∞';
  if (typeof v === 'string') return v;
  if (typeof v !== 'number' || Number.isNaN(v)) return '–';
  switch (format) {
    case 'pct':
      return `${(v * 100).toFixed(2)}%`;
    case 'int':
      return Math.round(v).toLocaleString('en-US');
    case 'money':
      return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
    case 'num':
      return v.toFixed(1);
    default:
      return v.toFixed(2);
  }
}

/** Rows measured per sell: a run that never sold (buy & hold, flat) has none to show, not a 0% win rate. */
const PER_SELL = new Set<string>(['winRate', 'profitFactor', 'expectancy']);

/** A stored metric as shown: NaN (a dash) for a per-sell row of a run without sells. */
function shown(metrics: Record<string, unknown>, key: string): unknown {
  return PER_SELL.has(key) && metrics.sells === 0 ? NaN : metrics[key];
}

/** Summary rows: metric label, strategy, then each baseline (random as mean ± sd). */
function summaryRows(report: StoredReport): { head: string[]; rows: string[][] } {
  const head = ['metric', report.strategy.name, 'buy & hold', 'flat', 'random (mean ± sd)', 'sma-cross'];
  const rows = METRIC_ROWS.map(({ key, label, format }) => {
    const cells = [label, formatCell(shown(report.metrics, key), format)];
    for (const name of BASELINE_NAMES) {
      const b = report.baselines[name];
      let cell = formatCell(shown(b.metrics, key), format);
      const sd = b.sd?.[key];
      if (name === 'random' && typeof sd === 'number') cell += ` ± ${formatCell(sd, format)}`;
      cells.push(cell);
    }
    return cells;
  });
  return { head, rows };
}

/** The console summary table of a stored report. */
export function summaryTable(report: StoredReport): string {
  const { head, rows } = summaryRows(report);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const d = report.data;
  return [
    `${report.title}`,
    `${d.exchange} ${d.symbol} ${d.timeframe}  ${d.from} … ${d.to}  (${d.candles} candles, ${d.origin})`,
    '',
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    ...baselineSizingLine(report).map((l) => `\n${l}`),
    ...rejectedLine(report),
    ...baselineRejectedLine(report),
    ...(d.tooShortToAnnualise ? [reportSpanNote(report)] : []),
    ...notOutOfSampleNote(d.notOutOfSample),
  ].join('\n');
}

const BASELINE_LABELS: Record<BaselineName, string> = {
  buy_and_hold: 'buy & hold',
  flat: 'flat',
  random: 'random',
  sma_cross: 'sma-cross',
};

/**
 * Which sizing each baseline traded with, when the strategy's is not all-in (then random and sma-cross trade with
 * the strategy's, buy & hold stays all-in): the columns are not all sized alike. None when every one is all-in.
 */
function baselineSizingLine(report: StoredReport): string[] {
  const allIn = sizingText({ kind: 'all' });
  const sized = BASELINE_NAMES.filter((n) => report.baselines[n].sizing !== undefined);
  if (sized.every((n) => [allIn, NO_SIZING].includes(report.baselines[n].sizing!))) return [];
  return [`baseline sizing: ${sized.map((n) => `${BASELINE_LABELS[n]} ${report.baselines[n].sizing}`).join('; ')}`];
}

/**
 * Orders the market refused for their size, with their reasons, e.g. a balance too small to trade: a run of 0 trades
 * says why. A buy while all in (`no_cash`) or a sell while flat (`no_position`) is an all-in / all-out policy asking
 * for the position it holds: a hold, which report.json still counts, not a refusal worth a line under every table.
 */
function rejectedLine(report: StoredReport): string[] {
  const reasons = sizeRefusals(report.rejected ?? {});
  if (reasons.length === 0) return [];
  return ['', `rejected orders: ${refusalsText(reasons)}`];
}

/** `3162 (below_min_order 3162)`: a count of refusals and its reasons. */
function refusalsText(reasons: readonly [string, number][]): string {
  const total = reasons.reduce((a, [, n]) => a + n, 0);
  return `${total} (${reasons.map(([why, n]) => `${why} ${n}`).join(', ')})`;
}

/**
 * The baselines' orders refused for their size (a balance near the minimum order): random's columns are then a
 * coin-flipper that trades less than it asked, not the one a larger balance would show. None when none were refused.
 */
function baselineRejectedLine(report: StoredReport): string[] {
  const parts = BASELINE_NAMES.flatMap((n) => {
    const b = report.baselines[n];
    const reasons = sizeRefusals(b.rejected ?? {});
    if (reasons.length === 0) return [];
    const seeds = b.seeds !== undefined && b.seeds > 1 ? ` over its ${b.seeds} seeds` : '';
    return [`${BASELINE_LABELS[n]} ${refusalsText(reasons)}${seeds}`];
  });
  if (parts.length === 0) return [];
  const why = 'too small to trade: their columns traded less than they asked; a larger --balance avoids it';
  return [`baselines' rejected orders (${why}): ${parts.join('; ')}`];
}

/**
 * The line under a summary table whose span is too short for its annualised figures to mean much; with the periods a
 * year they used and the timeframe (a single series' report), which annualisation that was (annualisationText).
 */
export function shortSpanNote(
  d: Pick<StoredReport['data'], 'candles' | 'from' | 'to'>,
  used?: { periodsPerYear: number; timeframe: string },
): string {
  const spanMs = Date.parse(d.to) - Date.parse(d.from);
  return (
    `note: ${d.candles} candles over ${(spanMs / 86_400_000).toFixed(1)} days are too short (under ` +
    `${MIN_ANNUALISED_RETURNS} returns or a month) for the annualised figures (annual return, volatility, Sharpe, ` +
    `Sortino, Calmar) to mean much` +
    (used ? `; ${annualisationText(used.periodsPerYear, used.timeframe, spanMs)}` : '')
  );
}

/** shortSpanNote of a single series' report, naming its annualisation when report.json stores it. */
function reportSpanNote(report: StoredReport): string {
  const d = report.data;
  const ppy = report.metrics.periodsPerYear;
  return shortSpanNote(d, typeof ppy === 'number' ? { periodsPerYear: ppy, timeframe: d.timeframe } : undefined);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function imageTag(dir: string, img: ReportImage): string {
  const file = path.isAbsolute(img.file) ? img.file : path.join(dir, img.file);
  let data: string;
  try {
    data = readFileSync(file).toString('base64');
  } catch {
    return `<p class="missing">missing image ${esc(img.file)}</p>`;
  }
  const tag = `<img alt="${esc(img.caption)}" src="data:image/png;base64,${data}"/>`;
  return `<figure>${tag}<figcaption>${esc(img.caption)}</figcaption></figure>`;
}

function tableHtml(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('\n');
  const caption = t.caption ? `<caption>${esc(t.caption)}</caption>` : '';
  // a wide table (one column per fold and seed) scrolls inside its own box instead of widening the page
  return `<div class="table-box"><table>${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

const MAX_HTML_TRADES = 500;

function renderHtml(
  report: StoredReport,
  dir: string,
  files: ReportFiles,
  extra: ReportExtra | undefined,
  trades: readonly Trade[],
): string {
  const { head, rows } = summaryRows(report);
  const summary = tableHtml({ columns: head, rows });
  const tradeRows = trades
    .slice(0, MAX_HTML_TRADES)
    .map((t) => [
      isoTime(t.ts),
      t.side,
      t.price.toFixed(2),
      t.units.toPrecision(8),
      Math.round(t.gross).toLocaleString('en-US'),
      t.fee.toFixed(2),
      t.tax.toFixed(2),
      t.side === 'sell' ? t.realizedPnl.toFixed(2) : '',
    ]);
  const tradeTable = tableHtml({
    caption:
      trades.length > MAX_HTML_TRADES
        ? `first ${MAX_HTML_TRADES} of ${trades.length} fills (all in trades.csv)`
        : `${trades.length} fills`,
    columns: ['time', 'side', 'price', 'units', 'value', 'fee', 'tax', 'realized P/L'],
    rows: tradeRows,
  });
  const extraParts: string[] = [];
  if (extra) {
    if (extra.title || extra.images?.length || extra.tables?.length) {
      extraParts.push(`<h2>${esc(extra.title ?? 'More')}</h2>`);
      for (const img of extra.images ?? []) extraParts.push(imageTag(dir, img));
      for (const t of extra.tables ?? []) extraParts.push(tableHtml(t));
    }
    for (const s of extra.sections ?? []) {
      extraParts.push(`<h2>${esc(s.title)}</h2>`);
      if (s.text) extraParts.push(`<p>${esc(s.text)}</p>`);
      for (const img of s.images ?? []) extraParts.push(imageTag(dir, img));
      for (const t of s.tables ?? []) extraParts.push(tableHtml(t));
    }
  }
  const d = report.data;
  const market = `${esc(d.exchange)} ${esc(d.symbol)} ${esc(d.timeframe)}`;
  const span = `${esc(d.from)} … ${esc(d.to)}`;
  const dataLine = `${esc(d.label)} — ${market}, ${span}, ${d.candles} candles (${esc(d.origin)})`;
  const fillRule =
    "Decisions at each candle's close fill at the next candle's open plus slippage and fees. A position still " +
    'held at the end is valued at the last close, without the fee, tax and slippage a sale would cost (as usual).';
  const equityCaption = 'price with fills; portfolio value vs buy and hold; drawdown';
  const equityImage = imageTag(dir, { file: path.basename(files.png), caption: equityCaption });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(report.title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1240px;color:#111;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}caption{text-align:left;color:#555;padding:4px 0}
img{max-width:100%;border:1px solid #eee}figure{margin:1em 0}figcaption{color:#555;font-size:13px}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}.note{color:#92400e}
.table-box{overflow-x:auto;max-width:100%}.table-box td,.table-box th{white-space:nowrap}
</style></head><body>
<h1>${esc(report.title)}</h1>
<p>${esc(report.strategy.name)} (${esc(report.strategy.kind)}): ${esc(report.strategy.description)}</p>
<p>${dataLine}</p>
${d.notice ? `<p class="note">${esc(d.notice)}</p>` : ''}
<p>Run ${esc(report.runId)}, created ${esc(report.createdAt)}. ${fillRule}</p>
<h2>Summary</h2>
${summary}
${baselineSizingLine(report)
  .map((n) => `<p class="note">${esc(n)}</p>`)
  .join('')}
${d.tooShortToAnnualise ? `<p class="note">${esc(reportSpanNote(report))}</p>` : ''}
${notOutOfSampleNote(d.notOutOfSample)
  .map((n) => `<p class="note">${esc(n)}</p>`)
  .join('')}
<h2>Equity</h2>
${equityImage}
${extraParts.join('\n')}
<h2>Trades</h2>
${tradeTable}
<h2>Settings</h2>
<pre>${esc(JSON.stringify(report.settings, null, 2))}</pre>
<p>trade list sha256: <code>${report.tradesFingerprint}</code></p>
</body></html>
`;
}

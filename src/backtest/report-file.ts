/**
 * Reading a stored report.json back: the one check of its shape that every reader uses (`bot report`, the dashboard's
 * backtests list and pages, a backtest reading what it wrote). A report of a known schema with a field missing or of
 * the wrong type is unreadable with a one-line problem, not a crash in whoever reads the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { BASELINE_NAMES } from './baselines.ts';
import { PORTFOLIO_REPORT_SCHEMA, type PortfolioReport } from './portfolio-report.ts';
import { REPORT_SCHEMA, type StoredReport } from './report.ts';
import { SWEEP_REPORT_SCHEMA } from './report-schema.ts';

const text = z.string();
const numbers = z.record(z.string(), z.unknown());
const meanSd = z.object({ mean: numbers, sd: numbers });

const singleShape = z.object({
  runId: text,
  createdAt: text,
  title: text,
  strategy: z.object({ name: text, kind: text, description: text }),
  data: z.object({
    label: text,
    origin: text,
    exchange: text,
    symbol: text,
    timeframe: text,
    from: text,
    to: text,
    candles: z.number(),
  }),
  settings: numbers,
  metrics: numbers,
  baselines: z.object(Object.fromEntries(BASELINE_NAMES.map((n) => [n, z.object({ metrics: numbers })]))),
  trades: z.number(),
  files: z.object({ trades: text, png: text, html: text }),
});

const summaryShape = z.object({ name: text, totalReturn: z.number() });
const portfolioShape = z.object({
  runId: text,
  createdAt: text,
  strategy: text,
  data: z.object({ series: z.array(z.object({ symbol: text, label: text })) }),
  summary: summaryShape,
  baselines: z.array(summaryShape),
  randomWeights: z.object({ seeds: z.number(), mean: numbers, sd: numbers }),
  portfolio: z.object({
    symbols: z.array(text),
    timestamps: z.array(z.number()),
    weights: z.array(z.array(z.number())),
    equity: z.array(z.number()),
    markets: z.array(z.object({ symbol: text })),
  }),
});

/** The parts of a sweep's report.json read outside src/sweep (the dashboard's list and page, `bot report`). */
const sweepShape = z.object({
  sweepId: text,
  name: text,
  createdAt: text,
  strategy: text,
  markets: z.array(
    z.object({ label: text, from: text, to: text, folds: z.array(z.object({ test: text })).optional() }),
  ),
  leaderboard: z.array(z.object({ rank: z.number(), label: text, runs: z.number() })),
  // cleanTest and cleanFolds are absent from reports written before the clean test figure existed
  baselines: z.object({ buy_and_hold: z.object({ test: meanSd, cleanTest: meanSd.optional() }) }),
  winner: z
    .object({ label: text, test: meanSd, cleanTest: meanSd.optional(), cleanFolds: z.array(text).optional() })
    .optional(),
  verdict: z.array(text),
  files: z.object({ html: text }),
});

/** A (market, fold) window as a sweep report names it in winner.cleanFolds: the market's label only among several. */
export function sweepFoldLabel(markets: readonly { label: string }[], market: number, fold: number): string {
  return `${markets.length > 1 ? `${markets[market].label} ` : ''}fold ${fold + 1}`;
}

export type SweepHead = z.infer<typeof sweepShape> & { schema: typeof SWEEP_REPORT_SCHEMA };

export type ParsedReport =
  | { kind: 'single'; report: StoredReport }
  | { kind: 'portfolio'; report: PortfolioReport }
  | { kind: 'sweep'; report: SweepHead }
  /** Not JSON, not a bot report, or a bot report with a field missing or of the wrong type (`schema`: its schema). */
  | { kind: 'unreadable'; problem: string; schema?: string };

const SHAPES = [
  { schema: REPORT_SCHEMA, kind: 'single', shape: singleShape },
  { schema: PORTFOLIO_REPORT_SCHEMA, kind: 'portfolio', shape: portfolioShape },
  { schema: SWEEP_REPORT_SCHEMA, kind: 'sweep', shape: sweepShape },
] as const;

/** A parsed report.json's kind with the report itself (as stored: unknown fields kept), or why it is unreadable. */
function parseReport(value: unknown): ParsedReport {
  const schema = typeof value === 'object' && value !== null ? (value as { schema?: unknown }).schema : undefined;
  const known = SHAPES.find((s) => s.schema === schema);
  if (!known)
    return {
      kind: 'unreadable',
      problem: 'not a bot report (no known "schema")',
      ...(typeof schema === 'string' ? { schema } : {}),
    };
  const checked = known.shape.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top)';
    const problem = `an incomplete ${known.schema} report (${where}: ${issue.message.split('\n')[0]})`;
    return { kind: 'unreadable', problem, schema: known.schema };
  }
  return { kind: known.kind, report: value } as ParsedReport;
}

/** A report.json's text parsed by parseReport (text that is not JSON is unreadable too). */
export function parseReportText(body: string): ParsedReport {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: 'unreadable', problem: 'not valid JSON' };
  }
  return parseReport(value);
}

/** A report.json file parsed by parseReportText (a missing file is unreadable too). */
export function readReportFile(file: string): ParsedReport {
  let body: string;
  try {
    body = readFileSync(file, 'utf8');
  } catch {
    return { kind: 'unreadable', problem: 'no report at this path' };
  }
  return parseReportText(body);
}

/**
 * A single market's stored report (`bot backtest` writes it; `bot report` prints it); any other file is a one-line
 * UserError naming what it is instead.
 */
export function readReport(file: string): StoredReport {
  const r = readReportFile(file);
  if (r.kind === 'single') return r.report;
  if (r.kind === 'unreadable') throw new UserError(`${file}: ${r.problem}`);
  throw new UserError(`${file} is a ${r.kind} report, not a backtest report (${REPORT_SCHEMA})`);
}

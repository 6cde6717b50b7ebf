/**
 * The shape of a portfolio run's report.json (issue 14; README, "Portfolios"): its schema name, the strategy's and
 * baselines' summaries and the documented `portfolio` part. portfolio-backtest.ts writes it, portfolio-html.ts draws
 * it.
 */
import { isoTime } from '../data/timeframe.ts';
import type { Costs } from '../market/costs.ts';
import { notOutOfSampleNote, shortSpanNote, type NotOutOfSample } from './report.ts';

export const PORTFOLIO_REPORT_SCHEMA = 'bot-portfolio-report/1';

/** The baseline that is a portfolio's buy-and-hold (the dashboard lists it beside the strategy). */
export const EQUAL_WEIGHTS_HELD = 'equal weights bought and held';

/**
 * The label of a portfolio's turnover: traded value in the markets' one quote currency (checkOneQuote), not the
 * single-market report's `turnover (×)`, a ratio to the mean portfolio value.
 */
export function turnoverLabel(symbols: readonly string[]): string {
  const quote = symbols[0]?.split('/')[1]?.split(':')[0];
  return `turnover (${quote || 'quote currency'})`;
}

/**
 * The notes under a portfolio's table (report.ts's): a span too short to annualise (on its timeline), a saved model's
 * range that is not out of sample.
 */
export function portfolioNotes(r: PortfolioReport): string[] {
  const ts = r.portfolio.timestamps;
  return [
    ...(r.data.tooShortToAnnualise
      ? [shortSpanNote({ candles: ts.length, from: isoTime(ts[0]), to: isoTime(ts[ts.length - 1]) })]
      : []),
    ...notOutOfSampleNote(r.data.notOutOfSample),
  ];
}

export interface PortfolioSummary {
  name: string;
  totalReturn: number;
  maxDrawdown: number;
  sharpe: number;
  feesPaid: number;
  turnover: number;
}

export interface PortfolioReport {
  schema: typeof PORTFOLIO_REPORT_SCHEMA;
  runId: string;
  createdAt: string;
  strategy: string;
  data: {
    series: { symbol: string; label: string; missing: number; costs: Costs }[];
    informative?: { symbol: string; label: string }[];
    timeline: string;
    /** The span is too short for the annualised Sharpe to mean much (tooShortToAnnualise); absent in old reports. */
    tooShortToAnnualise?: boolean;
    /** The range is not out of sample for the saved model it tests; absent when it is (or for a trained run). */
    notOutOfSample?: NotOutOfSample;
  };
  agent?: Record<string, unknown>;
  summary: PortfolioSummary;
  /** A learning strategy's seeds: each seed's summary and their mean ± sd. */
  seeds?: { runs: PortfolioSummary[] } & PortfolioReport['randomWeights'];
  baselines: PortfolioSummary[];
  randomWeights: { seeds: number; mean: Omit<PortfolioSummary, 'name'>; sd: Omit<PortfolioSummary, 'name'> };
  portfolio: {
    symbols: string[];
    /** Open time of each clock time, and each market's weight at its close (weights[m][t]; the rest is cash). */
    timestamps: number[];
    weights: number[][];
    equity: number[];
    markets: {
      symbol: string;
      contribution: number;
      turnover: number;
      feesPaid: number;
      taxPaid: number;
      rejected: Record<string, number>;
      skipped: number;
      waited: number;
      missing: number;
    }[];
  };
}

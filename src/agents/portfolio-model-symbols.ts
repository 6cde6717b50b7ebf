/**
 * The markets a portfolio model folder trades and reads, from its meta.json alone: no recipe schema, features or image
 * code, so that `bot status` (which says whether CURRENT's version can serve a run, src/trading/promoted-refusal.ts)
 * and `bot --help` load no zod (test/cli/startup-modules.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A portfolio model's markets: those it trades, in its network's order, and those it reads only. */
interface PortfolioMarkets {
  symbols: string[];
  informative: string[];
}

const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((s) => typeof s === 'string');

/**
 * What the model folder `dir` trades by its meta.json: a portfolio model's markets, 'one market' for any other model,
 * undefined when meta.json cannot be read or lacks its learner (or its portfolio learner lacks its markets).
 */
export function modelFolderMarkets(dir: string): PortfolioMarkets | 'one market' | undefined {
  let meta: { learner?: { portfolio?: unknown; symbols?: unknown; informative?: unknown } };
  try {
    meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as typeof meta;
  } catch {
    return undefined;
  }
  const l = meta?.learner;
  // a meta.json without its learner is a broken folder, not a one-market model (the load says what is wrong)
  if (!l || typeof l !== 'object') return undefined;
  if (l.portfolio !== true) return 'one market';
  return strings(l.symbols) && strings(l.informative) ? { symbols: l.symbols, informative: l.informative } : undefined;
}

/** The markets a model folder trades when it is a portfolio model (its meta.json says so), else undefined. */
export function portfolioModelSymbols(dir: string): string[] | undefined {
  const markets = modelFolderMarkets(dir);
  return typeof markets === 'object' ? markets.symbols : undefined;
}

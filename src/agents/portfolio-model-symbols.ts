/**
 * The markets a portfolio model folder trades, read from its meta.json alone: no recipe schema, features or image
 * code, so that `bot status` (which says whether CURRENT's version can serve a run, src/trading/promoted-refusal.ts)
 * and `bot --help` load no zod (test/cli/startup-modules.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The markets a model folder trades when it is a portfolio model (its meta.json says so), else undefined. */
export function portfolioModelSymbols(dir: string): string[] | undefined {
  try {
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as {
      learner?: { portfolio?: unknown; symbols?: unknown; informative?: unknown };
    };
    const l = meta.learner;
    if (l?.portfolio !== true || !Array.isArray(l.symbols) || !Array.isArray(l.informative)) return undefined;
    return l.symbols.every((s) => typeof s === 'string') ? (l.symbols as string[]) : undefined;
  } catch {
    return undefined;
  }
}

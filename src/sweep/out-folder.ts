/**
 * Which `--out` folder a sweep may write its report into (the command checks it with bot backtest's check,
 * src/cli/out-paths.ts): a new or empty one, or one holding only a sweep's report files, of this same sweep (a
 * re-run writes the same folder, as `backtests/sweep-<id>/`). A folder holding a backtest used to have its
 * report.json and report.html overwritten by the sweep's. Resuming needs no files here: the results are in SQLite
 * by job id (src/sweep/store.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { SWEEP_REPORT_SCHEMA } from '../backtest/report-schema.ts';

/** The names writeSweepReport gives its files (src/sweep/report.ts). */
const REPORT_FILE = /^(report\.json|report\.html|heatmap-[A-Za-z0-9_.-]+\.png|equity-winner(-\d+)?\.png)$/;

/** The sweep id of the report in `folder`, if it holds a readable sweep report.json. */
function reportSweepId(folder: string): string | undefined {
  try {
    const r = JSON.parse(readFileSync(path.join(folder, 'report.json'), 'utf8')) as {
      schema?: unknown;
      sweepId?: unknown;
    };
    return r.schema === SWEEP_REPORT_SCHEMA && typeof r.sweepId === 'string' ? r.sweepId : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `held` (the entries of `folder`) are a sweep's report files only, with a readable report.json. */
export function holdsSweepReportOnly(folder: string, held: readonly string[]): boolean {
  return held.every((f) => REPORT_FILE.test(f)) && reportSweepId(folder) !== undefined;
}

/** Once the sweep's id is known: a reused folder must hold this sweep's report, not another sweep's. */
export function checkSweepOutId(value: string | undefined, id: string): void {
  if (value === undefined) return;
  const other = reportSweepId(value);
  if (other !== undefined && other !== id)
    throw new UserError(
      `--out ${value} holds the report of sweep ${other}, not of this sweep (${id}): give a new or empty folder`,
    );
}

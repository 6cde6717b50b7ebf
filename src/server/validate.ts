/** Request validation with zod: a bad parameter is a 400 with one line naming it (issue 15). */
import { z } from 'zod';
import { spotSymbolField } from '../data/config.ts';
import { parseTime } from '../data/timeframe.ts';

/** An error with the HTTP status the server answers with; its message is the one-line JSON error. */
export class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

/** `schema` applied to `value`, or a 400 naming the first bad field of `where` (path, query, body). */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.length
    ? issue.path.join('.')
    : issue.code === 'unrecognized_keys'
      ? issue.keys.join(', ')
      : where;
  throw new HttpError(400, `${where} ${field}: ${issue.message}`.replace(/\s+/g, ' '));
}

/** A whole number in a query or path string (digits only: no signs, exponents, spaces or fractions). */
const intString = (max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'expected a whole number')
    .transform(Number)
    .refine((n) => n <= max, `expected at most ${max}`);

/**
 * A time in a query (`from`, `to`), read exactly as the CLI's `--from` reads it (parseTime): epoch milliseconds of 12
 * digits or more, or an ISO date or time (`2026-11-25`, `2026-11-25T09:00+09:00`; UTC without a zone). A shorter
 * number (`2025`) is refused, not read as milliseconds after 1970.
 */
export const timeString = z.string().transform((s, ctx) => {
  try {
    const ms = parseTime(s, 'time');
    if (Number.isSafeInteger(ms)) return ms;
  } catch {
    // not a time: the issue below names both forms
  }
  ctx.addIssue({
    code: 'custom',
    message: 'expected epoch milliseconds (12 digits or more) or an ISO time such as 2026-11-25T09:00Z',
  });
  return z.NEVER;
});

/** A query's `limit`: a whole number from 1 to `max`, `dflt` when absent (0 answered a list that read as empty). */
export const limitString = (max: number, dflt: number) =>
  intString(max)
    .refine((n) => n >= 1, 'expected at least 1')
    .optional()
    .transform((n) => n ?? dflt);

export const runParams = z.strictObject({ id: intString() });

/** The query of a route that takes none: any parameter is refused, not ignored. */
export const noQuery = z.strictObject({});

/**
 * A time range's `from` and `to` in one query, each optional: `from` after `to` is refused naming both, rather than
 * answered with an empty list that reads as a run without rows.
 */
export function orderedRange(q: { from?: number; to?: number }, ctx: z.RefinementCtx): void {
  if (q.from !== undefined && q.to !== undefined && q.from > q.to)
    ctx.addIssue({ code: 'custom', path: ['from'], message: `must not be after to (from ${q.from}, to ${q.to})` });
}

/** Keyset paging: newest first, `before` the cursor a page returned as `next`. */
export const pageQuery = (maxLimit: number, defaultLimit: number) =>
  z.strictObject({
    limit: limitString(maxLimit, defaultLimit),
    before: intString().optional(),
  });

/** A folder name under backtests/ or models/. */
export const nameString = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$/, 'expected a folder name');

/**
 * A market name in a query (`?market=ETH/KRW`), a spot BASE/QUOTE (the parser's line names a derivative's problem);
 * other characters are refused unquoted first. Whether the run trades it is checked against the run.
 */
const marketString = z
  .string()
  .max(64, 'expected at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/:-]*$/, 'expected a market such as BTC/KRW')
  .pipe(spotSymbolField);

/** Keyset paging over one market's rows (orders, fills) or every market's. */
export const marketPageQuery = (maxLimit: number, defaultLimit: number) =>
  pageQuery(maxLimit, defaultLimit).extend({ market: marketString.optional() });

/** The candle window: `limit` candles up to `to`, of `market` (a portfolio run's; default its first). */
export const candleQuery = z.strictObject({
  to: timeString.optional(),
  limit: limitString(5000, 300),
  market: marketString.optional(),
});
